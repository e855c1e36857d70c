"""The archive's schema: every table, index and trigger, and the migrations that make them.

The schema is versioned with ``PRAGMA user_version``. Each migration is a
function in ``MIGRATIONS``, listed here in version order; ``migrate`` applies
the ones the file has not seen, each inside one transaction, so a killed
process leaves the file at a complete version. A new feature adds a migration
at the end of the list and never edits an old one. This module is the one
place that creates or alters a table.
"""
from __future__ import annotations

import sqlite_utils

from archive.search import (
    CHANGES_TABLE, FTS_TABLE, SEQ_ROWS, SEQ_TABLE, TEXT_WEIGHT, TITLE_WEIGHT, shadow_sql,
)


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


def _m2_search(db: sqlite_utils.Database) -> None:
    """Chinese full-text index (archive/search.py), its sync triggers and the export change counter."""
    db.execute(f"CREATE TABLE {SEQ_TABLE} (n INTEGER PRIMARY KEY)")
    db.execute(
        f"""INSERT INTO {SEQ_TABLE} (n)
            WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {SEQ_ROWS})
            SELECT n FROM s"""
    )
    db.execute(
        f"""CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(
              title, text, content='', tokenize='unicode61 remove_diacritics 2')"""
    )
    db.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rank) "
               f"VALUES ('rank', 'bm25({TITLE_WEIGHT}, {TEXT_WEIGHT})')")
    _create_index_triggers(db)
    # Change counter for incremental exports (archive/export.py).
    db.execute(
        f"""CREATE TABLE {CHANGES_TABLE} (
              article_id INTEGER PRIMARY KEY,
              seq INTEGER NOT NULL UNIQUE,
              changed_at TEXT NOT NULL,
              deleted INTEGER NOT NULL DEFAULT 0)"""
    )
    bump = (f"INSERT OR REPLACE INTO {CHANGES_TABLE} (article_id, seq, changed_at, deleted) "
            f"VALUES ({{id}}, (SELECT coalesce(max(seq), 0) + 1 FROM {CHANGES_TABLE}), "
            f"strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'), {{deleted}});")
    watched = ("url", "site", "title", "published_at", "source", "author", "editor",
               "keywords", "text", "text_hash", "pages")
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in watched)
    db.execute(f"CREATE TRIGGER article_changes_ai AFTER INSERT ON articles BEGIN "
               f"{bump.format(id='new.id', deleted=0)} END")
    db.execute(f"CREATE TRIGGER article_changes_au AFTER UPDATE ON articles WHEN {changed} BEGIN "
               f"{bump.format(id='new.id', deleted=0)} END")
    db.execute(f"CREATE TRIGGER article_changes_ad AFTER DELETE ON articles BEGIN "
               f"{bump.format(id='old.id', deleted=1)} END")
    # Publication month, for the Datasette facet; computed, never stored.
    db.execute("ALTER TABLE articles ADD COLUMN published_month TEXT "
               "GENERATED ALWAYS AS (substr(published_at, 1, 7)) VIRTUAL")
    # Articles already in the file (an archive older than version 2).
    db.execute(f"INSERT INTO {FTS_TABLE} (rowid, title, text) "
               f"SELECT id, {shadow_sql('title')}, {shadow_sql('text')} FROM articles")
    db.execute(f"INSERT INTO {CHANGES_TABLE} (article_id, seq, changed_at) "
               f"SELECT id, row_number() OVER (ORDER BY id), "
               f"strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now') FROM articles")


def _create_index_triggers(db) -> None:
    """The triggers that keep ``articles_fts`` in step with ``articles``."""
    ins = (f"INSERT INTO {FTS_TABLE} (rowid, title, text) "
           f"VALUES (new.id, {shadow_sql('new.title')}, {shadow_sql('new.text')});")
    dele = (f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, title, text) "
            f"VALUES ('delete', old.id, {shadow_sql('old.title')}, {shadow_sql('old.text')});")
    db.execute(f"CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN {ins} END")
    db.execute(f"CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN {dele} END")
    db.execute(
        f"""CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, text ON articles
            WHEN old.title IS NOT new.title OR old.text IS NOT new.text
            BEGIN {dele} {ins} END"""
    )


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
    """Full-text triggers in linear form (``shadow_sql``; they write the same shadow form as
    before, so the index itself is kept) and the stored-text cap (``archive.db.cap_text``)."""
    for name in ("articles_fts_ai", "articles_fts_ad", "articles_fts_au"):
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
    _create_index_triggers(db)
    db.execute("ALTER TABLE articles ADD COLUMN text_full_length INTEGER")


