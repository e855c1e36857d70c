"""Stage 3, dedup: is this article already in the archive?

The same canonical URL, or the same text (whitespace ignored) under another
URL, is one article: the item is marked as a duplicate of the archived one,
and the store stage records the extra URL instead of a second article.
"""
from __future__ import annotations

from archive.db import open_db
from crawler.items import ArticleItem


class DedupPipeline:
    def __init__(self, db_path: str):
        self.db_path = db_path
        self.db = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("ARCHIVE_DB"))

    def open_spider(self):
        self.db = open_db(self.db_path)

    def close_spider(self):
        if self.db is not None:
            self.db.conn.close()
            self.db = None

    def process_item(self, item):
        if not isinstance(item, ArticleItem) or item.rejected:
            return item
        match = find_duplicate(self.db, item.url, item.text_hash)
        if match:
            item.duplicate_of, item.duplicate_reason = match
        return item


def find_duplicate(db, url: str, text_hash: str) -> tuple[int, str] | None:
    """(archived article id, why) for an exact duplicate, or None."""
    row = db.execute(
        "SELECT id FROM articles WHERE url = ? UNION ALL SELECT article_id FROM article_urls WHERE url = ? LIMIT 1",
        [url, url],
    ).fetchone()
    if row:
        return row[0], "same_url"
    row = db.execute("SELECT id FROM articles WHERE text_hash = ? ORDER BY id LIMIT 1", [text_hash]).fetchone()
    if row:
        return row[0], "same_text"
    return None
