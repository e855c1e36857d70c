"""Mirror mode: fetch ``https://HOST/PATH?QUERY`` from ``MIRROR_URL/HOST/PATH?QUERY``.

Implemented as a download handler so that everything above the wire —
spiders, middlewares, robots.txt, the dupefilter and the archive — only ever
sees the real URL. Without ``MIRROR_URL`` it is Scrapy's own HTTP/1.1 handler.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler

from archive.settings import value as setting


def to_mirror(url: str, mirror: str) -> str:
    """``https://a.cn/x/?q=1`` → ``http://127.0.0.1:8000/a.cn/x/?q=1``."""
    parts = urlsplit(url)
    path = parts.path or "/"
    out = f"{mirror.rstrip('/')}/{parts.hostname}{path}"
    if parts.query:
        out += "?" + parts.query
    return out


def from_mirror(url: str, mirror: str, scheme: str = "https") -> str | None:
    """Inverse of :func:`to_mirror`; None when *url* is not under the mirror."""
    base = mirror.rstrip("/") + "/"
    if not url.startswith(base):
        return None
    rest = url[len(base):]
    host, _, path = rest.partition("/")
    return f"{scheme}://{host}/{path}"


class MirrorDownloadHandler(HTTP11DownloadHandler):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.mirror = setting(crawler.settings, "MIRROR_URL") or None

    async def download_request(self, request):
        if not self.mirror:
            return await super().download_request(request)
        real = request.url
        response = await super().download_request(request.replace(url=to_mirror(real, self.mirror)))
        location = response.headers.get(b"Location")
        if location:
            loc = location.decode("latin-1")
            if loc.startswith("/"):
                loc = self.mirror.rstrip("/") + loc
            mapped = from_mirror(loc, self.mirror, urlsplit(real).scheme)
            if mapped:
                response.headers[b"Location"] = mapped.encode("utf-8")
        return response.replace(url=real)
