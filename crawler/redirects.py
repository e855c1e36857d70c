"""Redirects that go nowhere good are failures, not silent drops.

Scrapy drops a redirect off the site, or back to a URL already visited (its
duplicate filter), without calling the request's errback: the URL would vanish
from the run. This middleware sits before Scrapy's redirect middleware and
turns both into ``IgnoreRequest`` errors that the spider records
(``offsite_redirect``, ``redirect_loop``). A redirect it lets through skips the duplicate filter: a
target the run requests anyway is fetched again, so the redirected URL is stored with it.
"""
from __future__ import annotations

from urllib.parse import urldefrag, urljoin, urlsplit

from scrapy.exceptions import IgnoreRequest

from archive import statkeys

REDIRECTS = (301, 302, 303, 307, 308)


class RedirectGuardMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        if response.status not in REDIRECTS or request.meta.get("dont_redirect"):
            return response
        location = response.headers.get(b"Location")
        if not location:
            return response
        target = urldefrag(urljoin(request.url, location.decode("latin-1").strip()))[0]
        spider = self.crawler.spider
        domains = getattr(spider, "allowed_domains", None) or []
        host = (urlsplit(target).hostname or "").lower()
        if domains and not any(host == d or host.endswith("." + d) for d in domains):
            self.crawler.stats.inc_value(statkeys.OFFSITE_REDIRECTS)
            raise IgnoreRequest("redirect: offsite target")
        visited = {urldefrag(u)[0] for u in request.meta.get("redirect_urls", [])} | {urldefrag(request.url)[0]}
        if target in visited:
            raise IgnoreRequest("max redirections: a redirect loop")
        # followed: the redirected request must not meet the duplicate filter, which would drop it
        # without a word when the run requests the target anyway (the store then keeps this URL
        # as another URL of the target's article)
        request.dont_filter = True
        return response
