"""Distributed crawl benchmark: one worker vs two workers (scrapy-redis), one writer each time.

Generates the same replica as ``bench/crawl_bench.py`` (N articles over the five sites), starts a
``redis-server`` on a free loopback port (Debian's package: ``apt-get install redis-server``) and
crawls the tree through the local mirror twice into fresh archives:

* one worker (``archive crawl --redis``) and the writer (``archive ingest --redis --until-done``);
* two workers and the writer.

Each worker extracts in its own process (``EXTRACT_WORKERS=0``): the comparison is of processes
sharing the frontier, one per core, not of one process's extraction pool. Reports pages per
second of each (from the first worker's start to the writer's end) and their ratio, and checks
that both archives hold the same article rows and texts as a single-process crawl of the tree.

    python bench/distributed_bench.py [--articles 2000] [--keep DIR]

Not a test: figures depend on the machine. Compare ratios from one run.
"""
from __future__ import annotations

import argparse
import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from archive.tooling.mirror_server import serve_in_thread  # noqa: E402
from archive.tooling.replica.build import render_site_tree  # noqa: E402
from crawl_bench import PeakRss, generate_records  # noqa: E402


def cli(*args) -> list[str]:
    return [sys.executable, "-m", "archive.faces.cli", *map(str, args)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(work: Path) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("no redis-server on PATH: install Debian's package (apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(work)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    for _ in range(300):
        try:
            client.ping()
            return proc, f"redis://127.0.0.1:{port}/0"
        except redis.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("redis-server did not answer")


def distributed(work: Path, mirror: str, redis_url: str, workers: int) -> dict:
    import redis

    redis.Redis.from_url(redis_url).flushall()
    db = work / f"distributed-{workers}.db"
    t0 = time.perf_counter()
    procs = [subprocess.Popen(cli("crawl", "--db", work / f"worker-{workers}-{i}.db", "--mirror", mirror, "--json",
                                  "--max-pages", "1000", "--redis", redis_url, "--set", "EXTRACT_WORKERS=0",
                                  "--set", "LOG_LEVEL=WARNING"),
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(workers)]
    writer = subprocess.Popen(cli("ingest", "--redis", redis_url, "--db", db, "--until-done", "--json"),
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rss = PeakRss([p.pid for p in procs] + [writer.pid])
    outs = [p.communicate() for p in procs]
    out, err = writer.communicate()
    peak = rss.stop()
    wall = time.perf_counter() - t0
    for p, (o, e) in zip(procs, outs):
        if p.returncode not in (0, 1):
            raise SystemExit(f"worker failed ({p.returncode}):\n{e[-3000:]}")
    if writer.returncode != 0:
        raise SystemExit(f"writer failed ({writer.returncode}):\n{err[-3000:]}")
    pages = sum(s["pages_fetched"] for o, _ in outs for s in json.loads(o))
    new = sum(json.loads(line)["new"] for line in out.splitlines() if line.strip())
    return {"db": db, "wall_s": wall, "pages": pages, "new": new, "peak_rss_mb": peak / 2**20}


def single(work: Path, mirror: str) -> Path:
    db = work / "single.db"
    proc = subprocess.run(cli("crawl", "--db", db, "--mirror", mirror, "--json", "--max-pages", "1000",
                              "--set", "LOG_LEVEL=WARNING"), cwd=ROOT, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"single crawl failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return db


def rows(db: Path) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return sorted(conn.execute("SELECT url, site, title, text, published_at, source, author, editor, keywords "
                                   "FROM articles"))
    finally:
        conn.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--keep", help="write the generated tree and archives here instead of a temp dir")
    args = ap.parse_args(argv)

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="distributed-bench-"))
    site = work / "site"
    records = generate_records(args.articles)
    render_site_tree(records, site, per_page=20)
    print(f"generated {len(records)} articles in {site}")
    redis_proc, redis_url = start_redis(work)
    server, url = serve_in_thread(site)
    try:
        one = distributed(work, url, redis_url, 1)
        two = distributed(work, url, redis_url, 2)
        base = single(work, url)
    finally:
        server.shutdown()
        redis_proc.terminate()
        redis_proc.wait()
    for name, r in (("one worker + writer", one), ("two workers + writer", two)):
        print(f"{name:<22}{r['pages']} pages, {r['new']} new articles, {r['wall_s']:.1f} s "
              f"({r['pages'] / r['wall_s']:.1f} pages/s), peak memory {r['peak_rss_mb']:.0f} MB (all processes)")
    ratio = (two["pages"] / two["wall_s"]) / (one["pages"] / one["wall_s"])
    print(f"two workers / one worker, pages/s = {ratio:.2f}")
    want = rows(base)
    for name, r in (("one worker", one), ("two workers", two)):
        got = rows(r["db"])
        print(f"{name}: archive {'identical to' if got == want else 'DIFFERS from'} the single-process crawl's "
              f"({len(got)} vs {len(want)} articles)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
