"""Completeness of the list walks, recorded in the archive (``list_walks``).

For each site and start URL the archive knows whether its list was walked to
the end in a finished run. When the spider opens, this extension reads that
fact and then marks the site's walks open: a run that is stopped, killed or
crashes leaves them open. When the spider closes after a finished run, each
walk that reached its end (or stopped, on a complete list, at a page of known
articles) with no failed list page is marked complete; the others stay open.

The spider reads ``spider.walk_complete``: on an open walk it keeps
paginating past pages whose links are all known, until the list's end.

The same extension gives the spider the URLs that failed before (:func:`retry_urls`): fetched
again on each run, whether or not a list still links them, up to ``FAILURE_RETRY_LIMIT`` attempts.

A worker of a distributed crawl (``REDIS_URL``) leaves ``list_walks`` alone: the archive
is the writer's, and the walks of a run are shared by its workers. They learn the walks'
state at the run's start from Redis and hand what they walked to the writer, which
records it here with the same rules (:func:`open_walks`, :func:`record_walks`; see
``crawler/distributed.py``). The URLs to fetch again are the writer's archive's too, published
in Redis.
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


def read_walks(db, site: str | None = None) -> dict[str, dict[str, bool]]:
    """{site: {start URL: walked to its end in a finished run}} (of *site* only, when given)."""
    ensure_table(db)
    where, args = ("WHERE site = ?", [site]) if site else ("", [])
    walks: dict[str, dict[str, bool]] = {}
    for row in db.query(f"SELECT site, start_url, complete FROM list_walks {where}", args):
        walks.setdefault(row["site"], {})[row["start_url"]] = bool(row["complete"])
    return walks


def retry_urls(db, limit: int, site: str | None = None) -> dict[str, list[str]]:
    """{site: the URLs that failed before and are fetched again on its next run} (of *site* only,
    when given): every failure but a permanent one, while it has had fewer than *limit* attempts."""
    marks = ",".join("?" * len(PERMANENT_KINDS))
    where, args = ("AND site = ?", [site]) if site else ("", [])
    urls: dict[str, list[str]] = {}
    for row in db.query(f"SELECT site, url FROM failures WHERE kind NOT IN ({marks}) AND attempts < ? {where} "
                        "ORDER BY site, url", [*sorted(PERMANENT_KINDS), limit, *args]):
        urls.setdefault(row["site"], []).append(row["url"])
    return urls


def open_walks(db, site: str) -> None:
    """A run of *site* starts: its walks are open until it finishes (a run stopped, killed or
    crashed leaves them open)."""
    ensure_table(db)
    with transaction(db):
        db.execute("UPDATE list_walks SET complete = 0, opened_at = ? WHERE site = ?", [now_iso(), site])


def record_walks(db, site: str, walks: dict[str, tuple[bool, int | None]], finished: bool) -> int:
    """A run of *site* ended: each walk (start URL: (reached its end, its last page)) that reached
    its end in a finished run is complete, the others stay open; how many stay open."""
    when = now_iso()
    left_open = 0
    with transaction(db):
        for start, (walked, end_page) in walks.items():
            done = finished and walked
            db.execute(
                """INSERT INTO list_walks (site, start_url, complete, end_page, walked_at, opened_at)
                   VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT(site, start_url) DO UPDATE SET complete = excluded.complete,
                     end_page = COALESCE(excluded.end_page, end_page),
                     walked_at = COALESCE(excluded.walked_at, walked_at),
                     opened_at = excluded.opened_at""",
                [site, start, int(done), end_page if done else None,
                 when if done else None, None if done else when],
            )
            left_open += not done
    return left_open


class ListWalks:
    def __init__(self, crawler, archive, retry_limit: int):
        self.crawler = crawler
        self.archive = archive
        self.retry_limit = retry_limit
        # a worker of a distributed crawl: the walks are the run's, recorded by the writer
        self.distributed = bool(setting(crawler.settings, "REDIS_URL"))

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
        if self.distributed:  # a worker learns its walks and failed URLs as its run opens (crawler/distributed.py)
            return
        spider.walk_complete = read_walks(db, spider.name).get(spider.name, {})
        spider.retry_urls = retry_urls(db, self.retry_limit, spider.name).get(spider.name, [])
        spider.failed_before = set(spider.retry_urls)
        open_walks(db, spider.name)

    def spider_closed(self, spider, reason):
        walks = getattr(spider, "walks", {})
        if not walks or self.distributed:
            return
        try:
            left_open = record_walks(self.archive.db, spider.name,
                                     {start: (walk.done, walk.end_page) for start, walk in walks.items()},
                                     reason == "finished")
        except sqlite3.Error as exc:
            logger.error("could not record the list walks: %s", exc)
        else:
            if left_open:
                self.crawler.stats.inc_value(statkeys.WALKS_OPEN, left_open)
