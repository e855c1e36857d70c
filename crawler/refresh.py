"""Incremental refreshes: fetch only what is new or may have changed.

When a spider opens, this downloader middleware reads what the archive knows
of the spider's site. For an article URL it already holds:

* published (else first seen) less than ``RECHECK_DAYS`` ago, or due by the revisit
  schedule: fetched with ``If-None-Match`` / ``If-Modified-Since`` from the stored
  ETag and Last-Modified. A 304, or a page whose bytes equal the stored raw
  page, is marked unchanged and costs no extraction;
* otherwise: not fetched.

The revisit schedule (``REVISIT_INTERVALS``, e.g. ``1h,6h,1d,3d,7d,30d``) follows
when the archive first saw the article and when it last found it changed, not its
publication date: it is re-checked when it reaches each of those ages counted from
that moment (``articles.changed_at``, else ``first_seen``), then every last interval;
a change found (the store stage sets ``changed_at``) starts the ladder again. A run
that was missed costs one check, not one per missed step. At most
``REVISIT_MAX_PER_RUN`` articles are re-checked by the schedule per run, most
overdue first, so a large archive never turns a refresh into a full re-crawl.

The known URLs are also handed to the spider (``SiteSpider.known_urls``, declared
there) so list pagination stops at the first page that holds only known articles.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

from archive import statkeys
from archive.revisit import due_at, next_revisit, parse_intervals  # noqa: F401 - next_revisit re-exported
from archive.settings import value as setting
from crawler import meta
from crawler.archive import crawl_archive


@dataclass
class Known:
    article_id: int
    young: bool
    etag: str | None
    last_modified: str | None
    body_sha1: str | None
    size: int | None = None  # bytes of the last stored first page
    revisit: bool = False  # due by the revisit schedule: requested even when no list page shows it


def load_known(archive, site: str, recheck_days: float, now: datetime | None = None,
               ladder: list[timedelta] | None = None, max_revisits: int = 0,
               counts: dict | None = None) -> dict[str, Known]:
    """{URL: what the archive knows of it} for *site* (an :class:`archive.db.Archive`).

    *ladder*: the revisit schedule (:func:`parse_intervals`; empty: none); *max_revisits*: most
    articles the schedule makes due (0: no cap); *counts* receives ``due`` and ``deferred``."""
    now = now or datetime.now(timezone.utc)
    cutoff = (now - timedelta(days=recheck_days)).isoformat()
    known: dict[str, Known] = {}
    due: list[tuple[datetime, str]] = []
    for row in archive.site_articles(site):
        when = _utc(row["published_at"] or row["first_seen"])
        young = when >= cutoff
        known[row["url"]] = Known(row["id"], young, row["etag"], row["last_modified"],
                                  row["body_sha1"], row["size"])
        if not young and ladder:
            at = due_at(row["first_seen"], row["changed_at"], row["checked_at"], ladder)
            if at is not None and at <= now:
                due.append((at, row["url"]))
    due.sort()
    chosen = due[:max_revisits] if max_revisits > 0 else due
    for _, url in chosen:
        known[url].young = True
        known[url].revisit = True
    if counts is not None:
        counts["due"], counts["deferred"] = len(chosen), len(due) - len(chosen)
    # Other URLs of an article: a host alias is the same page; a URL that only had the same text
    # is fetched again (plainly, not as the article's re-check) while its article is young, for
    # its text may have been an error page or may have changed since.
    young_ids = {k.article_id for k in known.values() if k.young}
    for row in archive.site_other_urls(site):
        if row["reason"] != "alias" and row["article_id"] in young_ids:
            continue  # not known: fetched as a new URL
        known.setdefault(row["url"], Known(row["article_id"], False, None, None, None))
    return known


def _utc(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone(timezone.utc).isoformat()
    except (TypeError, ValueError):
        return ""


class RefreshMiddleware:
    def __init__(self, crawler, archive, recheck_days: float, ladder: list[timedelta] | None = None,
                 max_revisits: int = 0):
        self.crawler = crawler
        self.archive = archive
        self.recheck_days = recheck_days
        self.ladder = ladder or []
        self.max_revisits = max_revisits
        self.known: dict[str, Known] = {}

    @classmethod
    def from_crawler(cls, crawler):
        if not setting(crawler.settings, "INCREMENTAL"):
            raise NotConfigured
        mw = cls(crawler, crawl_archive(crawler), setting(crawler.settings, "RECHECK_DAYS"),
                 parse_intervals(setting(crawler.settings, "REVISIT_INTERVALS")),
                 setting(crawler.settings, "REVISIT_MAX_PER_RUN"))
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        return mw

    def spider_opened(self, spider):
        counts = {"due": 0, "deferred": 0}
        if self.archive.exists():
            self.known = load_known(self.archive, spider.name, self.recheck_days, ladder=self.ladder,
                                    max_revisits=self.max_revisits, counts=counts)
        spider.known_urls = set(self.known)
        spider.revisit_urls = [url for url, k in self.known.items() if k.revisit]
        self.crawler.stats.set_value(statkeys.REVISIT_DUE, counts["due"])
        self.crawler.stats.set_value(statkeys.REVISIT_DEFERRED, counts["deferred"])

    def process_request(self, request):
        if request.meta.get(meta.KIND) != meta.ARTICLE or request.meta.get(meta.RETRY_FAILURE):
            return None  # a URL that failed before is fetched plainly
        known = self.known.get(request.url)
        if known is None:
            return None
        stats = self.crawler.stats
        if not known.young:
            request.meta[meta.KNOWN] = True
            stats.inc_value(statkeys.KNOWN)
            raise IgnoreRequest(f"already archived: {request.url}")
        request.meta[meta.RECHECK_ID] = known.article_id
        request.meta[meta.LAST_SIZE] = known.size
        request.meta["handle_httpstatus_list"] = [304, 404, 410]
        if known.etag:
            request.headers.setdefault(b"If-None-Match", known.etag.encode("latin-1"))
        if known.last_modified:
            request.headers.setdefault(b"If-Modified-Since", known.last_modified.encode("latin-1"))
        stats.inc_value(statkeys.RECHECKED)
        return None

    def process_response(self, request, response):
        known_id = request.meta.get(meta.RECHECK_ID)
        if known_id and response.status == 200:
            known = self.known.get(request.url)
            if known and known.body_sha1 and hashlib.sha1(response.body).hexdigest() == known.body_sha1:
                request.meta[meta.UNCHANGED] = True
        return response
