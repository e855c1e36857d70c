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

Also the CPU seconds of each process (workers, writer, redis-server, the mirror), Redis commands per
page, and the bound two workers can reach on 2 cores from them: with w, s, r, m the CPU per page of
the workers, the writer, Redis and the mirror, one worker runs at most 1/w pages a second and any
number of processes at most 2/(w + s + r + m), so two workers give at most 2w/(w + s + r + m) of one.

Not a test: figures depend on the machine. Compare ratios from one run, on a machine nothing else
loads: Linux groups a session's processes (autogroup) and gives each group a fair share, so where
other sessions keep the cores busy a second worker adds no CPU to the bench's group and the wall-time
ratio measures the share the runs got, not the design (the CPU figures still hold).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
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


def _fresh(*dbs: Path) -> None:
    """No archive left by an earlier run in the same --keep folder (its articles would all be known)."""
    for db in dbs:
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            path.unlink(missing_ok=True)


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a live process has used so far (from /proc; 0 when gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _reap(proc: subprocess.Popen) -> float:
    """Wait for *proc*; its CPU seconds (user + system, from the kernel's accounting of it)."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


def distributed(work: Path, mirror: str, redis_url: str, workers: int, redis_pid: int) -> dict:
    import redis

    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    client = redis.Redis.from_url(redis_url)
    client.flushall()
    client.config_resetstat()
    db = work / f"distributed-{workers}.db"
    _fresh(db, *(work / f"worker-{workers}-{i}.db" for i in range(workers)))
    logs = work / f"logs-{workers}"
    logs.mkdir(exist_ok=True)

    def spawn(name, args):
        out, err = open(logs / f"{name}.out", "w+"), open(logs / f"{name}.err", "w+")
        return subprocess.Popen(cli(*args), cwd=ROOT, stdout=out, stderr=err, text=True), out, err

    redis_cpu, own = _cpu_of(redis_pid), resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    procs = [spawn(f"worker{i}", ("crawl", "--db", work / f"worker-{workers}-{i}.db", "--mirror", mirror, "--json",
                                  "--max-pages", "1000", "--redis", redis_url, "--set", "EXTRACT_WORKERS=0",
                                  "--set", "LOG_LEVEL=WARNING"))
             for i in range(workers)]
    writer = spawn("writer", ("ingest", "--redis", redis_url, "--db", db, "--until-done", "--json"))
    rss = PeakRss([p.pid for p, _, _ in procs] + [writer[0].pid])
    worker_cpu = [_reap(p) for p, _, _ in procs]
    worker_wall = time.perf_counter() - t0
    writer_cpu = _reap(writer[0])
    wall = time.perf_counter() - t0
    peak = rss.stop()
    after = resource.getrusage(resource.RUSAGE_SELF)
    redis_cpu = _cpu_of(redis_pid) - redis_cpu
    commands = sum(stat["calls"] for stat in client.info("commandstats").values())
    # this process serves the mirror (a thread) and samples memory: its CPU is the mirror's, nearly all
    mirror_cpu = (after.ru_utime - own.ru_utime) + (after.ru_stime - own.ru_stime)

    def text(handle):
        handle.seek(0)
        return handle.read()

    for p, o, e in procs:
        if p.returncode not in (0, 1):
            raise SystemExit(f"worker failed ({p.returncode}):\n{text(e)[-3000:]}")
    if writer[0].returncode != 0:
        raise SystemExit(f"writer failed ({writer[0].returncode}):\n{text(writer[2])[-3000:]}")
    per_worker = [sum(s["pages_fetched"] for s in json.loads(text(o))) for _, o, _ in procs]
    new = sum(json.loads(line)["new"] for line in text(writer[1]).splitlines() if line.strip())
    return {"db": db, "wall_s": wall, "workers_wall_s": worker_wall, "pages": sum(per_worker),
            "per_worker": per_worker, "new": new, "peak_rss_mb": peak / 2**20, "worker_cpu": worker_cpu,
            "writer_cpu": writer_cpu, "redis_cpu": redis_cpu, "mirror_cpu": mirror_cpu,
            "redis_commands": commands, "load": load}


def single(work: Path, mirror: str) -> Path:
    db = work / "single.db"
    _fresh(db)
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
    ap.add_argument("--no-check", action="store_true",
                    help="skip the single-process crawl the archives are compared with")
    args = ap.parse_args(argv)

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="distributed-bench-"))
    site = work / "site"
    records = generate_records(args.articles)
    render_site_tree(records, site, per_page=20)
    print(f"generated {len(records)} articles in {site}")
    redis_proc, redis_url = start_redis(work)
    server, url = serve_in_thread(site)
    try:
        one = distributed(work, url, redis_url, 1, redis_proc.pid)
        two = distributed(work, url, redis_url, 2, redis_proc.pid)
        base = single(work, url) if not args.no_check else None
    finally:
        server.shutdown()
        redis_proc.terminate()
        redis_proc.wait()
    for name, r in (("one worker + writer", one), ("two workers + writer", two)):
        print(f"{name:<22}machine load before it {r['load']} (other processes sharing the cores make "
              f"the wall-time ratio a measure of the share each run got; the CPU figures hold)")
        print(f"{name:<22}{r['pages']} pages {r['per_worker']}, {r['new']} new articles, {r['wall_s']:.1f} s "
              f"({r['pages'] / r['wall_s']:.1f} pages/s; workers done at {r['workers_wall_s']:.1f} s), "
              f"peak memory {r['peak_rss_mb']:.0f} MB (all processes)")
        per_page = lambda cpu: f"{cpu / r['pages'] * 1000:.2f} ms/page"  # noqa: E731
        print(f"{'':<22}CPU: workers {' + '.join(f'{c:.1f}' for c in r['worker_cpu'])} s "
              f"({per_page(sum(r['worker_cpu']))}), writer {r['writer_cpu']:.1f} s ({per_page(r['writer_cpu'])}), "
              f"redis {r['redis_cpu']:.1f} s ({per_page(r['redis_cpu'])}), "
              f"mirror {r['mirror_cpu']:.1f} s ({per_page(r['mirror_cpu'])}); "
              f"{r['redis_commands'] / r['pages']:.1f} Redis commands/page (workers and writer)")
    ratio = (two["pages"] / two["wall_s"]) / (one["pages"] / one["wall_s"])
    print(f"two workers / one worker, pages/s = {ratio:.2f}")
    # the bound on 2 cores: each page costs w (worker) + s (writer) + r (redis) + m (mirror) CPU; one worker
    # runs at most 1/w pages a second, any number of processes at most 2/(w + s + r + m)
    w = sum(two["worker_cpu"]) / two["pages"]
    rest = (two["writer_cpu"] + two["redis_cpu"] + two["mirror_cpu"]) / two["pages"]
    print(f"bound on 2 cores from the CPU per page (two-worker run): 2w/(w+s+r+m) = {2 * w / (w + rest):.2f} "
          f"(w = {w * 1000:.2f} ms, s + r + m = {rest * 1000:.2f} ms)")
    if base is not None:
        want = rows(base)
        for name, r in (("one worker", one), ("two workers", two)):
            got = rows(r["db"])
            print(f"{name}: archive {'identical to' if got == want else 'DIFFERS from'} the single-process "
                  f"crawl's ({len(got)} vs {len(want)} articles)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
