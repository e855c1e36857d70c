"""Read-only use: every reading command works for a user who may read the archive but not write it,
nor create files beside it (Datasette as its own user), and writes nothing there.

As root (CI) the commands run as ``nobody`` (root ignores file permissions, so a chmod alone would prove
nothing); as another user the file and its folder are made read-only for the test.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from archive.db import open_db
from archive.faces.serve import free_port
from archive.schema import SCHEMA_VERSION
from conftest import wait_for

AS_ROOT = os.geteuid() == 0


def _reader_ids():
    import pwd

    who = pwd.getpwnam("nobody")
    return who.pw_uid, who.pw_gid


def _drop():
    """preexec_fn: become the unprivileged user."""
    uid, gid = _reader_ids()
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)


def _how_to_run_as_reader() -> tuple[list[str], object]:
    """(command prefix, preexec_fn) that runs a process as the reader. Not root: as ourselves (the files
    are made read-only). Root: as nobody, by preexec_fn; where the interpreter cannot be started that
    way (seen in a sandbox whose interpreter lives under /root), through setpriv; skip when neither works."""
    if not AS_ROOT:
        return [], None
    probe = [sys.executable, "-c", "import os, archive; print(os.getuid())"]
    uid = str(_reader_ids()[0])
    for prefix, preexec in (([], _drop), (["setpriv", f"--reuid={uid}", f"--regid={_reader_ids()[1]}",
                                           "--clear-groups"], None)):
        try:
            proc = subprocess.run(prefix + probe, preexec_fn=preexec, capture_output=True, text=True,
                                  cwd="/", timeout=60)
        except OSError:
            continue
        if proc.returncode == 0 and proc.stdout.strip() == uid:
            return prefix, preexec
    pytest.skip("cannot start this Python as user nobody")


@pytest.fixture(scope="module")
def as_reader():
    return _how_to_run_as_reader()


def _reader_env(home: Path) -> dict:
    return {**os.environ, "HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1"}


# Runs the real CLI in one process of the reader for many commands (one interpreter start-up).
DRIVER = r"""
import json, sys
from click.testing import CliRunner
from archive.faces.cli import cli
out = []
for argv in json.load(sys.stdin):
    if argv[0] == "prepare":  # how `archive serve` would serve it
        from archive.faces.serve import prepare
        mode = prepare(argv[1])
        out.append({"code": 0, "stdout": json.dumps(mode._asdict()), "stderr": "", "exc": None})
        continue
    r = CliRunner().invoke(cli, argv)
    bad = r.exception if r.exception is not None and not isinstance(r.exception, SystemExit) else None
    out.append({"code": r.exit_code, "stdout": r.stdout, "stderr": r.stderr, "exc": repr(bad) if bad else None})
print(json.dumps(out))
"""


def run_as_reader(place, commands: list[list[str]]) -> list[dict]:
    prefix, preexec = place["as_reader"]
    proc = subprocess.run(prefix + [sys.executable, "-c", DRIVER],
                          input=json.dumps([[str(a) for a in c] for c in commands]),
                          capture_output=True, text=True, timeout=300, cwd=place["out"], env=_reader_env(place["out"]),
                          preexec_fn=preexec)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def _state(folder: Path) -> dict:
    """What is in the folder: each file's size, mtime and content hash."""
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns, hashlib.sha1(p.read_bytes()).hexdigest())
            for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def place(crawled, as_reader):
    """A copy of the crawled replica archive in a folder the reader may read, not write; beside it an
    old-schema file; and a folder the reader may write its outputs to."""
    base = Path(tempfile.mkdtemp(prefix="archive-readonly-"))
    base.chmod(0o755)
    data, out = base / "data", base / "out"
    data.mkdir()
    out.mkdir()
    db = data / "archive.db"
    src, dst = sqlite3.connect(crawled[0]), sqlite3.connect(db)
    src.backup(dst)  # a consistent copy (the session's archive may have a -wal)
    src.close()
    dst.execute("PRAGMA journal_mode=WAL")  # as an archive is
    dst.close()
    old = sqlite3.connect(data / "old.db")
    old.execute("PRAGMA user_version = 3")
    old.close()
    assert not list(data.glob("*-wal")) and not list(data.glob("*-shm"))  # no writer has it open
    for f in data.iterdir():
        f.chmod(0o644 if AS_ROOT else 0o444)
    data.chmod(0o755 if AS_ROOT else 0o555)
    out.chmod(0o777)
    conn = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
    articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    first_id, title = conn.execute("SELECT id, title FROM articles ORDER BY id LIMIT 1").fetchone()
    conn.close()
    assert articles >= 3
    yield {"as_reader": as_reader, "base": base, "data": data, "out": out, "db": db, "articles": articles, "id": first_id, "title": title}
    data.chmod(0o755)
    shutil.rmtree(base, ignore_errors=True)


