"""Sites: one file each (a Python site class or a TOML site file), found through the registry by
everything else; the real URL schemes of the five sites; a throw-away site added at run time is
crawled, listed and served with nothing else changed."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from archive.faces.crawl import project_settings, site_spiders
from archive.tooling.mirror_server import serve_in_thread
from archive.tooling.replica import build as B
from crawler.registry import SiteFileError, kind, load_site_file, sites
from conftest import REPLICA, REPLICA_SITE, load_expected, run_archive

# --------------------------------------------------------------------------- every site has a recorded page


def sites_without_a_recorded_page(registry: dict, records: list[dict], tree: Path) -> list[str]:
    """Python sites of *registry* with no record in replica/expected whose page the replica serves."""
    served = {r["site"] for r in records if (tree / B.url_to_path(r["url"])).is_file()}
    return sorted(name for name, cls in registry.items() if kind(cls) == "python" and name not in served)


def test_every_site_keeps_a_recorded_page_with_its_expected_record():
    registry = site_spiders()
    assert registry
    assert sites_without_a_recorded_page(registry, load_expected(), REPLICA_SITE) == []


def test_a_site_without_a_recorded_page_is_reported():
    registry = dict(site_spiders())
    registry["newsite"] = type("NewSite", (registry["zgm"],), {"name": "newsite", "__module__": __name__})
    assert sites_without_a_recorded_page(registry, load_expected(), REPLICA_SITE) == ["newsite"]
    zgm = [r for r in load_expected() if r["site"] != "zgm"]
    assert "zgm" in sites_without_a_recorded_page(site_spiders(), zgm, REPLICA_SITE)


# --------------------------------------------------------------------------- the real URL schemes

SCHEMES = {
    "shanghai_gov": (
        [
            "https://www.shanghai.gov.cn/nw12344/20210929/c009081c3ccade5298caa7ea9362d33a.html",
            # current policy URLs under a named column
            "https://www.shanghai.gov.cn/jcsfbsbtz/20230517/3e5c4a0b1f2d4c6e8a9b0c1d2e3f4a5b.html",
            "https://www.shanghai.gov.cn/xxzfgzwj/20240105/9f8e7d6c5b4a39281706f5e4d3c2b1a0.html",
            "https://www.shanghai.gov.cn/nw12344/20180510/0001-12344_55139.html",
            # the 2018-era portal
            "https://www.shanghai.gov.cn/nw2/nw2314/nw2319/nw12344/u26aw55139.html",
            "http://www.shanghai.gov.cn/nw2/nw2314/nw2319/nw10800/nw11407/nw42542/u26aw54697.html",
        ],
        [
            "https://www.shanghai.gov.cn/nw12344/index.html",
            "https://www.shanghai.gov.cn/nw12344/index_2.html",
            "https://www.shanghai.gov.cn/jcsfbsbtz/index.html",
            "https://www.shanghai.gov.cn/jcsfbsbtz/20230517/3e5c4a0b.html",  # not 32 hex digits
            "https://www.shanghai.gov.cn/nw2/nw2314/nw2319/nw12344/index.html",
            "https://www.shanghai.gov.cn/nw2/nw2314/nw2319/nw12344/u26aw55139.html.pdf",
            "https://www.shanghai.com/nw12344/20210929/c009081c3ccade5298caa7ea9362d33a.html",
        ],
    ),
    "bjx": (
        [
            "https://news.bjx.com.cn/html/20210930/1179535.shtml",
            "https://chuneng.bjx.com.cn/news/20240315/1365012.shtml",
            # channel sites with /html/ paths
            "https://chuneng.bjx.com.cn/html/20230517/1307281.shtml",
            "https://guangfu.bjx.com.cn/html/20190102/953611.shtml",
            "https://news.bjx.com.cn/html/20210930/1179535-2.shtml",  # page 2: the same article
        ],
        [
            "https://news.bjx.com.cn/zc/2/",
            "https://chuneng.bjx.com.cn/yw/",
            "https://chuneng.bjx.com.cn/html/2023/1307281.shtml",
            "https://chuneng.bjx.com.cn/html/20230517/list.shtml",
            "https://img01.mybjx.net/html/20230517/1307281.shtml",
        ],
    ),
    "chinanews": (
        [
            "https://www.chinanews.com.cn/cj/2024/01-09/10143622.shtml",
            "https://www.chinanews.com/cj/2024/01-09/10143622.shtml",
            # pages 2 … N of a long article are the article
            "https://www.chinanews.com.cn/gn/2023/05-17/10009876_2.shtml",
            "https://www.chinanews.com.cn/gn/2023/05-17/10009876_12.shtml",
        ],
        [
            "https://www.chinanews.com.cn/scroll-news/news2.html",
            "https://www.chinanews.com.cn/gn/2023/05-17/10009876_.shtml",
            "https://www.chinanews.com.cn/gn/2023/05-17/10009876-2.shtml",
            "https://www.chinanews.com.cn/gn/2023/0517/10009876_2.shtml",
        ],
    ),
    "zgm": (
        [
            "https://www.zgm.cn/content/6717398416d9a",
            # the legacy site
            "https://www.zgm.cn/html/a/2016/1122/512345.html",
            "http://zgm.cn/html/a/2015/0304/498765.html",
        ],
        [
            "https://www.zgm.cn/content/6a67f58a06f0",
            "https://www.zgm.cn/html/a/2016/11/512345.html",
            "https://www.zgm.cn/html/list/2016/1122/512345.html",
            "https://www.zgm.cn/html/a/2016/1122/",
        ],
    ),
}


@pytest.mark.parametrize("site", sorted(SCHEMES))
def test_article_urls_of_the_real_schemes(site):
    spider = site_spiders()[site]()
    yes, no = SCHEMES[site]
    assert [u for u in yes if not spider.is_article_url(u)] == []
    assert [u for u in no if spider.is_article_url(u)] == []


# each scheme of the issue has a record in the replica, so the replica crawl
# (tests/test_crawl_replica.py) fetches, extracts and compares a page of it
REPLICA_SCHEMES = {
    "shanghai_gov named column": r"https://www\.shanghai\.gov\.cn/(?!nw)[a-z]+/\d{8}/[0-9a-f]{32}\.html",
    "shanghai_gov 2018 portal": r"https://www\.shanghai\.gov\.cn/nw2/nw2314/.+\.html",
    "bjx channel /html/": r"https://(?!news\.)[a-z0-9]+\.bjx\.com\.cn/html/\d{8}/\d+\.shtml",
    "zgm legacy": r"https://www\.zgm\.cn/html/a/\d{4}/\d{4}/\d+\.html",
}


@pytest.mark.parametrize("scheme", sorted(REPLICA_SCHEMES))
def test_the_replica_serves_a_page_of_each_scheme(scheme):
    import re

    hits = [r for r in load_expected() if re.fullmatch(REPLICA_SCHEMES[scheme], r["url"])]
    assert hits, scheme
    for r in hits:
        assert site_spiders()[r["site"]]().is_article_url(r["url"])
        assert (REPLICA_SITE / B.url_to_path(r["url"])).is_file()


def test_continuation_pages_are_one_article():
    cn = site_spiders()["chinanews"]()
    assert cn.canonical_url("https://www.chinanews.com/gn/2023/05-17/10009876_3.shtml") == \
        "https://www.chinanews.com.cn/gn/2023/05-17/10009876.shtml"
    assert cn.article_page_url("https://www.chinanews.com.cn/gn/2023/05-17/10009876.shtml", 3) == \
        "https://www.chinanews.com.cn/gn/2023/05-17/10009876_3.shtml"


def _spider(name):
    cls = site_spiders()[name]
    return cls.from_crawler(get_crawler(cls, settings_dict={"ARCHIVE_DB": ":memory:"}))


def _page(url, body: str) -> HtmlResponse:
    return HtmlResponse(url=url, body=f"<html><body>{body}</body></html>".encode(), encoding="utf-8")


URL = "https://www.chinanews.com.cn/gn/2023/05-17/10009876.shtml"
PAGER_SCRIPT = """<div id="pagebox"></div><script>
var pageCount = 3, pageNo = 1, pageBase = "10009876", pageHtml = "";
for (var i = 1; i <= pageCount; i++) { pageHtml += "<a href=" + pageBase + (i > 1 ? "_" + i : "") + ".shtml>" + i + "</a>"; }
</script>"""


@pytest.mark.parametrize("body, want", [
    (PAGER_SCRIPT, [2, 3]),  # the page's script writes the pager: the page count says how many
    ("<p>正文</p><div>共 4 页</div>", [2, 3, 4]),
    ('<script>var pages = ["10009876_2.shtml", "10009876_3.shtml"];</script>', [2, 3]),  # quoted in a script
    ('<a href="10009876_2.shtml">2</a>', [2]),  # a plain link
    ('<a href="10001111_2.shtml">another article</a><p>正文</p>', []),
    ("<p>正文</p>", []),
])
def test_chinanews_continuation_pages_found_however_the_pager_is_written(body, want):
    spider = _spider("chinanews")
    got = spider.continuation_pages(_page(URL, body), URL)
    assert got == [f"https://www.chinanews.com.cn/gn/2023/05-17/10009876_{n}.shtml" for n in want]


def test_a_continuation_page_does_not_add_pages_again():
    spider = _spider("chinanews")
    page2 = URL.replace(".shtml", "_2.shtml")
    assert spider.continuation_pages(_page(page2, PAGER_SCRIPT.replace("pageNo = 1", "pageNo = 2")), URL) == []


def test_a_site_without_continuation_page_reads_only_links():
    spider = _spider("bjx")
    url = "https://news.bjx.com.cn/html/20210930/1179535.shtml"
    body = '<div class="cc-paging"><a href="1179535-2.shtml">2</a></div><div>共 5 页</div>'
    assert spider.continuation_pages(_page(url, body), url) == ["https://news.bjx.com.cn/html/20210930/1179535-2.shtml"]


def test_the_long_chinanews_article_of_the_replica_is_split_by_script():
    long = [r for r in load_expected() if r["site"] == "chinanews" and len(r.get("pages") or ()) >= 3]
    assert long, "the replica has no chinanews article of three pages or more"
    r = long[0]
    first = (REPLICA_SITE / B.url_to_path(r["url"])).read_text("utf-8")
    assert "_2.shtml" not in first  # no link to page 2: only the script knows the pages
    for n in range(2, len(r["pages"]) + 1):
        assert (REPLICA_SITE / B.url_to_path(r["url"].replace(".shtml", f"_{n}.shtml"))).is_file()


# --------------------------------------------------------------------------- TOML site files

GOOD = """\
name = "mee"
label = "生态环境部"
hosts = ["www.mee.gov.cn"]
start_urls = ["https://www.mee.gov.cn/zcwj/zyygwj/index.shtml"]
list_page = ['index\\.shtml$', "index_{n}.shtml"]
article_urls = ['https://www\\.mee\\.gov\\.cn/zcwj/\\w+/\\d{6}/t\\d{8}_\\d+\\.shtml']
refresh_minutes = 360

