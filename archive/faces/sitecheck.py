"""``archive sites check KEY``: try a site file before the scheduler runs it.

Crawls the site once with the real engine and the real pipeline into a throw-away archive, a few
list pages deep, and reports what it met: each list page fetched with the article links found on
it and whether the walk went on, the articles stored, their field coverage and text length (the
run's ``run_quality`` row, ``archive/quality.py``), a sample extraction, and the failures.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from scrapy import signals
from scrapy.crawler import CrawlerProcess

from archive.db import Archive, open_db
from archive.quality import coverage_line, last_quality
from archive.faces.crawl import outcome, project_settings, site_spiders
from crawler import meta as meta_


def check_site(key: str, *, mirror: str | None = None, max_pages: int = 2, samples: int = 1) -> dict:
    """What a crawl of *key* finds (KeyError: no such site)."""
    spiders = site_spiders()
    cls = spiders[key]
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "check.db"
        settings = project_settings(ARCHIVE_DB=str(db_path), MIRROR_URL=mirror, MAX_LIST_PAGES=max_pages,
                                    LOG_LEVEL="ERROR", INCREMENTAL=False)
        archive = Archive(db_path).open()
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(cls)
        lists: list[dict] = []

        def on_response(response, request, spider):
            if request.meta.get(meta_.KIND) != meta_.LIST:
                return
            found = []
            if response.status == 200 and hasattr(response, "text"):
                try:
                    for url in spider.links(spider.decoded(response) or response):
                        if spider.is_article_url(url):
                            canon = spider.canonical_url(url)
                            if canon not in found:
                                found.append(canon)
                except (AttributeError, ValueError):  # not a page with links
                    pass
            lists.append({"url": response.url, "status": response.status,
                          "page": request.cb_kwargs.get("n"), "article_links": len(found)})

        crawler.signals.connect(on_response, signal=signals.response_received)
        process.crawl(crawler)
        process.start()
        result = outcome(key, crawler, archive, "")
        archive.close()
        db = open_db(db_path)
        rows = list(db.execute(
            "SELECT url, title, published_at, source, text FROM articles ORDER BY published_at DESC LIMIT ?",
            [samples]).fetchall())
        articles = db.execute("SELECT count(*) FROM articles").fetchone()[0]
        quality = last_quality(db).get(key)
        failures = [dict(kind=k, reason=r, n=n) for k, r, n in db.execute(
            "SELECT kind, reason, count(*) FROM failures GROUP BY kind, reason ORDER BY count(*) DESC")]
        db.conn.close()
    return {
        "site": key,
        "label": cls.label,
        "status": result.status,
        "reason": result.reason,
        "list_pages": lists,
        "articles": articles,
        "quality": quality,
        "samples": [dict(url=u, title=t, published_at=p, source=s, text=(x or "")[:120]) for u, t, p, s, x in rows],
        "failures": failures,
    }


def format_check(report: dict) -> str:
    out = [f"{report['site']} ({report['label']}): {report['status']}"
           + (f" — {report['reason']}" if report["reason"] else "")]
    for p in report["list_pages"]:
        out.append(f"  list page {p['page']}: {p['url']}  HTTP {p['status']}, {p['article_links']} article links")
    out.append(f"  articles stored: {report['articles']}")
    if report.get("quality"):
        out.append(f"  coverage: {coverage_line(report['quality'])}")
    for s in report["samples"]:
        out += [f"  sample: {s['url']}", f"    title: {s['title']}",
                f"    published_at: {s['published_at']}  source: {s['source']}",
                f"    text: {s['text'].splitlines()[0] if s['text'] else ''}"]
    for f in report["failures"]:
        out.append(f"  failed: {f['n']} × {f['kind']}: {f['reason']}")
    return "\n".join(out)