def test_reading_commands_work_for_a_reader_and_write_nothing(place):
    db, out = place["db"], place["out"]
    word = place["title"][:2]
    before = _state(place["data"])
    commands = [
        ["stats", "--db", db], ["stats", "--json", "--db", db], ["stats", "--check", "--db", db],
        ["search", word, "--json", "--db", db], ["search", f"{word} OR 不存在的词", "--db", db],
        ["export", "--db", db], ["export", "--format", "csv", "-o", out / "a.csv", "--db", db],
        ["export", "--cursor-file", out / "cursor", "-o", out / "a.jsonl", "--db", db],
        ["export", "--format", "warc", "-o", out / "pages.warc.gz", "--db", db],
        ["reextract", "--dry-run", "--json", "--db", db],
        ["backup", out, "--json", "--db", db],
        ["sites", "--json"],
        ["prepare", db],
        # refused with one line, nothing written: a command that changes the archive; an old schema
        ["dedup", "--db", db], ["migrate", "--db", db], ["stats", "--db", place["data"] / "old.db"],
    ]
    results = run_as_reader(place, commands)
    by = {" ".join(str(a) for a in c[:2]) + f" #{i}": r for i, (c, r) in enumerate(zip(commands, results))}
    for (name, r), cmd in zip(by.items(), commands):
        assert r["exc"] is None and "Traceback" not in r["stderr"], (name, r)
        if cmd[0] in ("dedup", "migrate") or "old.db" in str(cmd[-1]):
            assert r["code"] == 2 and len(r["stderr"].strip().splitlines()) == 1, (name, r)
        else:
            assert r["code"] == 0, (name, r)
    assert "not writable" in results[-3]["stderr"] and "not writable" in results[-2]["stderr"]
    assert (f"at schema version 3, this program needs {SCHEMA_VERSION}" in results[-1]["stderr"]
            and "archive migrate" in results[-1]["stderr"])
    stats = json.loads(results[1]["stdout"])
    assert stats["totals"]["articles"] == place["articles"] and stats["schema_version"] == SCHEMA_VERSION
    assert place["id"] in {r["id"] for r in json.loads(results[3]["stdout"])}
    assert "hit" in results[4]["stdout"]
    assert len(results[5]["stdout"].splitlines()) == place["articles"]
    import csv

    assert len(list(csv.DictReader((out / "a.csv").open(encoding="utf-8-sig", newline="")))) == place["articles"]
    assert len((out / "a.jsonl").read_text("utf-8").splitlines()) == place["articles"]
    assert int((out / "cursor").read_text()) >= place["articles"]
    assert (out / "pages.warc.gz").stat().st_size > 0
    assert json.loads(results[9]["stdout"])["selected"] == place["articles"]
    copy = json.loads(results[10]["stdout"])
    assert copy["articles"] == place["articles"] and copy["integrity"] == "ok"
    mode = json.loads(results[12]["stdout"])
    assert mode["immutable"] is True and "no -wal" in mode["note"]  # nothing to read live through: as it is
    assert _state(place["data"]) == before  # not a byte changed, no -wal/-shm, no journal


