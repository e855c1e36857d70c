"""A real browser on ``archive serve``: table page, search box, an article, ranked results.

Uses headless Chromium from Debian's ``chromium`` package; the session fixture
installs it with apt-get when it is missing (as root, e.g. under CI). The test
is skipped, with the reason, only when it cannot be installed. Screenshots go
to test-artifacts/browser/.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from archive.faces.serve import free_port, start
from conftest import ROOT, load_expected

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
    if not shutil.which("apt-get"):
        return "chromium is not installed and there is no apt-get to install it"
    prefix = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
    if prefix is None:
        return "chromium is not installed and installing it needs root (no sudo)"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", *packages]):
        try:
            proc = subprocess.run(prefix + cmd, capture_output=True, text=True, timeout=1200, env=env)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"`{' '.join(cmd)}` failed: {exc}"
        if proc.returncode != 0 and os.path.exists(CHROMIUM):
            return None  # only the font failed: the screenshots show boxes, the checks still hold
        if proc.returncode != 0:
            return f"`{' '.join(cmd)}` failed ({proc.returncode}): {(proc.stderr or proc.stdout)[-500:]}"
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


def test_search_box_then_article(chromium, server):
    url, db = server
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT id, title, text FROM articles").fetchall()
    conn.close()
    want = {i: t for i, t, x in rows if "储能" in f"{t}\n{x}"}
    assert 0 < len(want) < len(load_expected())

    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url + "/archive/articles")
    assert "One row per article" in page.locator("body").inner_text()
    box = page.locator("#_search")
    assert box.is_visible()
    shot(page, "01-table.png")

    box.fill("储能")
    with page.expect_navigation():
        box.press("Enter")
    heading = page.locator("h3").first.inner_text()
    assert f"{len(want)} row" in heading and "储能" in heading
    shown = page.locator("td.col-title").all_inner_texts()
    assert sorted(shown) == sorted(want.values())
    ranked_link = page.locator("a.archive-ranked")
    assert ranked_link.is_visible()
    shot(page, "02-search.png")

    # open the first article from the results
    first_link = page.locator("table.rows-and-columns tbody tr").first.locator("td.type-pk a")
    with page.expect_navigation():
        first_link.click()
    aid = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert aid in want
    paras = page.locator(".archive-text p")
    text = rows[[r[0] for r in rows].index(aid)][2]
    assert paras.count() == len([p for p in text.split("\n") if p.strip()])
    assert paras.first.is_visible()
    box = paras.first.bounding_box()
    assert box and box["width"] > 400  # a readable column, not a squeezed table cell
    assert want[aid] in page.locator("body").inner_text()
    shot(page, "03-article.png")

    # the ranked results with snippets, from the link on the search page
    page.go_back()
    with page.expect_navigation():
        page.locator("a.archive-ranked").click()
    marks = page.locator("td mark")
    assert marks.count() >= len(want) - 1  # an article may match in its title only
    assert set(marks.all_inner_texts()) == {"储能"}
    titles = page.locator("td.col-title a").all_inner_texts()
    assert sorted(titles) == sorted(want.values())
    shot(page, "04-ranked.png")
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
