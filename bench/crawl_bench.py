"""Crawl benchmark: a generated replica of N articles, crawled through a local server.

Reports for the full crawl: pages per second, CPU seconds per article (the crawl's
extraction workers included) and the peak memory of all its processes together; beside it, in the same run, plain
``trafilatura.extract`` over the same article pages (the floor any crawler that
extracts must pay), and bare Scrapy fetching the same pages with a callback that does nothing
(the floor any Scrapy crawl pays). Then a no-change refresh of the same archive, as requests
and time relative to the first crawl: once with the default re-check age (the
generated articles are old: only list pages are read) and once with every
article young (each is re-checked with a conditional request, answered 304).

    python bench/crawl_bench.py [--articles 2000] [--keep DIR]

Not a test: figures depend on the machine. Compare ratios from one run.
"""
from __future__ import annotations

import argparse
import json
import os
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


def tree_rss(pid: int) -> int:
    """Resident bytes of *pid* and every process under it (from /proc; 0 where there is none)."""
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/statm") as fh:
                total += int(fh.read().split()[1]) * resource.getpagesize()
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(k) for k in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return total


def own_cpu(pid: int) -> float:
    """CPU seconds (user + system) of *pid* itself, without its children (from /proc; 0 where there is none)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class PeakRss:
    """Samples the summed RSS of a process tree every *every* seconds, in a thread; ``peak`` in bytes."""

    def __init__(self, pids, every: float = 0.1):
        import threading

        self.pids, self.every, self.peak = list(pids), every, 0
        self.main_cpu = 0.0  # CPU seconds of the first process itself (its children not included)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, sum(tree_rss(p) for p in self.pids))
            self.main_cpu = max(self.main_cpu, own_cpu(self.pids[0]))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def crawl(db: Path, mirror: str, *extra: str) -> dict:
    """Run one crawl in a subprocess; returns wall time, CPU time of it and its workers, the peak
    memory of all its processes together, and its summary."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "archive.faces.cli", "crawl", "--db", str(db), "--mirror", mirror, "--json",
         "--max-pages", "1000", "--set", "LOG_LEVEL=WARNING", *extra],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    rss = PeakRss([proc.pid])
    out, err = proc.communicate()
    peak = rss.stop()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"crawl failed ({proc.returncode}):\n{err[-3000:]}")
    summary = json.loads(out)
    return {
        "wall_s": wall,
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),  # workers included
        "peak_rss_mb": peak / 2**20,  # all processes of the crawl together (sampled every 0.1 s)
        "main_cpu_s": rss.main_cpu,  # the crawl's own process, without its extraction workers (last sample)
        "pages": sum(s["pages_fetched"] for s in summary),
        "new": sum(s["new"] for s in summary),
        "unchanged": sum(s["unchanged"] for s in summary),
        "errors": sum(s["errors"] for s in summary),
    }


def bare_scrapy(urls: list[str], work: Path) -> dict:
    """Scrapy alone (``bench/bare_scrapy.py``) fetching *urls*: wall time and CPU time."""
    listing = work / "bare-urls.txt"
    listing.write_text("\n".join(urls), "utf-8")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "bare_scrapy.py"), str(listing)],
                          cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"bare Scrapy failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return {"wall_s": wall, "pages": int(done.stdout.split()[-1]),
            "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)}


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
    ap.add_argument("--workers", help="EXTRACT_WORKERS for the full crawl (default: the setting's automatic choice: one per core but one)")
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
        full = crawl(db, url, *(("--set", f"EXTRACT_WORKERS={args.workers}") if args.workers else ()))
        base = trafilatura_baseline(article_files)
        pages = sorted(p for p in site.rglob("*") if p.is_file() and p.name != "robots.txt")
        bare = bare_scrapy([f"{url}/{p.relative_to(site).as_posix()}" for p in pages], work)
        refresh_old = crawl(db, url)  # default RECHECK_DAYS: generated articles are old
        refresh_young = crawl(db, url, "--set", "RECHECK_DAYS=100000")
    finally:
        server.shutdown()

    n = full["new"]
    print(f"\nfull crawl        {full['pages']} pages, {n} new articles, {full['errors']} errors")
    print(f"  wall            {full['wall_s']:.1f} s  ({full['pages'] / full['wall_s']:.1f} pages/s)")
    print(f"  CPU             {full['cpu_s']:.1f} s  ({full['cpu_s'] / max(n, 1) * 1000:.1f} ms/article)")
    print(f"  main process    {full['main_cpu_s']:.1f} s CPU ({full['main_cpu_s'] / max(n, 1) * 1000:.1f} ms/article;"
          f" the rest is its extraction workers'; sampled every 0.1 s)")
    print(f"  peak memory     {full['peak_rss_mb']:.0f} MB (the crawl and its extraction workers together)")
    print(f"trafilatura.extract on the same {len(article_files)} pages, same run, one core")
    print(f"  CPU             {base['cpu_s']:.1f} s  ({base['cpu_s'] / len(article_files) * 1000:.1f} ms/article)"
          f"  ({len(article_files) / base['wall_s']:.1f} pages/s)")
    print(f"  crawl CPU / trafilatura CPU = {full['cpu_s'] / base['cpu_s']:.2f}")
    print(f"  crawl pages/s / trafilatura single-core pages/s = "
          f"{(full['pages'] / full['wall_s']) / (len(article_files) / base['wall_s']):.2f}"
          f"  (extraction workers: {args.workers or 'automatic'})")
    print(f"bare Scrapy fetching the same tree's {bare['pages']} pages (no parsing, no pipeline), same run")
    print(f"  CPU             {bare['cpu_s']:.1f} s  ({bare['cpu_s'] / max(bare['pages'], 1) * 1000:.1f} ms/page)"
          f"  ({bare['pages'] / bare['wall_s']:.1f} pages/s)")
    print(f"  bare Scrapy CPU per page / trafilatura CPU per article = "
          f"{(bare['cpu_s'] / max(bare['pages'], 1)) / (base['cpu_s'] / len(article_files)):.2f}")
    for name, r in (("no-change refresh, default age", refresh_old),
                    ("no-change refresh, all young (304)", refresh_young)):
        print(f"{name:<36}{r['pages']} requests ({r['pages'] / full['pages']:.3f} of full), "
              f"{r['wall_s']:.1f} s ({r['wall_s'] / full['wall_s']:.3f} of full), new {r['new']}, "
              f"unchanged {r['unchanged']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
