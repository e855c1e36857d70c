"""Chinese full-text search: the index, its triggers, query translation and ranking.

Ground truth is computed independently of the index: a substring scan of the
stored titles and texts (Latin words: whole words, case-insensitive).
"""
from __future__ import annotations

import json
import re
import shutil
import sqlite3

import pytest

from archive.db import open_db, text_hash
from archive.search import count, fts_query, parse_query, search, shadow, shadow_sql, snippet
from conftest import SHARED, archive_at_version, load_expected, run_archive


def _insert(db, rec, n):
    text = rec["text"]
    cur = db.execute(
        """INSERT INTO articles (url, site, title, published_at, source, text, text_hash, first_seen, last_seen)
           VALUES (?, ?, ?, ?, ?, ?, ?, '2024-01-01T00:00:00+00:00', '2024-01-01T00:00:00+00:00')""",
        [rec.get("url") or f"https://example.cn/{n}", rec.get("site") or "test", rec.get("title"),
         rec.get("published_at"), rec.get("source"), text, text_hash(text)],
    )
    return cur.lastrowid


def seed_records() -> list[dict]:
    out = []
    for n, p in enumerate(sorted((SHARED / "seeds").glob("*.txt"))):
        title, _, body = p.read_text("utf-8").partition("\n")
        out.append({"url": f"https://seed.example.cn/{n}", "site": f"seed{n % 2}", "title": title.strip("* "),
                    "published_at": f"2024-0{n + 1}-01", "text": body})
    return out


@pytest.fixture(scope="module")
def template_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("search") / "template.db"
    d = open_db(path)
    for n, rec in enumerate(load_expected() + seed_records()):
        _insert(d, rec, n)
    d.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    d.conn.close()
    return path


@pytest.fixture
def db(tmp_path, template_db):
    path = tmp_path / "archive.db"
    shutil.copyfile(template_db, path)
    d = open_db(path)
    yield d
    d.conn.close()


def truth(db, query: str) -> set[int]:
    """Ids whose title or text contains every term (brute force, no index)."""
    terms = parse_query(query)
    pats = []
    for t in terms:
        words = t.text.split(" ")
        pat = r"\s*".join(re.escape(w) for w in words)
        if t.text[0].isascii() and t.text[0].isalnum():
            pat = r"(?<![A-Za-z0-9])" + pat
        if t.text[-1].isascii() and t.text[-1].isalnum() and not t.prefix:
            pat += r"(?![A-Za-z0-9])"
        pats.append(re.compile(pat, re.I))
    hits = set()
    for id_, title, text in db.execute("SELECT id, title, text FROM articles"):
        doc = (title or "") + "\n" + (text or "")
        if all(p.search(doc) for p in pats):
            hits.add(id_)
    return hits


QUERIES = ["储能", "中试", "氢能", "碳足迹", "碳达峰", '"燃料电池"', "燃料电池", "100kW", "100KW",
           "储能 中试", "氢能 燃料电池", '"电解制氢系统"', "上海 储能", "二氧化碳", "江门", "年"]


@pytest.mark.parametrize("query", QUERIES)
def test_search_matches_brute_force(db, query):
    expected = truth(db, query)
    got = {r["id"] for r in search(db, query, limit=1000)}
    assert got == expected
    assert expected or query == "年", "the test data should contain every query"


def test_two_character_words_are_found_inside_sentences(db):
    ids = {r["id"] for r in search(db, "储能", limit=1000)}
    assert len(ids) >= 5
    titles = [t for (t,) in db.execute("SELECT title FROM articles WHERE id IN (%s)" % ",".join(map(str, ids)))]
    assert any("新型储能技术加速走出实验室" in t for t in titles)


def test_phrase_is_not_the_same_as_words(db):
    both = {r["id"] for r in search(db, "燃料 电池", limit=1000)}
    phrase = {r["id"] for r in search(db, '"燃料电池"', limit=1000)}
    assert phrase <= both
    assert phrase == truth(db, '"燃料电池"')


def test_latin_words_are_whole_words(db):
    new = _insert(db, {"title": "测试", "text": "测试1000kWh储能"}, 999)
    assert new not in {r["id"] for r in search(db, "100kW", limit=1000)}
    assert new in {r["id"] for r in search(db, "1000kWh", limit=1000)}
    assert new in {r["id"] for r in search(db, "1000kw*", limit=1000)}
    assert new in {r["id"] for r in search(db, "1000kWh储能", limit=1000)}