def _m7_replaced_bytes(db: sqlite_utils.Database) -> None:
    """How many undecodable bytes were replaced when the article's pages were decoded
    (``archive.extract.extract``'s ``replaced_bytes``; NULL for articles stored before)."""
    db.execute("ALTER TABLE articles ADD COLUMN replaced_bytes INTEGER")


def _m8_run_quality(db: sqlite_utils.Database) -> None:
    """Extraction quality of each crawl run (``archive/quality.py``): one row per ``crawl_runs`` row
    that extracted articles; ``degraded`` flags a run well below the site's usual values."""
    db.execute(
        """
        CREATE TABLE run_quality (
            run_id INTEGER PRIMARY KEY REFERENCES crawl_runs(id),
            site TEXT NOT NULL,
            started_at TEXT NOT NULL,
            articles INTEGER NOT NULL,
            title REAL, published_at REAL, source REAL, author REAL, editor REAL, keywords REAL,
            attachments REAL,
            documents INTEGER NOT NULL DEFAULT 0,
            text_median INTEGER, text_p10 INTEGER,
            boilerplate_share REAL, repeated_tail_share REAL, bad_title_share REAL, fallback_share REAL,
            judged INTEGER NOT NULL DEFAULT 0,
            degraded INTEGER NOT NULL DEFAULT 0,
            dropped TEXT NOT NULL DEFAULT '[]',
            problems TEXT,
            examples TEXT NOT NULL DEFAULT '[]',
            expected TEXT
        )"""
    )
    db.execute("CREATE INDEX idx_run_quality_site ON run_quality(site, started_at)")


def _m9_archive_over_years(db: sqlite_utils.Database) -> None:
    """Re-extraction and the revisit policy (archive/reextract.py, crawler/refresh.py): which extractor
    version produced each article, when a change was last found (NULL: never since first seen),
    and why a revision was made (``recrawl``: the page changed; ``reextract``: the extractor did)
    with the replaced metadata (JSON)."""
    db.execute("ALTER TABLE articles ADD COLUMN extractor_version TEXT")
    db.execute("ALTER TABLE articles ADD COLUMN changed_at TEXT")
    db.execute("ALTER TABLE revisions ADD COLUMN reason TEXT NOT NULL DEFAULT 'recrawl'")
    db.execute("ALTER TABLE revisions ADD COLUMN metadata TEXT")


def _m10_keywords_searched(db: sqlite_utils.Database) -> None:
    """Keywords searched with the title (archive/search.py): the index's title column holds the
    title then the keywords (``title_and_keywords_sql``); the triggers also follow a change of the
    keywords; the index is rebuilt once, since a contentless index must be told exactly what it
    holds to delete a row."""
    from archive.search import rebuild_index, title_and_keywords_sql

    for name in ("articles_fts_ai", "articles_fts_ad", "articles_fts_au"):
        db.execute(f"DROP TRIGGER IF EXISTS {name}")

    def row(p: str) -> str:
        return (f"SELECT {p}id, {shadow_sql('tk.v')}, {shadow_sql(p + 'text')} "
                f"FROM (SELECT {title_and_keywords_sql(p)} AS v) tk;")

    ins = f"INSERT INTO {FTS_TABLE} (rowid, title, text) {row('new.')}"
    dele = (f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, title, text) "
            f"SELECT 'delete', {row('old.')[len('SELECT '):]}")
    db.execute(f"CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN {ins} END")
    db.execute(f"CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN {dele} END")
    db.execute(
        f"""CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, text, keywords ON articles
            WHEN old.title IS NOT new.title OR old.text IS NOT new.text OR old.keywords IS NOT new.keywords
            BEGIN {dele} {ins} END"""
    )
    rebuild_index(db)


