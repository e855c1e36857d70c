"""The revisit policy (crawler/refresh.py): known articles are re-checked by when the archive first saw
them and when it last found them changed, not by their publication date. Time is moved by writing
first_seen / checked_at in the test's archive, never by waiting."""
from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest

from archive.tooling.mirror_server import serve_in_thread
from conftest import REPLICA_SITE, crawl, load_expected, run_archive
from archive.revisit import next_revisit, parse_intervals

SITE = "shanghai_gov"
ARTICLES = [e for e in load_expected() if e["site"] == SITE]


def ago(**kw) -> str:
    return (datetime.now(timezone.utc) - timedelta(**kw)).replace(microsecond=0).isoformat()


def fetched(record, url: str) -> list[tuple]:
    path = "/" + urlsplit(url).netloc + urlsplit(url).path
    return [r for r in record if r[1] == path]


def test_ladder_parsing_and_next_revisit():
    ladder = parse_intervals("1h,6h,1d,3d,7d,30d")
    assert ladder[0] == timedelta(hours=1) and ladder[-1] == timedelta(days=30) and len(ladder) == 6
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert next_revisit(t0, t0, ladder) == t0 + timedelta(hours=1)
    # checked at 2 h: the next step is the 6 h age, not 2 h + 6 h
    assert next_revisit(t0, t0 + timedelta(hours=2), ladder) == t0 + timedelta(hours=6)
    # runs missed for 10 days: one check (due now), then the ladder goes on from the 30 d age
    assert next_revisit(t0, t0 + timedelta(days=10), ladder) == t0 + timedelta(days=30)
    # past the last age: every last interval after the last check
    assert next_revisit(t0, t0 + timedelta(days=45), ladder) == t0 + timedelta(days=75)
    assert parse_intervals("") == []
    for bad in ("1h,soon", "6h,1h", "0h"):
        with pytest.raises(ValueError, match="REVISIT_INTERVALS"):
            parse_intervals(bad)


def test_edit_after_first_sight_is_caught_by_the_next_due_run(tmp_path):
    tree = tmp_path / "site"
    shutil.copytree(REPLICA_SITE, tree)
    record: list = []
    server, url = serve_in_thread(tree, record=record)
    db = tmp_path / "a.db"
    edited, due_same, fresh, old_stable, old_due = (a["url"] for a in ARTICLES[:5])
    try:
        code, _, err = crawl(db, url, SITE)
        assert code == 0, err[-2000:]
        # every replica article was published long ago: RECHECK_DAYS alone would never look again
        conn = sqlite3.connect(db)
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == len(ARTICLES)
        conn.executemany("UPDATE articles SET first_seen = ?, checked_at = ? WHERE url = ?", [
            (ago(hours=2), ago(hours=2), edited),      # first seen 2 h ago: the 1 h re-check is due
            (ago(hours=2), ago(hours=2), due_same),    # same, unchanged on the site
            (ago(days=40), ago(days=1), old_stable),   # checked yesterday: next in 30 days
            (ago(days=40), ago(days=31), old_due),     # checked 31 days ago: due once
        ])  # `fresh` was first seen just now: nothing due for an hour
        conn.commit()
        conn.close()
        stats = json.loads(run_archive("stats", "--db", db, "--json").stdout)
        assert stats["sites"][SITE]["revisit_due"] == 3  # edited, due_same, old_due
        page = tree / urlsplit(edited).netloc / urlsplit(edited).path.lstrip("/")
        last_line = next(a for a in ARTICLES if a["url"] == edited)["text"].splitlines()[-1]
        html = page.read_text("utf-8")
        assert last_line in html
        page.write_text(html.replace(last_line, last_line + "（更正：本通知第三条有关日期已更正。）"), "utf-8")

        record.clear()
        code, summary, err = crawl(db, url, SITE)
        assert code == 0, err[-2000:]
        assert summary[0]["updated"] == 1
        assert len(fetched(record, edited)) == 1
        assert [r[3] for r in fetched(record, due_same)] == [True], "one conditional request"
        assert [r[3] for r in fetched(record, old_due)] == [True]
        assert fetched(record, fresh) == [] and fetched(record, old_stable) == []

        conn = sqlite3.connect(db)
        revs = conn.execute("SELECT a.url, r.reason, r.text, a.text, a.changed_at FROM revisions r "
                            "JOIN articles a ON a.id = r.article_id").fetchall()
        conn.close()
        assert len(revs) == 1
        rev_url, reason, old_text, new_text, changed_at = revs[0]
        assert rev_url == edited and reason == "recrawl" and changed_at is not None
        assert "本通知第三条有关日期已更正" not in old_text and "本通知第三条有关日期已更正" in new_text

        # the very next run: the change restarted the ladder (next in 1 h), the others were just checked
        record.clear()
        code, summary, err = crawl(db, url, SITE)
        assert code == 0, err[-2000:]
        for u in (edited, due_same, fresh, old_stable, old_due):
            assert fetched(record, u) == [], u
        assert summary[0]["updated"] == 0
        assert "revisit_due" not in json.loads(run_archive("stats", "--db", db, "--json").stdout)["sites"][SITE]
    finally:
        server.shutdown()


def test_revisits_per_run_are_capped_most_overdue_first(tmp_path):
    tree = tmp_path / "site"
    shutil.copytree(REPLICA_SITE, tree)
    record: list = []
    server, url = serve_in_thread(tree, record=record)
    db = tmp_path / "a.db"
    try:
        assert crawl(db, url, SITE)[0] == 0
        conn = sqlite3.connect(db)
        # all due; the first two the most overdue
        for i, a in enumerate(ARTICLES):
            conn.execute("UPDATE articles SET first_seen = ?, checked_at = ? WHERE url = ?",
                         (ago(days=100 - i), ago(days=60 - i), a["url"]))
        conn.commit()
        conn.close()
        record.clear()
        code, _, err = crawl(db, url, SITE, extra=("--set", "REVISIT_MAX_PER_RUN=2"))
        assert code == 0, err[-2000:]
    finally:
        server.shutdown()
    got = [a["url"] for a in ARTICLES if fetched(record, a["url"])]
    assert got == [ARTICLES[0]["url"], ARTICLES[1]["url"]]
