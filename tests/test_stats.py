"""`archive stats`: the last run of each site, and sites that went quiet."""
from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import datetime, timedelta, timezone

from archive.faces.crawl import site_spiders
from conftest import run_archive


def stats(db, *args):
    proc = run_archive("stats", "--db", db, "--json", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_stats_show_last_run_and_flag_quiet_sites(crawled, tmp_path):
    db = crawled[0]
    data = stats(db, "--quiet-days", "30")
    assert set(data["sites"]) == set(site_spiders())
    for name, s in data["sites"].items():
        assert s["last_run"]["status"] in ("ok", "partial"), name
        assert s["last_run"]["new"] == s["articles"] > 0
        assert s["quiet"] is False
    assert data["sites"]["bjx"]["failures"].get("blocked", 0) >= 1
    # a copy of the archive whose articles were all first seen 40 days ago: with a 30-day period
    # every site is quiet
    old = tmp_path / "old.db"
    shutil.copyfile(db, old)
    conn = sqlite3.connect(old)
    conn.execute("UPDATE articles SET first_seen = ?",
                 [(datetime.now(timezone.utc) - timedelta(days=40)).isoformat(timespec="seconds")])
    conn.commit()
    conn.close()
    assert all(s["quiet"] for s in stats(old, "--quiet-days", "30")["sites"].values())
    assert not any(s["quiet"] for s in stats(old, "--quiet-days", "50")["sites"].values())
    text = run_archive("stats", "--db", old, "--quiet-days", "30").stdout
    assert text.count("QUIET") == 5


def test_stats_on_a_missing_archive_is_a_clear_error(tmp_path):
    proc = run_archive("stats", "--db", tmp_path / "none.db")
    assert proc.returncode == 2  # a usage error, like every bad argument (tests/test_bad_input.py)
    assert "no archive" in proc.stderr
    assert not (tmp_path / "none.db").exists()
