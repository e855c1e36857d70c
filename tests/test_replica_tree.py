"""The committed replica (replica/site/) is a fresh build of its records and is
self-consistent: every record is served and reachable, every article link on a
list page is either a record or a known non-article, special pages are what
they claim to be."""
from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from lxml import html as lxml_html

from archive.tooling.replica import build as B
from archive.tooling.replica import templates as T

ROOT = Path(__file__).resolve().parents[1]
REPLICA = ROOT / "replica"
EXPECTED = REPLICA / "expected"
SITE = REPLICA / "site"

# the sites come from the registry (one site file each): the replica serves them all
SPIDERS = {name: cls() for name, cls in B.registered_sites().items()}
SITES = tuple(SPIDERS)


def _list_page_paths(spider) -> set[str]:
    """Tree paths of the list pages a site's start URLs paginate to (by the site's own list_page)."""
    out = set()
    for start in spider.start_urls:
        for n in range(1, 200):
            url = spider.page_url(start, n)
            if url is None:
                break
            out.add(B.url_to_path(url))
    return out


LIST_PAGES = {name: _list_page_paths(spider) for name, spider in SPIDERS.items()}
RSS = "www.chinanews.com.cn/rss/scroll-news.xml"


def site_of_article(url: str) -> str | None:
    for site, spider in SPIDERS.items():
        if spider.is_article_url(url):
            return site
    return None


@pytest.fixture(scope="module")
def records():
    recs = B.load_records(EXPECTED)
    assert recs, "no records in replica/expected"
    return recs


@pytest.fixture(scope="module")
def not_articles():
    return B.load_not_articles(REPLICA / "not_articles.json")


@pytest.fixture(scope="module")
def tree_files():
    assert SITE.is_dir(), "replica/site/ missing: run python -m archive.tooling.replica.build"
    return sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*") if p.is_file())


def page_url(rel: str) -> str:
    """The URL a tree file serves (index.html stands for its folder)."""
    return "https://" + (rel[: -len("index.html")] if rel.endswith("/index.html") else rel)


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def list_links(rel: str) -> list[str]:
    data = (SITE / rel).read_bytes()
    if rel.endswith(".xml"):
        root = ET.fromstring(data)
        return [el.text.strip() for el in root.iter("link") if el.text]
    tree = lxml_html.fromstring(decode(data))
    base = page_url(rel)
    out = []
    for a in tree.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        out.append(urljoin(base, href).split("#", 1)[0])
    return out


def list_pages(tree_files, site=None):
    out = []
    for rel in tree_files:
        for s, paths in LIST_PAGES.items():
            if (site is None or s == site) and rel in paths:
                out.append(rel)
    return out


# --------------------------------------------------------------------------- the build
def test_committed_tree_equals_fresh_build(tmp_path, tree_files):
    written = B.build(EXPECTED, tmp_path)
    fresh = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert fresh == sorted(written)
    assert fresh == tree_files, "replica/site/ is stale: run python -m archive.tooling.replica.build"
    for rel in fresh:
        assert (tmp_path / rel).read_bytes() == (SITE / rel).read_bytes(), f"{rel} differs from a fresh build"


def test_render_is_deterministic(records, not_articles):
    specials = B._specials(not_articles)
    a = B.render_site_tree(records, per_page=B.COMMITTED_PER_PAGE, specials=specials)
    b = B.render_site_tree(list(reversed(records)), per_page=B.COMMITTED_PER_PAGE, specials=list(reversed(specials)))
    assert a == b


def test_no_machine_paths_in_tree(tree_files):
    needle = str(ROOT).encode()
    for rel in tree_files:
        assert needle not in (SITE / rel).read_bytes(), rel


