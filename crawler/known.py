"""Skip article URLs the archive already holds.

Reads the archive's known URLs (articles and their aliases) for the spider's
site when the spider opens, and drops requests for them before they reach the
network. Switched off with ``SKIP_KNOWN_URLS = False``.
"""
from __future__ import annotations

from pathlib import Path

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

from archive.db import open_db


class KnownUrlsMiddleware:
    def __init__(self, db_path: str, stats):
        self.db_path = db_path
        self.stats = stats
        self.known: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("SKIP_KNOWN_URLS", True):
            raise NotConfigured
        mw = cls(crawler.settings.get("ARCHIVE_DB"), crawler.stats)
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        return mw

    def spider_opened(self, spider):
        if not Path(self.db_path).exists():
            return
        db = open_db(self.db_path)
        try:
            rows = db.execute(
                "SELECT url FROM articles WHERE site = ? UNION "
                "SELECT u.url FROM article_urls u JOIN articles a ON a.id = u.article_id WHERE a.site = ?",
                [spider.name, spider.name],
            ).fetchall()
        finally:
            db.conn.close()
        self.known = {r[0] for r in rows}

    def process_request(self, request, spider=None):
        if request.meta.get("kind") == "article" and request.url in self.known:
            request.meta["known"] = True
            self.stats.inc_value("archive/known")
            raise IgnoreRequest(f"already archived: {request.url}")
        return None
