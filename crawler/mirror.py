"""Mirror mode: fetch ``https://HOST/PATH?QUERY`` from ``MIRROR_URL/HOST/PATH?QUERY``.

Implemented as a download handler so that everything above the wire —
spiders, middlewares, robots.txt, the dupefilter and the archive — only ever
sees the real URL. Without ``MIRROR_URL`` it is Scrapy's own HTTP/1.1 handler.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from archive.settings import value as setting
from crawler.lean import http11_handler, remember_host_names

HTTP11DownloadHandler = http11_handler()


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


def _slots(cls) -> tuple[str, ...]:
    """The attribute slots of a Request class (Scrapy's requests keep their state in slots)."""
    names = []
    for klass in cls.__mro__:
        for name in klass.__dict__.get("__slots__", ()):
            if name not in ("__weakref__", "__dict__") and name not in names:
                names.append(name)
    return tuple(names)


_SLOTS: dict[type, tuple[str, ...]] = {}


def _fetched_at(request, url: str):
    """*request* as sent to *url*: ``request.replace(url=url)`` without re-escaping the URL (the
    mirror's form of a URL already escaped) nor copying the headers (the handler only reads them);
    its meta is its own, as with ``replace`` (the handler writes its download latency there)."""
    cls = type(request)
    slots = _SLOTS.get(cls)
    if slots is None:
        slots = _SLOTS[cls] = _slots(cls)
    if hasattr(request, "__dict__") or not slots:  # state beyond the slots: Scrapy's way
        return request.replace(url=url)
    twin = cls.__new__(cls)
    for name in slots:
        try:
            setattr(twin, name, getattr(request, name))
        except AttributeError:  # a slot never set
            pass
    twin._url = url
    twin._meta = dict(request._meta) if request._meta else None
    return twin


class MirrorDownloadHandler(HTTP11DownloadHandler):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.mirror = setting(crawler.settings, "MIRROR_URL") or None
        remember_host_names()

    async def download_request(self, request):
        if not self.mirror:
            return await super().download_request(request)
        real = request.url
        response = await super().download_request(_fetched_at(request, to_mirror(real, self.mirror)))
        location = response.headers.get(b"Location")
        if location:
            loc = location.decode("latin-1")
            if loc.startswith("/"):
                loc = self.mirror.rstrip("/") + loc
            mapped = from_mirror(loc, self.mirror, urlsplit(real).scheme)
            if mapped:
                response.headers[b"Location"] = mapped.encode("utf-8")
        # the response is this handler's own, just made: it takes the real URL in place
        # (``replace`` would build it again, headers and all)
        response._set_url(real)
        return response
