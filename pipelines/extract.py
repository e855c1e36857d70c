"""Stage 1, extract: raw pages → title, time, 来源, author, editor, keywords and body text.

Each page is decoded and extracted with the site's selectors over the generic
layer (``archive.extract``). Metadata comes from the first page; the text of
every page is kept in order for the clean stage to join.
"""
from __future__ import annotations

import logging

from archive.extract import extract
from archive.extract.decode import DecodeError
from crawler.items import ArticleItem, Rejected

logger = logging.getLogger(__name__)


class ExtractPipeline:
    def __init__(self, crawler=None):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        if not isinstance(item, ArticleItem) or item.not_modified:
            return item
        spider = self.crawler.spider if self.crawler else None
        rules = getattr(spider, "selectors", None)
        texts = []
        item.replaced_bytes = 0
        for i, page in enumerate(item.pages):
            try:
                result = extract(page.body, page.url, charset=page.charset, rules=rules)
            except DecodeError as exc:  # the reason groups; the details go to the log
                logger.warning("cannot decode %s: %s", page.url, exc)
                raise (Rejected("charset", "cannot decode the page (binary data or an unknown charset)") if i == 0
                       else Rejected("incomplete", "a page of the article cannot be decoded")) from None
            except Exception as exc:  # a page the parser cannot take: record it, never store it
                logger.warning("extraction failed for %s: %r", page.url, exc)
                raise (Rejected("unparsable", f"extraction failed ({type(exc).__name__})") if i == 0
                       else Rejected("incomplete", f"a page of the article cannot be extracted ({type(exc).__name__})")
                       ) from None
            if i == 0:
                item.title = result.get("title")
                item.published_at = result.get("published_at")
                item.source = result.get("source")
                item.author = result.get("author")
                item.editor = result.get("editor")
                item.keywords = list(result.get("keywords") or [])
                item.encoding = result.get("encoding")
                item.fallback = list(result.get("fallback") or [])
                item.document = bool(result.get("document"))
            item.replaced_bytes += result.get("replaced_bytes") or 0
            texts.append(result.get("text") or "")
        item.page_texts = texts
        return item
