"""The run log: one ``crawl_runs`` row per site per run.

A Scrapy extension: the row is written as ``running`` when the spider opens
and completed with counts and a status when it closes. A crawl that was killed
stays ``running`` until the site's next run marks it ``interrupted``.
"""
from __future__ import annotations

import logging
import sqlite3

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archive.db import now_iso, transaction
from archive.runs import summarise
from archive.settings import value as setting
from crawler.archive import crawl_archive

logger = logging.getLogger(__name__)


class RunLog:
    def __init__(self, crawler, archive):
        self.crawler = crawler
        self.archive = archive
        self.run_id = None
        self.started = None

    @classmethod
    def from_crawler(cls, crawler):
        if not setting(crawler.settings, "RUN_LOG_ENABLED"):
            raise NotConfigured
        ext = cls(crawler, crawl_archive(crawler))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        self.started = now_iso()
        db = self.archive.db
        with transaction(db):
            # a run of this site still marked running was killed before it could finish
            db.execute("UPDATE crawl_runs SET status = 'interrupted' WHERE site = ? AND status = 'running'",
                       [spider.name])
            self.run_id = db["crawl_runs"].insert(
                {"site": spider.name, "started_at": self.started, "status": "running"}).last_rowid

    def spider_closed(self, spider, reason):
        if self.run_id is None:
            return
        db = self.archive.db
        try:
            res = summarise(spider.name, self.crawler.stats.get_stats(), db, self.started, reason)
            with transaction(db):
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
