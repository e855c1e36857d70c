"""Retries that honour ``Retry-After``.

Scrapy's retry middleware retries 429/503 at once. This one, when the answer
carries ``Retry-After`` (seconds or an HTTP date), waits that long before the
retry — capped by ``RETRY_AFTER_MAX`` seconds (60 on the live sites; in mirror
mode ``MIRROR_RETRY_AFTER_MAX``, 1 s, since the mirror is local). The wait
holds back that one request only; the rest of the crawl goes on.
"""
from __future__ import annotations

import logging
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor
from twisted.internet.task import deferLater

from archive import statkeys
from archive.settings import value as setting

logger = logging.getLogger(__name__)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` value asks for; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def max_wait_for(settings) -> float:
    """The longest ``Retry-After`` honoured: ``RETRY_AFTER_MAX``, or in mirror mode the lower
    ``MIRROR_RETRY_AFTER_MAX`` (never more than ``RETRY_AFTER_MAX``)."""
    cap = setting(settings, "RETRY_AFTER_MAX")
    if setting(settings, "MIRROR_URL"):
        return min(setting(settings, "MIRROR_RETRY_AFTER_MAX"), cap)
    return cap


class RetryAfterMiddleware(RetryMiddleware):
    def __init__(self, settings):  # Scrapy's from_crawler hands in the crawler's settings
        super().__init__(settings)
        self.max_wait = max_wait_for(settings)

    async def process_response(self, request, response, spider=None):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After", b"").decode("latin-1"))
        retry = self._retry(request, f"HTTP {response.status}")
        if retry is None:
            return response
        if wait:
            wait = min(wait, self.max_wait)
            logger.info("HTTP %s with Retry-After: waiting %.1f s before retrying %s",
                        response.status, wait, request.url)
            self.crawler.stats.inc_value(statkeys.RETRY_AFTER_WAITS)
            await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
        return retry
