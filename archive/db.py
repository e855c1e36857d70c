"""The archive database: opening it (at the newest schema, :mod:`archive.schema`), one
transaction at a time, and the small helpers every writer shares (hashes, compression,
the stored-text cap)."""
from __future__ import annotations

import hashlib
import re
import sqlite3
import zlib
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

DEFAULT_DB = "archive.db"


def now_iso() -> str:
    """Current UTC time as ISO 8601 with offset, to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


_WS = re.compile(r"\s+")


def text_hash(text: str) -> str:
    """Hash of an article text that ignores whitespace differences."""
    return hashlib.sha1(_WS.sub("", text or "").encode("utf-8")).hexdigest()


def compress(body: bytes) -> bytes:
    return zlib.compress(body, 6)


def decompress(blob: bytes) -> bytes:
    return zlib.decompress(blob)


# Longest article text stored in ``articles.text`` (characters); the crawl
# setting ARCHIVE_MAX_TEXT_CHARS overrides it. The page itself is always kept
# whole, compressed, in ``raw_pages.body``.
MAX_TEXT_CHARS = 200_000


def cap_text(text: str, max_chars: int | None = MAX_TEXT_CHARS) -> tuple[str, int | None]:
    """``(text to store, full length or None)``: a text longer than *max_chars*
    characters is cut there (at the last line break in its final tenth, if
    any); the full length is then stored in ``articles.text_full_length``
    (NULL: the text is whole). *max_chars* None or below 1 means no cap."""
    text = text or ""
    if not max_chars or max_chars < 1 or len(text) <= max_chars:
        return text, None
    cut = text.rfind("\n", max_chars - max_chars // 10, max_chars + 1)
    return text[: cut if cut > 0 else max_chars].rstrip(), len(text)


def open_db(path: str | Path = DEFAULT_DB, *, migrate_schema: bool = True) -> sqlite_utils.Database:
    """Open (creating if needed) the archive, in WAL mode, at the newest schema."""
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    db = sqlite_utils.Database(conn)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    if migrate_schema:
        from archive.schema import migrate

        migrate(db)
    return db


class transaction:
    """``with transaction(db): ...`` — one atomic write (BEGIN IMMEDIATE … COMMIT)."""

    def __init__(self, db: sqlite_utils.Database):
        self.conn = db.conn

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.conn.execute("COMMIT")
        elif self.conn.in_transaction:  # SQLite may already have rolled back (e.g. disk full)
            self.conn.execute("ROLLBACK")
        return False
