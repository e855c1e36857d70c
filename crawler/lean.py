"""Scrapy's own components, cut to the work a crawl of ours needs from them per request.

The process that runs the reactor does Scrapy's part of every page (download path, engine,
middlewares, signals, stats, logging): when extraction runs in the worker pool it is the
crawl's bottleneck. Each class here stands in for a Scrapy component (crawler/settings.py
names them) and does the same, without what a crawl never needs:

- :class:`Stats`: Scrapy's in-memory stats without its per-call indirection (every call of
  ``inc_value`` went through a ``__getattribute__`` that wraps the method in a check for a
  deprecated ``spider`` argument, and missed its cache on each ``self._stats`` read);
- :class:`LogFormatter`: the line per page crawled and per item scraped is built only when
  it would be logged (DEBUG; ``--verbose`` with ``LOG_LEVEL=DEBUG``), not for every page;
- :class:`StartMarks`: marks the start requests as Scrapy's ``StartSpiderMiddleware`` does
  (the scheduler keeps them in their own queue) without also passing every request and item
  of every callback through a do-nothing step;
- :class:`MetaRefresh`: Scrapy's ``<meta http-equiv="refresh">`` redirect, looked for only in
  a page whose head holds the word ``refresh`` (Scrapy's check decoded every whole HTML page
  to read its first 4,096 characters);
- :func:`remember_host_names`: the IDNA form of a host, worked out once per host, not once per
  request.
"""
from __future__ import annotations

import logging
from functools import lru_cache

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse
from scrapy.statscollectors import MemoryStatsCollector

from crawler.items import QuietDrops

_ENGINE_LOG = logging.getLogger("scrapy.core.engine")
_SCRAPER_LOG = logging.getLogger("scrapy.core.scraper")


class Stats(MemoryStatsCollector):
    """``STATS_CLASS``: Scrapy's MemoryStatsCollector, its methods called directly."""

    __getattribute__ = object.__getattribute__


class LogFormatter(QuietDrops):
    """``LOG_FORMATTER``: a rejected item in one DEBUG line (:class:`QuietDrops`); the DEBUG lines
    of a crawled page and a scraped item are made only when DEBUG is logged."""

    def crawled(self, request, response, spider):
        if not _ENGINE_LOG.isEnabledFor(logging.DEBUG):
            return None  # the engine logs nothing for None
        return super().crawled(request, response, spider)

    def scraped(self, item, response, spider):
        if not _SCRAPER_LOG.isEnabledFor(logging.DEBUG):
            return None
        return super().scraped(item, response, spider)


class StartMarks:
    """Spider middleware: ``is_start_request`` in the meta of each start request (Scrapy's
    ``StartSpiderMiddleware``), with no step in the output of the callbacks."""

    @classmethod
    def from_crawler(cls, crawler):
        return cls()

    async def process_start(self, start):
        async for item_or_request in start:
            if isinstance(item_or_request, Request):
                item_or_request.meta.setdefault("is_start_request", True)
            yield item_or_request


# Scrapy reads a meta refresh in the page's first 4,096 characters: at most 4 bytes each in the
# encodings of the web that keep ASCII as ASCII (UTF-8, GB18030…). An encoding that does not
# (UTF-16/32: a NUL byte in any ASCII text) is read Scrapy's way.
_HEAD_BYTES = 4 * 4096


def may_refresh(body: bytes) -> bool:
    """Whether the head of *body* may hold a meta refresh (the word, in any case)."""
    head = body[:_HEAD_BYTES]
    return b"refresh" in head.lower() or b"\x00" in head[:64]


class MetaRefresh(MetaRefreshMiddleware):
    """Downloader middleware: Scrapy's meta refresh redirect, read only in a page that may have one."""

    def process_response(self, request, response, spider=None):
        if isinstance(response, HtmlResponse) and not may_refresh(response.body):
            return response
        return super().process_response(request, response)


def remember_host_names() -> None:
    """Twisted makes a ``HostnameEndpoint`` for every request, a kept-alive connection's too, and
    each encodes its host with IDNA (the ``idna`` package, in Python): a host's forms (a pure
    function of the host) are remembered, for the process. Called by the download handler."""
    from twisted.internet.endpoints import HostnameEndpoint

    current = HostnameEndpoint.__dict__.get("_hostAsBytesAndText")
    func = getattr(current, "__func__", None)
    if func is None or hasattr(func, "cache_info"):  # not Twisted's staticmethod, or remembered already
        return
    HostnameEndpoint._hostAsBytesAndText = staticmethod(lru_cache(maxsize=4096)(func))
