"""The distributed crawl on a real Redis: workers share the frontier (scrapy-redis), one writer stores.

Uses Debian's ``redis-server`` (found on PATH, else installed with apt-get like the browser
test's chromium); skipped, with the reason, only when it cannot be installed. Each test
compares the archive the workers and the writer make with the single-process crawl of the
same replica (the shared ``crawled`` archive).
"""
from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter

import pytest

from archive.tooling.mirror_server import serve_in_thread
from crawler.distributed import heartbeat_key, retries_key, walks_key
from conftest import REPLICA_SITE, ROOT, alive, apt_install, archive_rows, crawl, q, wait_for

def _left_behind(client) -> list[bytes]:
    """What a finished distributed crawl left in Redis besides the archive's list walks and URLs to
    fetch again the writer publishes for the next run, and the claim of each run's end by its last worker, which expires
    (crawler/distributed.py)."""
    ended = [k for k in client.keys("archive:*:ended") if client.ttl(k) > 0]
    published = (walks_key("").encode(), retries_key("").encode())
    return [k for k in client.keys("archive:*") if not k.startswith(published) and k not in ended]


def _walks(db, sites=None) -> list[tuple]:
    """The archive's list walks (of *sites*): whether each list was walked to its end, its last page."""
    rows = q(db, "SELECT site, start_url, complete, end_page FROM list_walks ORDER BY site, start_url")
    return [r for r in rows if sites is None or r[0] in sites]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    binary = shutil.which("redis-server")
    if binary is None:
        why = apt_install("redis-server")
        binary = shutil.which("redis-server") or ("/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server")
                                                   else None)
        if binary is None:
            pytest.skip(f"no redis-server: {why or 'installed, but not found'}")
    port = _free_port()
    work = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(work)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)

    def up():
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    try:
        wait_for(up, 30, "redis-server to answer")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture()
def fresh_redis(redis_url):
    import redis

    redis.Redis.from_url(redis_url).flushall()
    return redis_url


def _cli(*args) -> list[str]:
    return [sys.executable, "-m", "archive.faces.cli", *map(str, args)]


