"""What went wrong with a request: one failure kind and a reason that groups.

Every request that does not give a page is a failure row with a kind. The
reason never embeds the URL or other per-request text (the URL is its own
column), so ``GROUP BY reason`` counts like with like.

Kinds: ``http_5xx``, ``http_429``, ``http_404``, ``http_4xx``, ``timeout``,
``connection``, ``dns``, ``truncated``, ``too_large``, ``redirect_loop``,
``offsite_redirect``, ``robots``, ``ignored``, ``network``; the spider and the
stages add ``not_html``, ``blocked``, ``soft_error``, ``incomplete``, ``gone``,
``empty``, ``unparsable``, ``charset``, ``store``.
"""
from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionDone,
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from crawler import meta

# Failures worth fetching again on the next run without waiting for a list to link the URL again.
PERMANENT_KINDS = frozenset({"gone", "robots"})


def http_kind(status: int) -> str:
    if status == 429:
        return "http_429"
    if status in (404, 410):
        return "http_404"
    if status >= 500:
        return "http_5xx"
    return "http_4xx"


def classify(failure) -> tuple[str, str, int | None] | None:
    """(kind, reason, status) of a failed request; None when it is no failure (an archived URL skipped)."""
    request = failure.request
    if failure.check(HttpError):
        status = failure.value.response.status
        return http_kind(status), f"HTTP {status}", status
    if failure.check(IgnoreRequest):
        if request.meta.get(meta.KNOWN):
            return None
        msg = str(failure.value)
        low = msg.lower()
        if "robots" in low:
            return "robots", "forbidden by robots.txt", None
        if "max redirections" in low:
            return "redirect_loop", "too many redirects (a redirect loop)", None
        if "offsite" in low:
            if "redirect" in low or request.meta.get("redirect_urls"):
                return "offsite_redirect", "redirected off the site", None
            return "offsite", "a link off the site", None
        if "maxsize" in low or "max size" in low:
            return "too_large", "larger than DOWNLOAD_MAXSIZE (after decompression)", None
        return "ignored", "request ignored", None
    if failure.check(DownloadCancelledError):
        return "too_large", "larger than DOWNLOAD_MAXSIZE", None
    if failure.check(ResponseDataLossError):
        return "truncated", "body shorter than its Content-Length", None
    if failure.check(DownloadTimeoutError, TimeoutError, TCPTimedOutError):
        return "timeout", "timed out", None
    if failure.check(CannotResolveHostError, DNSLookupError):
        return "dns", "DNS lookup failed", None
    if failure.check(DownloadConnectionRefusedError, ConnectionRefusedError):
        return "connection", "connection refused", None
    if failure.check(DownloadFailedError, ConnectionLost, ConnectionDone, ResponseFailed, ResponseNeverReceived):
        return "connection", "connection lost before the response was complete", None
    return "network", f"download failed ({failure.type.__name__})", None
