"""Extraction quality per run (archive/quality.py): real crawls of copies of the replica, one of them
with a site whose article template changed (date line gone, title heading moved, a new footer line)."""
from __future__ import annotations

import json
import re
import shutil
import sqlite3
import statistics

import pytest

from archive import quality
from archive.db import open_db
from archive.extract import decode, extract
from archive.tooling.mirror_server import serve_in_thread
from conftest import REPLICA_SITE, crawl, load_expected, run_archive
from archive.faces.crawl import site_spiders
from crawler.spiders.chinanews import ChinanewsSpider

EXPECTED = load_expected()
SPIDERS = site_spiders()
CHANGED = "chinanews"  # the site whose template changes in the last run
# Known articles are re-checked on every run (the replica's are older than RECHECK_DAYS): a copy
# whose pages differ gives every site a full sample of extracted articles in every run.
RECHECK = ("--set", "RECHECK_DAYS=1000000")
FOOTER = "<p>关注我们的频道，获取每日更多资讯与深度报道，欢迎订阅早晚两期的新闻简报</p>"


def page_file(root, url):
    return root / url.split("//", 1)[1]


def changed_template(html: str) -> str:
    """A new article template: no date anywhere (meta tags, the time line, the hidden CMS field),
    the title heading turned into a plain div, a footer line closing the body."""
    html = re.sub(r'<meta name="[^"]*(?:date|time)[^"]*"[^>]*>', "", html, flags=re.I)
    html = re.sub(r'<(div|span|p|small)[^>]*(?:class|id)="[^"]*(?:time|date)[^"]*"[^>]*>.*?</\1>', "", html,
                  flags=re.S | re.I)
    html = re.sub(r"<h1[^>]*>(.*?)</h1>", r'<div class="headline">\1</div>', html, flags=re.S)
    cut = html.find('class="adEditor"')
    end = html.rfind("</p>", 0, cut if cut > 0 else len(html))
    return html[: end + 4] + FOOTER + html[end + 4:] if end > 0 else html


def variant(tmp_path, n: int, changed: str | None = None):
    """A copy of the replica whose article pages differ from the last copy's bytes (a comment), and
    whose *changed* site's articles have the new template."""
    root = tmp_path / f"site{n}"
    shutil.copytree(REPLICA_SITE, root)
    for e in EXPECTED:
        path = page_file(root, e["url"])
        body = path.read_bytes()
        if e["site"] == changed:
            text, enc = decode(body)
            body = changed_template(text).encode("utf-8" if enc == "unicode" else enc, "xmlcharrefreplace")
        path.write_bytes(body + f"\n<!-- copy {n} -->\n".encode())
    return root


def crawl_copy(db, root, *sites):
    server, url = serve_in_thread(root)
    try:
        return crawl(db, url, *sites, extra=RECHECK)
    finally:
        server.shutdown()


def quality_rows(db) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM run_quality ORDER BY run_id")]
    finally:
        conn.close()


def by_run(rows):
    """[{site: row}] per crawl, in order (a crawl gives each site one run)."""
    out: list[dict] = []
    for r in rows:
        if not out or r["site"] in out[-1]:
            out.append({})
        out[-1][r["site"]] = r
    return out


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Three crawls of unchanged copies of the replica into one archive, then a crawl where
    chinanews's template changed; a copy of the archive is kept before that last crawl."""
    tmp = tmp_path_factory.mktemp("quality")
    db = tmp / "archive.db"
    summaries = []
    for n in (1, 2, 3):
        code, summary, err = crawl_copy(db, variant(tmp, n))
        assert code == 0, err[-3000:]
        summaries.append(summary)
    before = tmp / "before.db"
    src, dst = sqlite3.connect(db), sqlite3.connect(before)
    src.backup(dst)
    src.close(), dst.close()
    code, summary, err = crawl_copy(db, variant(tmp, 4, changed=CHANGED))
    summaries.append(summary)
    return db, before, summaries, code, err


