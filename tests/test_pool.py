"""Extraction in a pool of worker processes (``EXTRACT_WORKERS``, ``pipelines/pool.py``).

A crawl with the pool makes the same archive as one without; an exception inside a worker is
the same failure as in the crawl's process; a worker that dies under a page makes that page a
failure row (and the pool starts again); Ctrl-C, or a SIGKILL of the crawl, leaves no worker
process behind.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from twisted.python.failure import Failure

from archive.tooling.mirror_server import serve_in_thread
from conftest import REPLICA_SITE, ROOT, archive_rows, crawl, q, wait_for
from crawler.items import ArticleItem, Page, Rejected
from pipelines.extract import ExtractPipeline
from pipelines.pool import ExtractPool, extract_pages, pool_size


@pytest.fixture(scope="module")
def pooled(mirror, tmp_path_factory):
    """The replica crawled once with two extraction workers: (archive, exit status, log)."""
    work = tmp_path_factory.mktemp("pooled")
    log = work / "crawl.log"
    code, summary, err = crawl(work / "archive.db", mirror, extra=("--set", "EXTRACT_WORKERS=2", "--log-file", log))
    return work / "archive.db", code, log.read_text("utf-8")


def test_a_crawl_with_the_pool_makes_the_archive_a_crawl_without_makes(pooled, mirror, tmp_path):
    db, code, log = pooled
    assert code == 0
    assert "extraction on 2 worker processes" in log
    base = tmp_path / "inprocess.db"
    code, _, err = crawl(base, mirror, extra=("--set", "EXTRACT_WORKERS=0"))
    assert code == 0, err[-2000:]
    got, want = archive_rows(db), archive_rows(base)
    assert got == want and want["articles"]
    assert q(db, "SELECT site, status, new, errors FROM crawl_runs ORDER BY site") == \
        q(base, "SELECT site, status, new, errors FROM crawl_runs ORDER BY site")


def test_the_pool_size_setting():
    assert pool_size(None, cores=8) == 7 and pool_size("", cores=4) == 3
    assert pool_size(None, cores=2) == 1 and pool_size(None, cores=1) == 0  # one core: nothing beside the crawl
    assert pool_size(None) == pool_size(None, cores=os.cpu_count())
    assert pool_size("0") == 0 and pool_size(1) == 1 and pool_size("3") == 3


def _item(body: bytes, charset=None) -> ArticleItem:
    return ArticleItem(site="example", url="https://www.example.cn/news/1.html",
                       pages=[Page(url="https://www.example.cn/news/1.html", status=200, body=body,
                                   fetched_at="2024-05-01T00:00:00+00:00", charset=charset)])


@pytest.fixture()
def pool():
    assert ExtractPool.acquire(2)
    yield ExtractPool
    ExtractPool.release()
    assert not ExtractPool.running()


def test_an_exception_in_a_worker_is_the_same_failure_as_in_process(pool):
    item = _item(bytes(range(256)) * 64, charset="no-such-charset")
    pages = [(p.body, p.url, p.charset) for p in item.pages]
    in_worker = pool.submit(pages, None).result(timeout=120)
    assert in_worker == extract_pages(pages, None)
    with pytest.raises(Rejected) as got:
        ExtractPipeline.apply(item, in_worker)
    assert got.value.kind == "charset"


def test_a_worker_that_dies_under_a_page_makes_it_a_failure_and_the_pool_starts_again(pool):
    big = b"<html><body>" + b"<div><p>" + "长文本段落，".encode() * 200 + b"</p></div>" * 3000 + b"</body></html>"
    item = _item(big)
    pages = [(p.body, p.url, p.charset) for p in item.pages]
    future = pool.submit(pages, None)
    for pid in list(pool._executor._processes):  # the OOM killer, say
        os.kill(pid, signal.SIGKILL)
    exc = future.exception(timeout=120)
    assert exc is not None
    with pytest.raises(Rejected) as got:
        ExtractPipeline.crashed(item, Failure(exc))
    assert got.value.kind == "unparsable" and type(exc).__name__ in got.value.reason
    # the next article is extracted by a new pool
    ok = pool.submit([(b"<html><head><title>t</title></head><body><p>" + "正文内容。".encode() * 40 +
                       b"</p></body></html>", "https://www.example.cn/news/2.html", None)], None).result(timeout=120)
    assert ok[0] == "ok" and "正文内容" in ok[2][0]
    # the spider's reading of an article page in a worker (parse_article): the same failure row
    from scrapy.utils.test import get_crawler

    from archive.faces.crawl import site_spiders
    from pipelines.pool import read_article

    cls = site_spiders()["bjx"]
    spider = cls.from_crawler(get_crawler(cls, settings_dict={"ARCHIVE_DB": ":memory:"}))
    future = pool.submit_call(read_article, big, item.url, None, spider.scan, item.url, False, None, True)
    for pid in list(pool._executor._processes):
        os.kill(pid, signal.SIGKILL)
    exc = future.exception(timeout=120)
    assert exc is not None
    (failure,) = spider.read_failed(item.url, None, exc, 200)
    assert (failure.url, failure.kind, failure.reason, failure.status) == (
        item.url, got.value.kind, f"extraction failed ({type(exc).__name__})", 200)


def _children(pid: int) -> set[int]:
    """Every descendant process of *pid* (from /proc)."""
    out, todo = set(), [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids = {int(k) for k in (task / "children").read_text().split()}
            except OSError:
                continue
            todo.extend(kids - out)
            out |= kids
    return out


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc")
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "sigkill"])
def test_a_stopped_or_killed_crawl_leaves_no_worker_process(tmp_path, stop):
    server, mirror = serve_in_thread(REPLICA_SITE, delay=0.3)  # slowed: Ctrl-C lands midway
    try:
        proc = subprocess.Popen([sys.executable, "-m", "archive.faces.cli", "crawl", "--db", tmp_path / "a.db",
                                 "--mirror", mirror, "--set", "EXTRACT_WORKERS=2"],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen = wait_for(lambda: len(_children(proc.pid)) >= 2 and _children(proc.pid), 120,
                        "the extraction workers to start")

        def stored():
            try:
                return q(tmp_path / "a.db", "SELECT count(*) FROM articles")[0][0]
            except sqlite3.Error:  # not created yet
                return 0

        wait_for(stored, 120, "a first article")
        seen |= _children(proc.pid)
        proc.send_signal(stop)
        proc.communicate(timeout=120)
    finally:
        server.shutdown()
    alive = lambda: {p for p in seen if Path(f"/proc/{p}").exists() and  # noqa: E731
                     "zombie" not in Path(f"/proc/{p}/status").read_text().lower()}
    wait_for(lambda: not alive(), 30, f"worker processes {sorted(alive())} to end")
