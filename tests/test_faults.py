"""Integrity under faults: the replica served through a fault-injecting server.

For every fault, the first crawl records a failure or an incomplete article
(the site is never ``ok`` with a loss), and one clean crawl after it restores
exactly the replica's records: none missing, none wrong, no garbage.
"""
from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import crawl, load_expected, q, REPLICA_SITE, ROOT
from fault_server import Fault, start

EXPECTED = load_expected()
# Short limits so that each fault costs little: a 1 s timeout, a 1 MB page limit, one retry,
# Retry-After honoured up to 1 s.
FAST = ("--set", "DOWNLOAD_TIMEOUT=1", "--set", "DOWNLOAD_MAXSIZE=1048576", "--set", "RETRY_TIMES=1",
        "--set", "RETRY_AFTER_MAX=1")

J = "/www.jiangmen.gov.cn/bmpd/jmskjj/zwgk/tzgg"
J_ART = J + "/content/post_2912054.html"
ZGM = [f"/www.zgm.cn/content/{c}" for c in
       ("66beb3cc5605e", "66f4d2e01593d", "672971940846d", "668cf940db217", "6717398416d9a")]
SH = "/www.shanghai.gov.cn"
SH_ARTS = [SH + p for p in ("/nw12344/20240516/273432baa751316b80111470bc78d7cb.html",
                            "/nw31406/20230707/276dddd82a19f7f388fb6223e24ae9ab.html",
                            "/nw12344/20220728/4c17392c74cc94364b8b992a7aafe090.html",
                            "/nw12344/20220620/044cb0efebf4aecb48d5304443b3abe8.html",
                            "/nw12344/20210929/c009081c3ccade5298caa7ea9362d33a.html")]
BJX_P2 = "/news.bjx.com.cn/html/20210930/1179535-2.shtml"


def url_of(path: str) -> str:
    return "https://" + path.lstrip("/")


# name: (sites crawled, faults of the first crawl, failure kinds the first crawl must record, URL paths)
CASES = {
    "http_500": (["jiangmen_kjj"], {J_ART: Fault("status", status=500)}, {"http_5xx"}, [J_ART]),
    "http_503_retry_after": (["jiangmen_kjj"], {J_ART: Fault("status", status=503, retry_after="1")},
                             {"http_5xx"}, [J_ART]),
    "http_429": (["jiangmen_kjj"], {J_ART: Fault("status", status=429, retry_after="1")}, {"http_429"}, [J_ART]),
    "connection_reset": (["jiangmen_kjj"], {J_ART: Fault("reset")}, {"connection"}, [J_ART]),
    "timeout": (["jiangmen_kjj"], {J_ART: Fault("timeout", seconds=2.5)}, {"timeout"}, [J_ART]),
    "truncated_body": (["jiangmen_kjj"], {J_ART: Fault("truncate")}, {"truncated"}, [J_ART]),
    "close_delimited_cut": (["zgm"], {p: Fault("cut") for p in ZGM}, {"incomplete"}, ZGM),
    "gzip_bomb": (["jiangmen_kjj"], {J_ART: Fault("gzip_bomb", size=64 * 1024 * 1024)}, {"too_large"}, [J_ART]),
    "large_page": (["jiangmen_kjj"], {J_ART: Fault("large")}, {"too_large"}, [J_ART]),
    "redirect_loop": (["jiangmen_kjj"], {J_ART: Fault("redirect_loop")}, {"redirect_loop"}, [J_ART]),
    "redirect_to_itself": (["jiangmen_kjj"], {J_ART: Fault("redirect_self")}, {"redirect_loop"}, [J_ART]),
    "offsite_redirect": (["jiangmen_kjj"], {J_ART: Fault("offsite_redirect")}, {"offsite_redirect"}, [J_ART]),
    "article_wrong_type": (["jiangmen_kjj"], {J_ART: Fault("ctype", content_type="image/png")}, {"not_html"},
                           [J_ART]),
    "list_page_json": (["jiangmen_kjj"], {J + "/index_2.html": Fault("ctype")}, {"not_html"},
                       [J + "/index_2.html"]),
    "binary_garbage": (["jiangmen_kjj"], {J_ART: Fault("garbage")}, None, [J_ART]),
    "soft_404_many_urls": (["zgm", "shanghai_gov"], {p: Fault("soft404") for p in ZGM + SH_ARTS},
                           {"soft_error"}, ZGM + SH_ARTS),
    "shared_error_page": (["zgm"], {p: Fault("soft_shared") for p in ZGM}, {"soft_error"}, ZGM),
    "multipage_page2_500": (["bjx"], {BJX_P2: Fault("status", status=500)}, {"incomplete"},
                            ["/news.bjx.com.cn/html/20210930/1179535.shtml"]),
    "multipage_page2_gzip_bomb": (["bjx"], {BJX_P2: Fault("gzip_bomb", size=64 * 1024 * 1024)}, {"incomplete"},
                                  ["/news.bjx.com.cn/html/20210930/1179535.shtml"]),
    "list_page2_500": (["bjx"], {"/news.bjx.com.cn/yw/2/": Fault("status", status=500)}, {"http_5xx"},
                       ["/news.bjx.com.cn/yw/2/"]),
    "list_page2_reset": (["bjx"], {"/news.bjx.com.cn/yw/2/": Fault("reset")}, {"connection"},
                         ["/news.bjx.com.cn/yw/2/"]),
    "list_page2_timeout": (["shanghai_gov"], {SH + "/nw12344/index_2.html": Fault("timeout", seconds=2.5)},
                           {"timeout"}, [SH + "/nw12344/index_2.html"]),
    "list_page2_briefly_404": (["jiangmen_kjj"], {J + "/index_2.html": Fault("notfound")}, {"http_404"},
                               [J + "/index_2.html"]),
    "feed_list_page_briefly_404": (["chinanews"], {"/www.chinanews.com.cn/scroll-news/news2.html": Fault("notfound")},
                              {"http_404"}, ["/www.chinanews.com.cn/scroll-news/news2.html"]),
}