def _m12_documents_citations(db: sqlite_utils.Database) -> None:
    """Government documents and their citations (archive/citations.py): a document's facts table,
    one row per article (``year`` for faceting); the keys it is known by (its number as
    ``YEAR-N`` with its issuer prefix, its normalised titles); what each article cites (same
    keys, the characters before a number's bracket in ``context``); and the links found."""
    db.execute(
        """
        CREATE TABLE documents (
            article_id INTEGER PRIMARY KEY REFERENCES articles(id),
            index_no TEXT,
            category TEXT,
            issuer TEXT,
            doc_number TEXT,
            written_at TEXT,
            published_at TEXT,
            validity TEXT,
            subject_words TEXT,
            title TEXT,
            year INTEGER
        )"""
    )
    for col in ("issuer", "category", "year", "doc_number"):
        db.execute(f"CREATE INDEX idx_documents_{col} ON documents({col})")
    db.execute(
        """
        CREATE TABLE document_keys (
            document_id INTEGER NOT NULL REFERENCES documents(article_id),
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            prefix TEXT,
            UNIQUE (document_id, kind, key)
        )"""
    )
    db.execute("CREATE INDEX idx_document_keys_key ON document_keys(kind, key)")
    db.execute(
        """
        CREATE TABLE citation_refs (
            article_id INTEGER NOT NULL REFERENCES articles(id),
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            context TEXT,
            matched TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX idx_citation_refs_key ON citation_refs(kind, key)")
    db.execute("CREATE INDEX idx_citation_refs_article ON citation_refs(article_id)")
    db.execute(
        """
        CREATE TABLE citations (
            article_id INTEGER NOT NULL REFERENCES articles(id),
            document_id INTEGER NOT NULL REFERENCES documents(article_id),
            matched_by TEXT NOT NULL,
            matched TEXT NOT NULL,
            PRIMARY KEY (article_id, document_id, matched_by)
        )"""
    )
    db.execute("CREATE INDEX idx_citations_document ON citations(document_id)")


def _m11_attachments(db: sqlite_utils.Database) -> None:
    """Attachments downloaded (archive/attachments.py): the file itself, compressed like a raw page
    (``archive.db.compress``), its SHA-1, its kind by its bytes (``pdf``, ``docx``, ``html``…),
    its extracted text (NULL for a DOC/WPS/OFD file, a scan, a garbage text layer, a corrupt
    file: ``reason`` says why; also why a file was not downloaded: HTTP 404, over the size cap),
    its PDF pages; and ``attachments_fts``, the full-text index of the attachments' names and
    texts in the articles' shadow form (archive/search.py), kept by triggers."""
    from archive.search import ATTACHMENTS_FTS

    for col, decl in (("kind", "TEXT"), ("body", "BLOB"), ("sha1", "TEXT"), ("text", "TEXT"),
                      ("text_full_length", "INTEGER"), ("pages", "INTEGER"), ("status", "INTEGER"),
                      ("reason", "TEXT"), ("fetched_at", "TEXT")):
        db.execute(f"ALTER TABLE attachments ADD COLUMN {col} {decl}")
    db.execute("CREATE INDEX IF NOT EXISTS idx_attachments_article ON attachments(article_id)")
    db.execute("CREATE INDEX idx_attachments_sha1 ON attachments(sha1)")
    db.execute(f"""CREATE VIRTUAL TABLE {ATTACHMENTS_FTS} USING fts5(
                     name, text, content='', tokenize='unicode61 remove_diacritics 2')""")
    ins = (f"INSERT INTO {ATTACHMENTS_FTS} (rowid, name, text) "
           f"VALUES (new.id, {shadow_sql('new.name')}, {shadow_sql('new.text')});")
    dele = (f"INSERT INTO {ATTACHMENTS_FTS} ({ATTACHMENTS_FTS}, rowid, name, text) "
            f"VALUES ('delete', old.id, {shadow_sql('old.name')}, {shadow_sql('old.text')});")
    db.execute(f"CREATE TRIGGER attachments_fts_ai AFTER INSERT ON attachments BEGIN {ins} END")
    db.execute(f"CREATE TRIGGER attachments_fts_ad AFTER DELETE ON attachments BEGIN {dele} END")
    db.execute(
        f"""CREATE TRIGGER attachments_fts_au AFTER UPDATE OF name, text ON attachments
            WHEN old.name IS NOT new.name OR old.text IS NOT new.text
            BEGIN {dele} {ins} END"""
    )
    db.execute(f"INSERT INTO {ATTACHMENTS_FTS} (rowid, name, text) "
               f"SELECT id, {shadow_sql('name')}, {shadow_sql('text')} FROM attachments")


def _m13_zstd_dicts(db: sqlite_utils.Database) -> None:
    """Raw pages compressed with zstandard and per-site dictionaries (archive/rawstore.py): the
    dictionaries, one row per site and version, never changed once written. Rows stored before
    stay zlib and readable (each blob names its format in its first bytes)."""
    db.execute(
        """
        CREATE TABLE zstd_dicts (
            id INTEGER PRIMARY KEY,
            site TEXT NOT NULL,
            version INTEGER NOT NULL,
            created TEXT NOT NULL,
            bytes BLOB NOT NULL,
            sha1 TEXT NOT NULL,
            pages INTEGER NOT NULL,
            UNIQUE (site, version)
        )"""
    )


def _m14_index_input(db: sqlite_utils.Database) -> None:
    """A writer may hand the index the shadow form of a new article (archive/search.py): a row of
    ``articles_fts_input`` (the article's URL, the shadow of its title and keywords, of its text),
    written in the article's transaction just before its row, is taken by the insert trigger and
    deleted; without one the trigger computes the shadow in SQL as before, so any other writer
    keeps the index in step unchanged. The store stage computes it with ``archive.search.shadow``
    (a regular expression; the SQL form costs about four times its CPU; tests check the two agree).
    The table is empty between transactions."""
    from archive.search import title_and_keywords_sql

    db.execute("CREATE TABLE articles_fts_input (url TEXT PRIMARY KEY, title TEXT NOT NULL, text TEXT NOT NULL) "
               "WITHOUT ROWID")
    db.execute("DROP TRIGGER IF EXISTS articles_fts_ai")
    given = "SELECT 1 FROM articles_fts_input WHERE url = new.url"
    db.execute(
        f"""CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN
              INSERT INTO {FTS_TABLE} (rowid, title, text)
                SELECT new.id, i.title, i.text FROM articles_fts_input i WHERE i.url = new.url;
              INSERT INTO {FTS_TABLE} (rowid, title, text)
                SELECT new.id, {shadow_sql('tk.v')}, {shadow_sql('new.text')}
                FROM (SELECT {title_and_keywords_sql('new.')} AS v) tk WHERE NOT EXISTS ({given});
              DELETE FROM articles_fts_input WHERE url = new.url;
            END""")


def _m15_index_change(db: sqlite_utils.Database) -> None:
    """A writer may also hand the index the shadow forms of a change (archive/search.py,
    :func:`~archive.search.give_index_change`): a row of ``articles_fts_change`` (the article's id, the
    shadow of its old title and keywords, of its old text, and of the new ones), written in the
    change's transaction just before the UPDATE, is taken by the update trigger (the old forms to
    delete the row from the index, the new ones to add it) and deleted; without one the trigger
    computes both in SQL as before. The table is empty between transactions."""
    from archive.search import title_and_keywords_sql

    db.execute("CREATE TABLE articles_fts_change (id INTEGER PRIMARY KEY, old_title TEXT NOT NULL, "
               "old_text TEXT NOT NULL, new_title TEXT NOT NULL, new_text TEXT NOT NULL)")
    db.execute("DROP TRIGGER IF EXISTS articles_fts_au")
    given = "SELECT 1 FROM articles_fts_change WHERE id = new.id"

    def computed(p: str) -> str:
        return (f"{shadow_sql('tk.v')}, {shadow_sql(p + 'text')} "
                f"FROM (SELECT {title_and_keywords_sql(p)} AS v) tk WHERE NOT EXISTS ({given})")

    db.execute(
        f"""CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, text, keywords ON articles
            WHEN old.title IS NOT new.title OR old.text IS NOT new.text OR old.keywords IS NOT new.keywords
            BEGIN
              INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, title, text)
                SELECT 'delete', old.id, c.old_title, c.old_text FROM articles_fts_change c WHERE c.id = new.id;
              INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, title, text) SELECT 'delete', old.id, {computed('old.')};
              INSERT INTO {FTS_TABLE} (rowid, title, text)
                SELECT new.id, c.new_title, c.new_text FROM articles_fts_change c WHERE c.id = new.id;
              INSERT INTO {FTS_TABLE} (rowid, title, text) SELECT new.id, {computed('new.')};
              DELETE FROM articles_fts_change WHERE id = new.id;
            END""")


def _m16_signature_count(db: sqlite_utils.Database) -> None:
    """A small index on ``neardup_signatures``: counting the signatures reads it (bytes per row)
    instead of the table (a MinHash signature per row), so the near-duplicate stage's check for
    articles missing from the index is two counts that cost nothing (archive/dedup/index.py)."""
    db.execute("CREATE INDEX idx_neardup_signatures_shingles ON neardup_signatures(shingles)")


# (version it brings the file to, function), in version order. Add at the end, never edit.
MIGRATIONS: list[tuple[int, callable]] = [
    (1, _m1_core),
    (2, _m2_search),
    (3, _m3_neardup),
    (4, _m4_refresh),
    (5, _m5_list_walks),
    (6, _m6_linear_index_text_cap),
    (7, _m7_replaced_bytes),
    (8, _m8_run_quality),
    (9, _m9_archive_over_years),
    (10, _m10_keywords_searched),
    (11, _m11_attachments),
    (12, _m12_documents_citations),
    (13, _m13_zstd_dicts),
    (14, _m14_index_input),
    (15, _m15_index_change),
    (16, _m16_signature_count),
]

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
