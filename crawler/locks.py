"""One crawl per site at a time: the site's lock file next to the archive.

Every crawl of a site holds ``ARCHIVE.crawl-SITE.lock`` (``flock``, its pid written
inside) from the start of the crawl to its end, whoever started it: ``archive
crawl``, the scheduler (whose crawls are ``archive crawl`` processes) or ``scrapy
crawl``. The kernel releases the lock when the process ends, however it ends, so
a lock is never left behind by a killed crawl.

:class:`SiteLock` (a spider middleware) takes it when the crawler is built. When
another process holds it the crawl refuses: it logs one line (``bjx: another
crawl of this site is running (pid N); skipped``), sends no request, writes no
``crawl_runs`` row (the row of the running crawl stays the site's latest) and
its outcome is ``skipped``; ``archive crawl`` then exits with :data:`SKIPPED`.
The workers of a distributed crawl (``REDIS_URL``: ``crawler/distributed.py``)
crawl one site together on purpose and take no lock.

This module imports nothing of Scrapy's at import time: the scheduler uses
:func:`site_lock_path`, :func:`try_lock` and :func:`holder` to skip a run
without starting a process.
"""
from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

SKIPPED = 75  # exit status of a crawl refused because another crawl of the site runs (EX_TEMPFAIL)
STATUS = "skipped"  # the outcome's status of a refused site

# a refused crawl's stats: the pid (or "unknown") of the crawl that holds the site's lock
REFUSED_BY = "archive/lock_refused_by"


def site_lock_path(db_path: str | Path, site: str) -> Path:
    return Path(f"{db_path}.crawl-{site}.lock")


def try_lock(db_path: str | Path, site: str, *, write_pid: bool = True):
    """The site's lock, held (an open file, the pid of this process written in it);
    None when another open file (another crawl) holds it."""
    handle = open(site_lock_path(db_path, site), "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    if write_pid:
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
    return handle


def is_held(db_path: str | Path, site: str) -> bool:
    """Whether a crawl holds the site's lock now (the lock is taken and at once let go when free)."""
    if not site_lock_path(db_path, site).exists():
        return False
    try:
        handle = try_lock(db_path, site, write_pid=False)
    except OSError:  # cannot open it here: the crawl itself will say so
        return False
    if handle is None:
        return True
    handle.close()
    return False


def holder(db_path: str | Path, site: str) -> str:
    """The pid written in the site's lock file ("unknown" when there is none)."""
    try:
        return site_lock_path(db_path, site).read_text().strip() or "unknown"
    except OSError:
        return "unknown"


def refusal(site: str, pid: str) -> str:
    return f"{site}: another crawl of this site is running (pid {pid}); skipped"


class SiteLock:
    """Spider middleware: the site's lock for the whole crawl; a crawl that cannot have it
    sends no request (its start is emptied) and its run log writes nothing."""

    def __init__(self, crawler, db_path: str, site: str):
        self.crawler = crawler
        self.site = site
        try:
            self.handle = try_lock(db_path, site)
        except OSError as exc:  # e.g. a folder this user cannot create files in: said, not fatal
            logger.warning("%s: cannot take the site's lock %s (%s); crawling without it", site,
                           site_lock_path(db_path, site), exc.strerror or exc)
            self.handle = False
        if self.handle is None:
            pid = holder(db_path, site)
            crawler.stats.set_value(REFUSED_BY, pid)
            logger.warning(refusal(site, pid))
        from scrapy import signals

        crawler.signals.connect(self.release, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy.exceptions import NotConfigured

        db_path = crawler.settings.get("ARCHIVE_DB")
        if not db_path or crawler.settings.get("REDIS_URL"):  # workers of a distributed crawl share its sites
            raise NotConfigured
        return cls(crawler, db_path, crawler.spidercls.name)

    async def process_start(self, start):
        if self.handle is None:  # refused
            return
        async for item_or_request in start:
            yield item_or_request

    def release(self):
        if self.handle:
            self.handle.close()  # closing the file lets go of the lock
        self.handle = False


def refused(stats: dict) -> str | None:
    """The pid of the crawl that held the site's lock when this one was refused, or None."""
    return stats.get(REFUSED_BY)
