"""The one archive of a crawl: every stage, middleware and extension of a crawler
uses the same :class:`archive.db.Archive`, on one connection.

:func:`crawl_archive` is called from each component's ``from_crawler``; the first
call makes the crawler's archive (from ``ARCHIVE_DB``), later calls return it. The
connection is opened at first use (never when a component is made) and closed when
the engine stops, after every component's ``spider_closed`` work is done.
"""
from __future__ import annotations

from weakref import WeakKeyDictionary

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archive.db import Archive

_ARCHIVES: WeakKeyDictionary = WeakKeyDictionary()  # crawler → its Archive


def crawl_archive(crawler) -> Archive:
    """The crawler's archive; NotConfigured when ``ARCHIVE_DB`` is empty (the component is then off)."""
    archive = _ARCHIVES.get(crawler)
    if archive is None:
        path = crawler.settings.get("ARCHIVE_DB")  # no fallback: a crawler without it has no archive
        if not path:
            raise NotConfigured("ARCHIVE_DB is not set")
        archive = _ARCHIVES[crawler] = Archive(path)
        crawler.signals.connect(_closer(archive), signal=signals.engine_stopped, weak=False)
    return archive


def share_archive(crawler, archive: Archive) -> None:
    """Give *crawler* an archive object other crawlers of this process use too (one connection), before
    any of its components asks for one: the distributed writer's sites share one, so that one
    transaction can hold the writes of several sites. Its owner closes it."""
    _ARCHIVES[crawler] = archive


def _closer(archive: Archive):
    def close():
        archive.close()

    return close
