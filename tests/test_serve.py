"""A real Datasette (``archive serve``) on the archive crawled from the replica, through its JSON API."""
from __future__ import annotations

import json
import re
import sqlite3
import urllib.error
import urllib.parse
import urllib.request

import pytest

from archive.search import parse_query
from archive.faces.serve import free_port, start
from conftest import load_expected, run_archive


@pytest.fixture(scope="module")
def archive_db(crawled):
    db, code, summary, err = crawled
    assert code == 0, f"crawl of the replica failed: {summary}\n{err[-2000:]}"
    conn = sqlite3.connect(db)
    n = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    conn.close()
    assert n == len(load_expected())
    return db


@pytest.fixture(scope="module")
def server(archive_db, tmp_path_factory):
    log = open(tmp_path_factory.mktemp("serve") / "datasette.log", "w")
    proc, url = start(archive_db, port=free_port(), log=log)
    yield url
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


def get(url, path, **params):
    full = url + path + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(full, timeout=30) as resp:
        body = resp.read().decode("utf-8")
    return json.loads(body) if ".json" in path else body


def truth(db, query):
    """Ids of articles containing every term (substring scan, no index)."""
    pats = []
    for t in parse_query(query):
        pat = r"\s*".join(re.escape(w) for w in t.text.split(" "))
        if t.text[0].isascii():
            pat = r"(?<![A-Za-z0-9])" + pat
        if t.text[-1].isascii():
            pat += r"(?![A-Za-z0-9])"
        pats.append(re.compile(pat, re.I))
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT id, title, text FROM articles").fetchall()
    conn.close()
    return {i for i, title, text in rows if all(p.search(f"{title}\n{text}") for p in pats)}


def urls_of(db, ids):
    conn = sqlite3.connect(db)
    out = {u for (u,) in conn.execute(f"SELECT url FROM articles WHERE id IN ({','.join(map(str, ids)) or 'NULL'})")}
    conn.close()
    return out


def expected_urls(term):
    """Replica records whose expected title or text contains ``term``."""
    return {r["url"] for r in load_expected() if term in (r["title"] or "") + "\n" + (r["text"] or "")}


def table_search(url, q):
    rows = get(url, "/archive/articles.json", _search=q, _shape="array", _col="title", _size="max")
    return {r["id"] for r in rows}


def ranked_search(url, q, site="", since=""):
    return get(url, "/archive/search.json", q=q, site=site, since=since, _shape="array")


@pytest.mark.parametrize("query, term", [("储能", "储能"), ("中试", "中试"), ('"燃料电池"', "燃料电池"),
                                         ('"电化学储能"', "电化学储能")])
def test_json_api_search_returns_the_right_articles_and_nothing_else(server, archive_db, query, term):
    ids = table_search(server, query)
    assert ids == truth(archive_db, query)
    # and against the replica's source records (the crawl kept the words)
    assert urls_of(archive_db, ids) == expected_urls(term)
    assert 0 < len(ids) < len(load_expected())


def test_three_places_agree(server, archive_db):
    for q in ("储能", "中试", '"燃料电池"', "100kW", "氢能 燃料电池", "碳足迹"):
        ranked = ranked_search(server, q)
        proc = run_archive("search", "--db", archive_db, q, "--json", "--limit", "100")
        assert proc.returncode == 0, proc.stderr
        cli = json.loads(proc.stdout)
        assert [r["id"] for r in ranked] == [r["id"] for r in cli]
        assert [r["snippet"] for r in ranked] == [r["snippet"] for r in cli]
        assert {r["id"] for r in ranked} == table_search(server, q) == truth(archive_db, q)
        for r in ranked:
            assert "<mark>" in r["snippet"] or q.strip('"') in r["title"]
        assert [r["id"] for r in ranked] == sorted((r["id"] for r in ranked), reverse=True)  # newest first


def test_ranked_search_filters(server):
    bjx = ranked_search(server, "中试", site="bjx")
    assert bjx and {r["site"] for r in bjx} == {"bjx"}
    recent = ranked_search(server, "中试", since="2024-01-01")
    assert recent and all(r["published_at"] >= "2024-01-01" for r in recent)
    assert ranked_search(server, "") == []


