"""`archive backup` (archive/backup.py): a consistent copy of an archive another process keeps writing
to, checked with integrity_check, that opens as an archive and in Datasette."""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
import sqlite3
import subprocess
import sys
import time

import pytest

from archive.backup import BackupError, backup
from archive.db import open_db
from archive.schema import SCHEMA_VERSION
from conftest import ROOT, run_archive

WRITER = r"""
import sys, pathlib, time
from archive.db import open_db, transaction
db = open_db(sys.argv[1])
flag, stop = pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
n = 0
while not stop.exists():
    with transaction(db) as conn:  # one article-sized write: 20 rows of 2 kB per transaction
        for _ in range(20):
            n += 1
            conn.execute("INSERT INTO failures (url, site, kind, reason, first_seen, last_seen) "
                         "VALUES (?, 'w', 'http', ?, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')",
                         [f"https://w.example/{n}", "x" * 2000])
    if n == 200:
        flag.write_text("writing")
    time.sleep(0.002)  # leave the shared machine some disk
print(n)
"""


def rows(path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM failures").fetchone()[0]
    finally:
        conn.close()


def test_backup_while_another_process_writes(tmp_path):
    live = tmp_path / "live.db"
    open_db(live).conn.close()
    flag, stop = tmp_path / "started", tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(live), str(flag), str(stop)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(600):  # the writer's first commits (not a timing assertion: a wait for a fact)
            if flag.exists() or writer.poll() is not None:
                break
            time.sleep(0.05)
        assert flag.exists(), "the writer started writing"
        copies = []
        for i in range(3):
            before = rows(live)
            proc = run_archive("backup", tmp_path / f"copy{i}.db", "--db", live, "--json")
            assert proc.returncode == 0, proc.stderr[-2000:]
            after = rows(live)
            copies.append((before, rows(tmp_path / f"copy{i}.db"), after))
        still_writing = writer.poll() is None
    finally:
        stop.write_text("stop")
        written = int(writer.communicate(timeout=60)[0])
    assert still_writing and written >= copies[-1][2] >= copies[0][0] >= 200
    assert copies[-1][2] > copies[0][0], "the writer committed while the backups were taken"
    for i, (before, copied, after) in enumerate(copies):
        path = tmp_path / f"copy{i}.db"
        assert before <= copied <= after and copied % 20 == 0  # whole transactions only
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
        conn.close()
        assert not path.with_name(path.name + ".part").exists()
    db = open_db(tmp_path / "copy0.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.conn.close()


def test_backup_opens_in_datasette(tmp_path):
    from datasette.app import Datasette

    live = tmp_path / "live.db"
    open_db(live).conn.close()
    result = backup(live, tmp_path)  # a directory: a dated file name inside it
    assert result["integrity"] == "ok" and result["articles"] == 0 and result["path"].endswith(".db")

    async def fetch():
        ds = Datasette([result["path"]])
        name = next(iter(ds.databases.keys() - {"_internal", "_memory"}))
        return await ds.client.get(f"/{name}/articles.json?_shape=array")

    with ThreadPoolExecutor(1) as pool:  # a loop of its own, whatever this thread is running
        response = pool.submit(asyncio.run, fetch()).result()
    assert response.status_code == 200 and response.json() == []


def test_backup_refuses_to_overwrite_and_names_a_missing_archive(tmp_path):
    live = tmp_path / "live.db"
    open_db(live).conn.close()
    (tmp_path / "taken.db").write_text("keep me")
    with pytest.raises(BackupError, match="never overwrites"):
        backup(live, tmp_path / "taken.db")
    assert (tmp_path / "taken.db").read_text() == "keep me"
    proc = run_archive("backup", tmp_path / "taken.db", "--db", live)
    assert proc.returncode == 1 and "never overwrites" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_archive("backup", tmp_path / "b.db", "--db", tmp_path / "none.db")
    assert proc.returncode != 0 and "no archive" in proc.stderr and "Traceback" not in proc.stderr


def test_backup_during_a_running_crawl(tmp_path):
    """The crawl writes through the real pipeline (slowed mirror, so it is caught midway); the copy is
    consistent and holds what had been committed when it was taken."""
    from archive.tooling.mirror_server import serve_in_thread
    from conftest import REPLICA_SITE

    server, url = serve_in_thread(REPLICA_SITE, delay=0.15)
    live = tmp_path / "live.db"
    crawl = subprocess.Popen([sys.executable, "-m", "archive.faces.cli", "crawl", "--db", str(live), "--mirror", url,
                              "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "--set", "CONCURRENT_REQUESTS=1"],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(1200):  # wait for the crawl's first stored articles (a fact, not a time)
            if live.exists() and crawl.poll() is None:
                try:
                    if sqlite3.connect(live).execute("SELECT count(*) FROM articles").fetchone()[0] >= 2:
                        break
                except sqlite3.OperationalError:
                    pass
            time.sleep(0.05)
        server.delay = 1.0  # the crawl crawls on while the backup starts up, however loaded the machine
        proc = run_archive("backup", tmp_path / "copy.db", "--db", live, "--json")
        running = crawl.poll() is None
        server.delay = 0
    finally:
        crawl.wait(timeout=600)
        server.shutdown()
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert running, "the backup was taken while the crawl was running"
    conn = sqlite3.connect(tmp_path / "copy.db")
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    copied = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    in_index = conn.execute("SELECT count(*) FROM articles_fts").fetchone()[0]
    conn.close()
    final = sqlite3.connect(live).execute("SELECT count(*) FROM articles").fetchone()[0]
    assert 2 <= copied < final and in_index == copied  # a midway copy, every article with its index row
