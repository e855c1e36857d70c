"""Incremental refreshes, change history, a killed crawl, and the scheduler, against the replica."""
from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from archive.tooling.mirror_server import serve_in_thread
from conftest import crawl, load_expected, load_not_articles, q, REPLICA_SITE, ROOT, wait_for

EXPECTED = load_expected()
ALL_YOUNG = ("--set", "RECHECK_DAYS=100000")  # every replica article counts as young
NONE_YOUNG = ("--set", "RECHECK_DAYS=0")



@pytest.fixture()
def tree(tmp_path):
    root = tmp_path / "site"
    shutil.copytree(REPLICA_SITE, root)
    return root


def served(root, **options):
    record = []
    server, url = serve_in_thread(root, record=record, **options)
    return server, url, record


def is_list_or_robots(path: str) -> bool:
    from archive.faces.crawl import site_spiders

    url = "https://" + path.lstrip("/")
    if path.endswith("/robots.txt"):
        return True
    return not any(cls().is_article_url(url) for cls in site_spiders().values())


def is_failed_before(path: str) -> bool:
    """Pages that never gave an article (challenge, 404) are tried again on every run."""
    return "https://" + path.lstrip("/") in {n["url"] for n in load_not_articles()}


def test_no_change_refresh_fetches_only_lists_and_young_articles(tree, tmp_path):
    server, url, record = served(tree)
    try:
        db = tmp_path / "a.db"
        code, _, err = crawl(db, url, extra=ALL_YOUNG)
        assert code == 0, err[-2000:]
        first = len(record)
        record.clear()
        code, summary, err = crawl(db, url, extra=ALL_YOUNG)
        assert code == 0, err[-2000:]
        articles = [r for r in record if not is_list_or_robots(r[1]) and not is_failed_before(r[1])]
        assert articles, "young articles are re-checked"
        assert all(cond for _, _, _, cond in articles), "re-checks are conditional requests"
        assert {status for _, _, status, _ in articles} <= {304, 404}
        assert sum(s["new"] for s in summary) == sum(s["updated"] for s in summary) == 0
        assert sum(s["unchanged"] for s in summary) == sum(1 for _, _, status, _ in articles if status == 304)
        assert len(record) < first

        record.clear()
        code, summary, err = crawl(db, url, extra=NONE_YOUNG)
        assert code == 0
        assert [r for r in record if not is_list_or_robots(r[1]) and not is_failed_before(r[1])] == [], \
            "old known articles are not fetched at all"
    finally:
        server.shutdown()
    assert q(db, "SELECT count(*) FROM articles")[0][0] == len(EXPECTED)
    assert q(db, "SELECT count(*) FROM revisions")[0][0] == 0


def first_list_article(tree: Path, host: str, list_path: str, pattern: str) -> str:
    html = (tree / host / list_path).read_text("utf-8")
    href = re.search(pattern, html).group(0)
    return href


def test_new_article_and_edit_give_one_new_record_and_one_revision(tree, tmp_path):
    server, url, record = served(tree)
    db = tmp_path / "a.db"
    try:
        assert crawl(db, url, extra=ALL_YOUNG)[0] == 0
        # 1. the zgm home page gains an article
        zgm = next(e for e in EXPECTED if e["site"] == "zgm")
        src = tree / "www.zgm.cn" / urlsplit(zgm["url"]).path.lstrip("/")
        new_id = "6a1b2c3d4e5f6"
        page = src.read_text("utf-8")
        first_line = zgm["text"].splitlines()[1]
        page = page.replace(zgm["title"], "自贡新建氢能中试基地正式投用").replace(
            first_line, "自贡新建氢能中试基地今日正式投用，首批入驻项目八个，涵盖燃料电池电堆与储氢材料。")
        (tree / "www.zgm.cn" / "content" / new_id).write_text(page, "utf-8")
        home = tree / "www.zgm.cn" / "index.html"
        home.write_text(home.read_text("utf-8").replace(
            "</body>", f'<a href="/content/{new_id}">自贡新建氢能中试基地正式投用</a></body>'), "utf-8")
        # 2. a policy document on the first list page is edited
        sh_href = first_list_article(tree, "www.shanghai.gov.cn", "nw12344/index.html",
                                     r"/nw\d+/\d{8}/[0-9a-f]{32}\.html")
        sh_url = "https://www.shanghai.gov.cn" + sh_href
        sh_rec = next(e for e in EXPECTED if e["url"] == sh_url)
        sh_file = tree / "www.shanghai.gov.cn" / sh_href.lstrip("/")
        old_line = sh_rec["text"].splitlines()[-1]
        sh_file.write_text(sh_file.read_text("utf-8").replace(old_line, old_line + "（本文已更新）"), "utf-8")

        code, summary, err = crawl(db, url, extra=ALL_YOUNG)
        assert code == 0, err[-2000:]
    finally:
        server.shutdown()
    by_site = {s["site"]: s for s in summary}
    assert sum(s["new"] for s in summary) == 1 and by_site["zgm"]["new"] == 1
    assert sum(s["updated"] for s in summary) == 1 and by_site["shanghai_gov"]["updated"] == 1
    assert q(db, "SELECT count(*) FROM articles")[0][0] == len(EXPECTED) + 1
    revs = q(db, "SELECT r.text, a.text, a.revision_count FROM revisions r JOIN articles a ON a.id = r.article_id")
    assert len(revs) == 1
    old_text, new_text, count = revs[0]
    assert "（本文已更新）" not in old_text and new_text.endswith("（本文已更新）") and count == 1
    runs = q(db, "SELECT site, status FROM crawl_runs ORDER BY id")
    assert len(runs) == 2 * 5 and all(status in ("ok", "partial") for _, status in runs)


