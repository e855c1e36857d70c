"""Stage 5, near-duplicates: put each newly stored (or changed) article in its story group.

Runs after the store stage, on its own connection: the article is already
committed, so a failure here loses nothing — it is logged, counted, and the
article is picked up by the next crawl (``index_missing`` at spider open) or
``archive dedup``. See ``archive/dedup/`` and ``docs/dedup.md``.
"""
from __future__ import annotations

import logging
import sqlite3

from scrapy.spiderloader import SpiderLoader

from archive import dedup as neardup
from archive.db import open_db, transaction
from crawler.items import ArticleItem

logger = logging.getLogger(__name__)


class NearDupPipeline:
    def __init__(self, crawler, db_path: str, labels: dict[str, str] | None = None):
        self.crawler = crawler
        self.db_path = db_path
        self.labels = labels or {}  # site key → site name, for the canonical choice
        self.db = None

    @classmethod
    def from_crawler(cls, crawler):
        loader = SpiderLoader.from_settings(crawler.settings)
        labels = {name: getattr(loader.load(name), "label", "") or "" for name in loader.list()}
        return cls(crawler, crawler.settings.get("ARCHIVE_DB"), labels)

    @property
    def stats(self):
        return getattr(self.crawler, "stats", None)

    def _inc(self, key: str, n: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, n)

    def open_spider(self, spider=None):
        self.db = open_db(self.db_path)
        try:  # articles stored while this stage was off: a catch-up, not a rebuild
            caught_up = neardup.index_missing(self.db, labels=self.labels)
            if caught_up:
                logger.info("near-duplicate index: added %d articles it did not have", caught_up)
        except neardup.NeedsRebuild as exc:
            logger.error("%s", exc)
            self.db.conn.close()
            self.db = None

    def close_spider(self, spider=None):
        if self.db is not None:
            self.db.conn.close()
            self.db = None

    def process_item(self, item, spider=None):
        if self.db is None or not isinstance(item, ArticleItem) or item.rejected:
            return item
        article_id = getattr(item, "article_id", None)
        if article_id is None and getattr(item, "changed", False):
            article_id = getattr(item, "existing_id", None)  # a refresh whose text changed
            regroup = True
        else:
            regroup = False
        if article_id is None:
            return item
        try:
            with transaction(self.db):
                result = (neardup.reindex_article if regroup else neardup.add_article)(self.db, article_id, self.labels)
        except (sqlite3.Error, neardup.NeedsRebuild) as exc:
            self._inc("archive/neardup/errors")
            logger.error("near-duplicate grouping failed for article %s: %s", article_id, exc)
            return item
        if result is not None and result.canonical != article_id:
            self._inc("archive/near_duplicate")
        return item
