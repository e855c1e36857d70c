"""A real browser on ``archive serve``: the article list, the search page, feeds, article pages.

Uses headless Chromium from Debian's ``chromium`` package; the session fixture
installs it with apt-get when it is missing (as root, e.g. under CI). The test
is skipped, with the reason, only when it cannot be installed. Screenshots go
to test-artifacts/browser/.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from archive.faces.serve import free_port, start
from conftest import ROOT, apt_install, dict_rows, load_expected

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts" / "browser"


def _has_cjk_font() -> bool:
    try:
        out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return bool(out.strip())


def _install_chromium() -> str | None:
    """Install Debian's chromium (and a Chinese font, so that screenshots are
    legible); returns None on success, else why it could not be."""
    packages = [] if os.path.exists(CHROMIUM) else ["chromium"]
    if not _has_cjk_font():
        packages.append("fonts-wqy-microhei")
    if not packages:
        return None
    why = apt_install(*packages, what="chromium")
    if why and os.path.exists(CHROMIUM):
        return None  # only the font failed: the screenshots show boxes, the checks still hold
    if why:
        return why
    return None if os.path.exists(CHROMIUM) else f"apt-get installed chromium but {CHROMIUM} is missing"


@pytest.fixture(scope="session")
def chromium():
    why = _install_chromium()
    if why:
        pytest.skip(f"no headless Chromium: {why}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # the [test] extra is missing
        pytest.skip(f"playwright (python package) is not installed: {exc}")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(crawled, tmp_path_factory):
    db, code, summary, err = crawled
    assert code == 0, f"crawl of the replica failed: {summary}\n{err[-2000:]}"
    log = open(tmp_path_factory.mktemp("browser") / "datasette.log", "w")
    proc, url = start(db, port=free_port(), log=log)
    yield url, db
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


def shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)



def _containing(db, word):
    return {r["id"]: r for r in dict_rows(db, "SELECT id, title, text, site, published_at, duplicate_of FROM articles")
            if word in f"{r['title']}\n{r['text']}"}


@pytest.mark.parametrize("width, height, at_least", [(1920, 1200, 4), (1280, 800, 1)])
def test_article_list_first_screen_shows_rows(chromium, server, width, height, at_least):
    """The articles table opens as a list to read: five columns, site names, newest first, rows on the first screen."""
    from archive.faces.crawl import site_labels

    url, db = server
    page = chromium.new_page(viewport={"width": width, "height": height})
    page.goto(url + "/archive/articles")
    heads = page.locator("table.archive-list thead th")
    assert [t.replace("\xa0", " ") for t in heads.all_inner_texts()] == ["Title", "Site", "Published ▲", "Source", "Excerpt"]
    rows = page.locator("table.archive-list tbody tr")
    n = len(load_expected())
    assert rows.count() == n  # fewer than a page: all of them
    on_screen = [b for b in (rows.nth(i).bounding_box() for i in range(rows.count())) if b["y"] + b["height"] <= height]
    assert len(on_screen) >= at_least
    assert not page.locator("dl.column-descriptions").is_visible()  # the glossary is collapsed
    assert page.locator("details.archive-columns summary").is_visible()
    assert not page.locator("details.archive-columns dd").first.is_visible()

    want = dict_rows(db, "SELECT id, title, site, published_at FROM articles ORDER BY published_at DESC, id DESC")
    labels = site_labels()
    assert page.locator("td.col-title a").all_inner_texts()[:10] == [r["title"] for r in want[:10]]
    assert page.locator("td.col-site").all_inner_texts()[:10] == [labels[r["site"]] for r in want[:10]]
    assert all(len(t) <= 71 for t in page.locator("td.col-excerpt").all_inner_texts())

    # facets: site by its name, months newest first, no suggestions
    site_facet = page.locator("#facet-site li a").all_inner_texts()
    assert set(site_facet) == {labels[s] for s in {r["site"] for r in want}}
    months = page.locator("#facet-published_month li a").all_inner_texts()
    assert months == sorted(months, reverse=True) and len(months) >= 5
    assert page.locator(".suggested-facets").count() == 0
    shot(page, f"01-table-{width}.png")

    # the title opens the article page, titled by the article
    first = want[0]
    with page.expect_navigation():
        page.locator("td.col-title a").first.click()
    assert page.url.endswith(f"/archive/articles/{first['id']}")
    assert page.title().startswith(first["title"])
    page.close()


def test_originals_only_view_drops_the_reposts(chromium, server):
    url, db = server
    reposts = {r["id"] for r in dict_rows(db, "SELECT id FROM articles WHERE duplicate_of IS NOT NULL")}
    assert reposts, "the replica's reposts are grouped"
    page = chromium.new_page(viewport={"width": 1280, "height": 800})
    page.goto(url + "/archive/articles")
    with page.expect_navigation():
        page.get_by_role("link", name="Originals only").click()
    ids = {int(h.rsplit("/", 1)[1]) for h in
           page.locator("td.col-title a").evaluate_all("els => els.map(e => e.getAttribute('href'))")}
    assert len(ids) == len(load_expected()) - len(reposts) and not ids & reposts

    # with attachments: the originals that have one
    with_files = {r["article_id"] for r in dict_rows(db, "SELECT DISTINCT article_id FROM attachments")}
    assert with_files
    with page.expect_navigation():
        page.locator("a.archive-attachments-switch").click()
    ids = {int(h.rsplit("/", 1)[1]) for h in
           page.locator("td.col-title a").evaluate_all("els => els.map(e => e.getAttribute('href'))")}
    assert ids == with_files - reposts
    assert not page.locator(".extra-wheres").is_visible()  # the switch, not SQL
    page.close()


def test_search_page_cards_originals_and_paging(chromium, server):
    """A search for a two-character word: cards with working links, a hit count, readable snippets;
    originals only drops the reposts among the hits."""
    url, db = server
    for word in ("储能", "中试", "氢能", "燃料"):
        want = _containing(db, word)
        if any(r["duplicate_of"] for r in want.values()):
            break
    else:
        pytest.fail("no search word of the replica finds a repost")
    page = chromium.new_page(viewport={"width": 1280, "height": 800})
    page.goto(url + "/archive/-/search")
    page.fill("input[name=q]", word)
    with page.expect_navigation():
        page.press("input[name=q]", "Enter")
    body = page.locator("body").inner_text()
    assert "select " not in body.lower() and "bm25" not in body.lower() and "rank" not in body.lower()
    assert page.locator(".archive-hits strong").inner_text() == str(len(want))
    cards = page.locator(".archive-card")
    assert cards.count() == min(len(want), 20)
    titles = cards.locator("h3 a:not(.archive-badge)").all_inner_texts()
    assert set(titles) <= {r["title"] for r in want.values()}
    assert set(page.locator(".archive-snippet mark").all_inner_texts()) == {word}
    snip = page.locator(".archive-snippet").first.bounding_box()
    assert snip["width"] > 400  # a readable line, not a squeezed cell
    shot(page, "02-search-1280.png")
    page.set_viewport_size({"width": 1920, "height": 1200})
    shot(page, "02-search-1920.png")

    # originals only: the reposts among the hits are gone, the count says so
    page.check("input[name=originals]")
    with page.expect_navigation():
        page.click("input[type=submit]")
    originals = {i for i, r in want.items() if not r["duplicate_of"]}
    assert page.locator(".archive-hits strong").inner_text() == str(len(originals))
    hrefs = page.locator(".archive-card h3 a:not(.archive-badge)").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))")
    assert {int(h.rsplit("/", 1)[1]) for h in hrefs} == originals

    # a card's link opens its article
    first = page.locator(".archive-card h3 a").first
    title = first.inner_text()
    with page.expect_navigation():
        first.click()
    assert page.locator("article h1").inner_text() == title
    assert page.locator(".archive-text p").first.is_visible()
    page.close()


def test_search_page_pages_through_every_hit(chromium, server):
    url, db = server
    word = max(("的", "年", "市"), key=lambda w: len(_containing(db, w)))
    want = _containing(db, word)
    assert len(want) > 20, "a word on more than one page"
    page = chromium.new_page(viewport={"width": 1280, "height": 800})
    page.goto(url + "/archive/-/search?q=" + word)
    seen = []
    while True:
        seen += page.locator(".archive-card h3 a:not(.archive-badge)").evaluate_all(
            "els => els.map(e => e.getAttribute('href'))")
        nxt = page.locator("a[rel=next]")
        if not nxt.count():
            break
        with page.expect_navigation():
            nxt.click()
    assert sorted(int(h.rsplit("/", 1)[1]) for h in seen) == sorted(want)
    page.close()


def test_atom_feed_of_a_search_and_of_a_site(chromium, server):
    import xml.etree.ElementTree as ET

    from archive.faces.crawl import site_labels

    url, db = server
    atom = "{http://www.w3.org/2005/Atom}"
    page = chromium.new_page(viewport={"width": 1280, "height": 800})
    page.goto(url + "/archive/-/search?q=储能")
    href = page.locator("link[rel=alternate][type='application/atom+xml']").get_attribute("href")
    assert href == page.locator("a.archive-feed").get_attribute("href")
    resp = page.request.get(url + href)
    assert resp.ok and resp.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(resp.body())
    assert feed.tag == atom + "feed" and "储能" in feed.findtext(atom + "title")
    for tag in ("id", "updated"):
        assert feed.findtext(atom + tag)
    entries = feed.findall(atom + "entry")
    want = sorted(_containing(db, "储能").values(), key=lambda r: (r["published_at"] or "", r["id"]), reverse=True)
    got = [int(e.find(atom + "link[@rel='alternate']").get("href").rsplit("/", 1)[1]) for e in entries]
    assert got == [r["id"] for r in want][:50]
    for e in entries:
        assert e.findtext(atom + "title") and e.findtext(atom + "id") and e.findtext(atom + "updated")
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$", e.findtext(atom + "updated"))
    # the entry's link opens the article
    page.goto(entries[0].find(atom + "link[@rel='alternate']").get("href"))
    assert page.locator("article h1").inner_text() == want[0]["title"]

    # a site's feed: that site's newest articles only, named by the site's name
    site = want[0]["site"]
    feed = ET.fromstring(page.request.get(url + f"/archive/-/feed.atom?site={site}").body())
    cats = {c.get("term") for c in feed.iter(atom + "category")}
    assert cats == {site} and site_labels()[site] in feed.findtext(atom + "title")
    n = dict_rows(db, "SELECT count(*) AS n FROM articles WHERE site = ?", [site])[0]["n"]
    assert len(feed.findall(atom + "entry")) == min(n, 50)
    page.close()


def test_article_page_attachments_copies_keywords(chromium, server):
    url, db = server
    with_files = dict_rows(db, "SELECT article_id, count(*) AS n FROM attachments GROUP BY article_id ORDER BY n DESC")
    assert with_files, "the replica has articles with attachments"
    aid, n = with_files[0]["article_id"], with_files[0]["n"]
    page = chromium.new_page(viewport={"width": 1920, "height": 1200})
    page.goto(url + f"/archive/articles/{aid}")
    assert page.locator("#attachments li").count() == n
    art = dict_rows(db, "SELECT title, keywords FROM articles WHERE id = ?", [aid])[0]
    assert page.title().startswith(art["title"])
    assert page.locator(".archive-keywords .archive-tag").all_inner_texts() == json.loads(art["keywords"] or "[]")
    shot(page, "03-article-attachments-1920.png")

    copy = dict_rows(db, "SELECT id, duplicate_of FROM articles WHERE duplicate_of IS NOT NULL ORDER BY id")[0]
    page.goto(url + f"/archive/articles/{copy['id']}")
    group = dict_rows(db, "SELECT id FROM articles WHERE (id = :r OR duplicate_of = :r) AND id != :c",
                     {"r": copy["duplicate_of"], "c": copy["id"]})
    links = page.locator("#copies li a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert int(links[0].rsplit("/", 1)[1]) == copy["duplicate_of"]  # the original first
    assert {int(h.rsplit("/", 1)[1]) for h in links} == {g["id"] for g in group}
    shot(page, "03-article-repost-1920.png")
    with page.expect_navigation():
        page.locator("#copies li a").first.click()
    assert page.url.endswith(f"/archive/articles/{copy['duplicate_of']}")
    page.close()


def test_crawl_runs_newest_first(chromium, server):
    url, db = server
    page = chromium.new_page(viewport={"width": 1280, "height": 800})
    page.goto(url + "/archive/crawl_runs")
    started = page.locator("td.col-started_at").all_inner_texts()
    assert len(started) >= 2 and started == sorted(started, reverse=True)
    page.close()


def test_crafted_sql_link_runs_no_script(chromium, server):
    """Reflected XSS: a ?sql= link whose columns carry markup (one named `snippet`, as the
    ranked query's) shows it as text and runs nothing; the real snippets keep their marks."""
    from urllib.parse import quote

    url, db = server
    sql = ("select '<img src=x onerror=\"window.__xss=1;alert(1)\">' as snippet, "
           "'<script>window.__xss2=1;alert(2)</script>' as title, 1 as id, "
           "'<svg onload=\"window.__xss3=1\">' as other, "
           "archive_snippet('储能<script>window.__xss4=1</script>', '储能') as s2")
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url + "/archive?sql=" + quote(sql))
    page.wait_for_load_state("load")
    ran = page.evaluate("[window.__xss, window.__xss2, window.__xss3, window.__xss4]")
    assert ran == [None, None, None, None] and dialogs == []
    body = page.locator("body").inner_text()
    assert '<img src=x onerror="window.__xss=1;alert(1)">' in body  # shown as text
    assert "<script>window.__xss2=1;alert(2)</script>" in body
    assert page.locator("td img, td svg, td script").count() == 0
    assert page.locator("td mark").all_inner_texts() == ["储能"]
    shot(page, "05-crafted-sql.png")
    page.close()