def _worker(db, mirror, redis_url, ttl=30, sites=(), extra=()):
    return subprocess.Popen(_cli("crawl", "--db", db, "--mirror", mirror, "--json", "--redis", redis_url,
                                 "--set", f"REDIS_WORKER_TTL={ttl}",
                                 # two workers on a small machine: no extraction pools beside them (tests/test_pool.py)
                                 "--set", "EXTRACT_WORKERS=0", *extra, *sites),
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _writer(db, redis_url):
    return subprocess.Popen(_cli("ingest", "--redis", redis_url, "--db", db, "--until-done", "--json"),
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc, what, timeout=240):
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"{what} exited {proc.returncode}\n{err[-3000:]}"
    return out, err


@pytest.fixture(scope="module")
def distributed(crawled, redis_url, tmp_path_factory):
    """Two workers and one writer crawl the whole replica once, through a mirror that records every
    request: (archive, worker outputs, writer output, Redis client, requests)."""
    import redis

    redis.Redis.from_url(redis_url).flushall()
    work = tmp_path_factory.mktemp("distributed")
    requests = []
    # each worker takes few requests at a time from the shared queue, and the mirror answers slowly
    # until both are up (one may start seconds after the other on a loaded machine), then in 0.2 s:
    # the first worker up cannot have the small replica to itself
    server, mirror = serve_in_thread(REPLICA_SITE, record=requests, delay=2.0)
    client = redis.Redis.from_url(redis_url)
    try:
        writer = _writer(work / "archive.db", redis_url)
        workers = [_worker(work / f"worker{i}.db", mirror, redis_url, extra=("--set", "CONCURRENT_REQUESTS=3"))
                   for i in range(2)]
        wait_for(lambda: len(client.keys(heartbeat_key("*"))) >= 2 or any(w.poll() is not None for w in workers),
                 180, "both workers' heartbeats")
        server.delay = 0.2
        outs = [_finish(w, f"worker {i}") for i, w in enumerate(workers)]
        out, err = _finish(writer, "the writer")
    finally:
        server.shutdown()
    return work / "archive.db", outs, out, redis.Redis.from_url(redis_url), requests


def test_two_workers_and_a_writer_make_the_single_process_archive(distributed, crawled):
    db, outs, out, client, requests = distributed
    assert archive_rows(db) == archive_rows(crawled[0])
    # no URL fetched twice (robots.txt excepted: every worker reads it for each host it fetches from)
    fetched = Counter((method, path) for method, path, _, _ in requests if not path.endswith("/robots.txt"))
    assert fetched and not [k for k, n in fetched.items() if n > 1]
    # and the two workers shared the fetching
    pages = [sum(s["pages_fetched"] for s in json.loads(o)) for o, _ in outs]
    assert all(pages), pages


def test_a_distributed_run_is_recorded_once_per_site(distributed, crawled):
    db, outs, out, client, _ = distributed
    runs = q(db, "SELECT site, status, new, duplicates, errors, ended_at IS NOT NULL FROM crawl_runs ORDER BY site")
    single = q(crawled[0], "SELECT site, status, new, duplicates, errors, 1 FROM crawl_runs ORDER BY site")
    assert runs == single
    finished = [json.loads(line) for line in out.splitlines()]
    assert sorted(r["site"] for r in finished) == [r[0] for r in runs]
    assert q(db, "SELECT count(*) FROM run_quality")[0][0] == len(runs)
    # nothing left behind in Redis: no item waiting, no frontier, no worker
    assert client.llen("archive:items") == 0 and client.llen("archive:items:processing") == 0
    assert not _left_behind(client), _left_behind(client)


def test_a_distributed_run_records_the_list_walks_of_a_single_process_run(distributed, crawled):
    """The archive (the writer's) holds the walks the two workers walked between them, as a
    single-process crawl records its own, and the writer published them for the next run."""
    db, outs, out, client, _ = distributed
    walks = _walks(db)
    assert walks == _walks(crawled[0]) and any(end_page > 1 for *_, end_page in walks)
    assert all(complete for _, _, complete, _ in walks)
    published = {site: {k.decode(): v.decode() for k, v in client.hgetall(walks_key(site)).items()}
                 for site in {site for site, *_ in walks}}
    assert published == {site: {start: "1" for s, start, *_ in walks if s == site} for site in published}


def test_later_distributed_runs_walk_the_lists_as_single_process_runs_do(distributed, crawled, fresh_redis, tmp_path):
    """A new Redis, a writer on the archive of a finished run, one worker reading that archive for what
    it knows (as the scheduler's workers do). A refresh: the worker learns from the writer which lists
    were walked to their end and stops at their first page of known articles; then ``--backfill``:
    it walks them to their end. Each run fetches exactly what a single-process run of the same archive
    fetches, and the walks stay recorded complete."""
    import redis

    from crawler.registry import sites as registry

    client = redis.Redis.from_url(fresh_redis)
    archives = {}
    for name, source in (("single", crawled[0]), ("distributed", distributed[0])):
        archives[name] = tmp_path / f"{name}.db"
        src, dst = sqlite3.connect(source), sqlite3.connect(archives[name])
        src.backup(dst)
        src.close(), dst.close()
    db = archives["distributed"]
    spiders = registry()
    # the lists of more than two pages: their last page (the first run fetched it)
    last_pages = {"/" + spiders[site]().page_url(start, end).split("://", 1)[1]
                  for site, start, _, end in _walks(db) if end > 2}
    assert last_pages and last_pages <= {path for _, path, _, _ in distributed[4]}
    server, mirror = serve_in_thread(REPLICA_SITE)
    try:
        for extra, walks_to_the_end in (((), False), (("--backfill",), True)):
            fetched = {}
            for name in ("single", "distributed"):
                server.record = requests = []
                if name == "single":
                    code, _, err = crawl(archives["single"], mirror, extra=extra)
                    assert code == 0, err[-3000:]
                else:
                    writer = _writer(db, fresh_redis)
                    # the writer publishes the archive's walks (none in a new Redis) before it takes items
                    wait_for(lambda: all(client.exists(walks_key(site)) for site, *_ in _walks(db))
                             or writer.poll() is not None, 120, "the writer to publish the walks")
                    _finish(_worker(db, mirror, fresh_redis, extra=extra), "the worker")
                    _finish(writer, "the writer")
                fetched[name] = Counter(path for _, path, _, _ in requests)
            assert fetched["distributed"] == fetched["single"], extra
            assert (last_pages <= set(fetched["distributed"])) is walks_to_the_end, extra
            assert walks_to_the_end or not last_pages & set(fetched["distributed"]), extra
            assert _walks(db) == _walks(archives["single"]) == _walks(crawled[0])
    finally:
        server.shutdown()
    assert q(db, "SELECT count(*) FROM crawl_runs")[0][0] == 3 * len(q(crawled[0], "SELECT * FROM crawl_runs"))


def test_a_worker_fetches_again_what_the_writers_archive_holds_as_failed(distributed, fresh_redis, tmp_path):
    """The URLs to fetch again are the writer's archive's: a worker whose --db is an older copy of it
    (as on another machine) fetches again an article whose re-check timed out since, and the writer
    clears its failure, as a single-process refresh would."""
    import redis

    client = redis.Redis.from_url(fresh_redis)
    db, worker_db = tmp_path / "archive.db", tmp_path / "worker.db"
    for copy in (db, worker_db):
        src, dst = sqlite3.connect(distributed[0]), sqlite3.connect(copy)
        src.backup(dst)
        src.close(), dst.close()
    (url,) = q(db, "SELECT url FROM articles WHERE site = 'zgm' ORDER BY url LIMIT 1")[0]
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO failures (url, site, kind, status, reason, first_seen, last_seen) "
                     "VALUES (?, 'zgm', 'timeout', NULL, 'timed out', '2026-01-01', '2026-01-01')", [url])
    conn.close()
    server, mirror = serve_in_thread(REPLICA_SITE)
    try:
        server.record = requests = []
        writer = _writer(db, fresh_redis)
        wait_for(lambda: client.exists(retries_key("zgm")) or writer.poll() is not None, 120,
                 "the writer to publish the URLs to fetch again")
        assert client.smembers(retries_key("zgm")) == {b"", url.encode()}
        _finish(_worker(worker_db, mirror, fresh_redis, sites=["zgm"]), "the worker")
        _finish(writer, "the writer")
    finally:
        server.shutdown()
    assert "/" + url.split("://", 1)[1] in {path for _, path, _, _ in requests}
    assert q(db, "SELECT count(*) FROM failures WHERE url = ?", [url]) == [(0,)]
    assert client.smembers(retries_key("zgm")) == {b""}  # published again when the run completed


