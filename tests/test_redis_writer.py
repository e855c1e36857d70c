"""The distributed crawl's writer (``archive ingest``) on a real Redis and a real archive file: it takes
items in batches, stores each in its own transaction, and removes a batch's committed items from the
processing list together with their counts (one Redis transaction). A write the archive refuses midway
leaves that item and the rest of the batch in Redis, counted nowhere; the next writer stores them and
completes the run with every item counted once."""
from __future__ import annotations

import pytest

from archive.db import Archive, text_hash
from crawler import distributed as dist
from crawler.items import ArticleItem, Page
from conftest import q
from test_redis import fresh_redis, redis_url  # noqa: F401 - the real redis-server fixtures

SITE = "bjx"


def _item(n: int) -> ArticleItem:
    url = f"https://news.bjx.com.cn/html/20240501/{9000 + n}.shtml"
    text = f"第{n}篇：" + "国家能源局发布新型储能项目管理办法，推动储能产业高质量发展。" * (n + 2) + f"编号{n * 7919}"
    body = f"<html><body><h1>储能{n}</h1><p>{text}</p></body></html>".encode()
    return ArticleItem(site=SITE, url=url, title=f"储能新闻{n}", text=text, text_hash=text_hash(text),
                       pages=[Page(url=url, status=200, body=body, fetched_at="2024-05-01T08:00:00+00:00")])


def _writer(url, db, **kw):
    from archive.faces.crawl import project_settings, site_spiders

    settings = project_settings(ARCHIVE_DB=str(db))
    Archive(db).open().close()
    return dist.Writer(url, settings, {SITE: site_spiders(settings)[SITE]}, until_done=True, **kw)


def _push_run(client, n: int) -> None:
    client.lpush(dist.ITEMS, dist._message("open", site=SITE, worker="w1"))
    for i in range(1, n + 1):
        client.lpush(dist.ITEMS, dist._message("item", site=SITE, item=_item(i)))
    client.lpush(dist.ITEMS, dist._message("close", site=SITE, worker="w1", reason="finished", last=True,
                                           stats={"response_received_count": n}))


def test_a_refused_write_midway_leaves_the_rest_in_redis_and_the_next_writer_counts_each_once(fresh_redis, tmp_path):  # noqa: F811
    import redis

    client = redis.Redis.from_url(fresh_redis)
    db = tmp_path / "archive.db"
    _push_run(client, 6)
    writer = _writer(fresh_redis, db)
    refuse = "CREATE TRIGGER refuse BEFORE INSERT ON articles WHEN new.url LIKE '%9004.shtml' " \
             "BEGIN SELECT RAISE(ABORT, 'refused for the test'); END"
    writer.run_for(SITE)._archive().db.execute(refuse)  # the site's stages open, its archive refuses item 4
    with pytest.raises(dist.WriteFailed, match="refused for the test"):
        writer.run()
    # the three items before it are stored, removed and counted; the refused one and the rest of the
    # batch (items 5, 6 and the close) wait in the processing list, counted nowhere
    assert q(db, "SELECT count(*) FROM articles")[0][0] == 3
    assert client.llen(dist.ITEMS) + client.llen(dist.PROCESSING) == 4
    assert float(client.hget(dist.run_stats_key(SITE), "archive/new")) == 3
    assert q(db, "SELECT status FROM crawl_runs") == [("running",)]
    conn = Archive(db).db.conn
    conn.execute("DROP TRIGGER refuse")
    conn.close()
    again = _writer(fresh_redis, db, idle_timeout=1)  # it saw no new item: it stops once idle
    assert again.run() == 3  # recovered from the processing list, then nothing else waited
    assert q(db, "SELECT count(*) FROM articles")[0][0] == 6
    assert q(db, "SELECT status, new, pages_fetched FROM crawl_runs") == [("ok", 6, 6)]
    assert client.llen(dist.PROCESSING) == 0 and not client.keys("archive:*")


def test_a_batch_is_stored_and_released_in_a_few_round_trips(fresh_redis, tmp_path):  # noqa: F811
    import redis

    client = redis.Redis.from_url(fresh_redis)
    db = tmp_path / "archive.db"
    n = 30
    _push_run(client, n)
    writer = _writer(fresh_redis, db)
    writer.run_for(SITE)
    sent = []
    real = writer.server.connection_pool.get_connection

    def counting(*args, **kwargs):  # every command or pipeline sent takes a connection from the pool
        sent.append(1)
        return real(*args, **kwargs)

    writer.server.connection_pool.get_connection = counting
    assert writer.run() == n
    assert q(db, "SELECT status, new FROM crawl_runs") == [("ok", n)]
    assert not client.keys("archive:*")
    # one batch: its items taken (a blocking pop, one script), the run looked up once, the items
    # released with their counts (one transaction); the open and close messages alone; idle checks
    assert len(sent) < n, len(sent)


@pytest.mark.parametrize("reactor", ["twisted.internet.asyncioreactor.AsyncioSelectorReactor",
                                     "twisted.internet.epollreactor.EPollReactor"])
def test_a_writer_opens_in_a_process_that_already_has_a_reactor(tmp_path, reactor):
    """The writer's stages need no reactor, but one a process installed before (a crawl, a test that built
    a crawler, Twisted's default one) is no reason to refuse: the site's run opens either way."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "from scrapy.utils.reactor import install_reactor\n"
        f"install_reactor({reactor!r})\n"
        "from archive.faces.crawl import project_settings, site_spiders\n"
        "from crawler import distributed as dist\n"
        f"s = project_settings(ARCHIVE_DB={str(tmp_path / 'archive.db')!r})\n"
        f"print(dist._SiteRun(site_spiders(s)[{SITE!r}], s, None).site)\n"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [SITE]
