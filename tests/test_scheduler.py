"""The scheduler's plan and outcomes come from ``crawl_runs``: ``--list`` only reads, a restart keeps
each site's cadence (an overdue site runs at once), and every run is logged as the archive recorded it.
Real processes, a real archive, the replica served on 127.0.0.1."""
from __future__ import annotations

import hashlib
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from archive.tooling.mirror_server import serve_in_thread
from conftest import crawl, q, REPLICA_SITE, ROOT, run_archive, wait_for
from scheduler import LastRun, first_error_lines, plan_first_runs

UTC = timezone.utc




def finished_runs(db, site=None) -> int:
    try:
        if site:
            return q(db, "SELECT count(*) FROM crawl_runs WHERE ended_at IS NOT NULL AND site = ?", [site])[0][0]
        return q(db, "SELECT count(*) FROM crawl_runs WHERE ended_at IS NOT NULL")[0][0]
    except sqlite3.OperationalError:  # no archive (or no table) yet
        return 0


def snapshot(folder: Path) -> dict[str, str]:
    """{file name: sha1 of its bytes} for every file in *folder*."""
    return {p.name: hashlib.sha1(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def scheduler_cmd(*args):
    return [sys.executable, "scheduler.py", *map(str, args)]


def start_daemon(log_path: Path, *args) -> subprocess.Popen:
    return subprocess.Popen(scheduler_cmd(*args), cwd=ROOT, stdout=open(log_path, "w"), stderr=subprocess.STDOUT)


def stop_daemon(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


def list_plan(db, *args) -> list[list[str]]:
    """``scheduler.py --list``: one row of fields per site."""
    out = subprocess.run(scheduler_cmd(*args, "--db", db, "--list"), cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["site", "every", "last", "run", "next", "run"]
    return [line.split() for line in lines[1:]]


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).replace(microsecond=0).isoformat()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------- the plan, by itself

def test_plan_keeps_cadence_and_staggers_overdue_sites():
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    hour = 3600.0
    runs = {
        "fresh": LastRun("ok", "", None, now - timedelta(minutes=10)),
        "late": LastRun("failed", "", "x", now - timedelta(hours=3)),
        "later": LastRun("ok", "", None, now - timedelta(hours=5)),
        "running": LastRun("running", "", None, now - timedelta(hours=2)),  # killed or still running
    }
    intervals = {"fresh": hour, "late": hour, "later": hour, "never": hour, "running": hour}
    plan = plan_first_runs(intervals, runs, now, stagger=5)
    assert plan["fresh"] == (now + timedelta(minutes=50), False)  # last start + interval, not a full interval out
    overdue = sorted((first, site) for site, (first, late) in plan.items() if late)
    # the never-crawled and the most overdue first, each 5 s after the one before: none in the same second
    assert [site for _, site in overdue] == ["never", "later", "late", "running"]
    assert [first for first, _ in overdue] == [now + timedelta(seconds=5 * i) for i in range(4)]
    assert list(plan) == list(intervals)


def test_first_error_lines_keep_errors_only():
    log = "\n".join([
        "2026-01-01 00:00:00 [scrapy.core.engine] INFO: Spider opened",
        "2026-01-01 00:00:01 [scrapy.downloadermiddlewares.retry] ERROR: Gave up retrying <GET https://a/>",
        "2026-01-01 00:00:01 [twisted] CRITICAL:",
        "Traceback (most recent call last):",
        '  File "x.py", line 1, in <module>',
        "ValueError: invalid literal for int() with base 10: 'abc'",
        "2026-01-01 00:00:02 [x] ERROR: third",
        "2026-01-01 00:00:02 [x] ERROR: fourth",
    ])
    assert first_error_lines(log) == [
        "2026-01-01 00:00:01 [scrapy.downloadermiddlewares.retry] ERROR: Gave up retrying <GET https://a/>",
        "ValueError: invalid literal for int() with base 10: 'abc'",
        "2026-01-01 00:00:02 [x] ERROR: third",
    ]


# ------------------------------------------------------------- real processes, real archive

@pytest.fixture()
def replica():
    record = []
    server, url = serve_in_thread(REPLICA_SITE, record=record)
    yield url, record
    server.shutdown()


def test_list_only_reads_and_an_idle_scheduler_stays_idle(tmp_path, replica):
    """Sites crawled just now: a scheduler started on them runs nothing at once; ``--list`` run again
    and again beside it changes no byte of any file in the archive's folder and creates none."""
    url, record = replica
    data = tmp_path / "data"
    data.mkdir()
    db = data / "archive.db"
    assert list_plan(db, "zgm", "--interval", "zgm=1h")[0][2:] == ["never", "at", "once", "(overdue)"]
    assert list(data.iterdir()) == []  # --list on no archive creates nothing
    code, _, err = crawl(db, url, "zgm", "shanghai_gov")
    assert code == 0, err[-2000:]
    started = dict(q(db, "SELECT site, started_at FROM crawl_runs"))
    fetched = len(record)
    log_path = tmp_path / "scheduler.log"
    proc = start_daemon(log_path, "zgm", "shanghai_gov", "--db", db, "--mirror", url, "--interval", "all=1h")
    try:
        wait_for(lambda: log_path.read_text().count("job crawl-") == 2, 120, "the scheduler to plan its jobs")
        before = snapshot(data)
        for _ in range(5):
            rows = {row[0]: row for row in list_plan(db, "zgm", "shanghai_gov", "--interval", "all=1h")}
            for site, start in started.items():
                due = iso(datetime.fromisoformat(start) + timedelta(hours=1))
                assert rows[site] == [site, "1h", "ok", start, due]
        via_cli = run_archive("schedule", "zgm", "shanghai_gov", "--interval", "all=1h", "--db", db, "--list")
        assert via_cli.returncode == 0, via_cli.stderr
        assert [line.split()[:3] for line in via_cli.stdout.splitlines()[1:]] == [
            ["zgm", "1h", "ok"], ["shanghai_gov", "1h", "ok"]]
        assert snapshot(data) == before  # nothing written, nothing created
        assert proc.poll() is None
    finally:
        assert stop_daemon(proc) == 0
    out = log_path.read_text()
    assert len(record) == fetched  # crawled just now: not run again at once
    assert finished_runs(db) == 2
    for site, start in started.items():
        due = iso(datetime.fromisoformat(start) + timedelta(hours=1))
        assert f"job crawl-{site}: every 1h; last run ok {start}; next run {due}\n" in out
    assert "overdue" not in out
    assert not any(p.name.endswith(".jobs.sqlite") for p in data.iterdir())


def test_list_in_a_loop_does_not_disturb_a_crawling_scheduler(tmp_path, replica):
    """A scheduler crawling every 2 s keeps crawling while ``--list`` runs over and over; each run is
    logged with the counts its ``crawl_runs`` row holds."""
    url, _ = replica
    data = tmp_path / "data"
    data.mkdir()
    db = data / "archive.db"
    log_path = tmp_path / "scheduler.log"
    proc = start_daemon(log_path, "zgm", "--db", db, "--mirror", url, "--interval", "zgm=2s")
    lists = []
    try:
        wait_for(lambda: finished_runs(db) >= 1, 180, "the first run")
        at_first = finished_runs(db)
        deadline = time.time() + 300
        while finished_runs(db) < at_first + 3 and time.time() < deadline:
            lists.append(list_plan(db, "zgm", "--interval", "zgm=2s"))
        assert finished_runs(db) >= at_first + 3, f"{len(lists)} --list calls, daemon log:\n{log_path.read_text()}"
        assert len(lists) >= 3
        assert all(rows[0][:2] == ["zgm", "2s"] for rows in lists)
        assert proc.poll() is None
    finally:
        assert stop_daemon(proc) == 0
    names = {p.name for p in data.iterdir()}
    assert names <= {"archive.db", "archive.db-wal", "archive.db-shm", "archive.db.scheduler.lock",
                     "archive.db.crawl-zgm.lock"}, names
    out = log_path.read_text()
    rows = q(db, "SELECT status, new, updated, unchanged, duplicates, errors, blocked, pages_fetched "
                 "FROM crawl_runs WHERE ended_at IS NOT NULL ORDER BY id")
    logged = re.findall(r"INFO crawl zgm: (ok), (\d+) new, (\d+) updated, (\d+) unchanged, (\d+) duplicates, "
                        r"(\d+) errors, (\d+) blocked, (\d+) pages\n", out)
    logged = [(s, *map(int, n)) for s, *n in logged]
    # each run is logged with its row's counts; the run the daemon's stop caught between recording its
    # row and the scheduler's log line may be the one row without a line
    assert logged == [tuple(r) for r in rows][:len(logged)] and len(rows) - len(logged) in (0, 1)
    assert len(logged) >= 3
    assert rows[0][1] > 0 and all(r[1] == 0 for r in rows[1:])  # the first run finds the articles, later ones none
    # every crawl started has its row, finished or not, unless the daemon's stop killed it before it
    # recorded one (then the log says so)
    unfinished = q(db, "SELECT count(*) FROM crawl_runs WHERE ended_at IS NULL")[0][0]
    killed_unrecorded = out.count("crawl zgm: killed by SIGTERM (no run recorded")
    assert killed_unrecorded <= 1  # only the crawl under way at the stop
    assert out.count("crawl zgm: starting") == len(rows) + unfinished + killed_unrecorded


def test_restarted_scheduler_plans_from_crawl_runs(tmp_path, replica):
    """First start: never-crawled sites run at once. Restart: a site crawled just now waits for its
    interval (logged next run = last start + interval); a site whose last run is older than its
    interval runs at once."""
    url, record = replica
    db = tmp_path / "archive.db"
    args = ("zgm", "shanghai_gov", "--db", db, "--mirror", url, "--interval", "all=1h")
    first_log = tmp_path / "first.log"
    proc = start_daemon(first_log, *args)
    try:
        wait_for(lambda: finished_runs(db, "zgm") == 1 and finished_runs(db, "shanghai_gov") == 1, 240,
                 "one run of each site")
    finally:
        assert stop_daemon(proc) == 0
    assert first_log.read_text().count("(overdue: runs at once)") == 2
    # shanghai_gov's last run moved two hours back: overdue at the next start
    old = iso(datetime.now(UTC) - timedelta(hours=2))
    conn = sqlite3.connect(db)
    conn.execute("UPDATE crawl_runs SET started_at = ? WHERE site = 'shanghai_gov'", [old])
    conn.commit()
    conn.close()
    zgm_start = q(db, "SELECT started_at FROM crawl_runs WHERE site = 'zgm'")[0][0]
    zgm_requests = sum("zgm.cn" in r for r in map(str, record))

    second_log = tmp_path / "second.log"
    proc = start_daemon(second_log, *args)
    try:
        wait_for(lambda: finished_runs(db, "shanghai_gov") == 2, 240, "the overdue site to run at once")
    finally:
        assert stop_daemon(proc) == 0
    out = second_log.read_text()
    zgm_due = iso(datetime.fromisoformat(zgm_start) + timedelta(hours=1))
    assert f"job crawl-zgm: every 1h; last run ok {zgm_start}; next run {zgm_due}\n" in out
    assert re.search(rf"job crawl-shanghai_gov: every 1h; last run ok {re.escape(old)}; next run \S+ "
                     r"\(overdue: runs at once\)", out)
    assert finished_runs(db, "zgm") == 1  # not run again
    assert sum("zgm.cn" in r for r in map(str, record)) == zgm_requests
    assert out.count("crawl shanghai_gov: starting") == 1


def test_once_logs_the_outcome_recorded_in_crawl_runs(tmp_path):
    """A failed run is logged at WARNING with the error summary its row holds; a crawl that ends
    without recording a run is an ERROR."""
    db = tmp_path / "archive.db"
    dead = f"http://127.0.0.1:{closed_port()}"
    failed = subprocess.run(scheduler_cmd("zgm", "--db", db, "--mirror", dead, "--once"), cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert failed.returncode == 1
    status, summary, errors, pages = q(db, "SELECT status, error_summary, errors, pages_fetched FROM crawl_runs")[0]
    assert status == "failed" and summary
    assert (f"WARNING crawl zgm: failed: {summary}; 0 new, 0 updated, 0 unchanged, 0 duplicates, "
            f"{errors} errors, 0 blocked, {pages} pages\n    ") in failed.stderr
    assert "Connection refused" in failed.stderr.split(f"failed: {summary}", 1)[1]  # the crawl's error lines

    crashed = subprocess.run(scheduler_cmd("zgm", "--db", db, "--mirror", dead, "--once",
                                           "--set", "CONCURRENT_REQUESTS=many"),
                             cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert crashed.returncode == 1
    assert "ERROR crawl zgm: exit 1 without recording a run in crawl_runs" in crashed.stderr
    assert "invalid literal for int()" in crashed.stderr
    assert q(db, "SELECT count(*) FROM crawl_runs")[0][0] == 1


@pytest.mark.parametrize("args, message", [
    (["--interval", "zgm=5x"], "--interval zgm=5x: not a duration"),
    (["--interval", "zgm"], "--interval wants SITE=DURATION"),
    (["--interval", "nosuch=5m"], "unknown site in intervals: nosuch"),
    (["nosuch"], "unknown site(s): nosuch"),
    (["--config", "missing.toml"], "--config missing.toml: cannot read it"),
    (["--set", "LOG_LEVEL"], "--set wants NAME=VALUE"),
])
def test_bad_options_give_one_line_and_exit_2(tmp_path, args, message):
    db = tmp_path / "archive.db"
    out = subprocess.run(scheduler_cmd(*args, "--db", db, "--list"), cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and message in out.stderr, out.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("text, message", [
    ('[interval]\nzgm = "1h"\n', "unknown key(s) interval"),
    ('[intervals]\nzgm = "1x"\n', "[intervals] zgm: not a duration"),
    ("[intervals\n", "not valid TOML"),
    ('on_failure = 3\n', "on_failure must be a string"),
    ('on_failure = "true"\non_failure_timeout = "soon"\n', "on_failure_timeout: not a duration"),
    ('redis = "http://127.0.0.1:6379"\n', "redis: not a Redis URL"),
    ('redis = 6379\n', "redis must be a string"),
])
def test_bad_config_gives_one_line_and_exit_2(tmp_path, text, message):
    config = tmp_path / "sched.toml"
    config.write_text(text, "utf-8")
    out = subprocess.run(scheduler_cmd("--config", config, "--db", tmp_path / "a.db", "--list"), cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and message in out.stderr, out.stderr
