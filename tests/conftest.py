"""Shared fixtures: the replica served on 127.0.0.1 and crawls run as real subprocesses."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.tooling.mirror_server import serve_in_thread

ROOT = Path(__file__).resolve().parent.parent
REPLICA = ROOT / "replica"
REPLICA_SITE = REPLICA / "site"
SHARED = ROOT.parent / "shared"


def load_expected() -> list[dict]:
    return [json.loads(p.read_text("utf-8")) for p in sorted((REPLICA / "expected").glob("*.json"))]


def load_not_articles() -> list[dict]:
    return json.loads((REPLICA / "not_articles.json").read_text("utf-8"))


def run_archive(*args, cwd=ROOT, timeout=600, env=None) -> subprocess.CompletedProcess:
    """Run the ``archive`` CLI in a subprocess (Scrapy's reactor cannot restart in one process)."""
    return subprocess.run(
        [sys.executable, "-m", "archive.faces.cli", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})},
    )


def crawl(db, mirror, *sites, extra=()) -> tuple[int, list[dict], str]:
    """``archive crawl --json``; returns (exit status, per-site summaries, stderr)."""
    proc = run_archive("crawl", "--db", db, "--mirror", mirror, "--json", *extra, *sites)
    try:
        summary = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"crawl printed no JSON summary\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-4000:]}")
    return proc.returncode, summary, proc.stderr


def apt_install(*packages: str, what: str | None = None) -> str | None:
    """Install Debian *packages* with apt-get (as root, or through ``sudo -n``); None on success,
    else one line saying why not (for the test's skip reason). *what* names them in that line."""
    import shutil

    what = what or " ".join(packages)
    if not shutil.which("apt-get"):
        return f"{what} is not installed and there is no apt-get to install it"
    prefix = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
    if prefix is None:
        return f"{what} is not installed and installing it needs root (no sudo)"
    import fcntl
    import tempfile

    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # one apt-get at a time: test processes running side by side (pytest -n) may both install
    with open(Path(tempfile.gettempdir()) / "cn-news-archive-tests-apt.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", *packages]):
            try:
                proc = subprocess.run(prefix + cmd, capture_output=True, text=True, timeout=1200, env=env)
            except (OSError, subprocess.TimeoutExpired) as exc:
                return f"`{' '.join(cmd)}` failed: {exc}"
            if proc.returncode != 0:
                return f"`{' '.join(cmd)}` failed ({proc.returncode}): {(proc.stderr or proc.stdout)[-500:]}"
    return None


def q(db, sql, params=()) -> list[tuple]:
    """Rows of one query on the archive file, on a connection of its own."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def archive_at_version(path, version: int):
    """A new archive file brought only to schema *version* (an older release's file): the
    migrations up to it, one by one, as the releases applied them; the open database."""
    from archive import schema
    from archive.db import open_db

    old = open_db(path, migrate_schema=False)
    for number, step in schema.MIGRATIONS:
        if number > version:
            break
        with old.conn:
            step(old)
        old.execute(f"PRAGMA user_version = {number}")
    return old


def alive(pid: int) -> bool:
    """The process runs (a zombie waiting for its reaper counts as ended; reads /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def dict_rows(db, sql, params=()) -> list[dict]:
    """Rows of one query on the archive file as dicts (column: value), on a connection of its own."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


ARTICLE_COLUMNS = ("url", "site", "title", "text", "text_hash", "published_at", "source", "author", "editor",
                   "keywords", "pages")


def archive_rows(db, sites=None) -> dict:
    """What must be the same whichever way an archive was crawled (of *sites*, default all): article
    rows, their other URLs, failures, raw pages and (on the whole archive) the story groups."""
    cols = ", ".join(f"a.{c}" for c in ARTICLE_COLUMNS)
    where, args = ("WHERE a.site IN (SELECT value FROM json_each(?))", [json.dumps(sites)]) if sites else ("", [])
    rows = {
        "articles": sorted(q(db, f"SELECT {cols} FROM articles a {where}", args)),
        "urls": sorted(q(db, "SELECT u.url, a.url, u.reason FROM article_urls u JOIN articles a ON a.id = u.article_id "
                             f"{where}", args)),
        "failures": sorted(q(db, f"SELECT a.url, a.site, a.kind, a.reason FROM failures a {where}", args)),
        "raw_pages": sorted(q(db, "SELECT a.url, p.page, p.url, p.size, p.body_sha1 FROM raw_pages p "
                                  f"JOIN articles a ON a.id = p.article_id {where}", args)),
    }
    if not sites:  # story groups span sites: compared on the whole archive only
        rows["groups"] = sorted(q(db, "SELECT a.url, c.url FROM articles a JOIN articles c ON c.id = a.duplicate_of"))
    return rows


def wait_for(predicate, timeout, what, poll=0.2):
    """Poll *predicate* until it returns something true (a bounded wait on another process)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="session")
def mirror():
    server, url = serve_in_thread(REPLICA_SITE)
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def crawled(tmp_path_factory, mirror):
    """The whole replica crawled once into a fresh archive: (db path, exit status, summary, stderr)."""
    db = tmp_path_factory.mktemp("crawl") / "archive.db"
    code, summary, err = crawl(db, mirror)
    return db, code, summary, err
