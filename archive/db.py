"""The archive database: opening it (at the newest schema, :mod:`archive.schema`), one
transaction at a time, and the small helpers every writer shares (hashes, compression,
the stored-text cap)."""
from __future__ import annotations

import hashlib
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

DEFAULT_DB = "archive.db"
DB_ENV = "ARCHIVE_DB"  # the archive file of every command (and the scheduler) when no --db is given


def default_path() -> str:
    """The archive file when none is given: ``$ARCHIVE_DB`` when set, else ``archive.db``."""
    import os

    return os.environ.get(DB_ENV) or DEFAULT_DB


def now_iso() -> str:
    """Current UTC time as ISO 8601 with offset, to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def text_hash(text: str) -> str:
    """Hash of an article text that ignores whitespace differences."""
    # imported here: the page vocabulary's package loads lxml, which opening a database needs not
    from archive.extract.vocab import SPACE_RUN

    return hashlib.sha1(SPACE_RUN.sub("", text or "").encode("utf-8")).hexdigest()


def compress(body: bytes, db=None, site: str | None = None) -> bytes:
    """*body* compressed for storage (``raw_pages.body``, attachment files): zstandard, with the
    newest dictionary of *site* when the archive *db* holds one (:mod:`archive.rawstore`)."""
    from archive import rawstore

    return rawstore.compress(body, db, site)


def decompress(blob: bytes, db=None) -> bytes:
    """The bytes a stored blob holds, in any format ever written (zlib rows of older versions too);
    a blob compressed with a site's dictionary needs its archive *db*."""
    from archive import rawstore

    return rawstore.decompress(blob, db)


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


def _set_wal(conn: sqlite3.Connection, attempts: int = 300) -> None:
    """Switch the file to WAL. On a new file opened by several processes at once, two of them may
    both hold a read lock and want the write lock to change the journal mode; SQLite then answers
    one "database is locked" at once, without waiting (deadlock avoidance, no busy handler). That
    one tries again: the other has switched the file by then, and the pragma reads WAL."""
    for attempt in range(attempts):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.1)


def open_db(path: str | Path = DEFAULT_DB, *, migrate_schema: bool = True) -> sqlite_utils.Database:
    """Open (creating if needed) the archive, in WAL mode, at the newest schema."""
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    db = sqlite_utils.Database(conn)
    _set_wal(conn)
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    if migrate_schema:
        from archive.schema import migrate

        migrate(db)
    return db


class ArchiveOpenError(Exception):
    """The archive cannot be opened as asked; the message is one line for the user."""


SQLITE_MAGIC = b"SQLite format 3\x00"


