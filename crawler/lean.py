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
- :class:`Referer`: Scrapy's ``Referer`` header, worked out once per page and target site (not
  for each of a list page's links);
- :class:`Offsite`: Scrapy's offsite filter, its verdict on a host remembered;
- :func:`remember_host_names`: the IDNA form of a host, worked out once per host, not once per
  request;
- :func:`http11_handler`: Scrapy's HTTP/1.1 handler, imported without reading the source of every
  frame on the stack.
"""
from __future__ import annotations

import logging
from functools import lru_cache

from scrapy import Request
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse
from scrapy.spidermiddlewares.referer import ReferrerPolicy, RefererMiddleware
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.httpobj import urlparse_cached

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


class Referer(RefererMiddleware):
    """Spider middleware: Scrapy's ``Referer`` header, worked out once per page and target site.

    Scrapy's policies (``REFERRER_POLICY``, a request's ``referrer_policy``, a response's
    ``Referrer-Policy``) read the target URL's scheme and origin only: the referrer a page gives
    its twenty links to one site is the same, and is worked out once for them (a policy of
    another module is asked for each request, as Scrapy does)."""

    def __init__(self, settings=None):
        super().__init__(settings)
        self._response = None
        self._memo: dict = {}

    def get_processed_request(self, request, response):
        if response is None:  # a start request
            return request
        if response is not self._response:
            self._response, self._memo = response, {}
        url = request.url
        parts = url.split("/", 3)
        # scheme://host:port (the origin with any credentials and port as written): a finer key
        # than the origin, so equal keys always give the same referrer
        target = "/".join(parts[:3]) if len(parts) > 2 and parts[1] == "" else url
        named = request.meta.get("referrer_policy")
        key = (named, target) if named is None or isinstance(named, str) else None
        referrer = self._memo.get(key, _UNSET) if key is not None else _UNSET
        if referrer is _UNSET:
            policy = self.policy(response, request)
            referrer = policy.referrer(response.url, url)
            if key is not None and type(policy).__module__ == ReferrerPolicy.__module__:
                self._memo[key] = referrer
        if referrer is not None:
            request.headers.setdefault("Referer", referrer)
        return request


_UNSET = object()


class Offsite(OffsiteMiddleware):
    """Downloader middleware: Scrapy's offsite filter (``allowed_domains``), its verdict on a host
    remembered (Scrapy matched the host against the domains' pattern for each request, twice:
    when it is scheduled and when it is downloaded)."""

    def __init__(self, stats):
        super().__init__(stats)
        self._verdicts: dict[str, bool] = {}

    def _update_host_regex(self, spider) -> None:
        before = self._allowed_domains
        super()._update_host_regex(spider)
        if self._allowed_domains is not before:  # other domains: other verdicts
            self._verdicts = {}

    def process_request(self, request, spider=None):  # Scrapy's, without its per-call argument check
        if request.dont_filter or request.meta.get("allow_offsite") or self.should_follow(request,
                                                                                         self.crawler.spider):
            return None
        return super().process_request(request)

    def should_follow(self, request, spider) -> bool:
        self._update_host_regex(spider)
        host = urlparse_cached(request).hostname or ""
        verdict = self._verdicts.get(host)
        if verdict is None:
            verdict = self._verdicts[host] = bool(self.host_regex.search(host))
        return verdict


def http11_handler():
    """Scrapy's HTTP/1.1 download handler class, imported without Scrapy's deprecated-class helper
    reading the source of every frame on the stack: while its TLS modules are first imported, it
    calls ``inspect.stack()`` (three times) only to learn its caller's module (0.1-0.2 s of CPU
    per crawl process). It is handed that frame directly; the classes it makes are the same."""
    import inspect
    import sys

    import scrapy.utils.deprecate as deprecate

    if "scrapy.core.downloader.handlers.http11" in sys.modules or getattr(deprecate, "inspect", None) is not inspect:
        from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler

        return HTTP11DownloadHandler

    class Caller:
        getmodule = staticmethod(inspect.getmodule)

        @staticmethod
        def stack():  # [the helper's frame, its caller's frame]: only [1][0] is read
            return [None, (sys._getframe(2),)]

    deprecate.inspect = Caller
    try:
        from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
    finally:
        deprecate.inspect = inspect
    return HTTP11DownloadHandler
