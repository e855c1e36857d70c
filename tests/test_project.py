"""The project explains itself: sites found automatically, docs that match the code."""
from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from archive.faces.cli import cli
from archive.faces.crawl import site_spiders
from conftest import ROOT, run_archive


def test_every_site_file_is_found_and_declares_what_it_must():
    files = {p.stem for p in (ROOT / "crawler" / "spiders").glob("*.py") if p.stem != "__init__"}
    spiders = site_spiders()
    assert files and set(spiders) == files  # one file per site, nothing else lists them
    for name, cls in spiders.items():
        assert cls.label and cls.hosts and (cls.start_urls or cls.feeds) and cls.article_urls, name
        for url in cls.start_urls:
            assert url.startswith("https://")


def test_site_files_stay_declarative():
    """A site file declares; behaviour lives in the base spider."""
    for path in (ROOT / "crawler" / "spiders").glob("*.py"):
        source = path.read_text("utf-8")
        assert not re.search(r"^\s+def ", source, re.M), f"{path.name} defines methods"
        assert len(source.splitlines()) < 60, path.name


def test_article_url_patterns_accept_and_reject():
    s = site_spiders()
    bjx, cn, zgm, sh, jm = (s[k]() for k in ("bjx", "chinanews", "zgm", "shanghai_gov", "jiangmen_kjj"))
    assert bjx.is_article_url("https://news.bjx.com.cn/html/20210930/1179000.shtml")
    assert bjx.is_article_url("https://chuneng.bjx.com.cn/news/20240105/1354321.shtml")
    assert bjx.canonical_url("https://news.bjx.com.cn/html/20210930/1179000-2.shtml") == \
        "https://news.bjx.com.cn/html/20210930/1179000.shtml"
    assert not bjx.is_article_url("https://news.bjx.com.cn/zc/2/")
    assert cn.canonical_url("https://www.chinanews.com/cj/2025/11-22/10519123.shtml") == \
        "https://www.chinanews.com.cn/cj/2025/11-22/10519123.shtml"
    assert cn.is_article_url("https://www.chinanews.com/cj/2025/11-22/10519123.shtml")
    assert not cn.is_article_url("https://www.chinanews.com.cn/scroll-news/news2.html")
    assert zgm.is_article_url("https://www.zgm.cn/content/6a67f58a06f05")
    assert not zgm.is_article_url("https://www.zgm.cn/content/6a67f58a06f0")
    assert sh.is_article_url("https://www.shanghai.gov.cn/nw12344/20210930/0a1b2c3d4e5f60718293a4b5c6d7e8f9.html")
    assert jm.is_article_url("https://www.jiangmen.gov.cn/bmpd/jmskjj/zwgk/tzgg/content/post_2963210.html")
    assert bjx.page_url("https://news.bjx.com.cn/zc/", 3) == "https://news.bjx.com.cn/zc/3/"
    assert cn.page_url("https://www.chinanews.com.cn/scroll-news/news1.html", 2) == \
        "https://www.chinanews.com.cn/scroll-news/news2.html"
    assert sh.page_url("https://www.shanghai.gov.cn/nw12344/index.html", 2) == \
        "https://www.shanghai.gov.cn/nw12344/index_2.html"
    assert zgm.page_url("https://www.zgm.cn/", 2) is None


def test_readme_documents_every_command_and_table():
    readme = (ROOT / "README.md").read_text("utf-8")
    for name in cli.commands:
        assert f"archive {name}" in readme, f"README does not mention `archive {name}`"
    for table in ("articles", "raw_pages", "article_urls", "attachments", "failures"):
        assert f"`{table}`" in readme
    quick = readme.split("## Quick start", 1)[1].split("##", 1)[0]
    assert re.findall(r"^make \w+", quick, re.M) == ["make demo", "make test"]


def test_every_command_documents_itself():
    runner = CliRunner()
    for name, command in cli.commands.items():
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert command.help and command.help.strip(), name


def test_sites_command_lists_every_site():
    proc = run_archive("sites")
    assert proc.returncode == 0
    for name in site_spiders():
        assert name in proc.stdout


def test_scrapy_crawl_one_spider_the_scrapy_way(tmp_path, mirror):
    import subprocess
    import sys
    import sqlite3

    db = tmp_path / "scrapy.db"
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "zgm", "-s", f"ARCHIVE_DB={db}", "-s", f"MIRROR_URL={mirror}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    n = sqlite3.connect(db).execute("SELECT count(*) FROM articles WHERE site = 'zgm'").fetchone()[0]
    assert n >= 1