def test_a_killed_worker_and_a_restarted_writer_lose_nothing(fresh_redis, crawled, tmp_path):
    import redis

    client = redis.Redis.from_url(fresh_redis)
    sites = ["bjx", "chinanews"]  # two sites (one with an alias linked before its article is stored)
    server, mirror = serve_in_thread(REPLICA_SITE, delay=0.3)  # slowed: the kills land midway
    try:
        db = tmp_path / "archive.db"
        writer = _writer(db, fresh_redis)
        first = _worker(tmp_path / "first.db", mirror, fresh_redis, ttl=2, sites=sites)

        def stored():
            try:
                return q(db, "SELECT count(*) FROM articles")[0][0]
            except sqlite3.Error:  # not created yet
                return 0

        wait_for(lambda: stored() >= 2, 120, "the writer to store two articles")
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
        in_flight = lambda: sum(client.hlen(k) for k in client.keys("archive:*:inflight:*"))  # noqa: E731
        wait_for(lambda: client.llen("archive:items") >= 1 and in_flight() > 0, 120,
                 "items waiting for the writer while the worker fetches", poll=0.05)
        assert first.poll() is None, "the worker finished before it could be killed"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        assert in_flight() > 0  # what the killed worker was fetching is only in its in-flight hash
        # a small site's run may have ended inside the first worker before the kill (its last worker's
        # close is queued for the writer, or was stored): the second worker then starts that site's
        # next run. A worker killed after it left its run but before it queued that close leaves the
        # run open: the second worker's run completes the same row.
        waiting = [pickle.loads(m) for key in ("archive:items", "archive:items:processing")
                   for m in client.lrange(key, 0, -1)]
        ended_before_kill = {m["site"] for m in waiting if m["type"] == "close" and m["last"]}
        ended_before_kill |= {s for (s,) in q(db, "SELECT site FROM crawl_runs WHERE ended_at IS NOT NULL")}
        assert ended_before_kill != set(sites), "the kill landed after every site's run"
        writer = _writer(db, fresh_redis)  # a new writer goes on with the items that waited
        second = _worker(tmp_path / "second.db", mirror, fresh_redis, ttl=2, sites=sites)
        _finish(second, "the second worker")
        _finish(writer, "the restarted writer")
    finally:
        server.shutdown()
    got, want = archive_rows(db, sites), archive_rows(crawled[0], sites)
    assert got == want and want["articles"]
    # one run row per site the kill interrupted, completed (the killed worker's pages are not in its
    # counts); two for a site whose run had ended before
    runs = q(db, "SELECT site, status FROM crawl_runs")
    assert sorted(s for s, _ in runs) == sorted(sites + list(ended_before_kill)), (runs, ended_before_kill)
    assert all(status in ("ok", "partial") for _, status in runs), runs
    # the walks half done by the killed worker are finished by the second, recorded once, complete
    assert _walks(db, sites) == _walks(crawled[0], sites)
    assert not _left_behind(client), _left_behind(client)


