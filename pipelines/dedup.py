"""Stage 3, dedup: is this article already in the archive?

The same canonical URL is the same article: the item is marked with the
archived id and whether its text or title changed (a refresh). The same text
(whitespace ignored) under another URL is a duplicate: the store stage records
the extra URL instead of a second article.
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
        if not isinstance(item, ArticleItem) or item.rejected or item.not_modified:
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