def lines(text: str) -> list[str]:
    return [ln.strip() for ln in (text or "").splitlines() if ln.strip()]


def compare(db, sites) -> dict[str, list[str]]:
    """Missing, wrong and garbage articles of *sites* against the replica's expected records."""
    expected = {e["url"]: e for e in EXPECTED if e["site"] in sites}
    got = {}
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        for row in conn.execute(f"SELECT * FROM articles WHERE site IN ({','.join('?' * len(sites))})", sites):
            got[row["url"]] = dict(row)
    finally:
        conn.close()
    wrong = [u for u, e in expected.items() if u in got and (
        got[u]["title"] != e["title"] or lines(got[u]["text"]) != lines(e["text"]))]
    return {
        "missing": sorted(set(expected) - set(got)),
        "wrong": sorted(wrong),
        "garbage": sorted(set(got) - set(expected)),
    }


@pytest.fixture(scope="module")
def server():
    srv = start(REPLICA_SITE)
    yield srv
    srv.shutdown()


def failures(db, urls):
    rows = q(db, f"SELECT url, kind, reason FROM failures WHERE url IN ({','.join('?' * len(urls))})", urls)
    return {u: (k, r) for u, k, r in rows}


@pytest.mark.parametrize("name", list(CASES))
def test_fault_is_recorded_then_repaired(name, server, tmp_path):
    sites, faults, kinds, paths = CASES[name]
    db = tmp_path / "a.db"
    server.set_faults(faults)
    code, summary, err = crawl(db, server.url, *sites, extra=FAST)
    assert server.injected, "the fault was served"
    by_site = {s["site"]: s for s in summary}
    urls = [url_of(p) for p in paths]
    recorded = failures(db, urls)
    # the first crawl: a failure row of the right kind per faulty URL, and never `ok` with a loss
    assert recorded, f"no failure recorded for {urls}: {summary}"
    if kinds:
        assert {k for k, _ in recorded.values()} <= kinds, recorded
    assert all(by_site[s]["status"] != "ok" for s in sites if by_site[s]["errors"]) or not compare(db, sites)[
        "missing"]
    assert any(by_site[s]["status"] in ("partial", "failed") for s in sites), summary
    assert not compare(db, sites)["garbage"], "nothing broken stored as an article"
    # the summary counts what is in the archive
    marks = ",".join("?" * len(sites))
    assert sum(by_site[s]["new"] for s in sites) == q(db, f"SELECT count(*) FROM articles WHERE site IN ({marks})",
                                                      sites)[0][0]
    assert sum(by_site[s]["duplicate"] for s in sites) == q(
        db, f"SELECT count(*) FROM article_urls u JOIN articles a ON a.id = u.article_id "
            f"WHERE u.reason = 'same_text' AND a.site IN ({marks})", sites)[0][0]
    # reasons group: no URL inside a reason
    assert all("://" not in r and "127.0.0.1" not in r for _, r in recorded.values()), recorded

    server.set_faults({})
    code, summary, err = crawl(db, server.url, *sites, extra=FAST)
    assert code == 0, err[-3000:]
    assert compare(db, sites) == {"missing": [], "wrong": [], "garbage": []}
    assert not failures(db, urls), "the repaired URLs carry no failure any more"


