"""The distributed crawl's writer (``archive ingest``) on a real Redis and a real archive file: it takes
items in batches, stores a batch in one transaction, and removes its committed items from the
processing list together with their counts (one Redis transaction). A write the archive refuses midway
rolls the batch back and stores it again one item per transaction: the items before the refused one are
stored and counted, that item and the rest of the batch wait in Redis, counted nowhere; the next writer
stores them and completes the run with every item counted once."""
from __future__ import annotations

import pytest

from archive.db import Archive, text_hash
from crawler import distributed as dist
from crawler.items import ArticleItem, Page
from conftest import q
from test_redis import _left_behind, fresh_redis, redis_url  # noqa: F401 - the real redis-server fixtures

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


def _push_run(client, n: int, extra: dict | None = None) -> None:
    """A run of *n* items between its open and close messages; *extra*: {i: items pushed before item i}."""
    client.lpush(dist.ITEMS, dist._message("open", site=SITE, worker="w1"))
    for i in range(1, n + 1):
        for item in (extra or {}).get(i, ()):
            client.lpush(dist.ITEMS, dist._message("item", site=SITE, item=item))
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
    assert client.llen(dist.PROCESSING) == 0 and not _left_behind(client)


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
    assert not _left_behind(client)
    # one batch: its items taken (a blocking pop, one script), the run looked up once, the items
    # released with their counts (one transaction); the open and close messages alone; idle checks
    assert len(sent) < n, len(sent)


def _same_text_as(n: int, other: str) -> ArticleItem:
    item = _item(n)
    item.url = item.pages[0].url = f"https://news.bjx.com.cn/html/20240501/{other}.shtml"
    return item


def _archive_rows(db) -> dict:
    return {"articles": q(db, "SELECT url, title, text FROM articles ORDER BY url"),
            "urls": q(db, "SELECT u.url, a.url, u.reason FROM article_urls u JOIN articles a ON a.id = u.article_id "
                          "ORDER BY u.url"),
            "failures": q(db, "SELECT url, kind FROM failures ORDER BY url"),
            "run": q(db, "SELECT status, new, duplicates, pages_fetched FROM crawl_runs")}


def test_a_batch_is_one_transaction_whose_items_see_each_other(fresh_redis, tmp_path):  # noqa: F811
    """A batch is committed once; the dedup and store stages see the batch's earlier items (a same-text
    URL is a duplicate of the article stored just before it, a waiting alias joins its article), and the
    archive is the one a writer committing each item makes."""
    import redis

    from crawler.items import AliasItem

    client = redis.Redis.from_url(fresh_redis)
    alias = "https://bjx.com.cn/news/9002"
    extra = {2: [AliasItem(site=SITE, url=alias, canonical=_item(2).url)], 4: [_same_text_as(1, "copy-of-1")]}
    rows = {}
    for grouped in (False, True):
        client.flushall()
        db = tmp_path / f"grouped-{grouped}.db"
        _push_run(client, 12, extra)
        writer = _writer(fresh_redis, db)
        writer.group_writes = grouped
        commits = []
        writer.run_for(SITE)._archive().db.conn.set_trace_callback(
            lambda sql: commits.append(sql) if sql.strip().upper() == "COMMIT" else None)
        assert writer.run() == 14
        rows[grouped] = _archive_rows(db)
        if grouped:  # the run's row opened and completed, the batch's 14 items: one commit
            assert len(commits) <= 4, commits
        else:
            assert len(commits) >= 14, commits
    assert rows[True] == rows[False]
    assert rows[True]["run"] == [("ok", 12, 1, 12)]
    assert ("https://news.bjx.com.cn/html/20240501/copy-of-1.shtml", _item(1).url, "same_text") in rows[True]["urls"]
    assert (alias, _item(2).url, "alias") in rows[True]["urls"]