def test_ranking_puts_title_hits_first(db):
    results = search(db, "燃料电池", limit=50, rank="relevance")
    ranks = [r["rank"] for r in results]
    assert ranks == sorted(ranks)
    assert "燃料电池" in results[0]["title"]


def test_snippet_marks_hits(db):
    r = search(db, "碳足迹", limit=1)[0]
    assert "<mark>碳足迹</mark>" in r["snippet"]
    s = snippet("a<b> 储能电站，储能。", "储能")
    assert s == "a&lt;b&gt; <mark>储能</mark>电站，<mark>储能</mark>。"


def test_filters_site_and_since(db):
    all_ids = {r["id"] for r in search(db, "中试", limit=1000)}
    site = {r["id"] for r in search(db, "中试", site="bjx", limit=1000)}
    assert site and site < all_ids
    assert {r["site"] for r in search(db, "中试", site="bjx", limit=1000)} == {"bjx"}
    recent = search(db, "中试", since="2024-01-01", limit=1000)
    assert recent and all(r["published_at"] >= "2024-01-01" for r in recent)
    assert len(search(db, "中试", limit=2)) == 2


def test_index_follows_updates_and_deletes(db):
    (aid,) = db.execute("SELECT id FROM articles WHERE title LIKE '%新型储能技术%'").fetchone()
    assert aid in {r["id"] for r in search(db, "储能", limit=1000)}
    db.execute("UPDATE articles SET text = '全新的正文，讨论钙钛矿电池。', title = '钙钛矿' WHERE id = ?", [aid])
    assert aid not in {r["id"] for r in search(db, "储能", limit=1000)}
    assert {r["id"] for r in search(db, "钙钛矿", limit=1000)} == {aid}
    # metadata-only updates leave the index alone
    db.execute("UPDATE articles SET last_seen = '2030-01-01' WHERE id = ?", [aid])
    assert {r["id"] for r in search(db, "钙钛矿", limit=1000)} == {aid}
    db.execute("DELETE FROM articles WHERE id = ?", [aid])
    assert search(db, "钙钛矿", limit=1000) == []
    # the index has exactly one row per article (a stale row would show here)
    n_fts = db.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", [fts_query("中试")]).fetchone()[0]
    assert n_fts == len(truth(db, "中试"))


def test_a_plain_sqlite_writer_keeps_the_index(tmp_path):
    """No application function is needed: a bare sqlite3 connection writes, the index follows."""
    path = tmp_path / "archive.db"
    open_db(path).conn.close()
    conn = sqlite3.connect(path)
    conn.execute("""INSERT INTO articles (url, site, title, text, text_hash, first_seen, last_seen)
                    VALUES ('https://x.cn/1', 'x', '标题', '建设氢能中试基地', 'h', 't', 't')""")
    conn.commit()
    assert [r["id"] for r in search(conn, "中试")] == [1]
    assert [r["id"] for r in search(conn, "氢能中试")] == [1]
    assert search(conn, "储能") == []


def test_sql_shadow_form_equals_python(db):
    samples = [t for (t,) in db.execute("SELECT text FROM articles")]
    samples += ["", "a", "储", "储能", "100kW储能", "氢 能", "Ａ股，２０２４年", "𠀀𠀁x", "中" * 200 + "abc" * 50]
    for s in samples:
        got = db.execute(f"SELECT {shadow_sql(':t')}", {"t": s}).fetchone()[0]
        assert got == shadow(s)


def test_query_translation():
    assert fts_query("储能") == '"储能"'
    assert fts_query("碳足迹") == '"碳足 足迹"'
    assert fts_query("氢") == '"氢" *'
    assert fts_query("2024年") == '"2024 年" *'
    assert fts_query('"燃料电池" 100kW') == '"燃料 料电 电池" AND "100kW"'
    assert fts_query('储能 "a""b') is not None
    assert fts_query("  ，。 ") is None
    assert fts_query('"') is None


