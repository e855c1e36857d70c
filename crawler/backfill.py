"""Completeness of the list walks, recorded in the archive (``list_walks``).

For each site and start URL the archive knows whether its list was walked to
the end in a finished run. When the spider opens, this extension reads that
fact and then marks the site's walks open: a run that is stopped, killed or
crashes leaves them open. When the spider closes after a finished run, each
walk that reached its end (or stopped, on a complete list, at a page of known
articles) with no failed list page is marked complete; the others stay open.

The spider reads ``spider.walk_complete``: on an open walk it keeps
paginating past pages whose links are all known, until the list's end.
"""
from __future__ import annotations

import logging
import sqlite3

from scrapy import signals

from archive import statkeys
from archive.db import now_iso, transaction
from archive.settings import value as setting
from crawler import locks
from crawler.archive import crawl_archive
from crawler.failures import PERMANENT_KINDS

logger = logging.getLogger(__name__)


def ensure_table(db) -> None:
    """The table of migration 5, for a file that reached a later version without it."""
    if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'list_walks'").fetchone():
        from archive.schema import _m5_list_walks

        with transaction(db):
            if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'list_walks'").fetchone():
                _m5_list_walks(db)


class ListWalks:
    def __init__(self, crawler, archive, retry_limit: int):
        self.crawler = crawler
        self.archive = archive
        self.retry_limit = retry_limit

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler, crawl_archive(crawler), setting(crawler.settings, "FAILURE_RETRY_LIMIT"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        if locks.refused(self.crawler.stats.get_stats()):
            return  # another crawl of the site runs (crawler/locks.py): its walks are its own
        db = self.archive.db
        ensure_table(db)
        spider.walk_complete = {row["start_url"]: bool(row["complete"]) for row in db.query(
            "SELECT start_url, complete FROM list_walks WHERE site = ?", [spider.name])}
        marks = ",".join("?" * len(PERMANENT_KINDS))
        spider.retry_urls = [row["url"] for row in db.query(
            f"SELECT url FROM failures WHERE site = ? AND kind NOT IN ({marks}) AND attempts < ? ORDER BY url",
            [spider.name, *sorted(PERMANENT_KINDS), self.retry_limit])]
        spider.failed_before = set(spider.retry_urls)
        with transaction(db):  # open until this run finishes
            db.execute("UPDATE list_walks SET complete = 0, opened_at = ? WHERE site = ?",
                       [now_iso(), spider.name])

    def spider_closed(self, spider, reason):
        walks = getattr(spider, "walks", {})
        if not walks:
            return
        finished = reason == "finished"
        when = now_iso()
        try:
            db = self.archive.db
            with transaction(db):
                for start, walk in walks.items():
                    done = finished and walk.done
                    db.execute(
                        """INSERT INTO list_walks (site, start_url, complete, end_page, walked_at, opened_at)
                           VALUES (?, ?, ?, ?, ?, ?)
                           ON CONFLICT(site, start_url) DO UPDATE SET complete = excluded.complete,
                             end_page = COALESCE(excluded.end_page, end_page),
                             walked_at = COALESCE(excluded.walked_at, walked_at),
                             opened_at = excluded.opened_at""",
                        [spider.name, start, int(done), walk.end_page if done else None,
                         when if done else None, None if done else when],
                    )
                    if not done:
                        self.crawler.stats.inc_value(statkeys.WALKS_OPEN)
        except sqlite3.Error as exc:
            logger.error("could not record the list walks: %s", exc)
