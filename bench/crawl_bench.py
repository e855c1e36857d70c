"""Crawl benchmark: a generated replica of N articles, crawled through a local server.

Reports for the full crawl: pages per second, CPU seconds per article and the
crawl process's peak memory; beside it, in the same run, plain
``trafilatura.extract`` over the same article pages (the floor any crawler that
extracts must pay). Then a no-change refresh of the same archive, as requests
and time relative to the first crawl: once with the default re-check age (the
generated articles are old: only list pages are read) and once with every
article young (each is re-checked with a conditional request, answered 304).

    python bench/crawl_bench.py [--articles 2000] [--keep DIR]

Not a test: figures depend on the machine. Compare ratios from one run.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.tooling.mirror_server import serve_in_thread  # noqa: E402
from archive.tooling.replica.build import load_records, render_site_tree, url_to_path  # noqa: E402

SITES = ("bjx", "chinanews", "zgm", "shanghai_gov", "jiangmen_kjj")
CST = timezone(timedelta(hours=8))


def generate_records(n: int, seed: int = 7) -> list[dict]:
    """*n* articles spread over the five sites, in their URL schemes, with distinct texts."""
    base = load_records(ROOT / "replica" / "expected")
    pool = [line for r in base for line in r["text"].splitlines() if len(line) > 30]
    by_site = {s: [r for r in base if r["site"] == s and not r.get("aliases") and len(r.get("pages") or []) <= 1]
               for s in SITES}
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, 8, 0, tzinfo=CST)
    out = []
    for i in range(n):
        site = SITES[i % len(SITES)]
        tmpl = by_site[site][i % len(by_site[site])]
        when = start + timedelta(minutes=37 * i)
        ymd = when.strftime("%Y%m%d")
        url = {
            "bjx": f"https://news.bjx.com.cn/html/{ymd}/{1500000 + i}.shtml",
            "chinanews": f"https://www.chinanews.com.cn/cj/{when:%Y}/{when:%m-%d}/{20000000 + i}.shtml",
            "zgm": f"https://www.zgm.cn/content/{int(when.timestamp()):08x}{i:05x}",
            "shanghai_gov": f"https://www.shanghai.gov.cn/nw12344/{ymd}/{i:032x}.html",
            "jiangmen_kjj": f"https://www.jiangmen.gov.cn/bmpd/jmskjj/zwgk/tzgg/content/post_{4000000 + i}.html",
        }[site]
        paras = rng.sample(pool, 6)
        paras.insert(0, f"第{i + 1}号样本稿件：本文用于压力测试，编号{i:05d}，发布时间{when:%Y年%m月%d日}。")
        out.append({
            **{k: v for k, v in tmpl.items() if k not in ("aliases", "attachments", "pages")},
            "url": url,
            "title": f"{tmpl['title'][:30]}（样本{i:05d}）",
            "published_at": when.isoformat(),
            "text": "\n".join(paras),
            "aliases": [],
            "attachments": [],
        })
    return out


def crawl(db: Path, mirror: str, *extra: str) -> dict:
    """Run one crawl in a subprocess; returns wall time, child CPU time and its summary."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "archive.faces.cli", "crawl", "--db", str(db), "--mirror", mirror, "--json",
         "--max-pages", "1000", "--set", "LOG_LEVEL=WARNING", *extra],
        cwd=ROOT, capture_output=True, text=True,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"crawl failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    summary = json.loads(proc.stdout)
    return {
        "wall_s": wall,
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "peak_rss_mb": after.ru_maxrss / 1024,  # the largest child so far: the crawl
        "pages": sum(s["pages_fetched"] for s in summary),
        "new": sum(s["new"] for s in summary),
        "unchanged": sum(s["unchanged"] for s in summary),
        "errors": sum(s["errors"] for s in summary),
    }


def trafilatura_baseline(files: list[Path]) -> dict:
    import trafilatura

    t0, c0 = time.perf_counter(), time.process_time()
    chars = 0
    for f in files:
        chars += len(trafilatura.extract(f.read_bytes()) or "")
    return {"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0, "chars": chars}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--keep", help="write the generated tree and archive here instead of a temp dir")
    args = ap.parse_args(argv)

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="crawl-bench-"))
    site = work / "site"
    records = generate_records(args.articles)
    render_site_tree(records, site, per_page=20)
    article_files = [site / url_to_path(r["url"]) for r in records]
    print(f"generated {len(records)} articles ({sum(f.stat().st_size for f in article_files) / 1e6:.1f} MB) in {site}")

    server, url = serve_in_thread(site)
    try:
        db = work / "bench.db"
        full = crawl(db, url)
        base = trafilatura_baseline(article_files)
        refresh_old = crawl(db, url)  # default RECHECK_DAYS: generated articles are old
        refresh_young = crawl(db, url, "--set", "RECHECK_DAYS=100000")
    finally:
        server.shutdown()

    n = full["new"]
    print(f"\nfull crawl        {full['pages']} pages, {n} new articles, {full['errors']} errors")
    print(f"  wall            {full['wall_s']:.1f} s  ({full['pages'] / full['wall_s']:.1f} pages/s)")
    print(f"  CPU             {full['cpu_s']:.1f} s  ({full['cpu_s'] / max(n, 1) * 1000:.1f} ms/article)")
    print(f"  peak memory     {full['peak_rss_mb']:.0f} MB (crawl process)")
    print(f"trafilatura.extract on the same {len(article_files)} pages, same run")
    print(f"  CPU             {base['cpu_s']:.1f} s  ({base['cpu_s'] / len(article_files) * 1000:.1f} ms/article)"
          f"  ({len(article_files) / base['wall_s']:.1f} pages/s)")
    print(f"  crawl CPU / trafilatura CPU = {full['cpu_s'] / base['cpu_s']:.2f}")
    for name, r in (("no-change refresh, default age", refresh_old),
                    ("no-change refresh, all young (304)", refresh_young)):
        print(f"{name:<36}{r['pages']} requests ({r['pages'] / full['pages']:.3f} of full), "
              f"{r['wall_s']:.1f} s ({r['wall_s'] / full['wall_s']:.3f} of full), new {r['new']}, "
              f"unchanged {r['unchanged']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
