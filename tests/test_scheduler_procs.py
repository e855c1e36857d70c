"""The scheduler's crawls, as real processes: they die with a killed scheduler, and a
scheduler never starts a crawl of a site whose crawl is still running."""
from __future__ import annotations

import fcntl
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.tooling.mirror_server import serve_in_thread
from conftest import REPLICA_SITE, ROOT, alive, wait_for

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="process checks read /proc")




def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def lock_is_free(path: Path) -> bool:
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def test_crawl_dies_with_a_killed_scheduler(tmp_path):
    """SIGKILL the scheduler mid-crawl: its crawl stops fetching and ends, and the site lock is released.

    One request at a time, each slowed down: at the kill one request is in flight; a crawl that
    outlived its scheduler would go on to fetch the rest of the site (5 more pages)."""
    record = []
    server, url = serve_in_thread(REPLICA_SITE, record=record, delay=1)
    db = tmp_path / "a.db"
    lock = Path(f"{db}.crawl-zgm.lock")
    cmd = [sys.executable, "scheduler.py", "zgm", "--db", str(db), "--mirror", url, "--interval", "zgm=1s",
           "--set", "CONCURRENT_REQUESTS=1", "--set", "LOG_LEVEL=CRITICAL"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    child = None
    try:
        def crawl_pid():
            try:
                pid = int(lock.read_text().strip() or 0)
            except (OSError, ValueError):
                return None
            return pid if pid and alive(pid) and "archive.faces.cli crawl" in cmdline(pid) and len(record) >= 2 else None

        child = wait_for(crawl_pid, 120, "the crawl to start fetching")
        assert not lock_is_free(lock)  # the running crawl holds its site's lock
        at_kill = len(record)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        wait_for(lambda: not alive(child), 120, f"crawl pid {child} to end after its scheduler was killed")
        assert len(record) - at_kill <= 2, record[at_kill:]  # the request in flight, no more
        assert lock_is_free(lock)
    finally:
        if proc.poll() is None:
            proc.kill()
        if child and alive(child):
            os.kill(child, signal.SIGKILL)
        server.shutdown()


def test_a_scheduler_skips_a_site_whose_crawl_is_still_running(tmp_path):
    """A crawl left running (here: a process holding the site lock, as an orphaned crawl does):
    the scheduler logs the skip and fetches nothing; once it ends, the next run crawls."""
    record = []
    server, url = serve_in_thread(REPLICA_SITE, record=record)
    db = tmp_path / "a.db"
    lock = Path(f"{db}.crawl-zgm.lock")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, sys, time\n"
         f"f = open({str(lock)!r}, 'a+'); fcntl.flock(f, fcntl.LOCK_EX)\n"
         "f.truncate(0); f.write(str(os.getpid())); f.flush(); print('locked', flush=True); time.sleep(600)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        cmd = [sys.executable, "scheduler.py", "zgm", "--db", str(db), "--mirror", url, "--once"]
        first = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert first.returncode == 1
        assert f"crawl zgm: skipped, a crawl of this site is still running (pid {holder.pid}" in first.stderr
        assert record == []  # nothing fetched, no second crawl alongside the first
        holder.kill()
        holder.wait(timeout=30)
        second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert second.returncode == 0, second.stderr[-2000:]
        assert "skipped" not in second.stderr
        assert len(record) > 0
    finally:
        if holder.poll() is None:
            holder.kill()
        server.shutdown()


def test_a_killed_crawl_is_an_error_with_its_run_left_incomplete(tmp_path):
    """A crawl killed mid-run (SIGKILL, no chance to complete its crawl_runs row): the scheduler logs
    an ERROR naming the signal and the incomplete row, and --once exits 1."""
    record = []
    server, url = serve_in_thread(REPLICA_SITE, record=record, delay=1)
    db = tmp_path / "a.db"
    lock = Path(f"{db}.crawl-zgm.lock")
    cmd = [sys.executable, "scheduler.py", "zgm", "--db", str(db), "--mirror", url, "--once",
           "--set", "CONCURRENT_REQUESTS=1"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def crawl_pid():
            try:
                pid = int(lock.read_text().strip() or 0)
            except (OSError, ValueError):
                return None
            return pid if pid and alive(pid) and "archive.faces.cli crawl" in cmdline(pid) and len(record) >= 2 else None

        child = wait_for(crawl_pid, 120, "the crawl to start fetching")
        os.kill(child, signal.SIGKILL)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
        server.shutdown()
    assert proc.returncode == 1
    assert "ERROR crawl zgm: killed by SIGKILL (its run left running in crawl_runs)" in err
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT status, ended_at FROM crawl_runs").fetchall() == [("running", None)]
    finally:
        conn.close()
