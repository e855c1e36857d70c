"""Stage 1, extract: raw pages → title, time, 来源, author, editor, keywords and body text.

Each page is decoded and extracted with the site's selectors over the generic
layer (``archive.extract``). Metadata comes from the first page; the text of
every page is kept in order for the clean stage to join.

The work runs in the process's pool of extraction workers (``pipelines/pool.py``,
``EXTRACT_WORKERS``) while the spider is open, so the reactor keeps downloading; the
stage then returns a Deferred that fires with the item. Without a pool (one core,
``EXTRACT_WORKERS`` 0, or the stage used on its own) the same function runs here.

An article of one page without attachments comes extracted: the spider read its page where
extraction runs (``pipelines.pool.read_article``, in a worker or here) and extracted it from
that one decoding; the stage applies that result. The stage tells the spider, when it opens,
that it runs and whether in workers (``SiteSpider.extracts_pages``, ``reads_in_pool``).
"""
from __future__ import annotations

import logging

from archive.attachments import fill as fill_attachment
from archive.settings import value as setting
from crawler.items import ArticleItem, Rejected
from pipelines.pool import ExtractPool, as_deferred, extract_pages, pool_size

logger = logging.getLogger(__name__)


class ExtractPipeline:
    def __init__(self, crawler=None, workers: int = 0):
        self.crawler = crawler
        self.workers = workers
        self.pooled = False  # True while this spider holds the process's pool

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, pool_size(setting(crawler.settings, "EXTRACT_WORKERS")))

    def open_spider(self, spider=None):
        self.pooled = ExtractPool.acquire(self.workers)
        spider = self.crawler.spider if self.crawler else spider
        if spider is not None and hasattr(spider, "reads_in_pool"):
            # the spider reads an article page where extraction runs, and extracts a one-page article
            # there from the same decoding (crawler/base.py parse_article): applied in process_item
            spider.extracts_pages, spider.reads_in_pool = True, self.pooled

    def close_spider(self, spider=None):
        spider = self.crawler.spider if self.crawler else spider
        if spider is not None and hasattr(spider, "reads_in_pool"):
            spider.reads_in_pool = False
        if self.pooled:
            self.pooled = False
            ExtractPool.release()

    def process_item(self, item):
        if not isinstance(item, ArticleItem) or item.not_modified:
            return item
        extracted, item.extracted = item.extracted, None  # never carried further (nor pickled)
        if extracted is not None and len(item.pages) == 1 and not item.attachments:
            return self.apply(item, extracted)  # the spider's reading of the page extracted it
        spider = self.crawler.spider if self.crawler else None
        rules = getattr(spider, "selectors", None)
        pages = [(page.body, page.url, page.charset) for page in item.pages]
        # downloaded attachments: kind by their bytes, text (archive/attachments.py), in the same worker
        files = [None if a.get("body") is None else (a["body"], a["url"], a.get("charset")) for a in item.attachments]
        future = ExtractPool.submit(pages, rules, files) if self.pooled else None
        if future is None:
            return self.apply(item, extract_pages(pages, rules, files))
        return as_deferred(future).addCallbacks(lambda result: self.apply(item, result),
                                              lambda failure: self.crashed(item, failure))

    @staticmethod
    def apply(item, result: tuple):
        """Fill *item* from :func:`pipelines.pool.extract_pages`'s result, or reject it."""
        if result[0] == "reject":
            _, kind, reason, line = result
            logger.warning("%s", line)
            raise Rejected(kind, reason)
        _, fields, texts = result
        described = fields.pop("attachments", None) or [None] * len(item.attachments)
        for att, about in zip(item.attachments, described):
            fill_attachment(att, about)
        for name, value in fields.items():
            setattr(item, name, value)
        item.page_texts = texts
        return item

    @staticmethod
    def crashed(item, failure):
        """The worker died on this item (or the pool was shut down under it): a failure row, not a loss."""
        logger.warning("extraction failed for %s: %s", item.url, failure.getErrorMessage())
        raise Rejected("unparsable", f"extraction failed ({failure.type.__name__})")