[host_aliases]
"mee.gov.cn" = "www.mee.gov.cn"

[selectors]
title = "div.content h1"
remove = ["div.share"]
"""


def test_a_toml_site_file_is_a_site_class(tmp_path):
    path = tmp_path / "mee.toml"
    path.write_text(GOOD, "utf-8")
    cls = load_site_file(path)
    spider = cls()
    assert (cls.name, cls.label, cls.refresh_minutes, kind(cls)) == ("mee", "生态环境部", 360, "toml")
    assert cls.selectors.title == "div.content h1" and cls.selectors.remove == ("div.share",)
    assert spider.is_article_url("http://mee.gov.cn/zcwj/zyygwj/202305/t20230517_1030000.shtml")
    assert not spider.is_article_url("https://www.mee.gov.cn/zcwj/zyygwj/index_2.shtml")
    assert spider.page_url(cls.start_urls[0], 2) == "https://www.mee.gov.cn/zcwj/zyygwj/index_2.shtml"
    assert cls.allowed_domains == ["mee.gov.cn", "www.mee.gov.cn"]


@pytest.mark.parametrize("change, field", [
    (("name = \"mee\"", "name = \"Mee Site\""), "name"),
    (("hosts = [\"www.mee.gov.cn\"]\n", ""), "hosts"),
    (("hosts = [\"www.mee.gov.cn\"]", "hosts = \"www.mee.gov.cn\""), "hosts"),
    (("hosts = [\"www.mee.gov.cn\"]", "hosts = [\"www mee\"]"), "hosts"),
    (("start_urls = [\"https://www.mee.gov.cn/zcwj/zyygwj/index.shtml\"]", "start_urls = [\"ftp://x\"]"), "start_urls"),
    (("list_page = ['index\\.shtml$', \"index_{n}.shtml\"]", "list_page = ['index(', \"index_{n}.shtml\"]"), "list_page"),
    (("list_page = ['index\\.shtml$', \"index_{n}.shtml\"]", "list_page = ['index\\.shtml$', \"index_2.shtml\"]"),
     "list_page"),
    (("article_urls = ['", "article_urls = ['(["), "article_urls"),
    (("refresh_minutes = 360", "refresh_minutes = \"6h\""), "refresh_minutes"),
    (("refresh_minutes = 360", "refresh_minutes = 360\ncontinuation = 'x_\\d+'"), "continuation"),
    (("refresh_minutes = 360", "refresh_minutes = 360\nstart_url = 'x'"), "start_url"),
    (("title = \"div.content h1\"", "headline = \"h1\""), "headline"),
])
def test_a_bad_site_file_is_one_line_naming_the_file_and_field(tmp_path, change, field):
    path = tmp_path / "mee.toml"
    old, new = change
    assert old in GOOD
    path.write_text(GOOD.replace(old, new), "utf-8")
    with pytest.raises(SiteFileError) as exc:
        load_site_file(path)
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith(str(path)) and f" {field}:" in msg, msg


def test_a_bad_site_file_stops_the_cli_with_exit_2(tmp_path):
    (tmp_path / "mee.toml").write_text(GOOD.replace("refresh_minutes = 360", "refresh_minutes = 0"), "utf-8")
    proc = run_archive("--sites", tmp_path, "sites")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"error: site file {tmp_path / 'mee.toml'}:7: refresh_minutes: wants a whole number of minutes ≥ 1"]


def test_a_toml_site_may_not_take_a_python_sites_key(tmp_path):
    (tmp_path / "zgm.toml").write_text(GOOD.replace('name = "mee"', 'name = "zgm"'), "utf-8")
    settings = project_settings(SITES_DIR=str(tmp_path))
    with pytest.raises(SiteFileError, match=r"zgm\.toml:1: name: 'zgm' is already a site"):
        sites(settings)


# --------------------------------------------------------------------------- a throw-away site, end to end

THROWAWAY = """\
name = "throwaway"
label = "示例能源局"
hosts = ["nea.example.cn"]
start_urls = ["https://nea.example.cn/zcfg/index.html"]
list_page = ['index\\.html$', "index_{n}.html"]
article_urls = ['https://nea\\.example\\.cn/zcfg/\\d{6}/t\\d{8}_\\d+\\.html']
refresh_minutes = 120
"""

PARAS = [
    "为深入贯彻落实国家能源发展战略，推动能源绿色低碳转型，现就做好{t}有关工作通知如下。",
    "一、总体要求。坚持统筹发展和安全，坚持市场主导和政府引导相结合，稳步推进{t}各项任务落地见效。",
    "二、重点任务。各地要结合实际制定实施方案，明确时间表和路线图，加强项目储备和要素保障，及时协调解决{t}推进中的困难和问题。",
    "三、保障措施。加强组织领导，压实各方责任，完善统计监测和评估机制，定期报送{t}工作进展情况。",
    "四、本通知自印发之日起施行，有效期五年。",
]


def _throwaway_records() -> list[dict]:
    topics = ["新型储能试点示范", "分布式光伏开发建设", "氢能产业标准体系建设"]
    out = []
    for i, t in enumerate(topics):
        day = f"202405{10 + i:02d}"
        out.append({
            "url": f"https://nea.example.cn/zcfg/{day[:6]}/t{day}_{700100 + i}.html",
            "site": "throwaway",
            "title": f"关于做好{t}工作的通知",
            "published_at": f"2024-05-{10 + i:02d}T09:30:00+08:00",
            "source": "示例能源局", "author": None, "editor": None, "keywords": [],
            "text": "\n".join(p.format(t=t) for p in PARAS),
            "aliases": [], "attachments": [],
        })
    return out


@pytest.fixture(scope="module")
def throwaway(tmp_path_factory):
    """A sites directory with one TOML site, and the replica rebuilt with three records of it."""
    root = tmp_path_factory.mktemp("throwaway")
    sites_dir = root / "sites"
    sites_dir.mkdir()
    (sites_dir / "throwaway.toml").write_text(THROWAWAY, "utf-8")
    registry = sites(project_settings(SITES_DIR=str(sites_dir)))
    assert "throwaway" in registry
    records = B.load_records(REPLICA / "expected") + _throwaway_records()
    specials = B._specials(B.load_not_articles(REPLICA / "not_articles.json"))
    tree = root / "tree"
    B.render_site_tree(records, tree, per_page=2, specials=specials, sites=registry)
    return sites_dir, tree, registry


def test_archive_sites_lists_a_toml_site_beside_the_python_ones(throwaway):
    sites_dir = throwaway[0]
    proc = run_archive("--sites", sites_dir, "sites", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["site"]: r for r in json.loads(proc.stdout)}
    assert set(rows) == set(site_spiders()) | {"throwaway"}
    assert rows["throwaway"]["kind"] == "toml" and rows["throwaway"]["file"] == str(sites_dir / "throwaway.toml")
    assert rows["throwaway"]["refresh_minutes"] == 120 and rows["throwaway"]["label"] == "示例能源局"
    assert {rows[k]["kind"] for k in site_spiders()} == {"python"}
    # without the directory, the site is not there
    plain = json.loads(run_archive("sites", "--json").stdout)
    assert "throwaway" not in {r["site"] for r in plain}


def test_the_replica_builder_renders_a_registered_site_it_has_no_look_for(throwaway):
    _, tree, registry = throwaway
    for r in _throwaway_records():
        assert (tree / B.url_to_path(r["url"])).is_file()
    lists = sorted(p.name for p in (tree / "nea.example.cn" / "zcfg").glob("index*.html"))
    assert lists == ["index.html", "index_2.html"]  # 3 records, 2 per page, paginated by the site's list_page
    with pytest.raises(ValueError, match="unknown site 'throwaway'"):
        B.render_site_tree(_throwaway_records(), None, sites=site_spiders())


def test_the_demo_crawls_a_throw_away_site_with_nothing_else_changed(throwaway, tmp_path):
    sites_dir, tree, _ = throwaway
    db = tmp_path / "archive.db"
    proc = run_archive("--sites", sites_dir, "demo", "--root", tree, "--db", db, "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = {s["site"]: s for s in json.loads(proc.stdout)}
    assert set(summary) == set(site_spiders()) | {"throwaway"}
    want = _throwaway_records()
    assert summary["throwaway"]["new"] == len(want) and summary["throwaway"]["status"] == "ok"
    for site in site_spiders():
        assert summary[site]["new"] == sum(1 for e in load_expected() if e["site"] == site), site
    conn = sqlite3.connect(db)
    got = dict(conn.execute("SELECT url, text FROM articles WHERE site = 'throwaway'").fetchall())
    titles = dict(conn.execute("SELECT url, title FROM articles WHERE site = 'throwaway'").fetchall())
    assert got == {r["url"]: r["text"] for r in want}
    assert titles == {r["url"]: r["title"] for r in want}


def test_scrapy_crawl_finds_a_toml_site_through_the_environment(throwaway, tmp_path):
    """`scrapy crawl KEY` (the project's spider loader) sees the same sites as `archive`."""
    import os
    import subprocess
    import sys

    sites_dir, tree, _ = throwaway
    server, url = serve_in_thread(tree)
    try:
        db = tmp_path / "scrapy.db"
        proc = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "throwaway", "-s", f"ARCHIVE_DB={db}", "-s", f"MIRROR_URL={url}"],
            cwd=REPLICA.parent, capture_output=True, text=True, timeout=300,
            env={**os.environ, "ARCHIVE_SITES_DIR": str(sites_dir)})
    finally:
        server.shutdown()
    assert proc.returncode == 0, proc.stderr[-3000:]
    n = sqlite3.connect(db).execute("SELECT count(*) FROM articles WHERE site = 'throwaway'").fetchone()[0]
    assert n == len(_throwaway_records())