def test_utf8_page_labelled_utf16_gives_its_second_page_and_attachment(server, tmp_path):
    db = tmp_path / "a.db"
    server.set_faults({
        "/news.bjx.com.cn/html/20210930/1179535.shtml": Fault("charset", charset="utf-16"),
        J + "/content/post_2961840.html": Fault("charset", charset="utf-16"),
    })
    code, summary, err = crawl(db, server.url, "bjx", "jiangmen_kjj", extra=FAST)
    assert code == 0, err[-3000:]
    assert q(db, "SELECT pages FROM articles WHERE url = ?",
             [url_of("/news.bjx.com.cn/html/20210930/1179535.shtml")]) == [(2,)]
    assert q(db, "SELECT count(*) FROM attachments a JOIN articles r ON r.id = a.article_id WHERE r.url = ?",
             [url_of(J + "/content/post_2961840.html")])[0][0] >= 1
    assert compare(db, ["bjx", "jiangmen_kjj"]) == {"missing": [], "wrong": [], "garbage": []}


def test_retry_after_is_honoured(server, tmp_path):
    db = tmp_path / "a.db"
    server.set_faults({J_ART: Fault("status", status=429, retry_after="1", times=1)})
    code, summary, err = crawl(db, server.url, "jiangmen_kjj", extra=(*FAST, "--verbose"))
    assert code == 0, err[-3000:]
    assert [k for _, k in server.injected] == ["status"]
    assert "Retry-After" in err  # the wait is logged (at INFO: --verbose), with the URL's delay
    assert summary[0]["status"] == "ok"
    assert compare(db, ["jiangmen_kjj"]) == {"missing": [], "wrong": [], "garbage": []}


# ------------------------------------------------------------------ killed crawls

def _count(db) -> int:
    try:
        return q(db, "SELECT count(*) FROM articles")[0][0]
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("sig,after", [(signal.SIGKILL, 2), (signal.SIGKILL, 7), (signal.SIGKILL, 12),
                                       (signal.SIGTERM, 5)])
