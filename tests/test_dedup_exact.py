"""The same text under two URLs is one article; the second URL is recorded, not archived again."""
from __future__ import annotations

import shutil
import sqlite3
from urllib.parse import urlsplit

from archive.tooling.mirror_server import serve_in_thread
from conftest import REPLICA_SITE, crawl, load_expected


def test_same_text_under_a_second_url_is_one_article(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(REPLICA_SITE, tree)
    record = next(e for e in load_expected() if e["site"] == "shanghai_gov")
    path = urlsplit(record["url"]).path
    copy_path = path.rsplit("/", 1)[0] + "/" + "f" * 32 + ".html"
    (tree / "www.shanghai.gov.cn" / copy_path.lstrip("/")).write_bytes(
        (tree / "www.shanghai.gov.cn" / path.lstrip("/")).read_bytes())
    index = tree / "www.shanghai.gov.cn" / "nw12344" / "index.html"
    index.write_text(index.read_text("utf-8").replace(
        "</ul>", f'<li><a href="{copy_path}" title="copy">copy</a><span class="time">2024-01-01</span></li></ul>', 1),
        "utf-8")
    server, url = serve_in_thread(tree)
    try:
        db = tmp_path / "a.db"
        code, summary, err = crawl(db, url, "shanghai_gov")
    finally:
        server.shutdown()
    assert code == 0, err[-2000:]
    assert summary[0]["duplicate"] == 1
    conn = sqlite3.connect(db)
    copy_url = "https://www.shanghai.gov.cn" + copy_path
    rows = conn.execute("SELECT url FROM articles WHERE url IN (?, ?)", [record["url"], copy_url]).fetchall()
    assert rows == [(record["url"],)] or rows == [(copy_url,)]
    kept = rows[0][0]
    other = copy_url if kept == record["url"] else record["url"]
    assert conn.execute("SELECT reason FROM article_urls WHERE url = ?", [other]).fetchone() == ("same_text",)