# --------------------------------------------------------------------------- records
def test_record_schema(records):
    seen = set()
    for r in records:
        assert set(r) >= {"url", "site", "title", "published_at", "source", "author", "editor", "keywords",
                          "text", "aliases", "attachments"}, r["url"]
        assert r["site"] in SITES
        assert site_of_article(r["url"]) == r["site"], r["url"]
        assert urlsplit(r["url"]).hostname != "www.chinanews.com", "canonical chinanews URLs are on .com.cn"
        assert r["url"] not in seen
        seen.add(r["url"])
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\+08:00", r["published_at"]), r["published_at"]
        assert r["title"] and r["title"] == r["title"].strip()
        lines = r["text"].split("\n")
        assert len(lines) >= 5, r["url"]
        for ln in lines:
            assert ln and ln == ln.strip() and "  " not in ln, (r["url"], ln)
        if r.get("pages"):
            assert "\n".join(r["pages"]) == r["text"]
        for a in r["aliases"]:
            assert a != r["url"] and a not in seen
            seen.add(a)
        for att in r["attachments"]:
            assert {"url", "type", "size"} <= set(att) <= {"url", "type", "size", "text"}  # text: what the file holds
    by_site = {s: [r for r in records if r["site"] == s] for s in SITES}
    for s, rs in by_site.items():
        assert 1 <= len(rs) <= 8, (s, len(rs))  # every site keeps a recorded page; the replica stays small


def continuation_files(tree_files, record) -> dict[int, str]:
    """{page number: tree path} of the further pages of a record, as its site's spider reads URLs."""
    spider = SPIDERS[record["site"]]
    if not spider._continuation_re:
        return {}
    out = {}
    for rel in tree_files:
        url = "https://" + rel
        m = spider._continuation_re.fullmatch(url)
        if m and spider.canonical_url(url) == record["url"]:
            out[int(m.group("n"))] = rel
    return out


def test_every_record_is_served(records, tree_files):
    for r in records:
        path = SITE / B.url_to_path(r["url"])
        assert path.is_file(), r["url"]
        page = html.unescape(decode(path.read_bytes()))
        extra = []
        further = continuation_files(tree_files, r)
        assert sorted(further) == list(range(2, len(r.get("pages") or [None]) + 1)), r["url"]
        for n in sorted(further):
            extra.append(html.unescape(decode((SITE / further[n]).read_bytes())))
        for ln in r["text"].split("\n"):
            assert any(ln in p for p in [page, *extra]), (r["url"], ln)
        assert r["title"] in page
        # every metadata field a record sets is visible on the page
        for field in ("source", "author", "editor"):
            if r.get(field):
                assert r[field] in page, (r["url"], field)
        for kw in r["keywords"]:
            assert kw in page, (r["url"], kw)
        for alias in r["aliases"]:
            assert (SITE / B.url_to_path(alias)).read_bytes() == path.read_bytes(), alias


def test_zgm_ids_are_publication_times(records):
    for r in records:
        if r["site"] == "zgm" and "/content/" in r["url"]:  # not the legacy /html/a/ pages
            uid = r["url"].rsplit("/", 1)[-1]
            assert int(uid[:8], 16) == int(datetime.fromisoformat(r["published_at"]).timestamp()), r["url"]


def test_attachments(records):
    found = 0
    for r in records:
        for att in r["attachments"]:
            found += 1
            assert att["url"].startswith(("https://www.jiangmen.gov.cn/attachment/", "https://www.shanghai.gov.cn/cmsres/"))
            data = (SITE / B.url_to_path(att["url"])).read_bytes()
            assert att["size"] == len(data)
            if att["type"] == "application/pdf":
                assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
                assert 200 <= len(data) <= (20000 if att.get("text") else 2000)
            elif att["url"].endswith(".docx"):
                assert data.startswith(b"PK\x03\x04") and att.get("text")
            page = (SITE / B.url_to_path(r["url"])).read_text(encoding="utf-8")
            assert att["url"] in page
    assert found >= 1


# --------------------------------------------------------------------------- links
def test_list_links_are_records_or_known(records, not_articles, tree_files):
    known = {r["url"] for r in records} | {a for r in records for a in r["aliases"]}
    blocked = {n["url"] for n in not_articles}
    pages = list_pages(tree_files) + [RSS]
    linked = set()
    for rel in pages:
        for url in list_links(rel):
            if site_of_article(url):
                assert url in known or url in blocked, f"{rel} links {url}: neither a record nor in not_articles.json"
                linked.add(url)
    for r in records:
        assert r["url"] in linked or set(r["aliases"]) & linked, f"{r['url']} is linked from no list page"
    for n in not_articles:
        assert n["url"] in linked, f"{n['url']} is linked from no list page"