def test_metadata_and_read_only(server):
    meta = get(server, "/-/metadata.json")
    assert meta["title"]
    table = get(server, "/archive/articles.json", _size="1")
    assert set(table["facet_results"]) >= {"site", "source", "published_month"}
    db = get(server, "/archive.json")
    hidden = {t["name"] for t in db["tables"] if t["hidden"]}
    assert {"articles_fts", "archive_seq", "article_changes", "raw_pages", "zstd_dicts"} <= hidden
    assert "articles" not in hidden
    html = get(server, "/archive/articles")
    assert 'id="_search"' in html
    with pytest.raises(urllib.error.HTTPError):
        get(server, "/archive.json", sql="update articles set title = 'x'")
    with pytest.raises(urllib.error.HTTPError):
        get(server, "/archive.json", sql="select 1; drop table articles")
    # nothing that could write is configured: no writable canned query
    queries = get(server, "/archive.json")["queries"]
    assert {q["name"] for q in queries} == {"search", "changes", "originals", "article_group", "largest_groups",
                                            "quality", "search_attachments"}
    assert not any(q.get("write") for q in queries)


def test_article_page_reads_as_paragraphs(server, archive_db):
    conn = sqlite3.connect(archive_db)
    aid, text = conn.execute("SELECT id, text FROM articles WHERE text LIKE '%' || char(10) || '%' LIMIT 1").fetchone()
    conn.close()
    page = get(server, f"/archive/articles/{aid}")
    block = re.search(r'<div class="archive-text">(.*?)</div>', page, re.S)
    assert block
    paras = re.findall(r"<p>(.*?)</p>", block.group(1), re.S)
    assert len(paras) == len([p for p in text.split("\n") if p.strip()]) >= 2


