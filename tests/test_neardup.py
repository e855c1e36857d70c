"""Near-duplicate groups: the labelled evaluation, canonical choice, the persistent index, the stage, the CLI."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler
from click.testing import CliRunner

from archive import dedup as neardup
from archive.dedup import minhash
from archive.faces.crawl import site_labels
from archive.tooling import neardup_eval
from archive.db import now_iso, open_db, text_hash, transaction
from archive.schema import schema_version

EVAL = Path(__file__).resolve().parent / "neardup_eval"
DOCS = [json.loads(line) for line in (EVAL / "docs.jsonl").read_text("utf-8").splitlines()]
BY_STORY: dict[str, list[dict]] = {}
for _d in DOCS:
    BY_STORY.setdefault(_d["story"], []).append(_d)


def insert(db, url, text, *, site="test", source=None, published_at=None) -> int:
    when = now_iso()
    cur = db.execute(
        """INSERT INTO articles (url, site, title, published_at, source, text, text_hash, first_seen, last_seen)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [url, site, url, published_at, source, text, text_hash(text), when, when])
    return cur.lastrowid


def add(db, *args, **kw) -> int:
    with transaction(db):
        aid = insert(db, *args, **kw)
        neardup.add_article(db, aid)
    return aid


def group_of(db, aid):
    return db.execute("SELECT duplicate_of, duplicate_score FROM articles WHERE id = ?", [aid]).fetchone()


def filler(n: int) -> str:
    """A distinct, unrelated text per n (same alphabet as the stories, different order)."""
    import random

    chars = sorted(set("".join(d["text"] for d in DOCS[:20])) - set(" \n"))
    r = random.Random(n)
    return "".join(r.choice(chars) for _ in range(600))


@pytest.fixture
def db(tmp_path):
    d = open_db(tmp_path / "archive.db")
    yield d
    d.conn.close()


# ---------------------------------------------------------------- the evaluation set

def test_evaluation_meets_targets():
    r = neardup_eval.evaluate(EVAL, labels=site_labels())
    assert r["precision"] >= neardup_eval.TARGET_PRECISION, neardup_eval.format_evaluation(r)
    assert r["recall"] >= neardup_eval.TARGET_RECALL, neardup_eval.format_evaluation(r)
    assert r["canonical_correct"] == r["canonical_total"], neardup_eval.format_evaluation(r)
    cats = r["by_category"]
    for hard in ("template_notice", "successive_notice", "same_topic"):
        assert cats[hard]["pairs"] > 0 and not cats[hard]["same_story"]
    for pos in ("truncated", "light_edit", "boilerplate", "two_page_original", "first_page_repost"):
        assert cats[pos]["pairs"] > 0 and cats[pos]["same_story"]