def test_originals_until_count_and_paging(db):
    hits = truth(db, "储能")
    assert len(hits) >= 3
    everything = search(db, "储能", limit=1000)
    assert count(db, "储能") == len(everything) == len(hits)
    # paging: two pages of 2 are the first four results, in order
    assert [r["id"] for r in search(db, "储能", limit=2) + search(db, "储能", limit=2, offset=2)] == \
        [r["id"] for r in everything[:4]]
    # a repost is left out with originals=True; count agrees
    first, repost = everything[0]["id"], everything[1]["id"]
    db.execute("UPDATE articles SET duplicate_of = ?, duplicate_score = 0.9 WHERE id = ?", [first, repost])
    got = search(db, "储能", limit=1000, originals=True)
    assert repost not in {r["id"] for r in got} and first in {r["id"] for r in got}
    assert len(got) == count(db, "储能", originals=True) == len(hits) - 1
    assert next(r for r in search(db, "储能", limit=1000) if r["id"] == repost)["duplicate_of"] == first
    # until is inclusive of the whole day named
    dated = {i: p for i, p in db.execute("SELECT id, published_at FROM articles WHERE published_at IS NOT NULL")}
    day = sorted(dated[i][:10] for i in hits if i in dated)[len([i for i in hits if i in dated]) // 2]
    want = {i for i in hits if i in dated and dated[i][:10] <= day}
    assert {r["id"] for r in search(db, "储能", until=day, limit=1000)} == want
    assert count(db, "储能", until=day) == len(want)


def test_cli_search_prints_urls_and_the_hit_count(db, tmp_path):
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    want = search(db, "储能", limit=3)
    total = count(db, "储能")
    proc = run_archive("search", "储能", "--db", path, "--limit", "3")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    for r in want:
        assert any(line.strip() == r["url"] for line in lines), r["url"]
    assert lines[-1] == f"{total} hits (showing 3)"
    db.execute("UPDATE articles SET duplicate_of = ? WHERE id = ?", [want[0]["id"], want[1]["id"]])
    db.conn.commit()
    proc = run_archive("search", "储能", "--db", path, "--limit", "100", "--originals")
    assert want[1]["url"] not in proc.stdout and want[0]["url"] in proc.stdout
    assert proc.stdout.splitlines()[-1] == f"{total - 1} hits (all shown)"


def test_keywords_are_searched_with_the_title(db):
    """The site's own tags find their article even where title and text never use the word."""
    assert not truth(db, "钙钛矿叠层")
    aid = db.execute("SELECT id FROM articles ORDER BY id LIMIT 1").fetchone()[0]
    db.execute("UPDATE articles SET keywords = ? WHERE id = ?", ['["钙钛矿叠层", "HJT"]', aid])
    assert [r["id"] for r in search(db, "钙钛矿叠层")] == [aid]
    assert [r["id"] for r in search(db, "hjt")] == [aid]
    assert count(db, "钙钛矿叠层") == 1
    # a change of the keywords alone moves the index with it; the old tag no longer finds it
    db.execute("UPDATE articles SET keywords = ? WHERE id = ?", ['["固态电池"]', aid])
    assert search(db, "钙钛矿叠层") == [] and search(db, "HJT") == []
    assert aid in {r["id"] for r in search(db, "固态电池", limit=1000)}
    # keywords that are not a JSON array count as none (no error, nothing indexed)
    db.execute("UPDATE articles SET keywords = ? WHERE id = ?", ["not json 钙钛矿叠层", aid])
    assert search(db, "钙钛矿叠层") == []
    db.execute("UPDATE articles SET keywords = ? WHERE id = ?", ['["钙钛矿叠层"]', aid])
    db.execute("DELETE FROM articles WHERE id = ?", [aid])
    assert search(db, "钙钛矿叠层") == []
    # a rebuilt index holds the same (title + keywords, text) as the triggers wrote
    other = db.execute("SELECT id FROM articles ORDER BY id LIMIT 1").fetchone()[0]
    db.execute("UPDATE articles SET keywords = ? WHERE id = ?", ['["钙钛矿叠层"]', other])
    from archive.search import rebuild_index

    before = {q: [r["id"] for r in search(db, q, limit=1000)] for q in ("钙钛矿叠层", "储能", "100kW")}
    rebuild_index(db)
    assert {q: [r["id"] for r in search(db, q, limit=1000)] for q in ("钙钛矿叠层", "储能", "100kW")} == before
    assert before["钙钛矿叠层"] == [other]


def test_title_and_keywords_sql_equals_python(db):
    from archive.search import title_and_keywords, title_and_keywords_sql

    for title, kw in [("标题", ["储能", "中试"]), ("标题", []), (None, ["a"]), ("t", None), ("t", '"x"')]:
        raw = json.dumps(kw, ensure_ascii=False) if kw is not None else None
        got = db.execute(f"SELECT {title_and_keywords_sql()} FROM (SELECT :t AS title, :k AS keywords)",
                         {"t": title, "k": raw}).fetchone()[0]
        assert got == title_and_keywords(title, kw), (title, kw)


def test_an_archive_before_version_10_gets_its_keywords_indexed(tmp_path):
    path = tmp_path / "v9.db"
    old = archive_at_version(path, 9)
    recs = load_expected()[:3]
    for n, rec in enumerate(recs):
        _insert(old, rec, n)
    old.execute("UPDATE articles SET keywords = '[\"钙钛矿叠层\"]' WHERE id = 2")
    old.conn.commit()
    assert search(old, "钙钛矿叠层") == []  # version 9 indexed titles and texts only
    old.conn.close()
    db = open_db(path)
    assert [r["id"] for r in search(db, "钙钛矿叠层")] == [2]
    assert {r["id"] for r in search(db, recs[0]["title"][:4], limit=100)} >= {1}
    db.execute("DELETE FROM articles WHERE id = 2")  # the rebuilt row deletes cleanly
    assert search(db, "钙钛矿叠层") == []
    db.execute(f"INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 0)")


def test_or_finds_either_side_and_binds_looser_than_and(db):
    """`储能 OR 氢能` finds the articles of either word (their union, brute force), AND binds tighter."""
    for a, b in [("储能", "氢能"), ("江门", "100kW")]:
        left, right = truth(db, a), truth(db, b)
        assert left - right and right - left, "each side should add articles of its own"
        assert {r["id"] for r in search(db, f"{a} OR {b}", limit=1000)} == left | right
        assert count(db, f"{a} OR {b}") == len(left | right)
    assert {r["id"] for r in search(db, "储能 中试 OR 江门", limit=1000)} == truth(db, "储能 中试") | truth(db, "江门")
    assert fts_query("储能 AND 氢能") == fts_query("储能 氢能")
    assert fts_query("OR 储能") == fts_query("储能")  # an operator with nothing on one side is dropped
    assert [t.text for t in parse_query('"OR" 储能 or')] == ["OR", "储能", "or"]  # quoted or lower case: words
    both = min(truth(db, "储能 氢能"))
    text = db.execute("SELECT text FROM articles WHERE id = ?", [both]).fetchone()[0]
    marked = snippet(text, "储能 OR 氢能", width=len(text))
    assert "<mark>储能</mark>" in marked and "<mark>氢能</mark>" in marked


def test_newest_first_by_default_and_relevance_within_the_newest_window(db, monkeypatch):
    """Default order: the most recently archived matches first (the page FTS5 stops after); relevance:
    bm25 order, over all matches when there are fewer than RELEVANCE_WINDOW, else over the newest
    RELEVANCE_WINDOW of them (the bm25 work is bounded)."""
    import archive.search as search_mod

    for q in ("储能", "中试", "氢能 燃料电池", "年"):
        hits = truth(db, q)
        newest = search(db, q, limit=7)
        assert [r["id"] for r in newest] == sorted(hits, reverse=True)[:7]
        assert [r["id"] for r in search(db, q, limit=3, offset=3)] == [r["id"] for r in newest[3:6]]
        best = search(db, q, limit=1000, rank="relevance")
        full = [i for (i,) in db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? "
                                         "ORDER BY rank, rowid", [fts_query(q)])]
        assert [r["id"] for r in best] == full and set(full) == hits
        # a window smaller than the matches: bm25 order over the newest `window` matches only
        window = max(1, len(hits) // 2)
        monkeypatch.setattr(search_mod, "RELEVANCE_WINDOW", window)
        bounded = [r["id"] for r in search(db, q, limit=1000, rank="relevance")]
        newest_window = set(sorted(hits, reverse=True)[:window])
        assert set(bounded) == newest_window and bounded == [i for i in full if i in newest_window]
        filtered = search(db, q, limit=1000, rank="relevance", site="seed0")
        site_hits = {i for (i,) in db.execute("SELECT id FROM articles WHERE site = 'seed0'")} & hits
        assert {r["id"] for r in filtered} == set(sorted(site_hits, reverse=True)[:window])
        monkeypatch.undo()
    with pytest.raises(ValueError, match="rank must be one of"):
        search(db, "储能", rank="best")


def test_cli_search_rank_option(db):
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    for rank in ("newest", "relevance"):
        proc = run_archive("search", "储能", "--db", path, "--json", "--limit", "5", "--rank", rank)
        assert proc.returncode == 0, proc.stderr
        got = [r["id"] for r in json.loads(proc.stdout) if "attachment" not in r]
        assert got == [r["id"] for r in search(db, "储能", limit=5, rank=rank)]
    proc = run_archive("search", "储能", "--db", path, "--rank", "best")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
