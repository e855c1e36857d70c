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


class RetryAfterMiddleware(RetryMiddleware):
    def __init__(self, settings):
        super().__init__(settings)
        if settings.get("MIRROR_URL"):
            self.max_wait = settings.getfloat("MIRROR_RETRY_AFTER_MAX", 1.0)
        else:
            self.max_wait = settings.getfloat("RETRY_AFTER_MAX", 60.0)
        self.max_wait = min(self.max_wait, settings.getfloat("RETRY_AFTER_MAX", 60.0))

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
            self.crawler.stats.inc_value("archive/retry_after_waits")
            await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
        return retry