def check_archive_file(path: str | Path, *, must_exist: bool = True) -> Path:
    """*path* as an archive file to open: an existing SQLite file (or, with ``must_exist`` False, a
    file still to be created in an existing directory); else :class:`ArchiveOpenError`."""
    p = Path(path)
    if p.is_dir():
        raise ArchiveOpenError(f"{path} is a directory, not an archive file")
    if not p.exists():
        if must_exist:
            raise ArchiveOpenError(f"no archive at {path}; run `archive crawl` first")
        if not p.parent.is_dir():
            raise ArchiveOpenError(f"cannot create {path}: no directory {p.parent}")
        return p
    try:
        with open(p, "rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise ArchiveOpenError(f"cannot read {path}: {exc.strerror or exc}")
    if head and head != SQLITE_MAGIC:  # an empty file is a new SQLite database
        raise ArchiveOpenError(f"{path} is not an archive (not an SQLite file)")
    return p


def check_archive_to_write(path: str | Path) -> Path:
    """*path* as an archive a command will write, creating it if needed: an SQLite file or a new file
    in an existing directory (:func:`check_archive_file`), which this process may write; else
    :class:`ArchiveOpenError` (nothing created)."""
    import os

    p = check_archive_file(path, must_exist=False)
    if not (writable(p) if p.exists() else os.access(p.parent, os.W_OK | os.X_OK)):
        raise ArchiveOpenError(f"{path} (or its folder) is not writable by this user, and this command "
                               "writes the archive: run it as the archive's owner")
    return p


def save_revision(db, article_id: int, reason: str, when: str) -> None:
    """Keep the article as it is now (title, text, metadata, extractor version) as a revision
    (``reason``: recrawl, reextract), replaced at *when*, before it is changed."""
    db.execute(
        """INSERT INTO revisions (article_id, title, text, text_hash, fetched_at, replaced_at, reason, metadata)
           SELECT id, title, text, text_hash,
                  COALESCE((SELECT max(fetched_at) FROM raw_pages WHERE article_id = articles.id), last_seen), ?,
                  ?, json_object('published_at', published_at, 'source', source, 'author', author,
                                 'editor', editor, 'keywords', json(keywords),
                                 'extractor_version', extractor_version)
           FROM articles WHERE id = ?""",
        [when, reason, article_id],
    )


def writable(path: str | Path) -> bool:
    """This process may write the file (and create its ``-wal``/``-shm`` beside it)."""
    import os

    p = Path(path)
    return os.access(p, os.W_OK) and os.access(p.parent if str(p.parent) else ".", os.W_OK | os.X_OK)


def open_readonly(path: str | Path, *, check_schema: bool = True) -> sqlite_utils.Database:
    """Open an existing archive for reading only: no migration, nothing written or created.

    A writer at work keeps the ``-wal`` and ``-shm`` files beside the archive; the
    connection then reads through them (SQLite ``mode=ro``, which needs no write access
    when they exist, the ``-shm`` readable). Without a ``-wal`` every commit is in the
    file itself, which is read as it is (``immutable=1``): a ``mode=ro`` connection would
    have to create the ``-wal``/``-shm`` itself, which a user who cannot write the
    directory cannot, and which would be left behind owned by the wrong user by one who can.

    *check_schema*: an archive at an older schema than this program's is refused
    (:class:`ArchiveOpenError`, saying how to migrate it), as is a newer one.
    """
    p = check_archive_file(path)
    from urllib.parse import quote

    uri = "file:" + quote(str(p.resolve()))
    wal = Path(f"{p}-wal")
    try:
        if wal.exists():
            conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30, isolation_level=None)
        else:
            conn = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=30000")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        if wal.exists():
            raise ArchiveOpenError(
                f"cannot read {path} with its write-ahead log ({exc}): its -wal and -shm files must be "
                "readable by this user (they take the archive file's permissions)")
        raise ArchiveOpenError(f"cannot read {path}: {exc}")
    db = sqlite_utils.Database(conn)
    if check_schema:
        from archive.schema import SCHEMA_VERSION

        if version > SCHEMA_VERSION:
            conn.close()
            raise ArchiveOpenError(f"{path} is at schema version {version}, newer than this program "
                                   f"understands ({SCHEMA_VERSION}); upgrade the program")
        if version < SCHEMA_VERSION:
            conn.close()
            raise ArchiveOpenError(
                f"{path} is at schema version {version}, this program needs {SCHEMA_VERSION} and cannot "
                f"migrate a file it may not write: run `archive migrate --db {path}` as a user who can write it")
    return db


def open_for_reading(path: str | Path) -> sqlite_utils.Database:
    """Open an existing archive for a command that only reads: as :func:`open_db` (migrating an
    older schema) when this process may write it, else :func:`open_readonly`."""
    p = check_archive_file(path)
    if not writable(p):
        return open_readonly(p)
    from archive.schema import SCHEMA_VERSION

    with open(p, "rb") as fh:  # the header's user_version: refuse a newer file before changing anything
        header = fh.read(64)
    if len(header) == 64 and int.from_bytes(header[60:64], "big") > SCHEMA_VERSION:
        raise ArchiveOpenError(f"{path}: archive schema version {int.from_bytes(header[60:64], 'big')} is newer "
                               f"than this program understands ({SCHEMA_VERSION}); upgrade the program")
    try:
        return open_db(p)
    except RuntimeError as exc:  # a schema newer than this program's
        raise ArchiveOpenError(f"{path}: {exc}")
    except sqlite3.DatabaseError as exc:  # damaged past its header
        raise ArchiveOpenError(f"cannot open {path}: {exc}")


