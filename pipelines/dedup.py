"""Stage 3, dedup: is this article already in the archive?

The same canonical URL is the same article: the item is marked with the
archived id and whether its text or title changed (a refresh). The same text
(whitespace ignored) under another URL is a duplicate: the store stage records
the extra URL instead of a second article.

One text served for many URLs of a site within one run
(``SOFT_ERROR_SHARED_URLS``, 4) is an error page, not an article: the item is
rejected as ``soft_error`` and the URLs of this run that were stored under that
text are handed to the store stage to retract (``retract_urls``).
"""
from __future__ import annotations

from collections import defaultdict

from archive.db import open_db
from crawler.items import ArticleItem


class DedupPipeline:
    def __init__(self, db_path: str, shared_limit: int = 4):
        self.db_path = db_path
        self.db = None
        self.shared_limit = shared_limit
        self.run_texts: dict[str, list[str]] = defaultdict(list)  # text hash → URLs of this run

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("ARCHIVE_DB"), crawler.settings.getint("SOFT_ERROR_SHARED_URLS", 4))

    def open_spider(self):
        self.db = open_db(self.db_path)

    def close_spider(self):
        if self.db is not None:
            self.db.conn.close()
            self.db = None

    def process_item(self, item):
        if not isinstance(item, ArticleItem) or item.rejected or item.not_modified:
            return item
        urls = self.run_texts[item.text_hash]
        if item.url not in urls:
            urls.append(item.url)
        if self.shared_limit and len(urls) >= self.shared_limit:
            item.rejected = ("soft_error", "one page text served for many URLs of the site (an error page)")
            item.retract_urls = [u for u in urls if u != item.url]
            return item
        same_url = find_by_url(self.db, item.url)
        if same_url:
            item.existing_id = same_url[0]
            item.changed = same_url[1:] != (item.text_hash, item.title)
            return item
        match = find_same_text(self.db, item.text_hash)
        if match:
            item.duplicate_of, item.duplicate_reason = match, "same_text"
        return item


def find_by_url(db, url: str) -> tuple[int, str, str] | None:
    """(id, text_hash, title) of the article archived under *url* (or an alias of it)."""
    return db.execute(
        """SELECT id, text_hash, title FROM articles WHERE url = ?
           UNION ALL
           SELECT a.id, a.text_hash, a.title FROM article_urls u JOIN articles a ON a.id = u.article_id
           WHERE u.url = ? AND u.reason = 'alias' LIMIT 1""",
        [url, url],
    ).fetchone()


def find_same_text(db, text_hash: str) -> int | None:
    row = db.execute("SELECT id FROM articles WHERE text_hash = ? ORDER BY id LIMIT 1", [text_hash]).fetchone()
    return row[0] if row else None