# --------------------------------------------------------------------------- docs

def test_readme_sites_table_is_the_registry():
    import re

    from crawler.registry import markdown_table

    readme = (REPLICA.parent / "README.md").read_text("utf-8")
    m = re.search(r"<!-- sites table:[^\n]*-->\n(.*?)\n<!-- end of the sites table -->", readme, re.S)
    assert m, "README has no generated sites table"
    assert m.group(1).strip() == markdown_table(site_spiders()), \
        "README's sites table differs from the registry: paste crawler.registry.markdown_table(sites()) in"


PY_SITE = '''"""A throw-away site file in a spider module of its own."""
from archive.siterules import Selectors
from crawler.base import SiteSpider


class ThrowawaySpider(SiteSpider):
    name = "throwaway"
    label = "示例能源局"
    hosts = ("nea.example.cn",)
    start_urls = ("https://nea.example.cn/zcfg/index.html",)
    list_page = (r"index\\.html$", "index_{n}.html")
    article_urls = (r"https://nea\\.example\\.cn/zcfg/\\d{6}/t\\d{8}_\\d+\\.html",)
    selectors = Selectors(title="div.article h1")
    refresh_minutes = 120
'''


def test_a_python_site_in_a_spider_module_of_its_own_is_crawled(throwaway, tmp_path):
    """The same site as a Python site file, in a module put on SPIDER_MODULES: `archive crawl` takes it."""
    _, tree, _ = throwaway
    pkg = tmp_path / "extra_sites"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", "utf-8")
    (pkg / "throwaway.py").write_text(PY_SITE, "utf-8")
    server, url = serve_in_thread(tree)
    try:
        db = tmp_path / "archive.db"
        proc = run_archive("crawl", "throwaway", "--db", db, "--mirror", url, "--json",
                           "--set", "SPIDER_MODULES=crawler.spiders,extra_sites",
                           env={"PYTHONPATH": str(tmp_path)})
    finally:
        server.shutdown()
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert [(s["site"], s["new"]) for s in json.loads(proc.stdout)] == [("throwaway", len(_throwaway_records()))]
    got = dict(sqlite3.connect(db).execute("SELECT url, text FROM articles WHERE site = 'throwaway'").fetchall())
    assert got == {r["url"]: r["text"] for r in _throwaway_records()}