def _start_serve(place, *extra) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    log_path = place["out"] / f"serve-{port}.log"
    log = open(log_path, "w")
    prefix, preexec = place["as_reader"]
    proc = subprocess.Popen(prefix + [sys.executable, "-m", "archive.faces.cli", "serve", "--db", str(place["db"]),
                                      "--port", str(port), *extra],
                            stdout=log, stderr=subprocess.STDOUT, cwd=place["out"], env=_reader_env(place["out"]),
                            preexec_fn=preexec)
    log.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, log_path.read_text()
        try:
            with urllib.request.urlopen(url + "/-/versions.json", timeout=2):
                return proc, url, log_path
        except OSError:
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)


def _get_json(url):
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read().decode("utf-8"))


def test_serve_immutable_as_a_reader(place):
    before = _state(place["data"])
    proc, url, log = _start_serve(place, "--immutable")
    try:
        with urllib.request.urlopen(f"{url}/archive/articles/{place['id']}", timeout=30) as resp:
            assert resp.status == 200 and place["title"] in resp.read().decode("utf-8")
        rows = _get_json(f"{url}/archive/articles.json?_shape=array&_size=max")
        assert len(rows) == place["articles"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert _state(place["data"]) == before


def _title(url, article_id):
    try:
        return _get_json(f"{url}/archive/articles/{article_id}.json?_shape=array")[0]["title"]
    except OSError:  # restarting
        return None


@pytest.mark.skipif(not AS_ROOT, reason="a writer and a reader who is not its owner need two users (root runs it)")
def test_a_reader_sees_a_live_writer_through_its_wal(place):
    """Datasette started by the reader while no writer has the archive open serves it as it is; once
    the owner opens it (its -wal/-shm appear beside the file) Datasette reads through them, sees each
    commit as it comes, and keeps doing so after the writer closes (its connection keeps the -wal)."""
    db, article = place["db"], place["id"]
    assert not Path(f"{db}-wal").exists()
    proc, url, log = _start_serve(place)
    writer = None
    try:
        assert _title(url, article) == place["title"]
        assert "note: " in log.read_text()  # served as it is, for now
        writer = open_db(db)  # the owner (here root) opens the archive in WAL mode
        writer.execute("PRAGMA wal_autocheckpoint = 0")  # the commits stay in the -wal
        writer.execute("UPDATE articles SET title = '读者可见的新标题甲' WHERE id = ?", [article])
        assert Path(f"{db}-wal").stat().st_size > 0
        results = run_as_reader(place, [["search", "新标题甲", "--json", "--db", db], ["prepare", db]])
        assert [r["id"] for r in json.loads(results[0]["stdout"])] == [article], results[0]
        assert json.loads(results[1]["stdout"]) == {"immutable": False, "note": ""}  # would serve live
        wait_for(lambda: _title(url, article) == "读者可见的新标题甲", 60, "Datasette to read through the -wal")
        assert "serving it live" in log.read_text()
        writer.execute("UPDATE articles SET title = '读者可见的新标题乙' WHERE id = ?", [article])
        assert _title(url, article) == "读者可见的新标题乙"  # live: the next request sees the next commit
        writer.conn.close()
        writer = None
        assert Path(f"{db}-wal").exists()  # the reader's open connections keep it
        again = open_db(db)
        again.execute("UPDATE articles SET title = '读者可见的新标题丙' WHERE id = ?", [article])
        again.conn.close()
        assert _title(url, article) == "读者可见的新标题丙"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        restore = writer or open_db(db)
        restore.execute("UPDATE articles SET title = ? WHERE id = ?", [place["title"], article])
        restore.conn.close()
    assert "Traceback" not in log.read_text()