def test_pagination_and_stop_pages(tree_files):
    for site in ("bjx", "chinanews", "shanghai_gov", "jiangmen_kjj"):
        pages = list_pages(tree_files, site)
        with_links = [p for p in pages if any(site_of_article(u) for u in list_links(p))]
        assert len(with_links) >= 2, (site, pages)
    # bjx: past the last page of a column, an empty page; the last real page disables 下一页
    def bjx_page(col, n):
        return f"news.bjx.com.cn/{col}/index.html" if n == 1 else f"news.bjx.com.cn/{col}/{n}/index.html"

    for col in ("zc", "yw"):
        n = 1
        while (SITE / bjx_page(col, n + 1)).is_file():
            n += 1
        assert n >= 3, col
        assert not any(site_of_article(u) for u in list_links(bjx_page(col, n))), col
        assert any(site_of_article(u) for u in list_links(bjx_page(col, n - 1))), col
        assert 'class="next disable"' in (SITE / bjx_page(col, n - 1)).read_text(encoding="utf-8")
    # chinanews: newsN.html past the last is empty
    n = 1
    while (SITE / f"www.chinanews.com.cn/scroll-news/news{n + 1}.html").is_file():
        n += 1
    assert not any(site_of_article(u) for u in list_links(f"www.chinanews.com.cn/scroll-news/news{n}.html"))
    # gov sites: index_{N+1}.html is missing
    for prefix in ("www.shanghai.gov.cn/nw12344", "www.jiangmen.gov.cn/bmpd/jmskjj/zwgk/tzgg"):
        n = 2
        while (SITE / f"{prefix}/index_{n}.html").is_file():
            n += 1
        assert n >= 3, prefix
        assert not (SITE / f"{prefix}/index_{n}.html").exists()


# --------------------------------------------------------------------------- special pages
def test_not_articles(records, not_articles):
    assert {n["kind"] for n in not_articles} >= {"blocked", "http_404"}
    rec_urls = {r["url"] for r in records}
    for n in not_articles:
        assert set(n) >= {"url", "kind", "why"}
        assert n["kind"] in ("blocked", "http_404", "not_html")
        assert site_of_article(n["url"]), n["url"]
        assert n["url"] not in rec_urls
        path = SITE / B.url_to_path(n["url"])
        if n["kind"] == "http_404":
            assert not path.exists(), n["url"]
        elif n["kind"] == "blocked":
            data = path.read_bytes()
            assert 9_000 <= len(data) <= 13_000, len(data)
            text = data.decode("utf-8")
            for marker in ("aliyun_waf", "CF_APP_WAF", "var requestInfo"):
                assert marker in text
            title = lxml_html.fromstring(text).findtext(".//title")
            assert "Verification" in title


def test_gbk_pages_are_gbk_bytes(records):
    gbk = [r for r in records if r["site"] == "chinanews" and T.chinanews_encoding(r) == ("legacy", "gb2312")]
    lying = [r for r in records if r["site"] == "chinanews" and T.chinanews_encoding(r) == ("legacy", "utf-8")]
    assert gbk and lying
    for r in gbk:
        data = (SITE / B.url_to_path(r["url"])).read_bytes()
        assert re.search(rb"charset=gb2312", data, re.I)
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        text = data.decode("gb2312")  # strict: every byte is GB2312
        assert r["title"] in text
        for marker in ('class="left-t"', 'class="left_zw"', 'class="left_name"', "参与互动"):
            assert marker in text
        assert "&#" not in text, "a character outside GB2312 was written as a reference"
    for r in lying:
        data = (SITE / B.url_to_path(r["url"])).read_bytes()
        assert re.search(rb"charset=gb2312", data, re.I)
        text = data.decode("utf-8")
        assert r["title"] in text
        assert r["title"] not in data.decode("gb18030", errors="replace")


