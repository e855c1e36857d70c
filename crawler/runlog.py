"""The run log: one ``crawl_runs`` row per site per run.

A Scrapy extension: the row is written as ``running`` when the spider opens
and completed with counts and a status when it closes. The outcome is computed
here, once; the crawl runner (``archive.faces.crawl.run_crawl``) takes it from the
crawl's stats, the scheduler from the row. A crawl that was killed
stays ``running`` until the site's next run marks it ``interrupted``.

It also keeps what the quality measures read of each article the run extracted and, when
the run closes, stores the run's ``run_quality`` row (``archive/quality.py``): a run whose
extraction fell well below the site's usual is flagged ``degraded`` there (its ``crawl_runs``
status keeps saying how fetching went) and logged at WARNING.
"""
from __future__ import annotations

import json
import logging
import sqlite3

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archive import quality, statkeys
from archive.db import now_iso, transaction
from archive.runs import SiteResult, summarise
from archive.settings import value as setting
from crawler import locks
from crawler.archive import crawl_archive
from crawler.items import ArticleItem

logger = logging.getLogger(__name__)


class RunLog:
    def __init__(self, crawler, archive):
        self.crawler = crawler
        self.archive = archive
        self.run_id = None
        self.started = None
        self.articles: list[quality.Article] = []

    @classmethod
    def from_crawler(cls, crawler):
        if not setting(crawler.settings, "RUN_LOG_ENABLED"):
            raise NotConfigured
        ext = cls(crawler, crawl_archive(crawler))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        return ext

    def item_scraped(self, item, spider):
        """An article this run extracted (not a 304 or same-bytes re-check): what quality reads of it."""
        if isinstance(item, ArticleItem) and not item.not_modified and item.text:
            self.articles.append(quality.Article(
                url=item.url, title=item.title, published_at=item.published_at, source=item.source,
                author=item.author, editor=item.editor, keywords=item.keywords, attachments=len(item.attachments),
                text=item.text, fallback=item.fallback, document=item.document))

    def spider_opened(self, spider):
        self.started = now_iso()
        if locks.refused(self.crawler.stats.get_stats()):
            return  # another crawl of the site runs: its row stays the site's latest, untouched
        db = self.archive.db
        with transaction(db):
            # a run of this site still marked running was killed before it could finish
            db.execute("UPDATE crawl_runs SET status = 'interrupted' WHERE site = ? AND status = 'running'",
                       [spider.name])
            self.run_id = db["crawl_runs"].insert(
                {"site": spider.name, "started_at": self.started, "status": "running"}).last_rowid

    def spider_closed(self, spider, reason):
        """The run's outcome, computed here once: kept in the crawl's stats (``statkeys.OUTCOME``,
        for the runner in this process) and written to the run's ``crawl_runs`` row (for the
        scheduler, ``archive stats`` and the next run)."""
        stats = self.crawler.stats.get_stats()
        if (pid := locks.refused(stats)) is not None:  # refused (crawler/locks.py): no row, no quality
            res = SiteResult(spider.name, status=locks.STATUS,
                             reason=f"another crawl of this site is running (pid {pid}); skipped")
            self.crawler.stats.set_value(statkeys.OUTCOME, res.as_dict())
            return
        db = self.archive.db
        try:
            res = summarise(spider.name, self.crawler.stats.get_stats(), db, self.started or now_iso(), reason)
        except sqlite3.Error as exc:  # the failure summary could not be read: the counts still stand
            logger.error("could not read the run's failures: %s", exc)
            res = summarise(spider.name, self.crawler.stats.get_stats(), None, "", reason)
        row = self.quality(spider)
        if row is not None and row["degraded"]:
            res.degraded = json.loads(row["dropped"])
            logger.warning("%s: extraction degraded: %s; e.g. %s", spider.name, row["problems"],
                           " ".join(json.loads(row["examples"])))
        self.crawler.stats.set_value(statkeys.OUTCOME, res.as_dict())
        if self.run_id is None:
            return
        try:
            with transaction(db):
                if row is not None:
                    quality.store(db, self.run_id, self.started, row)
                db["crawl_runs"].update(self.run_id, {
                    "ended_at": now_iso(), "status": res.status, "pages_fetched": res.pages_fetched,
                    "new": res.new, "updated": res.updated, "unchanged": res.unchanged,
                    "duplicates": res.duplicate, "errors": res.errors, "blocked": res.blocked,
                    "error_summary": res.reason or None,
                })
        except sqlite3.Error as exc:  # e.g. a full disk: the smallest write that ends the row
            logger.error("could not complete the run log: %s", exc)
            db.execute("UPDATE crawl_runs SET status = 'failed', ended_at = ? WHERE id = ?",
                       [now_iso(), self.run_id])

    def quality(self, spider) -> dict | None:
        """The run's ``run_quality`` row (None when it extracted no article, or the history could not be read)."""
        if not self.articles:
            return None
        try:
            return quality.assess(self.archive.db, spider.name, self.articles,
                                  site_label=getattr(spider, "label", ""),
                                  declared=getattr(spider, "quality_expect", None), before_run=self.run_id)
        except (sqlite3.Error, ValueError) as exc:  # ValueError: a site file declares an unknown measure
            logger.error("could not judge the run's extraction quality: %s", exc)
            return None
