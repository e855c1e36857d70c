"""Stage 2, clean: join an article's pages into one text and decide whether it is an article.

The extractor already removed boilerplate page by page; this stage works on
the article as a whole: it joins the pages, drops lines a continuation page
repeats, normalises whitespace, removes stray replacement characters, hashes
the text, and rejects (drops) an item whose text is empty.
"""
from __future__ import annotations

import re
import unicodedata

from archive.db import text_hash
from crawler.items import ArticleItem, Rejected

MIN_TEXT_CHARS = 20  # fewer meaningful characters than this is not an article
_SPACES = re.compile(r"[ \t\u00a0\u3000\u2002\u2003\u200b]+")
_MEANINGFUL = re.compile(r"[\w\u4e00-\u9fff]")


def normalise_line(line: str) -> str:
    line = unicodedata.normalize("NFC", line).replace("\ufffd", "")
    return _SPACES.sub(" ", line).strip()


def join_pages(texts: list[str]) -> str:
    """One paragraph per line; a line a later page repeats from an earlier one is dropped."""
    out: list[str] = []
    seen: set[str] = set()
    for i, text in enumerate(texts):
        for raw in (text or "").splitlines():
            line = normalise_line(raw)
            if not line:
                continue
            if i > 0 and line in seen:
                continue
            if out and out[-1] == line:
                continue
            out.append(line)
            seen.add(line)
    return "\n".join(out)


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
        if len(_MEANINGFUL.findall(item.text)) < MIN_TEXT_CHARS:
            raise Rejected("empty", "no article text extracted")
        item.text_hash = text_hash(item.text)
        return item