def test_bjx_legacy_page_is_a_gbk_table_layout(records):
    legacy = [r for r in records if r["site"] == "bjx" and T.bjx_encoding(r) == ("legacy", "gbk")]
    assert legacy
    for r in legacy:
        data = (SITE / B.url_to_path(r["url"])).read_bytes()
        assert re.search(rb"charset=gbk", data, re.I)
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        text = data.decode("gbk")  # strict
        assert r["title"] in text and "&#" not in text
        doc = lxml_html.fromstring(text)
        assert not doc.xpath("//div"), "a legacy page is laid out with tables only"
        assert doc.xpath("//td[@class='content']") and "打印本页" in text and "相关新闻" in text


def test_government_documents_show_their_facts_table(records):
    docs = [r for r in records if r.get("document")]
    assert {r["site"] for r in docs} == {"shanghai_gov", "jiangmen_kjj"}
    layouts = set()
    for r in docs:
        page = html.unescape((SITE / B.url_to_path(r["url"])).read_text(encoding="utf-8"))
        layout = r.get("facts_layout")
        layouts.add(layout)
        for key in ("index_no", "issuer", "doc_number", "validity"):
            if r["document"][key] is not None:
                assert r["document"][key] in page, (r["url"], key)
        if layout == "cells":  # the older layout: label and value in one cell
            assert "<label>索引号：</label>" in page, r["url"]
            continue
        # the labels are spaced out as on the real portals
        assert re.search(r"索\s+引\s+号", page), r["url"]
        assert r["attachments"], r["url"]
        if layout == "dl":
            assert "<dt>" in page and "<dd>" in page, r["url"]
    assert layouts == {None, "cells", "dl"}


def test_shanghai_pubdate_uses_ratio(records):
    ratio = plain = 0
    for r in records:
        if r["site"] != "shanghai_gov":
            continue
        page = (SITE / B.url_to_path(r["url"])).read_text(encoding="utf-8")
        m = re.search(r'<meta name="PubDate" content="([^"]+)">', page)
        assert m, r["url"]
        d = datetime.fromisoformat(r["published_at"])
        assert m.group(1).replace("\u2236", ":") == d.strftime("%Y-%m-%d %H:%M")
        ratio += "\u2236" in m.group(1)
        plain += ":" in m.group(1)
    assert ratio >= 1 and plain >= 1


def test_rss_feed(records):
    root = ET.fromstring((SITE / RSS).read_bytes())
    assert root.tag == "rss" and root.get("version") == "2.0"
    items = root.findall("./channel/item")
    assert items
    links = [i.findtext("link") for i in items]
    assert all(links)
    assert any(urlsplit(u).hostname == "www.chinanews.com" for u in links)


def test_robots_txt_per_host(tree_files):
    hosts = {rel.split("/", 1)[0] for rel in tree_files}
    for host in hosts:
        text = (SITE / host / "robots.txt").read_text(encoding="ascii")
        assert "User-agent: *" in text and "Disallow: /\n" not in text


def test_generated_records_scale(tmp_path):
    """The templates are generic: many generated records give ~20-item list pages."""
    recs = []
    for i in range(45):
        day = f"2024{(i % 12) + 1:02d}{(i % 27) + 1:02d}"
        recs.append({
            "url": f"https://news.bjx.com.cn/html/{day}/{1400000 + i}.shtml", "site": "bjx",
            "title": f"储能测试稿件{i}", "published_at": f"{day[:4]}-{day[4:6]}-{day[6:]}T10:{i % 60:02d}:00+08:00",
            "source": "北极星储能网", "author": None, "editor": None, "keywords": ["储能"],
            "text": "\n".join(f"第{i}篇第{k}段：新型储能中试验证平台建设稳步推进。" for k in range(5)),
            "aliases": [], "attachments": [],
        })
    files = B.render_site_tree(recs, tmp_path)
    assert "news.bjx.com.cn/yw/index.html" in files and "news.bjx.com.cn/yw/3/index.html" in files
    first = lxml_html.fromstring(files["news.bjx.com.cn/yw/index.html"].decode("utf-8"))
    assert len(first.cssselect("div.cc-list-content > ul > li > a[href][title]")) == B.LIST_PAGE_SIZE
    assert (tmp_path / "news.bjx.com.cn/yw/4/index.html").is_file()
