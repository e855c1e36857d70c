"""A consistent copy of a live archive, taken while crawls write to it.

:func:`backup` copies the file with SQLite's online backup API
(``sqlite3.Connection.backup``) in one step: the copy is the database as of one
read transaction, so a crawl committing meanwhile (WAL mode) neither blocks
nor tears it. The copy is written next to its destination, switched out of WAL
mode (one self-contained file), checked with ``PRAGMA integrity_check`` and only
then renamed into place; a copy that fails the check is deleted and reported.
"""
from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from archive.db import open_readonly, writable


class BackupError(Exception):
    """The backup could not be made or failed its integrity check (nothing left at the destination)."""


def destination(dest: str | Path) -> Path:
    """*dest* itself, or inside an existing directory ``archive-YYYYmmddTHHMMSSZ.db``."""
    dest = Path(dest)
    if dest.is_dir():
        return dest / f"archive-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.db"
    return dest


def backup(source: str | Path, dest: str | Path) -> dict:
    """Copy the archive *source* to *dest* (a file that must not exist yet, or a directory);
    returns ``{path, bytes, pages, integrity, schema_version, articles}``."""
    source, target = Path(source), destination(dest)
    if not source.is_file():
        raise BackupError(f"no archive at {source}")
    if target.exists():
        raise BackupError(f"{target} exists; a backup never overwrites a file")
    if not target.parent.is_dir():
        raise BackupError(f"no directory {target.parent}")
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)
    if writable(source):
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    else:  # a user who may only read it: nothing may be created beside it (see open_readonly)
        src = open_readonly(source, check_schema=False).conn
    try:
        src.execute("PRAGMA busy_timeout=30000")
        dst = sqlite3.connect(part)
        try:
            src.backup(dst)  # all pages in one step: one consistent snapshot
            dst.execute("PRAGMA journal_mode=DELETE")
            integrity = [r[0] for r in dst.execute("PRAGMA integrity_check")]
            version = dst.execute("PRAGMA user_version").fetchone()[0]
            pages = dst.execute("PRAGMA page_count").fetchone()[0]
            try:
                articles = dst.execute("SELECT count(*) FROM articles").fetchone()[0]
            except sqlite3.Error:
                articles = None
        finally:
            dst.close()
    except sqlite3.Error as exc:
        part.unlink(missing_ok=True)
        raise BackupError(f"backup of {source} failed: {exc}") from None
    finally:
        src.close()
    if integrity != ["ok"]:
        part.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its integrity check: {'; '.join(integrity[:5])}")
    os.replace(part, target)
    return {"path": str(target), "bytes": target.stat().st_size, "pages": pages, "integrity": "ok",
            "schema_version": version, "articles": articles}
