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
    reasons = [line for line in err.splitlines() if line.startswith(("zgm: ", "shanghai_gov: "))]
    assert len(reasons) == 2, err[-2000:]
    assert all("unreachable" in line for line in reasons)
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
