"""Store-stage benchmark: the archive writes of a crawl, without the crawl.

The crawl bench's generated articles (``crawl_bench.generate_records``), rendered as its replica
renders them, are extracted and cleaned first (not measured); then each goes through the dedup
and store stages (and, with ``--neardup``, the near-duplicate stage) on a real archive file, as
the crawl would hand them on. Reports CPU milliseconds per article of those stages and the
SQLite statements per article (a second, identical pass with a statement counter: the count
includes the statements triggers and the full-text index run).

    python bench/store_bench.py [--articles 2000] [--neardup] [--update]

With ``--update`` each article then comes again with a changed text and title (a re-fetch whose page
changed: the update path, a revision kept and the full-text index's row replaced): reported apart.

Not a test: figures depend on the machine. Compare ratios from one run.
"""
from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from crawl_bench import generate_records  # noqa: E402

from archive.tooling.replica.build import render_site_tree, url_to_path  # noqa: E402


def extracted_items(n: int, spiders) -> list:
    """The generated articles as the clean stage hands them on."""
    from crawler.items import ArticleItem, Page
    from pipelines.clean import CleanPipeline
    from pipelines.extract import ExtractPipeline
    from pipelines.pool import extract_pages

    records = generate_records(n)
    tree = render_site_tree(records)
    clean = CleanPipeline()
    items = []
    for r in records:
        body = tree[url_to_path(r["url"])]
        page = Page(url=r["url"], status=200, body=body, fetched_at="2024-06-01T08:00:00+00:00",
                    content_type="text/html")
        item = ArticleItem(site=r["site"], url=r["url"], pages=[page])
        rules = getattr(spiders.get(r["site"]), "selectors", None)
        item = ExtractPipeline.apply(item, extract_pages([(body, page.url, None)], rules, []))
        items.append(clean.process_item(item))
    return items


def changed(items) -> list:
    """The articles again, each with a text and a title of its own changed (a page edited since)."""
    from archive.db import text_hash

    out = copy.deepcopy(items)
    for n, item in enumerate(out):
        item.text = f"（更新{n}）" + item.text + "\n本文已更新。"
        item.text_hash = text_hash(item.text)
        item.title = (item.title or "") + "（更新）"
    return out


def run(items, db_path: Path, neardup: bool, count: bool, again=None) -> dict:
    from scrapy.utils.test import get_crawler

    from crawler.archive import crawl_archive
    from pipelines.dedup import DedupPipeline
    from pipelines.neardup import NearDupPipeline
    from pipelines.store import StorePipeline

    crawler = get_crawler(settings_dict={"ARCHIVE_DB": str(db_path), "SPIDER_MODULES": ["crawler.spiders"],
                                         "EXTRACT_WORKERS": 0})
    crawler.stats.open_spider()
    stages = [cls.from_crawler(crawler) for cls in (DedupPipeline, StorePipeline)
              + ((NearDupPipeline,) if neardup else ())]

    conn = crawl_archive(crawler).db.conn
    statements = [0]

    def one_run(run_items) -> float:
        """CPU seconds the stages take over *run_items* (their spider opened first)."""
        for stage in stages:
            if hasattr(stage, "open_spider"):
                stage.open_spider()
        start = time.process_time()
        for item in run_items:
            for stage in stages:
                item = stage.process_item(item)
        for stage in stages:
            if hasattr(stage, "close_spider"):
                stage.close_spider()
        return time.process_time() - start

    if count:  # the first run's statements
        conn.set_trace_callback(lambda _sql: statements.__setitem__(0, statements[0] + 1))
    cpu = one_run(items)
    conn.set_trace_callback(None)
    # the same stages again (a second run), each article changed
    update_cpu = one_run(again) if again is not None else 0.0
    stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    crawl_archive(crawler).close()
    return {"cpu_s": cpu, "statements": statements[0], "articles": stored,
            "new": crawler.stats.get_value("archive/new", 0), "update_cpu_s": update_cpu,
            "updated": crawler.stats.get_value("archive/updated", 0)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--neardup", action="store_true", help="also run the near-duplicate stage")
    ap.add_argument("--update", action="store_true", help="then store each article again, changed")
    args = ap.parse_args(argv)

    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    loader = SpiderLoader.from_settings(get_project_settings())
    spiders = {name: loader.load(name) for name in loader.list()}
    items = extracted_items(args.articles, spiders)
    work = Path(tempfile.mkdtemp(prefix="store-bench-"))
    again = changed(items) if args.update else None
    timed = run(copy.deepcopy(items), work / "timed.db", args.neardup, count=False, again=again)
    counted = run(copy.deepcopy(items), work / "counted.db", args.neardup, count=True)
    n = max(timed["articles"], 1)
    stages = "dedup + store" + (" + neardup" if args.neardup else "")
    print(f"{args.articles} generated articles, {timed['articles']} stored ({timed['new']} counted new)")
    print(f"  {stages}: CPU {timed['cpu_s']:.2f} s  ({timed['cpu_s'] / n * 1000:.2f} ms/article)")
    print(f"  SQLite statements {counted['statements']}  ({counted['statements'] / n:.1f}/article, "
          f"triggers' and the full-text index's included)")
    if args.update:
        u = max(timed["updated"], 1)
        print(f"  then each changed ({timed['updated']} counted updated): CPU {timed['update_cpu_s']:.2f} s  "
              f"({timed['update_cpu_s'] / u * 1000:.2f} ms/article)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