def test_every_run_stores_its_quality_beside_crawl_runs(history):
    db, _, summaries, _, _ = history
    runs = by_run(quality_rows(db))
    assert len(runs) == 4
    conn = sqlite3.connect(db)
    crawl_sites = {r[0]: r[1] for r in conn.execute("SELECT id, site FROM crawl_runs")}
    conn.close()
    per_site = {}
    for e in EXPECTED:
        per_site[e["site"]] = per_site.get(e["site"], 0) + 1
    for run in runs:
        assert set(run) == set(per_site)
        for site, row in run.items():
            assert crawl_sites[row["run_id"]] == site
            assert row["articles"] == per_site[site], site  # every article re-extracted each run
    first = runs[0]
    conn = sqlite3.connect(db)
    lengths = {}
    for site, text in conn.execute("SELECT site, text FROM articles"):
        lengths.setdefault(site, []).append(len(text))
    conn.close()
    for site, row in first.items():
        # the replica's own figures: what the expected records say each site's pages hold
        recs = [e for e in EXPECTED if e["site"] == site]
        assert row["published_at"] == round(sum(1 for e in recs if e["published_at"]) / len(recs), 4)
        assert row["source"] == round(sum(1 for e in recs if e.get("source")) / len(recs), 4)
        assert row["boilerplate_share"] == 0.0 and row["bad_title_share"] == 0.0, site
        # no history yet: only a site that declares expectations is judged
        assert row["judged"] == (1 if SPIDERS[site].quality_expect else 0) and row["degraded"] == 0, site
    for site, row in runs[-1].items():  # the texts stored are the last run's
        assert row["text_median"] == int(statistics.median(lengths[site]))
        n = len(lengths[site])  # nearest rank: the smallest length with a tenth of them at or below it
        assert row["text_p10"] == min(x for x in lengths[site] if sum(y <= x for y in lengths[site]) >= 0.1 * n)


def test_unchanged_runs_raise_no_false_alarm(history):
    """Runs 2 and 3 over unchanged pages are judged against the history and none is degraded."""
    db, _, summaries, _, _ = history
    runs = by_run(quality_rows(db))
    for run in runs[1:3]:
        for site, row in run.items():
            assert row["judged"] == 1, site
            assert row["degraded"] == 0, (site, row["problems"])
    for summary in summaries[:3]:
        assert all(s["degraded"] == [] for s in summary)


def test_changed_template_flags_the_site_degraded_naming_the_dropped_fields(history):
    db, _, summaries, code, err = history
    last = by_run(quality_rows(db))[-1]
    row = last[CHANGED]
    assert row["degraded"] == 1
    dropped = json.loads(row["dropped"])
    assert "published_at" in dropped  # the date line is gone
    assert "fallback_share" in dropped  # the site's title and date selectors no longer match
    assert "repeated_tail_share" in dropped  # the new footer closes every text
    examples = json.loads(row["examples"])
    assert len(set(examples)) == 3
    assert set(examples) <= {e["url"] for e in EXPECTED if e["site"] == CHANGED}
    assert "published_at coverage 0.00, usually 1.00" in row["problems"]
    # the unchanged sites of the same crawl stay as they were
    for site, other in last.items():
        if site != CHANGED:
            assert other["judged"] == 1 and other["degraded"] == 0, (site, other["problems"])
    # the crawl's outcome says it too, and the log has it at WARNING; fetching went fine
    summary = {s["site"]: s for s in summaries[-1]}
    assert summary[CHANGED]["status"] == "ok" and code == 0
    assert summary[CHANGED]["degraded"] == dropped
    assert re.search(r"WARNING: chinanews: extraction degraded: .*published_at", err)