def test_changes_query_matches_cli_export(server, archive_db):
    rows = get(server, "/archive/changes.json", since="0", _shape="array")
    proc = run_archive("export", "--db", archive_db, "--since", "0")
    exported = [json.loads(l) for l in proc.stdout.splitlines()]
    assert [r["id"] for r in rows] == [r["id"] for r in exported]
    assert len(rows) == len(load_expected())
    last = rows[len(rows) // 2]["change_seq"]
    later = get(server, "/archive/changes.json", since=str(last), _shape="array")
    assert [r["id"] for r in later] == [r["id"] for r in rows if r["change_seq"] > last]


def test_originals_and_group_queries_over_the_json_api(server, archive_db):
    """The replica holds 北极星 reposts of government originals: one group each, the government first."""
    conn = sqlite3.connect(archive_db)
    copies = conn.execute("SELECT id, duplicate_of FROM articles WHERE duplicate_of IS NOT NULL").fetchall()
    conn.close()
    assert copies, "the replica's reposts are grouped"
    originals = get(server, "/archive/originals.json", site="", q="", _shape="array")
    ids = {row["id"] for row in originals}
    assert not ids & {c for c, _ in copies}
    assert {root for _, root in copies} <= ids
    copy_id, root = copies[0]
    group = get(server, "/archive/article_group.json", id=copy_id, _shape="array")
    assert [(r["id"], r["role"]) for r in group][0] == (root, "canonical")
    assert copy_id in {r["id"] for r in group}


def test_quality_query_shows_coverage_per_site_over_time(server, archive_db):
    """The canned ``quality`` query: one row per run that extracted articles, the run_quality figures."""
    conn = sqlite3.connect(archive_db)
    want = {site: (n, pub) for site, n, pub in conn.execute("SELECT site, articles, published_at FROM run_quality")}
    stored = dict(conn.execute("SELECT site, count(*) FROM articles GROUP BY site").fetchall())
    conn.close()
    rows = get(server, "/archive/quality.json", site="", _shape="array")
    assert {r["site"]: (r["articles"], r["published_at"]) for r in rows} == want
    assert set(want) == set(stored)
    one = get(server, "/archive/quality.json", site="chinanews", _shape="array")
    assert [r["site"] for r in one] == ["chinanews"] and one[0]["status"] == "ok"


def test_json_api_keywords_are_arrays_as_in_the_export(server, archive_db):
    """One representation of keywords: a JSON array in the table API, the changes query and `archive export`."""
    rows = get(server, "/archive/articles.json", _shape="array", _size="max", _col="keywords")
    exported = {json.loads(l)["id"]: json.loads(l) for l in
                run_archive("export", "--db", archive_db).stdout.splitlines()}
    assert rows and all(isinstance(r["keywords"], list) for r in rows)
    assert {r["id"]: r["keywords"] for r in rows} == {i: r["keywords"] for i, r in exported.items()}
    assert any(r["keywords"] for r in rows)
    changes = get(server, "/archive/changes.json", since="0", _shape="array")
    assert {r["id"]: r["keywords"] for r in changes} == {i: r["keywords"] for i, r in exported.items()}
    # an explicit _json= of the caller's own is left as asked
    raw = get(server, "/archive/articles.json", _shape="array", _col="keywords", _json="title")
    assert all(isinstance(r["keywords"], str) for r in raw)


def test_api_duplicate_fields_and_originals_filter(server, archive_db):
    conn = sqlite3.connect(archive_db)
    reposts = {i: (d, s) for i, d, s in conn.execute(
        "SELECT id, duplicate_of, duplicate_score FROM articles WHERE duplicate_of IS NOT NULL")}
    conn.close()
    assert reposts
    changes = get(server, "/archive/changes.json", since="0", _shape="array")
    assert {r["id"]: (r["duplicate_of"], r["duplicate_score"]) for r in changes if r["duplicate_of"]} == reposts
    originals = get(server, "/archive/changes.json", since="0", originals="1", _shape="array")
    assert [r["id"] for r in originals] == [r["id"] for r in changes if r["id"] not in reposts]
    exported = run_archive("export", "--db", archive_db, "--originals").stdout.splitlines()
    assert [json.loads(l)["id"] for l in exported] == [r["id"] for r in originals]
    # the ranked query and the table take the same switch
    word = next(w for w in ("储能", "中试", "氢能", "燃料") if set(truth(archive_db, w)) & set(reposts))
    ranked = {r["id"] for r in get(server, "/archive/search.json", q=word, site="", since="", originals="",
                                   _shape="array")}
    ranked_orig = {r["id"] for r in get(server, "/archive/search.json", q=word, site="", since="",
                                        originals="1", _shape="array")}
    assert ranked == truth(archive_db, word) and ranked_orig == ranked - set(reposts)
    table = get(server, "/archive/articles.json", _search=word, duplicate_of__isnull="1", _shape="array", _size="max")
    assert {r["id"] for r in table} == ranked_orig


HEAVY_SQL = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


def test_sql_time_limit_interrupts_a_heavy_query_and_the_server_keeps_answering(archive_db, tmp_path):
    """`archive serve --sql-time-limit-ms`: an endless query (a recursive CTE) is stopped with Datasette's
    time-limit error while other requests, sent while it runs, are answered."""
    import threading

    with open(tmp_path / "datasette.log", "w") as log:
        proc, url = start(archive_db, port=free_port(), log=log, sql_time_limit_ms=300)
        try:
            assert get(url, "/-/settings.json")["sql_time_limit_ms"] == 300
            heavy = {}

            def run_heavy():
                try:
                    get(url, "/archive.json", sql=HEAVY_SQL)
                except urllib.error.HTTPError as exc:
                    heavy["status"], heavy["body"] = exc.code, json.loads(exc.read().decode("utf-8"))

            threads = [threading.Thread(target=run_heavy) for _ in range(2)]
            for t in threads:
                t.start()
            # while the heavy queries run, the archive's pages answer
            rows = get(url, "/archive/articles.json", _shape="array", _size="3")
            assert len(rows) == 3
            assert "储能" in get(url, "/archive/-/search", q="储能")
            for t in threads:
                t.join(60)
            assert heavy["status"] == 400 and "SQL query took too long" in heavy["body"]["error"]
            assert get(url, "/archive.json", sql="select count(*) as n from articles", _shape="array")[0]["n"] == \
                len(load_expected())
        finally:
            proc.terminate()
            proc.wait(timeout=20)
