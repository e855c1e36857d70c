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

from archive.db import now_iso, open_db, transaction
from archive.runs import summarise

logger = logging.getLogger(__name__)


class RunLog:
    def __init__(self, crawler):
        self.crawler = crawler
        self.db_path = crawler.settings.get("ARCHIVE_DB")
        self.run_id = None
        self.started = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("RUN_LOG_ENABLED", True):
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        self.started = now_iso()
        db = open_db(self.db_path)
        try:
            with transaction(db):
                # a run of this site still marked running was killed before it could finish
                db.execute("UPDATE crawl_runs SET status = 'interrupted' WHERE site = ? AND status = 'running'",
                           [spider.name])
                cur = db.execute(
                    "INSERT INTO crawl_runs (site, started_at, status) VALUES (?, ?, 'running')",
                    [spider.name, self.started],
                )
            self.run_id = cur.lastrowid
        finally:
            db.conn.close()

    def spider_closed(self, spider, reason):
        if self.run_id is None:
            return
        db = open_db(self.db_path)
        try:
            try:
                res = summarise(spider.name, self.crawler.stats.get_stats(), db, self.started, reason)
                with transaction(db):
                    db.execute(
                        """UPDATE crawl_runs SET ended_at = ?, status = ?, pages_fetched = ?, new = ?, updated = ?,
                             unchanged = ?, duplicates = ?, errors = ?, blocked = ?, error_summary = ?
                           WHERE id = ?""",
                        [now_iso(), res.status, res.pages_fetched, res.new, res.updated, res.unchanged,
                         res.duplicate, res.errors, res.blocked, res.reason or None, self.run_id],
                    )
            except sqlite3.Error as exc:  # e.g. a full disk: the smallest write that ends the row
                logger.error("could not complete the run log: %s", exc)
                db.execute("UPDATE crawl_runs SET status = 'failed', ended_at = ? WHERE id = ?",
                           [now_iso(), self.run_id])
        finally:
            db.conn.close()
