"""Re-extraction from the stored raw pages (archive/reextract.py, `archive reextract`), over a real
crawl of the replica: an unchanged extractor changes nothing; a site rule change updates exactly the
articles it affects, keeps their previous versions as `reextract` revisions and refreshes the index."""
from __future__ import annotations

import dataclasses
import json
import re
import sqlite3

import pytest

from archive.backup import backup
from archive.db import open_db, transaction
from archive.extract import EXTRACTOR_VERSION
from archive.faces.crawl import site_spiders
from archive.reextract import reextract
from archive.search import rebuild_index, search
from conftest import load_expected, run_archive

EXPECTED = load_expected()
SITE = "bjx"


@pytest.fixture()
def archive_copy(crawled, tmp_path):
    db, code, _, err = crawled
    assert code == 0, err[-2000:]
    return backup(db, tmp_path / "copy.db")["path"]


def rules() -> dict:
    return {name: cls.selectors for name, cls in site_spiders().items()}


def test_unchanged_extractor_changes_nothing_and_records_its_version(archive_copy):
    proc = run_archive("reextract", "--db", archive_copy, "--json", "--workers", "2")
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert result["selected"] == len(EXPECTED)
    assert result["changed"] == 0 and result["unchanged"] == len(EXPECTED), result["sample_diff"]
    assert result["errors"] == result["no_text"] == 0
    assert "re-extracted" in proc.stderr  # progress
    conn = sqlite3.connect(archive_copy)
    assert conn.execute("SELECT count(*) FROM revisions").fetchone()[0] == 0
    assert conn.execute("SELECT DISTINCT extractor_version FROM articles").fetchall() == [(EXTRACTOR_VERSION,)]


def test_a_site_rule_change_updates_exactly_the_affected_articles(archive_copy):
    conn = sqlite3.connect(archive_copy)
    texts = dict(conn.execute("SELECT id, text FROM articles WHERE site = ?", [SITE]).fetchall())
    # the site file learns that its own "北极星…网获悉，" lead-in lines are noise (a selector change)
    noise = re.compile(r"^北极星\w{1,6}网获悉")
    affected = {i for i, t in texts.items() if any(noise.search(l) for l in t.splitlines())}
    assert 1 < len(affected) < len(texts), (len(affected), len(texts))
    first_id = min(affected)
    line = next(l for l in texts[first_id].splitlines() if noise.search(l))
    changed_rules = rules()
    sel = changed_rules[SITE]
    changed_rules[SITE] = dataclasses.replace(sel, drop_lines=(*sel.drop_lines, noise.pattern))
    before = dict(conn.execute("SELECT id, text FROM articles").fetchall())
    seq_before = dict(conn.execute("SELECT article_id, seq FROM article_changes").fetchall())
    conn.close()

    db = open_db(archive_copy)
    try:
        dry = reextract(db, rules_by_site=changed_rules, dry_run=True, workers=2)
        assert dry.changed == len(affected) and set(dry.changed_ids) == affected
        assert line[:20] in dry.sample_diff and dry.sample_diff.startswith(f"article {first_id}")
        assert db.execute("SELECT count(*) FROM revisions").fetchone()[0] == 0  # nothing written
        assert dict(db.execute("SELECT id, text FROM articles").fetchall()) == before

        phrase = re.sub(r"[^\u4e00-\u9fff]", "", line)[:6]
        assert first_id in {h["id"] for h in search(db, phrase, limit=100)}
        result = reextract(db, rules_by_site=changed_rules, site=SITE, workers=2)
        assert result.selected == len(texts)
        assert set(result.changed_ids) == affected and result.changed_fields == {"text": len(affected)}
        after = dict(db.execute("SELECT id, text FROM articles").fetchall())
        assert {i for i in after if after[i] != before[i]} == affected
        for i in affected:
            assert after[i] == "\n".join(l for l in before[i].splitlines() if not noise.search(l))
        revs = db.execute("SELECT article_id, reason, text, metadata FROM revisions").fetchall()
        assert sorted(r[0] for r in revs) == sorted(affected)
        assert all(r[1] == "reextract" for r in revs)
        assert {r[0]: r[2] for r in revs} == {i: before[i] for i in affected}
        assert json.loads(revs[0][3])["extractor_version"] == EXTRACTOR_VERSION
        # the full-text index follows: the dropped line's words no longer find the article
        assert first_id not in {h["id"] for h in search(db, phrase, limit=100)}
        # the export change counter moved for exactly those articles
        seq_after = dict(db.execute("SELECT article_id, seq FROM article_changes").fetchall())
        assert {i for i in seq_after if seq_after[i] != seq_before.get(i)} == affected
        # the index holds what a rebuild from the rows makes (the changes handed it their shadow forms)
        assert db.execute("SELECT count(*) FROM articles_fts_change").fetchone()[0] == 0
        db.execute("CREATE VIRTUAL TABLE temp.instances USING fts5vocab(main, articles_fts, 'instance')")
        instances = "SELECT term, doc, col, offset FROM temp.instances ORDER BY 1, 2, 3, 4"
        kept = db.execute(instances).fetchall()
        with transaction(db):
            rebuild_index(db)
        assert db.execute(instances).fetchall() == kept
        # run again: nothing left to change
        assert reextract(db, rules_by_site=changed_rules, workers=0).changed == 0
    finally:
        db.conn.close()


def test_reextract_dry_run_cli_and_bad_input(archive_copy, tmp_path):
    proc = run_archive("reextract", "--db", archive_copy, "--dry-run", "--site", SITE, "--since", "2000-01-01")
    assert proc.returncode == 0, proc.stderr[-2000:]
    n = sum(1 for e in EXPECTED if e["site"] == SITE)
    assert proc.stdout.startswith(f"{n} article(s) re-extracted: 0 would change")
    for args in (["--since", "yesterday"], ["--site", "nosuchsite"]):
        proc = run_archive("reextract", "--db", archive_copy, *args)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
    proc = run_archive("reextract", "--db", tmp_path / "missing.db")
    assert proc.returncode != 0 and "no archive" in proc.stderr and "Traceback" not in proc.stderr