def test_evaluation_set_is_well_formed_and_deterministic(tmp_path):
    import csv
    import importlib.util

    ids = {d["doc"] for d in DOCS}
    with open(EVAL / "pairs.csv", encoding="utf-8") as f:
        pairs = list(csv.DictReader(f))
    assert pairs and all(p["a"] in ids and p["b"] in ids for p in pairs)
    spec = importlib.util.spec_from_file_location("nd_build", EVAL / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    if not build.SEEDS.is_dir():
        pytest.skip("seed texts not available")
    for out in ("one", "two"):
        assert build.main(["--out", str(tmp_path / out)]) == 0
    for name in ("docs.jsonl", "pairs.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


# ---------------------------------------------------------------- the decision

def _doc(story, kind):
    return neardup.Doc.of(next(d["text"] for d in BY_STORY[story] if d["kind"] == kind))


def test_truncated_repost_matches_by_containment_not_jaccard():
    full, cut = _doc("shgov", "original"), _doc("shgov", "truncated")
    inter = neardup.shared(full.shingles, cut.shingles)
    assert inter / (full.size + cut.size - inter) < 0.7  # Jaccard alone would miss it
    assert neardup.same_story(full, cut) >= 0.9


def test_successive_notices_are_told_apart_by_their_batch():
    a, b = _doc("batch0", "original"), _doc("batch1", "original")
    assert neardup.contradicts(a.ident, b.ident)
    assert neardup.same_story(a, b) is None


def test_furniture_is_dropped_but_content_lines_stay():
    text = "记者了解到，上海市今年将积极稳妥推进碳达峰碳中和，实施煤电节能降碳改造。\n编辑:张三\n特别声明:北极星转载其他网站内容,仅供参考。"
    assert neardup.clean_lines(text) == ["记者了解到,上海市今年将积极稳妥推进碳达峰碳中和,实施煤电节能降碳改造。"]


# ---------------------------------------------------------------- canonical choice

def test_government_original_wins_over_an_earlier_repost(db):
    gov = BY_STORY["jmgov"][0]
    repost = add(db, "https://news.bjx.com.cn/html/1.shtml", "北极星储能网获悉，" + gov["text"] + "\n特别声明:北极星转载其他网站内容",
                 site="bjx", source="江门市科学技术局", published_at="2023-11-01T08:00:00+08:00")
    orig = add(db, gov["url"], gov["text"], site="jiangmen_kjj", source="江门市科学技术局",
               published_at="2023-11-16T10:20:00+08:00")
    assert group_of(db, orig) == (None, None)
    assert group_of(db, repost)[0] == orig and group_of(db, repost)[1] > 0.95


def test_earliest_published_otherwise(db):
    story = BY_STORY["cns1"][0]
    late = add(db, "https://www.sohu.com/a/1", story["text"] + "\n返回搜狐", site="sohu", source="中国新闻网",
               published_at="2023-01-13T08:00:00+08:00")
    early = add(db, story["url"], story["text"], site="chinanews", source="中国新闻网",
                published_at="2023-01-12T16:05:00+08:00")
    assert group_of(db, early)[0] is None and group_of(db, late)[0] == early


def test_government_not_named_by_any_source_is_not_preferred():
    rows = [dict(id=1, url="https://www.shanghai.gov.cn/a.html", site="shanghai_gov", source="解放日报",
                 published_at="2023-07-08T10:00:00+08:00"),
            dict(id=2, url="https://www.jfdaily.com/a.html", site="jfdaily", source="解放日报",
                 published_at="2023-07-07T06:00:00+08:00")]
    assert neardup.choose_canonical(rows)["id"] == 2


# ---------------------------------------------------------------- the persistent index

def test_index_survives_a_restart(tmp_path):
    path = tmp_path / "archive.db"
    db = open_db(path)
    story = BY_STORY["zgm"][0]
    orig = add(db, story["url"], story["text"], site="zgm", published_at=story["published_at"])
    for n in range(20):
        add(db, f"https://example.cn/{n}", filler(n))
    db.conn.close()
    db = open_db(path)
    assert neardup.missing_ids(db) == []  # nothing to rebuild
    with transaction(db):
        copy = insert(db, "https://news.bjx.com.cn/x.shtml", story["text"][: len(story["text"]) * 6 // 10], site="bjx",
                      published_at="2025-01-01T00:00:00+08:00")
        result = neardup.add_article(db, copy)
    assert result.canonical == orig and [m for m, _ in result.matches] == [orig]
    assert group_of(db, copy)[0] == orig
    db.conn.close()


def test_nothing_missing_from_the_index_is_two_counts_of_small_indexes(db):
    """The check a crawl makes at each site's open: when every article is indexed, two counts, each
    read from an index (not the signatures' rows, nor a look-up per article); missing ones still found."""
    ids = [add(db, f"https://example.cn/{n}", filler(n)) for n in range(12)]
    seen = []
    db.conn.set_trace_callback(seen.append)
    assert neardup.missing_ids(db) == []
    db.conn.set_trace_callback(None)
    assert len(seen) == 2 and all("count(*)" in sql for sql in seen), seen
    for sql in seen:
        assert "COVERING INDEX" in " ".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql).fetchall())
    plain = insert(db, "https://example.cn/not-indexed", filler(99))  # stored while the stage was off
    with transaction(db):
        db.execute("DELETE FROM neardup_bands WHERE article_id = ?", [ids[3]])
        db.execute("DELETE FROM neardup_signatures WHERE article_id = ?", [ids[3]])
    assert neardup.missing_ids(db) == [ids[3], plain]


def test_adding_one_article_costs_the_same_statements_whatever_the_archive_size(db):
    """Structural, not timed: the statements one add runs do not grow with the archive."""
    def statements_for_one_add(tag):
        seen = []
        with transaction(db):
            aid = insert(db, f"https://example.cn/new-{tag}", filler(10_000 + tag))
            db.conn.set_trace_callback(seen.append)
            neardup.add_article(db, aid)
            db.conn.set_trace_callback(None)
        return len(seen)

    for n in range(30):
        add(db, f"https://example.cn/{n}", filler(n))
    small = statements_for_one_add(1)
    with transaction(db):
        for n in range(30, 250):
            neardup.add_article(db, insert(db, f"https://example.cn/{n}", filler(n)))
    large = statements_for_one_add(2)
    assert small == large


def test_rebuild_gives_the_same_groups_as_incremental_adds(db):
    docs = [d for s in ("cns0", "shgov", "tpl0", "batch0", "batch1") for d in BY_STORY[s]]
    for d in docs:
        add(db, d["url"], d["text"], site=d["site"], source=d["source"], published_at=d["published_at"])
    before = db.execute("SELECT id, duplicate_of FROM articles ORDER BY id").fetchall()
    assert neardup.rebuild(db) == len(docs)
    assert db.execute("SELECT id, duplicate_of FROM articles ORDER BY id").fetchall() == before
    assert sum(1 for _, d in before if d is not None) > 0


def test_index_built_with_other_parameters_is_refused(db):
    db.execute("INSERT INTO neardup_meta (key, value) VALUES ('params', '{\"shingle\": 99}')")
    with pytest.raises(neardup.NeedsRebuild):
        add(db, "https://example.cn/a", filler(1))


def test_migration_adds_columns_and_index_tables(db):
    assert schema_version(db) >= 3
    cols = {c[1] for c in db.execute("PRAGMA table_info(articles)")}
    assert {"duplicate_of", "duplicate_score"} <= cols
    assert {"neardup_signatures", "neardup_bands", "neardup_meta"} <= set(db.table_names())


def test_a_changed_canonical_releases_its_copies(db):
    story = BY_STORY["cns0"][0]
    orig = add(db, story["url"], story["text"], published_at="2024-01-09T19:32:00+08:00")
    copy = add(db, "https://www.163.com/a.html", story["text"] + "\n网易新闻客户端", published_at="2024-01-10T10:00:00+08:00")
    assert group_of(db, copy)[0] == orig
    with transaction(db):
        db.execute("UPDATE articles SET text = ? WHERE id = ?", [filler(5), orig])
        neardup.reindex_article(db, orig)
    assert group_of(db, copy) == (None, None) and group_of(db, orig) == (None, None)


# ---------------------------------------------------------------- the pipeline stage and the CLI

def test_pipeline_groups_stored_articles_and_catches_up_at_open(tmp_path):
    from crawler.items import ArticleItem
    from pipelines.neardup import NearDupPipeline

    path = tmp_path / "archive.db"
    db = open_db(path)
    story = BY_STORY["baoshan"][0]
    with transaction(db):  # stored while the stage was off
        early = insert(db, story["url"], story["text"], published_at="2023-07-07T10:30:00+08:00")
    with transaction(db):
        later = insert(db, "https://news.bjx.com.cn/b.shtml", "北极星储能网获悉，" + story["text"],
                       published_at="2023-07-08T10:30:00+08:00")
    crawler = get_crawler(settings_dict={"ARCHIVE_DB": str(path), "SPIDER_MODULES": ["crawler.spiders"]})
    stage = NearDupPipeline.from_crawler(crawler)
    assert stage.labels["shanghai_gov"] == "上海市人民政府"  # site names for the canonical choice
    stage.open_spider()
    assert neardup.missing_ids(db) == []
    with transaction(db):
        third = insert(db, "https://www.sohu.com/c", story["text"][:1500], published_at="2023-07-09T00:00:00+08:00")
    item = ArticleItem(site="sohu", url="https://www.sohu.com/c", article_id=third)
    assert stage.process_item(item) is item
    assert stage.process_item(ArticleItem(site="x", url="https://x.cn/refetched")) is not None  # nothing new: untouched
    stage.close_spider()
    assert crawler.stats.get_value("archive/near_duplicate") == 1
    assert {group_of(db, a)[0] for a in (later, third)} == {early}
    db.conn.close()


def test_cli_dedup_rebuild_and_eval(tmp_path):
    from archive.faces.cli import cli

    path = tmp_path / "archive.db"
    db = open_db(path)
    story = BY_STORY["zgm"][0]
    with transaction(db):
        insert(db, story["url"], story["text"])
        insert(db, "https://news.bjx.com.cn/z.shtml", story["text"] + "\n特别声明:北极星转载其他网站内容")
    db.conn.close()
    runner = CliRunner()
    res = runner.invoke(cli, ["dedup", "--db", str(path), "--rebuild", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["duplicates"] == 1 and data["groups"] == 1 and data["indexed"] == 2
    res = runner.invoke(cli, ["dedup", "--eval", str(EVAL)])
    assert res.exit_code == 0 and "PASS" in res.output, res.output


def test_canned_queries_run_against_an_archive(db):
    queries = json.loads((Path(neardup.__file__).parent.parent / "faces" / "datasette" / "metadata.json").read_text("utf-8"))
    story = BY_STORY["cns1"][0]
    a = add(db, story["url"], story["text"], published_at="2023-01-12T16:05:00+08:00")
    b = add(db, "https://www.sohu.com/a/2", story["text"], published_at="2023-01-13T16:05:00+08:00")
    q = queries["databases"]["archive"]["queries"]
    rows = db.execute(q["originals"]["sql"], {"site": "", "q": ""}).fetchall()
    assert [r[0] for r in rows] == [a]
    rows = db.execute(q["article_group"]["sql"], {"id": b}).fetchall()
    assert [(r[0], r[1]) for r in rows] == [(a, "canonical"), (b, "copy")]
    assert db.execute(q["largest_groups"]["sql"]).fetchall()[0][4] == 1


def test_signature_is_the_affine32_minhash_archives_were_indexed_with():
    # Test vector computed with datasketch 2.0.0 (MinHash(num_perm=126, seed=20240601,
    # scheme="affine32", hashfunc=int)) before the project dropped that dependency: stored
    # signatures and band keys stay valid only while these values hold.
    sh = neardup.shingle_hashes(neardup.normalise("上海市人民政府关于印发中试平台建设方案的通知"))
    sig = neardup.signature(sh)
    assert len(sh) == 18 and sig.dtype == "uint32" and len(sig) == neardup.NUM_PERM
    assert sig[:4].tolist() == [26100358, 28958563, 315203365, 132384089]
    assert sig[-2:].tolist() == [336315114, 216710648]


def test_signature_of_a_long_text_is_the_union_of_its_parts():
    import numpy as np

    rng = np.random.default_rng(5)
    sh = rng.integers(0, 2**32, 3 * minhash._CHUNK + 17, dtype="uint64").astype("uint32")
    parts = [neardup.signature(p) for p in np.array_split(sh, 5)]  # parts cut across the blocks
    assert neardup.signature(sh).tolist() == np.minimum.reduce(parts).tolist()


# ---------------------------------------------------------------- the form computed where extraction runs

def _index_rows(db):
    return (db.execute("SELECT article_id, shingles, minhash FROM neardup_signatures ORDER BY article_id").fetchall(),
            db.execute("SELECT band_key, article_id FROM neardup_bands ORDER BY band_key, article_id").fetchall(),
            db.execute("SELECT id, duplicate_of, duplicate_score FROM articles ORDER BY id").fetchall())


def test_a_prepared_form_stores_byte_identical_signatures_and_the_same_groups(tmp_path):
    """The crawl hands add_article the form its extraction computed; the index and the groups must be
    exactly those add_article makes alone (which reextract and `archive dedup --rebuild` do)."""
    import pickle

    docs = [d for s in ("cns0", "shgov", "tpl0", "batch0", "batch1") for d in BY_STORY[s]]
    dbs = {how: open_db(tmp_path / f"{how}.db") for how in ("alone", "prepared", "stale")}
    for i, d in enumerate(docs):
        for how, db in dbs.items():
            with transaction(db):
                aid = insert(db, d["url"], d["text"], site=d["site"], source=d["source"], published_at=d["published_at"])
                if how == "prepared":  # as it comes back from a worker process (or over Redis)
                    form = pickle.loads(pickle.dumps(neardup.prepare(d["text"])))
                    assert form == neardup.prepare(d["text"]) and form.fits(d["text"])
                elif how == "stale":  # computed from another text (the stored one was cut, changed…): not used
                    form = neardup.prepare(docs[i - 1]["text"] + "\n另一段不同的文字。")
                    assert not form.fits(d["text"])
                else:
                    form = None
                neardup.add_article(db, aid, None, form)
    alone = _index_rows(dbs["alone"])
    assert len(alone[0]) == len(docs) and any(dup is not None for _, dup, _ in alone[2])
    assert _index_rows(dbs["prepared"]) == alone
    assert _index_rows(dbs["stale"]) == alone
    for d in docs:  # the stored bytes are the form's bytes
        form = neardup.prepare(d["text"])
        assert form.signature == neardup.signature(neardup.Doc.of(d["text"]).shingles).astype("<u4").tobytes()
        assert list(form.keys) == neardup.band_keys(form.sig())
    assert neardup.rebuild(dbs["prepared"]) == len(docs)
    assert _index_rows(dbs["prepared"]) == alone
    for db in dbs.values():
        db.conn.close()


def test_the_extract_stage_computes_the_form_of_the_text_the_clean_stage_makes():
    from crawler.items import ArticleItem, Page
    from pipelines.clean import CleanPipeline
    from pipelines.extract import ExtractPipeline

    story = BY_STORY["shgov"][0]["text"]
    paras = "".join(f"<p>{line}</p>" for line in story.splitlines())
    body = (f"<html><head><title>通知</title></head><body><h1>通知</h1><div class=\"content\">{paras}</div>"
            "</body></html>").encode("utf-8")
    url = "https://www.example.cn/news/1.html"
    item = ArticleItem(site="example", url=url, pages=[Page(url=url, status=200, body=body,
                                                            fetched_at="2024-05-01T00:00:00+00:00", charset="utf-8")])
    item = CleanPipeline().process_item(ExtractPipeline().process_item(item))
    assert isinstance(item.neardup, neardup.Prepared) and item.neardup.fits(item.text)
    assert item.neardup == neardup.prepare(item.text)


def test_candidate_verification_at_once_counts_as_one_by_one():
    import numpy as np

    from archive.dedup import compare

    rng = np.random.default_rng(3)
    base = np.unique(rng.integers(0, 2**32, 900, dtype="uint64").astype("uint32"))
    others = [np.unique(np.concatenate([base[: rng.integers(0, 900)], rng.integers(0, 2**32, n, dtype="uint64")
                                        .astype("uint32")])) for n in (0, 1, 50, 700, 3000)]
    others.insert(2, np.empty(0, dtype="uint32"))
    expect = [len(np.intersect1d(base, o, assume_unique=True)) for o in others]
    assert expect[3] > 0 and compare.shared_counts(base, others) == expect
    assert [compare.shared(base, o) for o in others] == expect == [compare.shared(o, base) for o in others]
    sig = neardup.signature(base)
    sigs = np.stack([neardup.signature(o) for o in others])
    sizes = [len(o) for o in others]
    assert compare.estimated_containments(sig, len(base), sigs, sizes).tolist() == [
        compare.estimated_containment(sig, len(base), s, n) for s, n in zip(sigs, sizes)]


def test_the_form_cache_is_bounded_in_bytes():
    from archive.dedup.compare import _FormCache, _parts

    cache = _FormCache(30_000)
    parts = _parts(filler(1))
    for n in range(60):
        cache.put(n, parts)
        assert cache.used <= cache.budget
    assert 5 < len(cache) < 60  # the oldest went
    assert cache.get(59) is not None and cache.get(0) is None


def test_a_candidate_whose_text_changed_is_compared_in_its_new_form(db):
    """The forms of candidates are kept between adds; a text written since (here without the index
    being told) must not be compared in its old form."""
    story = BY_STORY["cns0"][0]["text"]
    a = add(db, "https://example.cn/a", story)
    assert add(db, "https://example.cn/b", story + "\n网易新闻客户端") and group_of(db, a) == (None, None)
    assert group_of(db, a + 1)[0] == a  # a's form is now kept
    with transaction(db):
        db.execute("UPDATE articles SET text = ? WHERE id = ?", [filler(7), a])
    with transaction(db):
        c = insert(db, "https://example.cn/c", story + "\n返回搜狐")
        result = neardup.add_article(db, c)
    assert [m for m, _ in result.matches] == [a + 1]  # not a: its stored text is another story now


def test_add_article_uses_a_fitting_form_instead_of_computing_its_own(db):
    import dataclasses

    text = BY_STORY["zgm"][0]["text"]
    form = neardup.prepare(text)
    marked = dataclasses.replace(form, signature=bytes(len(form.signature)))  # recognisable if used
    other_params = dataclasses.replace(marked, form=form.form.replace('"rows": 3', '"rows": 4'))
    stored = []
    for given in (marked, other_params):
        with transaction(db):
            aid = insert(db, f"https://example.cn/{len(stored)}", text)
            neardup.add_article(db, aid, None, given)
        stored.append(db.execute("SELECT minhash FROM neardup_signatures WHERE article_id = ?", [aid]).fetchone()[0])
    assert stored == [marked.signature, form.signature]  # built with other parameters: computed here


def test_a_candidate_indexed_through_another_connection_is_not_read_again(tmp_path):
    """The crawls of several sites in one process each have a connection to the archive: the form an
    add kept is found by the next add whichever connection makes it (counted: no text read)."""
    path = tmp_path / "archive.db"
    one, two = open_db(path), open_db(path)
    story = BY_STORY["cns1"][0]["text"]
    orig = add(one, "https://example.cn/a", story)
    add(two, "https://example.cn/warm", filler(3))  # the second connection's first add (its own look-ups)
    seen = []
    with transaction(two):
        copy = insert(two, "https://example.cn/b", story + "\n返回搜狐")
        two.conn.set_trace_callback(seen.append)
        result = neardup.add_article(two, copy)
        two.conn.set_trace_callback(None)
    assert [m for m, _ in result.matches] == [orig]
    assert not [s for s in seen if s.startswith("SELECT id, text FROM articles")]
    one.conn.close()
    two.conn.close()
