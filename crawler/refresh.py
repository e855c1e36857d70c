"""Incremental refreshes: fetch only what is new or may have changed.

When a spider opens, this downloader middleware reads what the archive knows
of the spider's site. For an article URL it already holds:

* older than ``RECHECK_DAYS`` (by publication time, else first seen): not fetched;
* younger: fetched with ``If-None-Match`` / ``If-Modified-Since`` from the stored
  ETag and Last-Modified. A 304, or a page whose bytes equal the stored raw
  page, is marked unchanged and costs no extraction.

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


def load_known(archive, site: str, recheck_days: float, now: datetime | None = None) -> dict[str, Known]:
    """{URL: what the archive knows of it} for *site* (an :class:`archive.db.Archive`)."""
    now = now or datetime.now(timezone.utc)
    cutoff = (now - timedelta(days=recheck_days)).isoformat()
    known: dict[str, Known] = {}
    for row in archive.site_articles(site):
        when = _utc(row["published_at"] or row["first_seen"])
        known[row["url"]] = Known(row["id"], when >= cutoff, row["etag"], row["last_modified"],
                                  row["body_sha1"], row["size"])
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
    def __init__(self, crawler, archive, recheck_days: float):
        self.crawler = crawler
        self.archive = archive
        self.recheck_days = recheck_days
        self.known: dict[str, Known] = {}

    @classmethod
    def from_crawler(cls, crawler):
        if not setting(crawler.settings, "INCREMENTAL"):
            raise NotConfigured
        mw = cls(crawler, crawl_archive(crawler), setting(crawler.settings, "RECHECK_DAYS"))
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        return mw

    def spider_opened(self, spider):
        if self.archive.exists():
            self.known = load_known(self.archive, spider.name, self.recheck_days)
        spider.known_urls = set(self.known)

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