# --------------------------------------------------------------------------- archive sites check

def test_sites_check_reports_links_per_list_page_and_a_sample(throwaway):
    sites_dir, tree, _ = throwaway
    server, url = serve_in_thread(tree)
    try:
        proc = run_archive("--sites", sites_dir, "sites", "check", "throwaway", "--mirror", url, "--json")
        text = run_archive("--sites", sites_dir, "sites", "check", "throwaway", "--mirror", url, "--max-pages", "1")
    finally:
        server.shutdown()
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    want = sorted(_throwaway_records(), key=lambda r: r["published_at"], reverse=True)
    # 3 articles, 2 per list page: index.html links 2, index_2.html links 1
    assert [(p["page"], p["article_links"]) for p in report["list_pages"]] == [(1, 2), (2, 1)]
    assert report["articles"] == 3 and report["status"] == "ok" and report["failures"] == []
    assert report["samples"][0]["title"] == want[0]["title"]
    assert report["samples"][0]["text"] == want[0]["text"][:120]
    # one list page deep: two articles; printed for a person
    assert text.returncode == 0, text.stderr[-2000:]
    assert "list page 1: https://nea.example.cn/zcfg/index.html  HTTP 200, 2 article links" in text.stdout
    assert "list page 2" not in text.stdout and "articles stored: 2" in text.stdout