def test_crawl_killed_midway_loses_and_duplicates_nothing(tree, tmp_path):
    server, url, _ = served(tree, delay=0.15)
    db = tmp_path / "a.db"
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "archive.faces.cli", "crawl", "--db", str(db), "--mirror", url],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 120
        while time.time() < deadline:
            if db.exists() and proc.poll() is None:
                try:
                    if q(db, "SELECT count(*) FROM articles")[0][0] >= 3:
                        break
                except sqlite3.OperationalError:
                    pass
            time.sleep(0.05)
        assert proc.poll() is None, "the crawl ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed_at = q(db, "SELECT count(*) FROM articles")[0][0]
        assert 3 <= killed_at < len(EXPECTED)
        server.delay = 0
        code, summary, err = crawl(db, url)
        assert code == 0, err[-2000:]
    finally:
        server.shutdown()
    urls = [u for (u,) in q(db, "SELECT url FROM articles")]
    assert sorted(urls) == sorted(e["url"] for e in EXPECTED)
    assert q(db, "PRAGMA integrity_check")[0][0] == "ok"
    assert q(db, "SELECT count(*) FROM raw_pages WHERE article_id NOT IN (SELECT id FROM articles)")[0][0] == 0
    assert ("interrupted",) in q(db, "SELECT status FROM crawl_runs")



def test_scheduler_runs_cycles_stops_cleanly_and_keeps_one_job_per_site(tree, tmp_path):
    server, url, _ = served(tree)
    db = tmp_path / "a.db"
    sites = ["zgm", "shanghai_gov"]
    cmd = [sys.executable, "scheduler.py", *sites, "--db", str(db), "--mirror", url, "--interval", "all=2s"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def two_runs_each():
            if not db.exists():
                return False
            try:
                rows = q(db, "SELECT site, count(*) FROM crawl_runs WHERE ended_at IS NOT NULL GROUP BY site")
            except sqlite3.OperationalError:
                return False
            return len(rows) == 2 and all(n >= 2 for _, n in rows)

        wait_for(two_runs_each, 240, "two completed runs per site")
        second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert second.returncode == 2
        assert "already running" in second.stderr
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
        server.shutdown()
    assert q(db, "SELECT count(*) FROM crawl_runs WHERE status = 'running'")[0][0] == 0
    assert q(db, "PRAGMA integrity_check")[0][0] == "ok"
    # the jobs live in memory: no job store beside the archive; one job per site, logged at start
    assert not (tmp_path / "a.jobs.sqlite").exists()
    assert sorted(re.findall(r"job (crawl-\w+): every 2s", out)) == ["crawl-shanghai_gov", "crawl-zgm"]
    listed = subprocess.run([sys.executable, "scheduler.py", *sites, "--db", str(db), "--list"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert sorted(line.split()[0] for line in listed.stdout.splitlines()[1:]) == ["shanghai_gov", "zgm"]