class transaction:
    """``with transaction(db): ...`` — one atomic write (BEGIN IMMEDIATE … COMMIT).

    Inside a :class:`group` on the same archive it is a savepoint of the group's transaction: its
    writes are undone alone when it fails, and made durable only when the group commits."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        self.conn = db.conn
        self.nested = False

    def __enter__(self):
        if getattr(self.db, "_group_open", False):
            if not self.conn.in_transaction:  # SQLite rolled the group back (a full disk…): refuse
                raise sqlite3.OperationalError("the group's transaction was rolled back")
            self.nested = True
            self.conn.execute("SAVEPOINT one_write")
        else:
            self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        if self.nested:
            if exc_type is None:
                self.conn.execute("RELEASE one_write")
            else:
                _rolled_back(self.conn)
                if self.conn.in_transaction:  # else SQLite rolled back the whole group already
                    self.conn.execute("ROLLBACK TO one_write")
                    self.conn.execute("RELEASE one_write")
            return False
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                _rolled_back(self.conn)
                if self.conn.in_transaction:  # a refused COMMIT (a deferred constraint…) leaves it open
                    self.conn.execute("ROLLBACK")
                raise
        else:
            _rolled_back(self.conn)
            if self.conn.in_transaction:  # SQLite may already have rolled back (e.g. disk full)
                self.conn.execute("ROLLBACK")
        return False


class group(transaction):
    """``with group(db): ...`` — many writes, each in its own ``with transaction(db)``, committed together
    (one COMMIT: one new full-text segment and one WAL sync for them all) or not at all. For a process
    that is its archive's only writer with nothing waiting on the write lock (the distributed writer):
    the lock is held from the first write to the commit. ``with`` gives the group itself: its :meth:`lost`
    says whether SQLite already rolled it back on its own (some errors do, a full disk), which the caller
    must check where a write's failure was caught and not raised."""

    def __enter__(self):
        if getattr(self.db, "_group_open", False):
            raise RuntimeError("a group of writes is already open on this archive")
        self.conn.execute("BEGIN IMMEDIATE")
        self.db._group_open = True
        return self

    def __exit__(self, exc_type, exc, tb):
        self.db._group_open = False
        return super().__exit__(exc_type, exc, tb)

    def lost(self) -> bool:
        return not self.conn.in_transaction


def _rolled_back(conn) -> None:
    """What this process remembers of the archive's rows may have gone with a rollback."""
    from archive import rawstore

    rawstore.forget_newest(conn)


class Archive:
    """The archive as one crawl sees it: one connection, opened at first use, and the
    questions every stage asks of it, answered in one place.

    Nothing is opened when the object is made; :meth:`close` closes the connection
    (a later use opens it again). For a Scrapy crawl, ``crawler.archive.crawl_archive``
    gives each crawler exactly one of these.
    """

    def __init__(self, path: str | Path = DEFAULT_DB):
        self.path = str(path)
        self._db: sqlite_utils.Database | None = None

    @property
    def db(self) -> sqlite_utils.Database:
        if self._db is None:
            self._db = open_db(self.path)
        return self._db

    def open(self) -> Archive:
        """Open now (creating and migrating the file) rather than at first use."""
        self.db  # noqa: B018 - the property opens it
        return self

    @property
    def is_open(self) -> bool:
        return self._db is not None

    def exists(self) -> bool:
        """The file is there (a first crawl has nothing to read yet)."""
        return self._db is not None or Path(self.path).exists()

    def close(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            db.conn.close()

    # ------------------------------------------------------------ questions

    def article_for_url(self, url: str) -> dict | None:
        """Is this URL archived? The article (``id``, ``text_hash``, ``title``) archived under
        *url* or under an alias of it (another host serving the same page); else None."""
        # the connection itself, not sqlite-utils' query(): that wraps each read in a savepoint
        row = self.db.conn.execute(
            """SELECT id, text_hash, title FROM articles WHERE url = :url
               UNION ALL
               SELECT a.id, a.text_hash, a.title FROM article_urls u JOIN articles a ON a.id = u.article_id
               WHERE u.url = :url AND u.reason = 'alias' LIMIT 1""",
            {"url": url},
        ).fetchone()
        return None if row is None else {"id": row[0], "text_hash": row[1], "title": row[2]}

    def article_with_text(self, text_hash_: str) -> int | None:
        """The first archived article with this text (whitespace ignored), or None."""
        row = self.db.conn.execute("SELECT id FROM articles WHERE text_hash = ? ORDER BY id LIMIT 1",
                                   [text_hash_]).fetchone()
        return None if row is None else row[0]

    def site_articles(self, site: str):
        """Every archived article of *site* with its validators and its last stored first page:
        dicts of ``id, url, published_at, first_seen, checked_at, changed_at, etag, last_modified,
        body_sha1, size``."""
        return self.db.query(
            """SELECT a.id, a.url, a.published_at, a.first_seen, a.checked_at, a.changed_at, a.etag,
                      a.last_modified, r.body_sha1, r.size
               FROM articles a LEFT JOIN raw_pages r ON r.id = (
                   SELECT max(id) FROM raw_pages WHERE article_id = a.id AND page = 1)
               WHERE a.site = ?""",
            [site],
        )

    def site_other_urls(self, site: str):
        """The other URLs (``url, article_id, reason``) of a site's articles: aliases and same-text URLs."""
        return self.db.query(
            """SELECT u.url, u.article_id, u.reason FROM article_urls u JOIN articles a ON a.id = u.article_id
               WHERE a.site = ?""",
            [site],
        )
