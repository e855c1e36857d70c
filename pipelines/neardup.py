"""Stage 5, near-duplicates: put each newly stored (or changed) article in its story group.

Runs after the store stage, in a transaction of its own on the crawl's archive: the
article is already committed, so a failure here loses nothing — it is logged, counted, and the
article is picked up by the next crawl (``index_missing`` at spider open) or
``archive dedup``. See ``archive/dedup/`` and ``docs/dedup.md``.

The text's shingles, signature and band keys come with the item (``item.neardup``, computed where
the extract stage ran); they are used only if they were computed from the text stored.
"""
from __future__ import annotations

import logging
import sqlite3

from scrapy.spiderloader import get_spider_loader

from archive import dedup as neardup
from archive import statkeys
from archive.db import transaction
from crawler.archive import crawl_archive
from crawler.items import ArticleItem

logger = logging.getLogger(__name__)


class NearDupPipeline:
    def __init__(self, crawler, archive, labels: dict[str, str] | None = None):
        self.crawler = crawler
        self.archive = archive
        self.labels = labels or {}  # site key → site name, for the canonical choice
        self.enabled = False  # on once the index is caught up (off when it needs a rebuild)

    @classmethod
    def from_crawler(cls, crawler):
        loader = get_spider_loader(crawler.settings)  # the site registry (crawler.registry)
        labels = {name: getattr(loader.load(name), "label", "") or "" for name in loader.list()}
        return cls(crawler, crawl_archive(crawler), labels)

    @property
    def stats(self):
        return getattr(self.crawler, "stats", None)

    def _inc(self, key: str, n: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, n)

    def open_spider(self, spider=None):
        try:  # articles stored while this stage was off: a catch-up, not a rebuild
            caught_up = neardup.index_missing(self.archive.db, labels=self.labels)
            if caught_up:
                logger.info("near-duplicate index: added %d articles it did not have", caught_up)
            self.enabled = True
        except neardup.NeedsRebuild as exc:
            logger.error("%s", exc)
            self.enabled = False

    def close_spider(self, spider=None):
        self.enabled = False

    def process_item(self, item, spider=None):
        if not self.enabled or not isinstance(item, ArticleItem):
            return item
        article_id = getattr(item, "article_id", None)
        if article_id is None and getattr(item, "changed", False):
            article_id = getattr(item, "existing_id", None)  # a refresh whose text changed
            regroup = True
        else:
            regroup = False
        if article_id is None:
            return item
        db = self.archive.db
        try:
            with transaction(db):
                result = (neardup.reindex_article if regroup else neardup.add_article)(
                    db, article_id, self.labels, getattr(item, "neardup", None))
        except (sqlite3.Error, neardup.NeedsRebuild) as exc:
            self._inc(statkeys.NEARDUP_ERRORS)
            logger.error("near-duplicate grouping failed for article %s: %s", article_id, exc)
            return item
        if result is not None and result.canonical != article_id:
            self._inc(statkeys.NEAR_DUPLICATE)
        return item
