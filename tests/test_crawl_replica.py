"""End to end: the real Scrapy engine crawls the replica over real HTTP into a real SQLite file."""
from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest

from archive.db import decompress
from archive.faces.crawl import site_spiders
from archive.schema import SCHEMA_VERSION
from conftest import crawl, dict_rows, load_expected, load_not_articles, run_archive

EXPECTED = load_expected()
NOT_ARTICLES = load_not_articles()



def lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in (text or "").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def archived(crawled):
    db, code, summary, err = crawled
    articles = {r["url"]: r for r in dict_rows(db, "SELECT * FROM articles")}
    return db, code, summary, err, articles


def test_first_crawl_succeeds_and_counts(archived):
    db, code, summary, err, articles = archived
    assert code == 0, err[-3000:]
    by_site = {s["site"]: s for s in summary}
    assert set(by_site) == set(site_spiders())  # every registered site was crawled
    assert sum(s["new"] for s in summary) == len(EXPECTED) == len(articles)
    for site in by_site:
        assert by_site[site]["new"] == sum(1 for e in EXPECTED if e["site"] == site), site
    kinds = {n["kind"] for n in NOT_ARTICLES}
    if "blocked" in kinds:
        assert by_site["bjx"]["blocked"] >= 1
    assert sum(s["errors"] for s in summary) >= sum(1 for n in NOT_ARTICLES if n["kind"] != "blocked")


def test_the_summary_is_the_outcome_recorded_in_crawl_runs(archived):
    """The run's outcome is computed once: the CLI's summary and the crawl_runs rows agree."""
    db, code, summary, err, articles = archived
    runs = {r["site"]: r for r in dict_rows(db, "SELECT * FROM crawl_runs")}
    assert set(runs) == {s["site"] for s in summary}
    for s in summary:
        r = runs[s["site"]]
        assert (r["status"], r["new"], r["updated"], r["unchanged"], r["duplicates"], r["errors"], r["blocked"],
                r["pages_fetched"], r["error_summary"] or "") == (
            s["status"], s["new"], s["updated"], s["unchanged"], s["duplicate"], s["errors"], s["blocked"],
            s["pages_fetched"], s["reason"]), s["site"]


@pytest.mark.parametrize("expected", EXPECTED, ids=[e["url"].split("//")[1] for e in EXPECTED])
def test_article_matches_expected_record(archived, expected):
    articles = archived[4]
    assert expected["url"] in articles, f"not archived: {expected['url']}"
    got = articles[expected["url"]]
    assert got["site"] == expected["site"]
    assert got["title"] == expected["title"]
    assert got["published_at"] == expected["published_at"]
    assert got["source"] == expected.get("source")
    assert lines(got["text"]) == lines(expected["text"])
    for field in ("author", "editor"):
        if expected.get(field):
            assert got[field] == expected[field]
    if expected.get("keywords"):
        assert json.loads(got["keywords"]) == expected["keywords"]


def test_no_replacement_characters_anywhere(archived):
    for art in archived[4].values():
        assert art["replaced_bytes"] == 0, art["url"]  # recorded, and the replica decodes cleanly
        for field in ("title", "text", "source", "author", "editor"):
            assert "\ufffd" not in (art[field] or ""), (art["url"], field)


def test_multi_page_article_is_one_record_with_every_page(archived):
    db, articles = archived[0], archived[4]
    multi = [e for e in EXPECTED if len(e.get("pages") or []) > 1]
    assert multi, "the replica must hold a multi-page article"
    for e in multi:
        art = articles[e["url"]]
        assert art["pages"] == len(e["pages"])
        raw = dict_rows(db, "SELECT page, url FROM raw_pages WHERE article_id = ? ORDER BY page", [art["id"]])
        assert [r["page"] for r in raw] == list(range(1, len(e["pages"]) + 1))
        for page_text in e["pages"]:
            for line in lines(page_text):
                assert line in lines(art["text"])
    urls = set(articles)
    assert not any("-2.shtml" in u for u in urls)


def test_pages_that_are_not_articles_are_recorded_not_archived(archived):
    db, articles = archived[0], archived[4]
    failures = {r["url"]: r for r in dict_rows(db, "SELECT * FROM failures")}
    for n in NOT_ARTICLES:
        assert n["url"] not in articles
        assert n["url"] in failures, n
        kind = failures[n["url"]]["kind"]
        assert kind == {"blocked": "blocked", "http_404": "http_404", "not_html": "not_html"}[n["kind"]], n
        if n["kind"] == "http_404":
            assert failures[n["url"]]["status"] == 404
    texts = "\n".join(a["text"] for a in articles.values())
    assert "aliyun_waf" not in texts and "requestInfo" not in texts


