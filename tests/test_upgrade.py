"""Upgrades: an archive made by an older release (schema version 8, before extractor versions were
recorded; built by its migrations, which are never edited) opens and migrates to the newest version, and
`archive reextract` brings its articles up to the current extractor."""
from __future__ import annotations

import json
import sqlite3

from archive import schema
from archive.extract import EXTRACTOR_VERSION
from conftest import archive_at_version, run_archive

PREVIOUS = 8  # the last schema without articles.extractor_version
OLD_FOOTER = "（旧版提取器留下的页脚：责任编辑 某某）"


def previous_release_archive(path, crawled_db) -> tuple[int, str]:
    """A file at the previous schema holding one crawled article as an older extractor left it (with a
    footer line) and a revision from a re-crawl; returns (article id, the current extractor's text)."""
    old = archive_at_version(path, PREVIOUS)
    src = sqlite3.connect(crawled_db)
    cols = [c[1] for c in old.execute("PRAGMA table_info(articles)") if c[5] == 0 or c[1] == "id"]
    cols = [c for c in cols if c != "published_month"]
    row = dict(zip(cols, src.execute(f"SELECT {', '.join(cols)} FROM articles WHERE site = 'zgm' "
                                     "ORDER BY id LIMIT 1").fetchone()))
    text = row["text"]
    row["text"] = text + "\n" + OLD_FOOTER
    old["articles"].insert(row)
    raw_cols = [c[1] for c in old.execute("PRAGMA table_info(raw_pages)")]
    for r in src.execute(f"SELECT {', '.join(raw_cols)} FROM raw_pages WHERE article_id = ?", [row["id"]]):
        old["raw_pages"].insert(dict(zip(raw_cols, r)))
    old.execute("INSERT INTO revisions (article_id, title, text, text_hash, fetched_at, replaced_at) "
                "VALUES (?, 'earlier title', 'earlier text', 'x', '2025-01-01T00:00:00+00:00', "
                "'2025-02-01T00:00:00+00:00')", [row["id"]])
    src.close()
    old.conn.close()
    return row["id"], text


def test_previous_release_archive_migrates_and_reextracts(crawled, tmp_path):
    crawled_db, code, _, err = crawled
    assert code == 0, err[-2000:]
    path = tmp_path / "previous.db"
    article_id, current_text = previous_release_archive(path, crawled_db)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == PREVIOUS
    conn.close()

    proc = run_archive("reextract", "--db", path, "--dry-run")
    assert proc.returncode == 1 and "older" in proc.stderr and "Traceback" not in proc.stderr
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == PREVIOUS  # untouched

    proc = run_archive("stats", "--db", path, "--json")  # opens, so migrates
    assert proc.returncode == 0, proc.stderr[-2000:]
    stats = json.loads(proc.stdout)
    assert stats["schema_version"] == schema.SCHEMA_VERSION and stats["sites"]["zgm"]["older_extraction"] == 1
    assert "1 article(s) from an older extractor" in run_archive("stats", "--db", path).stdout

    proc = run_archive("reextract", "--db", path, "--json", "--workers", "0")
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert result["changed"] == 1 and result["changed_fields"] == {"text": 1}

    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    text, version = conn.execute("SELECT text, extractor_version FROM articles WHERE id = ?",
                                 [article_id]).fetchone()
    assert text == current_text and version == EXTRACTOR_VERSION
    revs = conn.execute("SELECT reason, text FROM revisions WHERE article_id = ? ORDER BY id",
                        [article_id]).fetchall()
    # the old release's revision counts as a re-crawl; the upgrade's as a re-extraction
    assert revs == [("recrawl", "earlier text"), ("reextract", current_text + "\n" + OLD_FOOTER)]
    conn.close()
    stats = json.loads(run_archive("stats", "--db", path, "--json").stdout)
    assert "older_extraction" not in stats["sites"]["zgm"]