def test_killed_crawl_is_resumed_by_the_next_run(sig, after, tmp_path):
    srv = start(REPLICA_SITE, delay=0.15)
    try:
        db = tmp_path / "a.db"
        proc = subprocess.Popen(
            [sys.executable, "-m", "archive.faces.cli", "crawl", "--db", str(db), "--mirror", srv.url, "--json", *FAST,
             "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "--set", "MIRROR_CONCURRENT_REQUESTS_PER_DOMAIN=2"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(1200):  # bounded wait: 120 s
            if proc.poll() is not None or _count(db) >= after:
                break
            time.sleep(0.1)
        assert proc.poll() is None, "the crawl ended before it could be stopped"
        srv.delay = 1.0  # what is in flight when a SIGTERM arrives is finished; nothing more gets far
        proc.send_signal(sig)
        proc.wait(60)
        assert _count(db) < len(EXPECTED)
        srv.delay = 0
        code, summary, err = crawl(db, srv.url, extra=FAST)
        sites = sorted({e["site"] for e in EXPECTED})
        assert compare(db, sites) == {"missing": [], "wrong": [], "garbage": []}
        assert not q(db, "SELECT id FROM crawl_runs WHERE status = 'running'")
    finally:
        srv.shutdown()


def test_same_text_url_is_fetched_again_while_its_article_is_young(server, tmp_path):
    """Two URLs with one text (below the error-page threshold) are one article and a same_text URL;
    when the second URL later serves its own text, the next run makes it an article of its own."""
    db = tmp_path / "a.db"
    young = ("--set", "RECHECK_DAYS=100000")
    server.set_faults({ZGM[0]: Fault("soft_shared"), ZGM[1]: Fault("soft_shared")})
    crawl(db, server.url, "zgm", extra=FAST + young)
    same = q(db, "SELECT url FROM article_urls WHERE reason = 'same_text'")
    assert len(same) == 1 and same[0][0] in {url_of(ZGM[0]), url_of(ZGM[1])}
    server.set_faults({})
    code, summary, err = crawl(db, server.url, "zgm", extra=FAST + young)
    assert code == 0, err[-3000:]
    assert not q(db, "SELECT url FROM article_urls WHERE reason = 'same_text'")
    got = compare(db, ["zgm"])
    assert not got["missing"], got


def test_redirect_to_a_url_already_requested_is_not_dropped(server, tmp_path):
    """An article URL redirected to another article the run requests anyway: Scrapy's duplicate
    filter would drop the redirected request without a word; the URL is kept as another URL of that
    article instead, and the run is clean."""
    db = tmp_path / "a.db"
    server.set_faults({ZGM[0]: Fault("redirect_to", location=ZGM[1])})
    code, summary, err = crawl(db, server.url, "zgm", extra=FAST)
    assert server.injected
    moved, target = url_of(ZGM[0]), url_of(ZGM[1])
    kept = q(db, "SELECT a.url FROM article_urls u JOIN articles a ON a.id = u.article_id WHERE u.url = ?", [moved])
    assert kept == [(target,)] or failures(db, [moved]), "the redirected URL vanished from the run"
    assert kept == [(target,)], failures(db, [moved])
    assert code == 0 and summary[0]["status"] == "ok", (summary, err[-2000:])


def test_recheck_much_shorter_than_the_last_fetch_is_incomplete(server, tmp_path):
    """A young article re-checked over a close-delimited body that lost its middle (its closing tags
    intact) is recorded incomplete, the archived text stays, and a clean run clears the failure."""
    db = tmp_path / "a.db"
    young = ("--set", "RECHECK_DAYS=100000")
    server.set_faults({})
    crawl(db, server.url, "zgm", extra=FAST + young)
    assert compare(db, ["zgm"]) == {"missing": [], "wrong": [], "garbage": []}
    server.set_faults({p: Fault("shrink") for p in ZGM})
    code, summary, err = crawl(db, server.url, "zgm", extra=FAST + young)
    assert summary[0]["status"] != "ok" and summary[0]["updated"] == 0, summary
    assert {k for k, _ in failures(db, [url_of(p) for p in ZGM]).values()} == {"incomplete"}
    assert compare(db, ["zgm"]) == {"missing": [], "wrong": [], "garbage": []}
    assert not q(db, "SELECT count(*) FROM revisions")[0][0]
    server.set_faults({})
    crawl(db, server.url, "zgm", extra=FAST + young)
    assert not failures(db, [url_of(p) for p in ZGM])


def test_backfill_walks_past_known_pages(server, tmp_path):
    """A finished full walk is recorded; an incremental run then stops at a page of known articles,
    while --backfill walks to the list's end again."""
    db = tmp_path / "a.db"
    server.set_faults({})
    code, _, err = crawl(db, server.url, "bjx", extra=FAST)
    assert code == 0, err[-3000:]
    walks = dict(q(db, "SELECT start_url, complete FROM list_walks WHERE site = 'bjx'"))
    assert walks and all(walks.values()), walks
    server.set_faults({"/news.bjx.com.cn/yw/4/": Fault("status", status=500)})
    crawl(db, server.url, "bjx", extra=FAST)
    assert not server.injected, "an incremental run on a complete list stops at known articles"
    code, summary, err = run_backfill(db, server.url)
    assert server.injected, "a backfill walks to the end"
    assert summary[0]["status"] == "partial"
    assert dict(q(db, "SELECT start_url, complete FROM list_walks WHERE site = 'bjx'"))[
        "https://news.bjx.com.cn/yw/"] == 0


def run_backfill(db, url):
    return crawl(db, url, "bjx", extra=FAST + ("--backfill",))



# ------------------------------------------------------------------ a full disk

def test_full_disk_counts_only_what_was_stored(tmp_path):
    """The store stage on a file that cannot grow (SQLITE_FULL): the counts are what was committed,
    and the crawl is stopped with the write error, never reported `ok`."""
    from scrapy.utils.test import get_crawler

    from archive.db import text_hash
    from archive.runs import summarise
    from crawler.items import ArticleItem, Page
    from pipelines.store import StorePipeline

    path = tmp_path / "full.db"
    crawler = get_crawler(settings_dict={"ARCHIVE_DB": str(path)})
    crawler.stats.open_spider()
    pipe = StorePipeline.from_crawler(crawler)
    pipe.open_spider()
    pages = pipe.db.execute("PRAGMA page_count").fetchone()[0]
    pipe.db.execute(f"PRAGMA max_page_count = {pages + 8}")  # room for a few small articles only
    stored = 0
    for n in range(40):
        url = f"https://example.cn/a{n}.html"
        text = f"第{n}篇文章。" + "这是一段用于测试磁盘写满时计数是否真实的正文内容，" * (40 + n)
        body = ("<html><body><p>" + text + "</p></body></html>").encode("utf-8")
        pipe.process_item(ArticleItem(site="test", url=url, title=f"t{n}", text=text, text_hash=text_hash(text),
                                      pages=[Page(url=url, status=200, body=body, fetched_at="2024-01-01T00:00:00+00:00")]))
    pipe.close_spider()
    stats = crawler.stats.get_stats()
    stored = q(path, "SELECT count(*) FROM articles")[0][0]
    assert stats.get("archive/store_error"), "the disk filled up"
    assert stats.get("archive/new", 0) == stored < 40
    db = sqlite3.connect(path)
    try:
        res = summarise("test", stats, db, "2000-01-01T00:00:00+00:00")
    finally:
        db.close()
    assert res.status == "failed" and res.new == stored