def test_stats_shows_and_check_fails_on_degraded(history):
    db, before, _, _, _ = history
    ok = run_archive("stats", "--db", before, "--check")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout == ""
    bad = run_archive("stats", "--db", db, "--check")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    lines = bad.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{CHANGED}: extraction degraded (")
    assert "published_at" in lines[0]
    shown = run_archive("stats", "--db", db)
    assert shown.returncode == 0
    assert "DEGRADED extraction" in shown.stdout and "published_at coverage 0.00" in shown.stdout
    data = json.loads(run_archive("stats", "--db", db, "--json").stdout)
    assert data["sites"][CHANGED]["quality"]["degraded"] == 1
    assert data["sites"]["bjx"]["quality"]["degraded"] == 0


def test_scheduler_logs_a_degraded_run_at_warning(history, caplog):
    """The scheduler reads the run it started from crawl_runs and run_quality: the degraded run of the
    changed site is logged at WARNING with its problems and examples; an unchanged site's run is not."""
    import logging

    import scheduler

    db = history[0]
    conn = sqlite3.connect(db)
    last_ids = dict(conn.execute("SELECT site, max(id) FROM crawl_runs GROUP BY site").fetchall())
    conn.close()
    with caplog.at_level(logging.INFO, logger="scheduler"):
        for site in (CHANGED, "bjx"):
            run = scheduler.run_written(db, site, last_ids[site] - 1)
            assert run["id"] == last_ids[site]
            assert scheduler.report_run(site, 0, run, "") == 0  # fetching went fine: not a failed run
    warnings = [r.getMessage() for r in caplog.records
                if r.levelno == logging.WARNING and "extraction degraded" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].startswith(f"crawl {CHANGED}: extraction degraded: ")
    assert "published_at coverage 0.00" in warnings[0] and "https://www.chinanews.com.cn/" in warnings[0]


def test_declared_expectation_flags_a_first_run(tmp_path):
    """No history: the site file's declared expectations judge the first run (chinanews declares
    that its articles are dated), on a fresh archive crawled from the changed template."""
    assert ChinanewsSpider.quality_expect.get("published_at") == 1.0
    db = tmp_path / "archive.db"
    code, summary, err = crawl_copy(db, variant(tmp_path, 1, changed=CHANGED), CHANGED)
    assert code == 0, err[-3000:]
    [row] = quality_rows(db)
    assert row["judged"] == 1 and row["degraded"] == 1
    assert json.loads(row["dropped"]) == ["published_at"]  # nothing learned: only what is declared
    assert json.loads(row["expected"]) == ChinanewsSpider.quality_expect
    check = run_archive("stats", "--db", db, "--check")
    assert check.returncode == 1 and check.stdout.startswith("chinanews: extraction degraded (published_at)")


# ------------------------------------------------------------------ no crawl


def test_extract_reports_the_selectors_that_fell_back():
    e = next(e for e in EXPECTED if e["url"].endswith("10143622.shtml"))
    body = page_file(REPLICA_SITE, e["url"]).read_bytes()
    assert extract(body, e["url"], rules=ChinanewsSpider.selectors)["fallback"] == []
    text, _ = decode(body)
    moved = extract(changed_template(text), e["url"], rules=ChinanewsSpider.selectors)
    assert moved["fallback"] == ["title", "date"]
    assert moved["title"] == e["title"]  # the generic layer still finds it
    assert extract(body, e["url"])["fallback"] == []  # no rules, nothing to fall back from


def arts(n, **over):
    base = dict(title=None, published_at="2024-01-01T00:00:00+08:00", source="新华社", text="正文。" * 200)
    out = []
    for i in range(n):
        fields = {k: (v(i) if callable(v) else v) for k, v in {**base, **over}.items()}
        fields.setdefault("title", None)
        fields["title"] = fields["title"] or f"标题{i}"
        out.append(quality.Article(url=f"https://example.com/{i}", **fields))
    return out


def test_declared_expectations_replace_learned_ones(tmp_path):
    db = open_db(tmp_path / "a.db")
    try:
        good = quality.assess(db, "s", arts(6))
        assert good["judged"] == 0  # no history, nothing declared
        db["crawl_runs"].insert({"id": 1, "site": "s", "started_at": "2024-01-01", "status": "ok"})
        quality.store(db, 1, "2024-01-01", good)
        broken = arts(6, published_at=None, text="短文。" * 20)
        row = quality.assess(db, "s", broken, before_run=2)
        assert row["judged"] == 1 and json.loads(row["dropped"]) == ["published_at", "text_median", "text_p10"]
        # declared: dates are not expected on this site, text length is not checked
        row = quality.assess(db, "s", broken, declared={"published_at": None, "text_median": None, "text_p10": None},
                             before_run=2)
        assert row["degraded"] == 0
        # declared without history: judged on the declaration alone
        row = quality.assess(db, "t", broken, declared={"published_at": 1.0})
        assert row["judged"] == 1 and json.loads(row["dropped"]) == ["published_at"]
        assert json.loads(row["examples"]) == [a.url for a in broken[:3]]
        with pytest.raises(ValueError):
            quality.assess(db, "t", broken, declared={"pubdate": 1.0})
        # fewer articles than MIN_ARTICLES: measured, not judged
        row = quality.assess(db, "s", broken[: quality.MIN_ARTICLES - 1], before_run=2)
        assert row["judged"] == 0 and row["degraded"] == 0
    finally:
        db.conn.close()


def test_titles_shared_or_equal_to_the_site_name_and_boilerplate_are_counted():
    got = quality.measure(arts(6, title=lambda i: "中新网" if i == 0 else ("同一标题" if i < 3 else f"题{i}"),
                               text=lambda i: "正文第一段，内容足够长。\n责任编辑：张三" if i == 5 else "正文。" * 50),
                          site_label="中新网")
    assert got["bad_title_share"] == 0.5  # the site's name once, one title three times
    assert got["boilerplate_share"] == round(1 / 6, 4)  # the clean-up's editor line
    assert got["repeated_tail_share"] == round(5 / 6, 4)


def test_site_files_declare_known_measures(tmp_path):
    """Every site's declared expectations name known measures; a TOML site file declares them in a
    [quality_expect] table (false: off), and a wrong key or value is a one-line error naming its line."""
    from crawler.registry import SiteFileError, load_site_file

    for name, cls in SPIDERS.items():
        assert set(cls.quality_expect) <= set(quality.MEASURES), name
    head = ('name = "mee"\nhosts = ["www.mee.gov.cn"]\nstart_urls = ["https://www.mee.gov.cn/zcwj/index.shtml"]\n'
            "article_urls = ['https://www\\.mee\\.gov\\.cn/zcwj/t\\d+\\.shtml']\n")
    path = tmp_path / "mee.toml"
    path.write_text(head + "[quality_expect]\npublished_at = 1.0\nauthor = false\n", "utf-8")
    assert load_site_file(path).quality_expect == {"published_at": 1.0, "author": None}
    path.write_text(head + "[quality_expect]\npubdate = 1.0\n", "utf-8")
    with pytest.raises(SiteFileError, match=r"mee\.toml:6: pubdate: unknown quality measure"):
        load_site_file(path)
    path.write_text(head + "[quality_expect]\ntitle = \"all\"\n", "utf-8")
    with pytest.raises(SiteFileError, match=r"mee\.toml:6: title: wants a number"):
        load_site_file(path)


def test_attachments_coverage_counts_government_documents_only():
    docs = arts(6)
    for i, a in enumerate(docs):
        a.document = i < 4
        a.attachments = 1 if i in (0, 5) else 0
    got = quality.measure(docs)
    assert got["documents"] == 4 and got["attachments"] == 0.25  # one of the four documents has one
    assert quality.measure(arts(6))["attachments"] is None  # no document: nothing to cover


def test_attachments_are_judged_on_enough_documents_only():
    usual = {"attachments": 1.0}
    few = quality.measure(arts(6))
    for a in (docs := arts(6)):
        a.document = True
    many = quality.measure(docs)  # six documents, none with an attachment
    assert many["attachments"] == 0.0 and quality.judge(many, usual)[0] == ["attachments"]
    for a in docs[2:]:
        a.document = False
    assert quality.judge(quality.measure(docs), usual) == ([], [])  # two documents: not judged
    assert quality.judge(few, usual) == ([], [])


def test_sites_check_prints_the_coverage_of_the_pages_it_crawled(mirror):
    """``archive sites check`` reports its throw-away run's quality row: the same measures."""
    proc = run_archive("sites", "check", CHANGED, "--mirror", mirror, "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    q = report["quality"]
    assert q["site"] == CHANGED and q["articles"] == report["articles"] >= quality.MIN_ARTICLES
    assert q["published_at"] == 1.0 and q["title"] == 1.0 and q["degraded"] == 0
    text = run_archive("sites", "check", CHANGED, "--mirror", mirror)
    assert f"  coverage: {q['articles']} articles, title 1.00 published_at 1.00" in text.stdout