def test_alias_url_is_one_record(archived):
    db, articles = archived[0], archived[4]
    with_alias = [e for e in EXPECTED if e.get("aliases")]
    assert with_alias
    for e in with_alias:
        art = articles[e["url"]]
        urls = {r["url"] for r in dict_rows(db, "SELECT url FROM article_urls WHERE article_id = ?", [art["id"]])}
        assert set(e["aliases"]) <= urls
        for alias in e["aliases"]:
            assert alias not in articles


def test_attachments_are_linked_not_articles(archived):
    db, articles = archived[0], archived[4]
    with_att = [e for e in EXPECTED if e.get("attachments")]
    assert with_att
    for e in with_att:
        art = articles[e["url"]]
        got = {r["url"]: r for r in dict_rows(db, "SELECT * FROM attachments WHERE article_id = ?", [art["id"]])}
        for att in e["attachments"]:
            assert att["url"] in got
            assert got[att["url"]]["type"] == att["type"]
            assert got[att["url"]]["size"] == att["size"]
            assert att["url"] not in articles


def test_raw_pages_reextract_to_the_same_text(archived):
    """The stored raw page is the page: extraction can be re-run without re-crawling."""
    db, articles = archived[0], archived[4]
    single = next(e for e in EXPECTED if len(e.get("pages") or []) <= 1)
    art = articles[single["url"]]
    raw = dict_rows(db, "SELECT body FROM raw_pages WHERE article_id = ?", [art["id"]])[0]
    from archive.faces.crawl import site_for_url
    from archive.extract import extract

    again = extract(decompress(raw["body"], sqlite3.connect(db)), art["url"], rules=site_for_url(art["url"]).selectors)
    assert lines(again["text"]) == lines(art["text"])


def test_archive_file_is_healthy(archived):
    db = archived[0]
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_second_crawl_adds_nothing(tmp_path, mirror):
    db = tmp_path / "a.db"
    code1, s1, err1 = crawl(db, mirror)
    assert code1 == 0, err1[-2000:]
    before = dict_rows(db, "SELECT count(*) n FROM articles")[0]["n"]
    code2, s2, err2 = crawl(db, mirror)
    assert code2 == 0, err2[-2000:]
    assert sum(s["new"] for s in s2) == 0
    assert sum(s["updated"] for s in s2) == 0
    assert sum(s["known"] for s in s2) >= 1
    assert dict_rows(db, "SELECT count(*) n FROM articles")[0]["n"] == before


def test_extract_command_prints_the_record(tmp_path):
    e = next(e for e in EXPECTED if e["site"] == "chinanews" and len(e.get("pages") or []) <= 1)
    from conftest import REPLICA_SITE
    from urllib.parse import urlsplit

    parts = urlsplit(e["url"])
    path = REPLICA_SITE / parts.hostname / parts.path.lstrip("/")
    proc = run_archive("extract", path, "--url", e["url"])
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert set(got) == {"url", "title", "published_at", "source", "author", "editor", "keywords", "document", "text"}
    assert got["document"] == e.get("document")
    assert got["url"] == e["url"]
    assert got["title"] == e["title"]
    assert got["published_at"] == e["published_at"]
    assert lines(got["text"]) == lines(e["text"])


COUNT_CONNECTIONS = """
import json, sqlite3, sys
opened = []
real = sqlite3.connect
sqlite3.connect = lambda *a, **k: opened.append(a[0]) or real(*a, **k)
from archive.faces.crawl import run_crawl
results = run_crawl(db_path=sys.argv[1], mirror=sys.argv[2])
print(json.dumps({"sites": len(results), "new": sum(r.new for r in results), "connections": len(opened)}))
"""


def test_one_archive_connection_per_site_crawled(tmp_path, mirror):
    """Every site's crawler shares one connection among its stages, middlewares and extensions; the
    runner opens one more to create the file and summarise (a five-site crawl opened 41 before)."""
    import subprocess
    import sys

    from conftest import ROOT

    proc = subprocess.run([sys.executable, "-c", COUNT_CONNECTIONS, str(tmp_path / "a.db"), mirror],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["new"] > 0
    assert got["connections"] == got["sites"] + 1, got


def test_every_raw_page_reads_back_whole(archived):
    """Each stored page reads back through archive.db.decompress to the bytes fetched (size and
    SHA-1 as recorded), stored as zstandard (archive/rawstore.py)."""
    from archive import rawstore

    conn = sqlite3.connect(archived[0])
    try:
        rows_ = conn.execute("SELECT body, size, body_sha1 FROM raw_pages").fetchall()
        assert len(rows_) >= len(EXPECTED)
        for body, size, sha1 in rows_:
            data = decompress(body, conn)
            assert len(data) == size and hashlib.sha1(data).hexdigest() == sha1
            assert rawstore.codec(body).startswith("zstd")
    finally:
        conn.close()
