"""Incremental refreshes: fetch only what is new or may have changed.

When a spider opens, this downloader middleware reads what the archive knows
of the spider's site. For an article URL it already holds:

* older than ``RECHECK_DAYS`` (by publication time, else first seen): not fetched;
* younger: fetched with ``If-None-Match`` / ``If-Modified-Since`` from the stored
  ETag and Last-Modified. A 304, or a page whose bytes equal the stored raw
  page, is marked unchanged and costs no extraction.

The known URLs are also handed to the spider (``spider.known_urls``) so list
pagination stops at the first page that holds only known articles.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

from archive.db import open_db


@dataclass
class Known:
    article_id: int
    young: bool
    etag: str | None
    last_modified: str | None
    body_sha1: str | None
    size: int | None = None  # bytes of the last stored first page


def load_known(db_path, site: str, recheck_days: float, now: datetime | None = None) -> dict[str, Known]:
    now = now or datetime.now(timezone.utc)
    cutoff = (now - timedelta(days=recheck_days)).isoformat()
    db = open_db(db_path)
    try:
        known: dict[str, Known] = {}
        for aid, url, published, first_seen, etag, modified, sha1 in db.execute(
            """SELECT a.id, a.url, a.published_at, a.first_seen, a.etag, a.last_modified,
                      (SELECT body_sha1 || ' ' || size FROM raw_pages r WHERE r.article_id = a.id AND r.page = 1
                       ORDER BY r.id DESC LIMIT 1)
               FROM articles a WHERE a.site = ?""",
            [site],
        ):
            when = _utc(published or first_seen)
            sha1, _, size = (sha1 or "").partition(" ")
            known[url] = Known(aid, when >= cutoff, etag, modified, sha1 or None, int(size) if size else None)
        # Other URLs of an article: a host alias is the same page; a URL that only had the same text
        # is fetched again (plainly, not as the article's re-check) while its article is young, for
        # its text may have been an error page or may have changed since.
        young_ids = {k.article_id for k in known.values() if k.young}
        for url, aid, reason in db.execute(
            """SELECT u.url, u.article_id, u.reason FROM article_urls u JOIN articles a ON a.id = u.article_id
               WHERE a.site = ?""",
            [site],
        ):
            if reason != "alias" and aid in young_ids:
                continue  # not known: fetched as a new URL
            known.setdefault(url, Known(aid, False, None, None, None))
        return known
    finally:
        db.conn.close()


def _utc(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone(timezone.utc).isoformat()
    except (TypeError, ValueError):
        return ""


class RefreshMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        self.db_path = crawler.settings.get("ARCHIVE_DB")
        self.recheck_days = crawler.settings.getfloat("RECHECK_DAYS", 3)
        self.known: dict[str, Known] = {}

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("INCREMENTAL", True):
            raise NotConfigured
        mw = cls(crawler)
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        return mw

    def spider_opened(self, spider):
        if Path(self.db_path).exists():
            self.known = load_known(self.db_path, spider.name, self.recheck_days)
        spider.known_urls = set(self.known)

    def process_request(self, request):
        if request.meta.get("kind") != "article" or request.meta.get("retry_failure"):
            return None  # a URL that failed before is fetched plainly
        known = self.known.get(request.url)
        if known is None:
            return None
        stats = self.crawler.stats
        if not known.young:
            request.meta["known"] = True
            stats.inc_value("archive/known")
            raise IgnoreRequest(f"already archived: {request.url}")
        request.meta["recheck_id"] = known.article_id
        request.meta["last_size"] = known.size
        request.meta["handle_httpstatus_list"] = [304, 404, 410]
        if known.etag:
            request.headers.setdefault(b"If-None-Match", known.etag.encode("latin-1"))
        if known.last_modified:
            request.headers.setdefault(b"If-Modified-Since", known.last_modified.encode("latin-1"))
        stats.inc_value("archive/rechecked")
        return None

    def process_response(self, request, response):
        known_id = request.meta.get("recheck_id")
        if known_id and response.status == 200:
            known = self.known.get(request.url)
            if known and known.body_sha1 and hashlib.sha1(response.body).hexdigest() == known.body_sha1:
                request.meta["unchanged"] = True
        return response
