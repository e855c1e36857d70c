"""The replica's template files: every one is used by the committed build and
ships with the package, and every value a template prints is escaped."""
from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest
from lxml import html as lxml_html

from archive.tooling.replica import build as B
from archive.tooling.replica import templates as T

ROOT = Path(__file__).resolve().parents[1]
REPLICA = ROOT / "replica"
TEMPLATES = Path(T.__file__).resolve().parent / "templates"
HOSTILE = "A<xss>&\"'{{ x }}"


@pytest.fixture(scope="module")
def records():
    return B.load_records(REPLICA / "expected")


def _template_files() -> set[str]:
    return {p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*") if p.is_file()}


def test_every_template_file_is_used_by_the_committed_build(records):
    assert _template_files(), "no template files"
    env = T._env()
    env.cache.clear()
    specials = B._specials(B.load_not_articles(REPLICA / "not_articles.json"))
    B.render_site_tree(records, per_page=B.COMMITTED_PER_PAGE, specials=specials)
    # plus a registered site the builder has no look for (a user's site file): the generic templates
    from crawler.base import SiteSpider

    extra = type("ExtraSite", (SiteSpider,), {
        "name": "extra", "label": "示例", "hosts": ("www.example.cn",), "__module__": __name__,
        "start_urls": ("https://www.example.cn/list/index.html",), "list_page": (r"index\.html$", "index_{n}.html"),
        "article_urls": (r"https://www\.example\.cn/a/\d+\.html",)})
    record = {**records[0], "site": "extra", "url": "https://www.example.cn/a/1.html", "aliases": []}
    B.render_site_tree([record], per_page=1, sites={"extra": extra})
    loaded = {key[1] for key in env.cache.keys()}
    assert _template_files() - loaded == set(), "template files no page uses"


def test_every_template_file_ships_with_the_package():
    """[tool.setuptools.package-data] of archive.tooling.replica covers every file
    under templates/ (a template it misses breaks an installed package)."""
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = conf["tool"]["setuptools"]["package-data"]["archive.tooling.replica"]
    pkg = TEMPLATES.parent
    shipped = {p.relative_to(TEMPLATES).as_posix() for pat in patterns for p in pkg.glob(pat) if p.is_file()}
    assert _template_files() - shipped == set()


def test_printed_values_are_escaped_as_html_escape_does(records):
    """A title, text line, source and keyword carrying markup come out as
    text: escaped with html.escape's entities (&quot; and &#x27;, on which
    the committed tree's bytes depend), never as elements, never evaluated."""
    pages = []
    for r in records:
        h = copy.deepcopy(r)
        h["title"] = HOSTILE
        h["text"] = HOSTILE + "\n" + h["text"]
        h["source"] = HOSTILE
        h["keywords"] = [HOSTILE]
        site = h["site"]
        if site == "bjx":
            pages += [T.bjx_article(h, 1, [h]), T.bjx_legacy_article(h, [h]), T.bjx_list("yw", [h], 1, 1)]
        elif site == "chinanews":
            pages += [T.chinanews_article(h, [h]), T.chinanews_legacy_article(h, [h]), T.chinanews_scroll([h], 1, 1)]
        elif site == "zgm":
            pages += [T.zgm_article(h, [h]), T.zgm_legacy_article(h), T.zgm_home([h])]
        elif site == "shanghai_gov":
            pages += [T.shanghai_article(h, [h]), T.shanghai_list([h], 1, 1)]
        elif site == "jiangmen_kjj":
            pages += [T.jiangmen_article(h, prev=h, next_=h), T.jiangmen_list([h], 1, 1)]
        # any registered site without a look of its own (a user's site file)
        pages += [T.generic_article(h, label=HOSTILE, list_url="/", pager=[(2, "/x_2.html")]),
                  T.generic_list([h], label=HOSTILE, page=1, total_pages=2, next_url="/index_2.html")]
    assert len(pages) >= 5 * 2
    escaped = "A&lt;xss&gt;&amp;&quot;&#x27;{{ x }}"
    for page in pages:
        assert "<xss>" not in page
        assert escaped in page
        tree = lxml_html.fromstring(page)
        assert not tree.xpath("//xss"), "markup in a value became an element"
        assert HOSTILE in tree.text_content()


def test_the_raw_insertions_are_the_marked_ones(records):
    """The challenge's string table (script source with quotes) and the RSS
    CDATA summary are inserted as they are."""
    page = T.bjx_challenge("https://news.bjx.com.cn/html/20250101/1.shtml")
    assert "var aliyun_waf_tbl = ['\\x" in page
    r = dict(records[0], text="<b>粗体</b>\n第二行")
    feed = T.chinanews_rss([(r["url"], r)])
    assert "<description><![CDATA[<b>粗体</b>第二行]]></description>" in feed