def test_the_single_machine_crawl_needs_no_redis():
    code = ("import sys; import archive.faces.cli, archive.faces.crawl, crawler.settings, crawler.frontier, "
            "pipelines.extract, pipelines.store, scheduler; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('redis', 'scrapy_redis')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_bad_redis_url_is_one_line_and_exit_2(tmp_path):
    port = _free_port()  # nobody listens there
    for args in (("crawl", "--db", tmp_path / "a.db", "--redis", f"redis://127.0.0.1:{port}/0"),
                 ("ingest", "--db", tmp_path / "a.db", "--redis", "http://nowhere")):
        proc = subprocess.run(_cli(*args), cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert "Redis" in proc.stderr
    assert not (tmp_path / "a.db").exists()  # refused before anything was created


def test_the_scheduler_with_redis_keeps_one_writer_and_reports_the_runs_it_records(fresh_redis, crawled, tmp_path):
    """``scheduler.py --redis``: its crawls are workers, the ``archive ingest`` it runs is the one writer,
    and each outcome (the log line, the alert) is read from the run row that writer completes. The
    writer is held (SIGSTOP) until the first worker has ended: the scheduler waits for the row."""
    import redis

    client = redis.Redis.from_url(fresh_redis)
    server, mirror = serve_in_thread(REPLICA_SITE)
    db, log, alerts = tmp_path / "archive.db", tmp_path / "scheduler.log", tmp_path / "alerts.txt"
    alert = f'printf "%s %s %s\\n" "$ARCHIVE_SITE" "$ARCHIVE_STATUS" "$ARCHIVE_RUN_ID" >> {alerts}'
    proc = subprocess.Popen([sys.executable, "scheduler.py", "zgm", "jiangmen_kjj", "--db", db, "--mirror", mirror,
                             "--redis", fresh_redis, "--once", "--on-failure", alert,
                             # jiangmen's list is missing: its run fails (and only the writer can tell)
                             "--set", "JIANGMEN_KJJ_START=https://www.jiangmen.gov.cn/nosuch/index.html",
                             "--set", "EXTRACT_WORKERS=0"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(log, "w"),
                            # as a shell's background job: SIGINT ignored, which its writer must not inherit
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    writer = None
    try:
        text = lambda: log.read_text("utf-8")  # noqa: E731
        started = wait_for(lambda: re.search(r"writer: archive ingest .* started \(pid (\d+)\)", text()), 120,
                           "the scheduler to start its writer")
        writer = int(started.group(1))
        os.kill(writer, signal.SIGSTOP)
        wait_for(lambda: "crawl zgm: worker done; waiting for the writer" in text() or proc.poll() is not None, 180,
                 "the zgm worker to end")
        assert "crawl zgm: worker done; waiting for the writer to complete the run" in text(), text()
        assert "crawl zgm: ok" not in text()  # nothing is said before the row says it
        os.kill(writer, signal.SIGCONT)
        assert proc.wait(timeout=240) == 1, text()  # jiangmen failed
    finally:
        if writer and alive(writer):
            os.kill(writer, signal.SIGCONT)
        if proc.poll() is None:
            proc.kill()
        server.shutdown()
    out = text()
    new, dups, errors, pages = q(crawled[0], "SELECT new, duplicates, errors, pages_fetched FROM crawl_runs "
                                             "WHERE site = 'zgm'")[0]
    assert f"INFO crawl zgm: ok, {new} new, 0 updated, 0 unchanged, {dups} duplicates, {errors} errors" in out, out
    assert archive_rows(db, ["zgm"]) == archive_rows(crawled[0], ["zgm"])
    (run_id, status, summary), = q(db, "SELECT id, status, error_summary FROM crawl_runs WHERE site = 'jiangmen_kjj'")
    assert status == "failed" and f"WARNING crawl jiangmen_kjj: failed: {summary}" in out, out
    assert alerts.read_text().splitlines() == [f"jiangmen_kjj failed {run_id}"]
    assert q(db, "SELECT count(*) FROM crawl_runs WHERE ended_at IS NULL")[0][0] == 0
    # the writer stored everything and was stopped with the scheduler; nothing is left in Redis
    assert "writer: stopped" in out and "ended" not in out and not alive(writer)  # SIGINT stopped it
    assert not _left_behind(client), _left_behind(client)


def test_a_worker_lowers_its_priority_once_and_never_raises_it():
    """REDIS_WORKER_NICE: the worker's process (the reactor's thread and what it starts) at that niceness at
    least, however many of its crawlers ask; a process already nicer stays as it is."""
    code = ("import os; from crawler.distributed import _lower_priority as lower; "
            "base = os.getpriority(os.PRIO_PROCESS, 0); lower(base + 3); lower(base + 3); "
            "a = os.getpriority(os.PRIO_PROCESS, 0); lower(base + 1); "
            "print(a - base, os.getpriority(os.PRIO_PROCESS, 0) - base)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["3", "3"]