def test_a_write_refused_only_in_a_batch_is_stored_again_one_item_at_a_time(fresh_redis, tmp_path):  # noqa: F811
    """A write that fails in the batch's transaction but not alone (a full disk that freed up): the batch
    rolls back with what the stages remembered of it (waiting aliases, texts seen, counts), then every
    item is stored on its own: nothing lost, nothing counted twice."""
    import sqlite3

    import redis

    from crawler.items import AliasItem

    client = redis.Redis.from_url(fresh_redis)
    db = tmp_path / "archive.db"
    alias = "https://bjx.com.cn/news/9002"
    _push_run(client, 6, {2: [AliasItem(site=SITE, url=alias, canonical=_item(2).url)],
                          3: [_same_text_as(1, "copy-of-1")]})
    writer = _writer(fresh_redis, db)
    conn = writer.run_for(SITE)._archive().db.conn
    refused = []

    def committed_articles() -> int:  # what another connection sees: the rows committed
        other = sqlite3.connect(db)
        try:
            return other.execute("SELECT count(*) FROM articles").fetchone()[0]
        finally:
            other.close()

    def refuse(url: str) -> int:
        refused.append(url)
        return 1

    conn.create_function("committed_articles", 0, committed_articles)
    conn.create_function("refuse", 1, refuse)
    # item 5 is refused while the articles before it are not committed yet: in a batch, never alone
    conn.execute("CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.articles "
                 "WHEN new.url LIKE '%9005.shtml' AND committed_articles() < 4 AND refuse(new.url) "
                 "BEGIN SELECT RAISE(ABORT, 'refused for the test'); END")
    assert writer.run() == 8  # 6 articles, the alias and the same-text URL
    assert refused == [_item(5).url]  # refused once, in the batch
    rows = _archive_rows(db)
    assert len(rows["articles"]) == 6
    assert rows["run"] == [("ok", 6, 1, 6)]  # each item counted once
    assert ("https://news.bjx.com.cn/html/20240501/copy-of-1.shtml", _item(1).url, "same_text") in rows["urls"]
    assert (alias, _item(2).url, "alias") in rows["urls"]  # the alias the rolled-back batch had taken
    assert rows["failures"] == []
    assert client.llen(dist.PROCESSING) == 0 and not _left_behind(client)


def test_a_batch_whose_commit_fails_stops_at_the_failing_item(fresh_redis, tmp_path):  # noqa: F811
    """The archive refuses the batch's COMMIT (a constraint checked at commit, as a full disk refuses it):
    the batch rolls back, and stored one item per transaction, the items before the failing one are
    stored and counted; it and the rest wait in Redis for the next writer."""
    import redis

    client = redis.Redis.from_url(fresh_redis)
    db = tmp_path / "archive.db"
    _push_run(client, 6)
    writer = _writer(fresh_redis, db)
    conn = writer.run_for(SITE)._archive().db.conn
    # a row that breaks a deferred foreign key: refused at COMMIT, not at the insert
    conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    conn.execute("CREATE TABLE child (parent_id INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)")
    conn.execute("CREATE TRIGGER orphan AFTER INSERT ON articles WHEN new.url LIKE '%9004.shtml' "
                 "BEGIN INSERT INTO child VALUES (7); END")
    with pytest.raises(dist.WriteFailed, match="FOREIGN KEY"):
        writer.run()
    assert q(db, "SELECT count(*) FROM articles")[0][0] == 3
    assert client.llen(dist.ITEMS) + client.llen(dist.PROCESSING) == 4
    assert float(client.hget(dist.run_stats_key(SITE), "archive/new")) == 3
    conn = Archive(db).db.conn
    conn.execute("DROP TRIGGER orphan")
    conn.close()
    again = _writer(fresh_redis, db, idle_timeout=1)
    assert again.run() == 3
    assert q(db, "SELECT status, new, pages_fetched FROM crawl_runs") == [("ok", 6, 6)]
    assert q(db, "SELECT count(*) FROM articles")[0][0] == 6
    assert client.llen(dist.PROCESSING) == 0 and not _left_behind(client)


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


def test_a_writer_starting_on_a_drained_redis_publishes_its_archives_walks_in_place_of_others(
        fresh_redis, tmp_path):  # noqa: F811
    """A Redis used before for another archive holds that archive's walk flags: a writer starting where
    nothing waits to be stored publishes its own archive's in their place (a list walked to its end
    there may be open here); where items wait, it leaves published flags alone (they may be newer than
    its archive until it stores those items)."""
    import redis

    from crawler import backfill

    client = redis.Redis.from_url(fresh_redis)
    db = tmp_path / "archive.db"
    archive = Archive(db).open()
    backfill.record_walks(archive.db, SITE, {"https://news.bjx.com.cn/a/": (False, None),
                                             "https://news.bjx.com.cn/b/": (True, 3)}, True)
    archive.close()
    others = {"https://news.bjx.com.cn/a/": "1", "https://news.bjx.com.cn/b/": "1", "https://x.cn/c/": "1"}

    def published():
        return {k.decode(): v.decode() for k, v in client.hgetall(dist.walks_key(SITE)).items()}

    client.hset(dist.walks_key(SITE), mapping=others)
    client.lpush(dist.ITEMS, dist._message("open", site=SITE, worker="w1"))
    _writer(fresh_redis, db).publish()
    assert published() == others
    client.delete(dist.ITEMS)
    _writer(fresh_redis, db).publish()
    assert published() == {"https://news.bjx.com.cn/a/": "0", "https://news.bjx.com.cn/b/": "1"}
    assert client.smembers(dist.retries_key(SITE)) == {b""}