def test_sites_check_of_an_unknown_site_or_one_that_gives_nothing():
    unknown = run_archive("sites", "check", "nosuchsite")
    assert unknown.returncode == 2 and "no site 'nosuchsite'" in unknown.stderr
    dead = run_archive("sites", "check", "zgm", "--mirror", "http://127.0.0.1:9")
    assert dead.returncode == 1 and "articles stored: 0" in dead.stdout and "failed: 1 × connection" in dead.stdout


# --------------------------------------------------------------------------- CMS families

def _family_site(tmp_path, family, hosts, start):
    path = tmp_path / f"{family}.toml"
    path.write_text(f'name = "fam_{family}"\nhosts = {json.dumps(hosts)}\nstart_urls = ["{start}"]\n'
                    f'family = "{family}"\n', "utf-8")
    return load_site_file(path)()


@pytest.mark.parametrize("family, hosts, start, yes, no, page3", [
    ("trs_wcm", ["www.nea.gov.cn"], "https://www.nea.gov.cn/policy/zxwj/index.htm",
     ["https://www.nea.gov.cn/policy/zxwj/202202/t20220211_2004628.html",
      "https://www.nea.gov.cn/202305/t20230517_123456.shtml"],
     ["https://www.nea.gov.cn/policy/zxwj/index_1.htm", "https://www.nea.gov.cn/policy/t20220211_2004628.html",
      "https://www.mee.gov.cn/policy/zxwj/202202/t20220211_2004628.html"],
     "https://www.nea.gov.cn/policy/zxwj/index_2.htm"),
    ("gd_gov", ["www.gz.gov.cn"], "https://www.gz.gov.cn/zwgk/zcjd/index.html",
     ["https://www.gz.gov.cn/zwgk/zcjd/content/post_9876543.html", "https://www.gz.gov.cn/content/post_1.html"],
     ["https://www.gz.gov.cn/zwgk/zcjd/index_2.html", "https://www.gz.gov.cn/zwgk/zcjd/content/post_x.html"],
     "https://www.gz.gov.cn/zwgk/zcjd/index_3.html"),
    ("hanweb", ["*.zj.gov.cn"], "https://fzggw.zj.gov.cn/col/col1621004/index.html",
     ["https://fzggw.zj.gov.cn/art/2016/11/22/art_1621004_30332664.html"],
     ["https://fzggw.zj.gov.cn/col/col1621004/index.html", "https://fzggw.zj.gov.cn/art/2016/11/art_1_2.html",
      "https://zj.gov.cn.example.com/art/2016/11/22/art_1621004_30332664.html"],
     None),
])
def test_a_family_gives_article_urls_and_pagination(tmp_path, family, hosts, start, yes, no, page3):
    spider = _family_site(tmp_path, family, hosts, start)
    assert [u for u in yes if not spider.is_article_url(u)] == []
    assert [u for u in no if spider.is_article_url(u)] == []
    assert spider.page_url(start, 3) == page3


