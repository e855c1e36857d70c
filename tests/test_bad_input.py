"""Dead sites, blocked sites and a full disk: clear errors, nothing lost, nothing corrupted."""
from __future__ import annotations

import random
import shutil
import socket
import sqlite3

import pytest

from archive.db import open_db, transaction
from archive.tooling.mirror_server import serve_in_thread
from conftest import REPLICA_SITE, crawl, load_expected

CHALLENGE = (
    "<html><head><title>Verification</title></head><body>"
    "<script>var requestInfo = {}; window.aliyun_waf = 1; CF_APP_WAF</script></body></html>"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dead_mirror_fails_every_site_with_one_line_each(tmp_path):
    db = tmp_path / "dead.db"
    code, summary, err = crawl(db, f"http://127.0.0.1:{free_port()}", "zgm", "shanghai_gov")
    assert code == 1
    assert {s["site"]: s["status"] for s in summary} == {"zgm": "failed", "shanghai_gov": "failed"}
    # one summary line per site as it ends, then one problem line per failed site, last; no traceback
    ends = [line for line in err.splitlines() if line.startswith(("zgm: failed, ", "shanghai_gov: failed, "))]
    reasons = [line for line in err.splitlines() if line.startswith(("zgm: unreachable", "shanghai_gov: unreachable"))]
    assert len(ends) == 2 and len(reasons) == 2, err[-2000:]
    assert set(err.strip().splitlines()[-2:]) == set(reasons)
    assert "Traceback" not in err
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM failures WHERE kind = 'connection' AND reason = 'connection refused'").fetchone()[0] >= 2
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_blocked_and_missing_sites_fail_while_others_are_stored(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(REPLICA_SITE, tree)
    # bjx answers every list page with a bot challenge; zgm has vanished.
    for index in (tree / "news.bjx.com.cn").rglob("index.html"):
        index.write_text(CHALLENGE, "utf-8")
    shutil.rmtree(tree / "www.zgm.cn")
    server, url = serve_in_thread(tree)
    try:
        db = tmp_path / "a.db"
        code, summary, err = crawl(db, url, "bjx", "zgm", "shanghai_gov")
    finally:
        server.shutdown()
    by_site = {s["site"]: s for s in summary}
    assert code == 1
    assert by_site["bjx"]["status"] == "blocked"
    assert by_site["zgm"]["status"] == "failed"
    assert by_site["shanghai_gov"]["status"] == "ok"
    assert any(l.startswith("bjx: blocked") for l in err.splitlines())
    assert any(l.startswith("zgm: unreachable") for l in err.splitlines())
    stored = sqlite3.connect(db).execute("SELECT site, count(*) FROM articles GROUP BY site").fetchall()
    want = sum(1 for e in load_expected() if e["site"] == "shanghai_gov")
    assert stored == [("shanghai_gov", want)]


def test_full_disk_rolls_back_the_article_and_keeps_the_file_sound(tmp_path):
    """SQLITE_FULL midway through an article leaves the archive as it was before it."""
    from crawler.items import ArticleItem, Page
    from pipelines.store import insert_article

    db = open_db(tmp_path / "full.db")
    page_count = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {page_count + 2}")
    item = ArticleItem(site="bjx", url="https://news.bjx.com.cn/html/20240101/1.shtml",
                       pages=[Page(url="https://news.bjx.com.cn/html/20240101/1.shtml", status=200,
                                   body=random.Random(0).randbytes(400_000), fetched_at="2024-01-01T00:00:00+00:00")],
                       title="t", text="正文" * 100, text_hash="x")
    with pytest.raises(sqlite3.OperationalError, match="full"):
        with transaction(db):
            insert_article(db, item, "2024-01-01T00:00:00+00:00")
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM raw_pages").fetchone()[0] == 0
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_broken_pages_are_recorded_not_archived(tmp_path):
    """Random bytes and a page without an article at article URLs: failures, never articles."""
    from urllib.parse import urlsplit

    tree = tmp_path / "tree"
    shutil.copytree(REPLICA_SITE, tree)
    zgm = [e for e in load_expected() if e["site"] == "zgm"]
    broken, empty = zgm[0]["url"], zgm[1]["url"]
    (tree / "www.zgm.cn" / urlsplit(broken).path.lstrip("/")).write_bytes(random.Random(1).randbytes(20000))
    (tree / "www.zgm.cn" / urlsplit(empty).path.lstrip("/")).write_text(
        "<html><head><title>自贡网</title></head><body><div class='nav'>本地 天下 发现自贡 文化 健康 教育 商圈 搜索</div>"
        "<div class='footer'>Copyright © 2006-2024 WWW.ZGM.CN 蜀ICP备05003296号</div></body></html>", "utf-8")
    server, url = serve_in_thread(tree)
    try:
        db = tmp_path / "a.db"
        code, summary, err = crawl(db, url, "zgm")
    finally:
        server.shutdown()
    assert code == 0, err[-2000:]
    assert summary[0]["new"] == len(zgm) - 2 and summary[0]["errors"] == 2 and summary[0]["status"] == "partial"
    conn = sqlite3.connect(db)
    urls = {u for (u,) in conn.execute("SELECT url FROM articles")}
    assert broken not in urls and empty not in urls
    kinds = dict(conn.execute("SELECT url, kind FROM failures"))
    assert kinds[empty] == "empty"
    assert kinds[broken] in ("charset", "empty", "unparsable")
    assert all("\ufffd" not in t for (t,) in conn.execute("SELECT text FROM articles"))


# ------------------------------------------------------------- bad arguments
# Each case: argv ({db} an archive, {tmp} a fresh folder, {file:NAME} a prepared file), a fragment the
# one-line message must hold, and paths (under {tmp}) that must not exist afterwards. Run in-process
# with Click's runner (the real commands; none of these gets as far as a crawl).

def _files(tmp):
    (tmp / "page.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    (tmp / "empty.html").write_bytes(b"")
    (tmp / "blob.html").write_bytes(bytes(range(256)) * 8)
    (tmp / "text.db").write_text("not a database at all, just words\n", "utf-8")
    (tmp / "cursor.txt").write_text("yesterday\n", "utf-8")
    (tmp / "folder").mkdir()
    future = sqlite3.connect(tmp / "future.db")
    future.execute("PRAGMA user_version = 999")
    future.close()


BAD = [
    (["export", "--since", "garbage"], "--since", ["out.jsonl"]),
    (["export", "--since", "2026-13-45", "-o", "{tmp}/out.jsonl"], "--since", ["out.jsonl"]),
    (["export", "--since", "-5"], "--since", []),
    (["export", "--site", "nosuch", "-o", "{tmp}/out.jsonl"], "known sites: ", ["out.jsonl"]),
    (["export", "-o", "{tmp}/missing/out.jsonl"], "no folder", ["missing"]),
    (["export", "--format", "csv", "-o", "{tmp}/folder"], "is a directory", []),
    (["export", "--cursor-file", "{tmp}/cursor.txt", "-o", "{tmp}/out.jsonl"], "not a cursor", ["out.jsonl"]),
    (["export", "--format", "warc", "-o", "{tmp}/p.warc.gz", "--since", "soon"], "--since", ["p.warc.gz", "p.warc.gz.part"]),
    (["export-warc", "{tmp}/missing/p.warc", "--site", "nosuch"], "--site", ["missing"]),
    (["search", "储能", "--since", "yesterday"], "--since", []),
    (["search", "储能", "--until", "x"], "--until", []),
    (["search", "储能", "--since", "2026-02-30"], "YYYY-MM-DD", []),
    (["search", "储能", "--site", "nosuch"], "known sites: ", []),
    (["search", "储能 NOT 氢能"], "NOT is not supported", []),
    (["search", "储能 OR"], "OR needs a word on each side", []),
    (["search", " ，。 "], "no word to search for", []),
    (["search", "储能", "--limit", "0"], "--limit", []),
    (["search", "储能", "--limit", "-3"], "--limit", []),
    (["search", "储能", "--db", "{tmp}/none.db"], "no archive at", ["none.db"]),
    (["stats", "--db", "{tmp}/none.db"], "no archive at", ["none.db"]),
    (["stats", "--check", "--db", "{tmp}/none.db"], "no archive at", ["none.db"]),
    (["stats", "--db", "{tmp}/folder"], "is a directory", []),
    (["stats", "--db", "{tmp}/text.db"], "not an SQLite file", []),
    (["export", "--db", "{tmp}/text.db"], "not an SQLite file", []),
    (["search", "储能", "--db", "{tmp}/future.db"], "is newer than this program understands", []),
    (["dedup", "--db", "{tmp}/none.db"], "no archive at", ["none.db"]),
    (["reextract", "--db", "{tmp}/none.db"], "no archive at", ["none.db"]),
    (["reextract", "--since", "last week"], "--since", []),
    (["reextract", "--site", "nosuch"], "--site", []),
    (["migrate", "--db", "{tmp}/none.db"], "no archive at", ["none.db"]),
    (["backup", "{tmp}/missing/copy.db"], "no folder", ["missing"]),
    (["backup", "{tmp}/b.db", "--db", "{tmp}/none.db"], "no archive at", ["b.db", "none.db"]),
    (["import-warc", "{tmp}/page.pdf", "--db", "{tmp}/folder"], "is a directory", []),
    (["import-warc", "{tmp}/page.pdf", "--db", "{tmp}/missing/a.db"], "no directory", ["missing"]),
    (["serve", "--db", "{tmp}/none.db"], "no archive at", ["none.db"]),
    (["demo", "--db", "{tmp}/folder"], "is a directory", []),
    (["demo", "--db", "{tmp}/text.db"], "not an SQLite file", []),
    (["serve", "--port", "0"], "--port", []),
    (["mirror", "--port", "70000"], "--port", []),
    (["extract", "{tmp}/page.pdf"], "is a PDF", []),
    (["extract", "{tmp}/empty.html"], "is empty", []),
    (["extract", "{tmp}/blob.html"], "is binary", []),
    (["extract", "{tmp}/nothere.html"], "does not exist", ["nothere.html"]),
    (["sites", "check", "nosuch"], "no site 'nosuch'; known sites: ", []),
    (["sites", "check", "zgm", "--mirror", "notaurl"], "--mirror", []),
    (["--sites", "{tmp}/nosuchdir", "sites"], "--sites", ["nosuchdir"]),
    (["crawl", "--db", "{tmp}/a.db", "--set", "NOEQUALS"], "NAME=VALUE", ["a.db"]),
    (["crawl", "--db", "{tmp}/a.db", "--set", "EXTRACT_WORKERS=two"], "EXTRACT_WORKERS wants a whole number", ["a.db"]),
    (["crawl", "--db", "{tmp}/a.db", "--set", "RUN_LOG_ENABLED=maybe"], "RUN_LOG_ENABLED wants true or false", ["a.db"]),
    (["crawl", "--db", "{tmp}/a.db", "--set", "RECHECK_DAYS=3d"], "RECHECK_DAYS wants a number", ["a.db"]),
    (["crawl", "--db", "{tmp}/folder"], "is a directory", []),
    (["crawl", "--db", "{tmp}/text.db"], "not an SQLite file", []),
    (["crawl", "--db", "{tmp}/missing/a.db"], "no directory", ["missing"]),
    (["crawl", "--db", "{tmp}/a.db", "--mirror", "notaurl"], "--mirror", ["a.db"]),
    (["crawl", "--db", "{tmp}/a.db", "--max-pages", "0"], "--max-pages", ["a.db"]),
    (["nosuchcommand"], "No such command", []),
]


@pytest.fixture(scope="module")
def archive_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("bad-input") / "archive.db"
    open_db(path).conn.close()
    return path


@pytest.mark.parametrize("argv,fragment,absent", BAD, ids=[" ".join(a) for a, _, _ in BAD])
def test_bad_argument_is_one_line_exit_2_and_writes_nothing(argv, fragment, absent, archive_file, tmp_path):
    from click.testing import CliRunner

    from archive.faces.cli import cli

    _files(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    if "--db" not in args and args[0] not in ("extract", "sites", "--sites", "mirror", "nosuchcommand"):
        args += ["--db", str(archive_file)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert fragment in lines[0], lines[0]
    assert result.stdout == "", result.stdout  # nothing printed as if it had worked
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing created
    for name in absent:
        assert not (tmp_path / name).exists()


def test_unknown_site_error_names_the_known_sites(archive_file):
    from click.testing import CliRunner

    from archive.faces.cli import cli
    from archive.faces.crawl import site_spiders

    result = CliRunner().invoke(cli, ["search", "储能", "--site", "bjx2", "--db", str(archive_file)])
    assert result.exit_code == 2
    assert all(name in result.stderr for name in site_spiders())


def _held_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


@pytest.mark.parametrize("command", ["mirror", "serve"])
def test_a_busy_port_fails_before_saying_it_serves(command, archive_file):
    from conftest import run_archive

    with _held_port() as sock:
        port = sock.getsockname()[1]
        args = [command, "--port", port] + (["--db", archive_file] if command == "serve" else [])
        proc = run_archive(*args, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "serving" not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr and "--port" in proc.stderr


SCHEDULER_BAD = [
    (["--interval", "bjx=5x"], "not a duration"),
    (["--interval", "nosuch=5m"], "unknown site"),
    (["--config", "{tmp}/missing.toml"], "cannot read"),
    (["--config", "{tmp}/typo.toml"], "unknown key(s) interval"),
    (["--db", "{tmp}/folder"], "is a directory"),
    (["--db", "{tmp}/text.db"], "not an SQLite file"),
    (["--db", "{tmp}/missing/x.db", "--once"], "no directory"),
    (["--mirror", "notaurl", "--once"], "--mirror"),
    (["--redis", "localhost:6379"], "--redis: not a Redis URL"),
    (["--set", "MAX_LIST_PAGES=all", "--once"], "--set: MAX_LIST_PAGES wants a whole number"),
    (["--redis", "redis://127.0.0.1:1/0", "--once"], "--redis: cannot reach Redis"),
]


@pytest.mark.parametrize("argv,fragment", SCHEDULER_BAD, ids=[" ".join(a) for a, _ in SCHEDULER_BAD])
def test_scheduler_bad_options_are_one_line_exit_2(argv, fragment, tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    (tmp_path / "typo.toml").write_text('[interval]\nbjx = "15m"\n', "utf-8")
    (tmp_path / "text.db").write_text("not a database at all, just words\n", "utf-8")
    (tmp_path / "folder").mkdir()
    args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    if "--once" not in args:
        args.append("--list")  # reads only
    if "--db" not in args:
        args += ["--db", str(tmp_path / "a.db")]
    proc = subprocess.run([sys.executable, str(ROOT / "scheduler.py"), *args],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert fragment in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not (tmp_path / "a.db").exists()


def _commands(group, prefix=()):
    import click

    for name, cmd in sorted(group.commands.items()):
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))


def test_every_command_documents_itself():
    """`archive COMMAND --help` works for every command and says what it does and what it takes."""
    from click.testing import CliRunner

    from archive.faces.cli import cli

    seen = 0
    for path, cmd in _commands(cli):
        result = CliRunner().invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output, result.exception)
        text = result.stdout
        assert "sage:" in text, (path, text)  # usage line (the scheduler's argparse writes "usage:")
        assert len(text.split()) >= 15, (path, text)  # more than a bare usage line
        for param in cmd.params:  # every option of a click command is listed
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and not getattr(param, "hidden", False):
                    assert opt in text, (path, opt)
        seen += 1
    assert seen >= 15
