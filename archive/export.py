"""Exports for downstream tools: JSON Lines or CSV, with an incremental cursor.

Every write to an article that changes one of its exported fields (insert,
update of title/text/metadata, a new revision) gives it a new *change
sequence number*: ``article_changes.seq``, maintained by SQLite triggers (see
``archive/search.py``, schema version 2). The number is allocated inside the
writing transaction as ``max(seq) + 1``, and SQLite lets one writer in at a
time, so numbers are handed out in commit order: a reader that has seen seq N
can never later find a committed write with a number below N.

A downstream job therefore polls with ``--since N`` (the largest ``change_seq``
it has seen, or the cursor printed at the end of the last run) and gets every
article written since, each exactly once per poll, in ``change_seq`` order: an
article edited twice between two polls comes once, in its latest form.
``--cursor-file`` keeps the number in a file between runs.

Only ``last_seen``/``checked_at`` updates (the crawler seeing an article again
unchanged) do not move the cursor.
"""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Iterable, Iterator, TextIO

from archive.search import CHANGES_TABLE
from archive.termsafe import csv_cell, json_dumps

# The exported fields, in order. Stable: new fields are only ever appended.
FIELDS = (
    "id", "url", "site", "title", "published_at", "source", "author", "editor",
    "keywords", "text", "text_hash", "pages", "first_seen", "last_seen",
    "change_seq", "changed_at", "duplicate_of", "duplicate_score",
)

# Excel reads a CSV file as UTF-8 only when it starts with this mark.
BOM = "\ufeff"

_SQL = f"""
SELECT a.id, a.url, a.site, a.title, a.published_at, a.source, a.author, a.editor,
       a.keywords, a.text, a.text_hash, a.pages, a.first_seen, a.last_seen,
       c.seq AS change_seq, c.changed_at, a.duplicate_of, a.duplicate_score
FROM {CHANGES_TABLE} c JOIN articles a ON a.id = c.article_id
WHERE c.deleted = 0 {{where}}
ORDER BY c.seq
"""

_INT = re.compile(r"^\d+$")


def parse_since(value: str | int | None) -> tuple[str, object] | None:
    """``--since``: an integer is a change-sequence cursor (exclusive); anything else
    an ISO date or timestamp, compared with ``changed_at`` (inclusive)."""
    if value is None or value == "":
        return None
    if isinstance(value, int) or _INT.match(str(value)):
        return ("seq", int(value))
    return ("time", str(value))


def iter_articles(db, *, since: str | int | None = None, site: str | None = None,
                  originals: bool = False) -> Iterator[dict]:
    """Articles changed since the cursor, oldest change first, one dict per article (FIELDS).

    ``originals`` leaves out reposts: articles whose ``duplicate_of`` names another."""
    conn = getattr(db, "conn", db)
    where, params = [], {}
    parsed = parse_since(since)
    if parsed and parsed[0] == "seq":
        where.append("AND c.seq > :seq")
        params["seq"] = parsed[1]
    elif parsed:
        where.append("AND c.changed_at >= :time")
        params["time"] = parsed[1]
    if site:
        where.append("AND a.site = :site")
        params["site"] = site
    if originals:
        where.append("AND a.duplicate_of IS NULL")
    # One statement = one consistent snapshot, even while a crawl is writing.
    cur = conn.execute(_SQL.format(where=" ".join(where)), params)
    cols = [d[0] for d in cur.description]
    for row in cur:
        rec = dict(zip(cols, row))
        try:
            rec["keywords"] = json.loads(rec["keywords"] or "[]")
        except ValueError:
            rec["keywords"] = []
        yield rec


def write_jsonl(records: Iterable[dict], out: TextIO) -> int | None:
    """One JSON object per line; returns the last change_seq written (the next cursor)."""
    last = None
    for rec in records:
        out.write(json_dumps({k: rec[k] for k in FIELDS}) + "\n")
        last = rec["change_seq"]
    return last


def write_csv(records: Iterable[dict], out: TextIO, *, bom: bool = True) -> int | None:
    """CSV with a header row; ``keywords`` is a JSON array in one cell.

    ``bom``: start with a UTF-8 byte order mark, so that Excel reads the Chinese
    as UTF-8 instead of the machine's code page.

    For spreadsheets: a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab
    or a carriage return (which a spreadsheet would run as a formula) is written
    with a leading apostrophe. JSON Lines keep every value exactly."""
    if bom:
        out.write(BOM)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    last = None
    for rec in records:
        row = dict(rec, keywords=json.dumps(rec["keywords"], ensure_ascii=False))
        writer.writerow([csv_cell(row[k]) for k in FIELDS])
        last = rec["change_seq"]
    return last


def export(db, out: TextIO, *, fmt: str = "jsonl", since=None, site=None,
           originals: bool = False, bom: bool = True) -> int:
    """Write the articles changed since ``since``; returns the cursor for the next poll.

    The records and the returned cursor come from one read snapshot, so a write
    committed while the export runs is neither lost nor sent twice: it has a
    number above the returned cursor and comes with the next poll.
    """
    if fmt not in ("jsonl", "csv"):
        raise ValueError(f"unknown format {fmt!r} (jsonl or csv)")
    conn = getattr(db, "conn", db)
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        cursor = current_cursor(conn)
        parsed = parse_since(since)
        if parsed and parsed[0] == "seq":
            cursor = max(cursor, parsed[1])
        records = iter_articles(conn, since=since, site=site, originals=originals)
        if fmt == "jsonl":
            write_jsonl(records, out)
        else:
            write_csv(records, out, bom=bom)
    finally:
        if own:
            conn.execute("COMMIT")
    return cursor


def current_cursor(db) -> int:
    conn = getattr(db, "conn", db)
    return conn.execute(f"SELECT coalesce(max(seq), 0) FROM {CHANGES_TABLE}").fetchone()[0]


def read_cursor_file(path: str | Path) -> int | None:
    p = Path(path)
    if not p.exists():
        return None
    value = p.read_text("utf-8").strip()
    return int(value) if value else None


def write_cursor_file(path: str | Path, cursor: int) -> None:
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(f"{cursor}\n", "utf-8")
    tmp.replace(p)
