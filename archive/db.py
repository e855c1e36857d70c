"""The archive database: opening it, its schema and its migrations.

The schema is versioned with ``PRAGMA user_version``. Each migration is a
function in ``MIGRATIONS``; ``open_db`` applies the ones the file has not seen,
each inside one transaction, so a killed process leaves the file at a
complete version. Later features add a migration at the end of the list,
never edit an old one.
"""
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


# ---------------------------------------------------------------- migrations

def _m1_core(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            site TEXT NOT NULL,
            title TEXT,
            published_at TEXT,
            source TEXT,
            author TEXT,
            editor TEXT,
            keywords TEXT NOT NULL DEFAULT '[]',
            text TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            pages INTEGER NOT NULL DEFAULT 1,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX idx_articles_site ON articles(site)")
    db.execute("CREATE INDEX idx_articles_text_hash ON articles(text_hash)")
    db.execute("CREATE INDEX idx_articles_published_at ON articles(published_at)")
    db.execute(
        """
        CREATE TABLE raw_pages (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            url TEXT NOT NULL,
            page INTEGER NOT NULL DEFAULT 1,
            fetched_at TEXT NOT NULL,
            status INTEGER,
            content_type TEXT,
            encoding TEXT,
            etag TEXT,
            last_modified TEXT,
            size INTEGER NOT NULL,
            body BLOB NOT NULL
        )"""
    )
    db.execute("CREATE INDEX idx_raw_pages_article ON raw_pages(article_id)")
    db.execute(
        """
        CREATE TABLE article_urls (
            url TEXT PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            reason TEXT NOT NULL,
            first_seen TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX idx_article_urls_article ON article_urls(article_id)")
    db.execute(
        """
        CREATE TABLE attachments (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            url TEXT NOT NULL,
            name TEXT,
            type TEXT,
            size INTEGER,
            first_seen TEXT NOT NULL,
            UNIQUE (article_id, url)
        )"""
    )
    db.execute(
        """
        CREATE TABLE failures (
            url TEXT PRIMARY KEY,
            site TEXT NOT NULL,
            kind TEXT NOT NULL,
            status INTEGER,
            reason TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 1
        )"""
    )
    db.execute("CREATE INDEX idx_failures_site ON failures(site)")


def _m4_refresh(db: sqlite_utils.Database) -> None:
    """Incremental refreshes: validators, change history, disappearance, run log."""
    db.execute("ALTER TABLE articles ADD COLUMN etag TEXT")
    db.execute("ALTER TABLE articles ADD COLUMN last_modified TEXT")
    db.execute("ALTER TABLE articles ADD COLUMN checked_at TEXT")
    db.execute("ALTER TABLE articles ADD COLUMN gone_at TEXT")
    db.execute("ALTER TABLE articles ADD COLUMN revision_count INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE raw_pages ADD COLUMN body_sha1 TEXT")
    db.execute(
        """
        CREATE TABLE revisions (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            title TEXT,
            text TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            fetched_at TEXT NOT NULL,
            replaced_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX idx_revisions_article ON revisions(article_id)")
    db.execute(
        """
        CREATE TABLE crawl_runs (
            id INTEGER PRIMARY KEY,
            site TEXT NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            status TEXT NOT NULL,
            pages_fetched INTEGER NOT NULL DEFAULT 0,
            new INTEGER NOT NULL DEFAULT 0,
            updated INTEGER NOT NULL DEFAULT 0,
            unchanged INTEGER NOT NULL DEFAULT 0,
            duplicates INTEGER NOT NULL DEFAULT 0,
            errors INTEGER NOT NULL DEFAULT 0,
            blocked INTEGER NOT NULL DEFAULT 0,
            error_summary TEXT
        )"""
    )
    db.execute("CREATE INDEX idx_crawl_runs_site ON crawl_runs(site, started_at)")


def _m3_neardup(db: sqlite_utils.Database) -> None:
    """Near-duplicate groups (archive/dedup/): group columns and the persistent LSH index."""
    db.execute("ALTER TABLE articles ADD COLUMN duplicate_of INTEGER REFERENCES articles(id)")
    db.execute("ALTER TABLE articles ADD COLUMN duplicate_score REAL")
    db.execute("CREATE INDEX idx_articles_duplicate_of ON articles(duplicate_of)")
    db.execute(
        """
        CREATE TABLE neardup_signatures (
            article_id INTEGER PRIMARY KEY REFERENCES articles(id),
            shingles INTEGER NOT NULL,
            minhash BLOB NOT NULL
        )"""
    )
    db.execute(
        """
        CREATE TABLE neardup_bands (
            band_key INTEGER NOT NULL,
            article_id INTEGER NOT NULL,
            PRIMARY KEY (band_key, article_id)
        ) WITHOUT ROWID"""
    )
    db.execute("CREATE TABLE neardup_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


def _m5_list_walks(db: sqlite_utils.Database) -> None:
    """Completeness of the list walks (crawler/backfill.py): which start URLs were walked to their end."""
    db.execute(
        """
        CREATE TABLE list_walks (
            site TEXT NOT NULL,
            start_url TEXT NOT NULL,
            complete INTEGER NOT NULL DEFAULT 0,
            end_page INTEGER,
            walked_at TEXT,
            opened_at TEXT,
            PRIMARY KEY (site, start_url)
        )"""
    )


def _m6_linear_index_text_cap(db: sqlite_utils.Database) -> None:
    """Full-text triggers in linear form (archive/search.py) and the stored-text cap (``cap_text``)."""
    from archive.search import migrate_v6

    migrate_v6(db)
    db.execute("ALTER TABLE articles ADD COLUMN text_full_length INTEGER")


def _m2_search(db: sqlite_utils.Database) -> None:
    """Chinese full-text index, its sync triggers and the export change counter (archive/search.py)."""
    from archive.search import migrate_v2

    migrate_v2(db)


# (version it brings the file to, function), kept in version order. Add, never edit.
MIGRATIONS: list[tuple[int, callable]] = sorted([
    (1, _m1_core),
    (2, _m2_search),
    (3, _m3_neardup),
    (4, _m4_refresh),
    (5, _m5_list_walks),
    (6, _m6_linear_index_text_cap),
], key=lambda m: m[0])

SCHEMA_VERSION = MIGRATIONS[-1][0]


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database) -> int:
    """Bring the file to the newest schema; returns the version reached.

    Safe when several processes open a new archive at once: each step takes
    the write lock first (BEGIN IMMEDIATE, waiting out the busy timeout) and
    reads ``user_version`` again inside that transaction, so a step another
    process has just applied is skipped, never run twice.
    """
    current = schema_version(db)
    _check_not_newer(current)
    if current >= SCHEMA_VERSION:
        return current
    conn = db.conn
    for version, step in MIGRATIONS:
        if version <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = schema_version(db)
            _check_not_newer(current)
            if version > current:
                step(db)
                conn.execute(f"PRAGMA user_version = {version}")
                current = version
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return schema_version(db)


def _check_not_newer(current: int) -> None:
    if current > SCHEMA_VERSION:
        raise RuntimeError(
            f"archive schema version {current} is newer than this program "
            f"understands ({SCHEMA_VERSION}); upgrade the program"
        )


def open_db(path: str | Path = DEFAULT_DB, *, migrate_schema: bool = True) -> sqlite_utils.Database:
    """Open (creating if needed) the archive, in WAL mode, at the newest schema."""
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    db = sqlite_utils.Database(conn)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    if migrate_schema:
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