def test_an_unknown_family_is_a_one_line_error(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text('name = "x"\nhosts = ["www.x.gov.cn"]\nstart_urls = ["https://www.x.gov.cn/"]\nfamily = "trs"\n')
    with pytest.raises(SiteFileError, match=r"x\.toml:4: family: unknown family 'trs' \(known: trs_wcm, gd_gov, hanweb\)"):
        load_site_file(path)


def test_a_family_site_of_three_lines_crawls_from_the_replica(tmp_path, mirror):
    """江门's portal runs on the 广东 government cloud: naming the family is enough to crawl its notices."""
    sites_dir = tmp_path / "sites"
    sites_dir.mkdir()
    (sites_dir / "jm_family.toml").write_text(
        'name = "jm_family"\nhosts = ["www.jiangmen.gov.cn"]\n'
        'start_urls = ["https://www.jiangmen.gov.cn/bmpd/jmskjj/zwgk/tzgg/index.html"]\nfamily = "gd_gov"\n', "utf-8")
    db = tmp_path / "archive.db"
    proc = run_archive("--sites", sites_dir, "crawl", "jm_family", "--db", db, "--mirror", mirror, "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    want = {e["url"]: e["text"] for e in load_expected() if e["site"] == "jiangmen_kjj"}
    assert [(s["site"], s["new"]) for s in json.loads(proc.stdout)] == [("jm_family", len(want))]
    got = dict(sqlite3.connect(db).execute("SELECT url, text FROM articles WHERE site = 'jm_family'").fetchall())
    assert got == want


# --------------------------------------------------------------------------- sitemaps

SITEMAP_SITE = """\
name = "throwaway"
label = "示例能源局"
hosts = ["nea.example.cn"]
sitemaps = ["https://nea.example.cn/robots.txt"]
article_urls = ['https://nea\\.example\\.cn/zcfg/\\d{6}/t\\d{8}_\\d+\\.html']
"""


def _urlset(urls) -> str:
    items = "".join(f"<url><loc>{u}</loc><lastmod>2024-05-12</lastmod></url>" for u in urls)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'


def test_a_site_found_through_robots_txt_and_a_gzipped_sitemap_index(throwaway, tmp_path):
    import gzip
    import shutil

    _, tree, _ = throwaway
    copy = tmp_path / "tree"
    shutil.copytree(tree, copy)
    host = copy / "nea.example.cn"
    (host / "robots.txt").write_text("User-agent: *\nAllow: /\nSitemap: https://nea.example.cn/sitemap_index.xml\n")
    (host / "sitemap_index.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<sitemap><loc>https://nea.example.cn/sitemaps/zcfg.xml.gz</loc></sitemap>"
        "<sitemap><loc>https://nea.example.cn/sitemaps/pages.xml</loc></sitemap></sitemapindex>")
    (host / "sitemaps").mkdir()
    urls = [r["url"] for r in _throwaway_records()]
    (host / "sitemaps" / "zcfg.xml.gz").write_bytes(gzip.compress(_urlset(urls[:2]).encode(), mtime=0))
    (host / "sitemaps" / "pages.xml").write_text(_urlset([urls[2], "https://nea.example.cn/zcfg/index.html"]))
    sites_dir = tmp_path / "sites"
    sites_dir.mkdir()
    (sites_dir / "throwaway.toml").write_text(SITEMAP_SITE, "utf-8")
    server, url = serve_in_thread(copy)
    try:
        db = tmp_path / "archive.db"
        proc = run_archive("--sites", sites_dir, "crawl", "throwaway", "--db", db, "--mirror", url, "--json")
    finally:
        server.shutdown()
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert [(s["site"], s["new"], s["errors"]) for s in json.loads(proc.stdout)] == [("throwaway", 3, 0)]
    got = dict(sqlite3.connect(db).execute("SELECT url, text FROM articles").fetchall())
    assert got == {r["url"]: r["text"] for r in _throwaway_records()}


def test_sites_may_name_one_site_file(tmp_path):
    path = tmp_path / "mee.toml"
    path.write_text(GOOD, "utf-8")
    rows = json.loads(run_archive("--sites", path, "sites", "--json").stdout)
    assert [(r["site"], r["kind"]) for r in rows if r["kind"] == "toml"] == [("mee", "toml")]


def test_the_scheduler_takes_toml_sites_and_stops_at_a_bad_one(tmp_path):
    import os
    import subprocess
    import sys

    sites_dir = tmp_path / "sites"
    sites_dir.mkdir()
    (sites_dir / "mee.toml").write_text(GOOD, "utf-8")
    env = {**os.environ, "ARCHIVE_SITES_DIR": str(sites_dir)}
    cmd = [sys.executable, "scheduler.py", "--db", str(tmp_path / "a.db"), "--list"]
    listed = subprocess.run(cmd, cwd=REPLICA.parent, capture_output=True, text=True, env=env, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert any(line.split()[:2] == ["mee", "6h"] for line in listed.stdout.splitlines()), listed.stdout
    (sites_dir / "mee.toml").write_text(GOOD.replace('hosts = ["www.mee.gov.cn"]', "hosts = []"), "utf-8")
    bad = subprocess.run(cmd, cwd=REPLICA.parent, capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip() == f"scheduler.py: error: site file {sites_dir / 'mee.toml'}:3: hosts: must not be empty"
