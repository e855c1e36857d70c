"""Stage 2, clean: join an article's pages into one text and decide whether it is an article.

The extractor already removed boilerplate page by page; this stage works on
the article as a whole: it joins the pages, drops lines a continuation page
repeats, normalises whitespace, removes stray replacement characters, hashes
the text, and rejects (drops) an item whose text is empty.
"""
from __future__ import annotations

from archive.db import text_hash
from archive.extract.article import is_article_text, join_pages, normalise_line
from archive.extract.vocab import MIN_TEXT_CHARS
from crawler.items import ArticleItem, Rejected

__all__ = ["CleanPipeline", "MIN_TEXT_CHARS", "join_pages", "normalise_line"]


class CleanPipeline:
    @classmethod
    def from_crawler(cls, crawler):
        return cls()

    def process_item(self, item):
        if not isinstance(item, ArticleItem) or item.not_modified:
            return item
        item.text = join_pages(item.page_texts)
        if item.title:
            item.title = normalise_line(item.title)
        if not is_article_text(item.text):
            raise Rejected("empty", "no article text extracted")
        item.text_hash = text_hash(item.text)
        return item
