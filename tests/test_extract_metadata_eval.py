"""Metadata accuracy: the scorer, and the gate on ``../shared/extraction-dev2``.

The set lives outside the repository and is never copied into it; without it
the gate is skipped.
"""
import json
from pathlib import Path

import pytest

from archive.tooling import evaluate

ROOT = Path(__file__).resolve().parent.parent
DEV2 = ROOT.parent / "shared" / "extraction-dev2"


def test_published_at_to_the_minute_or_by_date():
    m = evaluate.meta_match
    assert m("published_at", "2019-05-17T20:02:10+08:00", "2019-05-17T20:02:46+08:00")
    assert not m("published_at", "2019-05-17T20:03:00+08:00", "2019-05-17T20:02:46+08:00")
    assert m("published_at", "2019-05-17T12:02:00+00:00", "2019-05-17T20:02:00+08:00")  # same instant
    # a date-only gold: any time that day (in +08:00) is right, another day is not
    assert m("published_at", "2019-05-17T09:30:00+08:00", "2019-05-17T00:00:00+08:00")
    assert not m("published_at", "2019-05-18T00:00:00+08:00", "2019-05-17T00:00:00+08:00")
    # a missing time where the gold has one is wrong
    assert not m("published_at", "2015-11-05T00:00:00+08:00", "2015-11-05T11:34:00+08:00")
    assert not m("published_at", None, "2015-11-05T11:34:00+08:00")
    assert not m("published_at", "not a date", "2015-11-05T11:34:00+08:00")


def test_strings_match_after_whitespace_normalisation_only():
    m = evaluate.meta_match
    assert m("title", "  标题\u3000 二\n", "标题 二")
    assert not m("title", "标题二", "标题 二")
    assert not m("source", "新华网 ", "新华社")
    assert not m("author", None, "张三")


def test_score_counts_correct_total_and_invented():
    gold = {
        "a": {"title": "甲", "published_at": "2020-01-01T10:00:00+08:00", "source": None, "author": "张三", "editor": None},
        "b": {"title": "乙", "published_at": None, "source": "新华社", "author": None, "editor": "李四"},
    }
    ours = {
        "a": {"title": "甲", "published_at": "2020-01-01T10:00:59+08:00", "source": "某网", "author": None},
        "b": {"title": "乙 ", "published_at": "2020-01-01T00:00:00+08:00", "source": "新华社", "editor": "王五"},
    }
    s = evaluate.score_metadata(ours, gold)
    f = s["fields"]
    assert (f["title"]["correct"], f["title"]["total"], f["title"]["invented"]) == (2, 2, 0)
    assert (f["published_at"]["correct"], f["published_at"]["total"], f["published_at"]["invented"]) == (1, 1, 1)
    assert (f["source"]["correct"], f["source"]["total"], f["source"]["invented"]) == (1, 1, 1)
    assert (f["author"]["correct"], f["author"]["total"]) == (0, 1)
    assert (f["editor"]["correct"], f["editor"]["total"]) == (0, 1)
    assert ("b", "editor", "王五", "李四") in s["mismatches"]
    assert ("a", "source", "某网", None) in s["mismatches"]
    text = evaluate.format_metadata(s)
    assert "invented" in text and "王五 | 李四" in text


def test_eval_reads_a_sibling_meta_dir(tmp_path):
    (tmp_path / "pages").mkdir(), (tmp_path / "gold").mkdir(), (tmp_path / "meta").mkdir()
    html = ("<html><head><title>市政府召开常务会议_新闻中心_某市网</title></head><body>"
            "<h1>市政府召开常务会议</h1><p>发布时间：2021-03-04 09:15 来源：某市日报</p>"
            "<p>会议研究了今年的重点工作，部署了各项任务，要求各部门抓好落实。</p></body></html>")
    (tmp_path / "pages" / "p1.html").write_text(html, encoding="utf-8")
    (tmp_path / "gold" / "p1.txt").write_text("会议研究了今年的重点工作，部署了各项任务，要求各部门抓好落实。", encoding="utf-8")
    (tmp_path / "meta" / "p1.json").write_text(json.dumps({
        "title": "市政府召开常务会议", "published_at": "2021-03-04T09:15:00+08:00",
        "source": "某市日报", "author": None, "editor": None}, ensure_ascii=False), encoding="utf-8")
    report = evaluate.run_eval(tmp_path / "pages", tmp_path / "gold", trafilatura_baseline=False)
    fields = report["metadata"]["fields"]
    assert fields["title"]["correct"] == 1 and fields["published_at"]["correct"] == 1
    assert fields["source"]["correct"] == 1
    assert sum(v["invented"] for v in fields.values()) == 0
    # without a meta dir, no metadata section
    (tmp_path / "meta" / "p1.json").unlink()
    (tmp_path / "meta").rmdir()
    assert "metadata" not in evaluate.run_eval(tmp_path / "pages", tmp_path / "gold", trafilatura_baseline=False)


def test_replica_government_documents_extract_their_facts_table():
    """Every replica record with a facts table: extract() returns it field for
    field, and its title, publication time and source."""
    from archive.faces.crawl import site_for_url
    from archive.extract import extract
    from archive.tooling.replica import build as B

    records = [r for r in B.load_records(ROOT / "replica" / "expected") if r.get("document")]
    assert {r["site"] for r in records} == {"shanghai_gov", "jiangmen_kjj"}
    for r in records:
        page = (ROOT / "replica" / "site" / B.url_to_path(r["url"])).read_bytes()
        got = extract(page, r["url"], rules=site_for_url(r["url"]).selectors)
        assert got["document"] == r["document"], r["url"]
        assert (got["title"], got["published_at"], got["source"]) == (r["title"], r["published_at"], r["source"])
    # a replica news page has no facts table
    news = next(r for r in B.load_records(ROOT / "replica" / "expected") if r["site"] == "chinanews")
    page = (ROOT / "replica" / "site" / B.url_to_path(news["url"])).read_bytes()
    assert extract(page, news["url"])["document"] is None


# --- the gate on ../shared/extraction-dev2 -------------------------------------------
# measured (archive eval, 60 pages): title 57/60, published_at 49/50, source 30/31,
# author 34/39, editor 12/13, nothing invented; pinned at the targets (title, published_at
# ≥ 95 %, source, editor ≥ 90 %, author ≥ 85 %), published_at a little over (49/50)
META_FLOORS = {"title": 0.95, "published_at": 0.96, "source": 0.90, "author": 0.85, "editor": 0.90}


@pytest.fixture(scope="module")
def dev2_report():
    if not all((DEV2 / d).is_dir() for d in ("pages", "gold", "meta")):
        pytest.skip("development set 2 not present at ../shared/extraction-dev2 relative to the repo root")
    return evaluate.run_eval(DEV2 / "pages", DEV2 / "gold", trafilatura_baseline=False)


@pytest.mark.parametrize("field", sorted(META_FLOORS))
def test_dev2_metadata_accuracy_floor(dev2_report, field):
    meta = dev2_report["metadata"]
    assert meta["n"] >= 50
    assert meta["fields"][field]["accuracy"] >= META_FLOORS[field], evaluate.format_metadata(meta)


def test_dev2_metadata_nothing_invented(dev2_report):
    meta = dev2_report["metadata"]
    assert sum(v["invented"] for v in meta["fields"].values()) == 0, evaluate.format_metadata(meta)
