"""Many machines: workers share one frontier in Redis (scrapy-redis); one writer stores.

``archive crawl --redis redis://HOST:PORT`` (setting ``REDIS_URL``) makes the crawl a *worker*:
Scrapy's scheduler and duplicate filter become scrapy-redis's (:class:`Scheduler`, a subclass
of ``scrapy_redis.scheduler.Scheduler``, with ``scrapy_redis.dupefilter.RFPDupeFilter``), so
every worker of a site pops requests from one queue and no URL is fetched twice. A worker
fetches, extracts and cleans (the stages before dedup), then pushes each finished item onto
one Redis list (:class:`PushPipeline`) instead of storing it. One writer,
``archive ingest --redis URL`` (:class:`Writer`), pops them and runs the archive's own dedup,
store and near-dup stages on them: SQLite keeps one writer.

What nothing loses
------------------
* **Items**: the writer moves an item to a processing list (``LMOVE``) and removes it from
  there only after its SQLite transaction committed. A writer killed mid-item takes the item
  up again on restart; storing it twice is harmless (the same URL is the same article: the
  dedup stage finds it). Items wait in Redis while no writer runs.
* **Requests**: scrapy-redis pops a request from the shared queue and keeps it only in the
  worker's memory, so a worker killed with SIGKILL would lose what it was fetching. Here each
  popped request is also written to the worker's *in-flight* hash in Redis and removed once
  its response (or failure) has been handled whole: its items pushed, the requests it yields
  queued (a retry or redirect of it, once queued, releases it too). The items and the requests
  it yields wait in the worker until that release and go to Redis in the same transaction as it
  (one round trip for all), so a request is never released before its items and requests are in
  Redis; the requests are checked against the duplicate filter and queued in one script (those
  yielded outside a response's handling, a retry or redirect, go with the next pop). Every worker keeps a
  heartbeat key with a time-to-live (``REDIS_WORKER_TTL``); a worker that starts, or one about
  to go idle, puts the in-flight requests of workers whose heartbeat has expired back into the
  queue. A request a killed worker had half done is fetched again: its items may reach the
  writer twice, which the dedup stage absorbs.
* **The frontier** persists (``SCHEDULER_PERSIST``) when a worker stops before the queue is
  empty (Ctrl-C, a kill): the next worker goes on from it. When the last worker of a site finds
  the queue empty and nothing in flight, the run is over: it clears the site's queue and
  duplicate filter, so the next run fetches the lists afresh.

How a distributed run is recorded
---------------------------------
Each worker pushes an ``open`` message when it starts on a site and a ``close`` message (with
its crawl stats) when it stops, on the same list as its items. The writer opens the site's
``crawl_runs`` row at the first ``open`` (marking a run of the site still ``running`` as
``interrupted``, as a single-process crawl does) and keeps the run's state in Redis, so that a
restarted writer goes on with it. It completes the row when the *last* worker of the run
closes, with the workers' stats added up and its own store counts (new, updated, duplicate,
failures), through the same run log (``crawler/runlog.py``) as a single-process crawl; the
run's ``run_quality`` row judges the articles the writer stored in that run. The stats of a
worker killed before it could close are not in the counts (its URLs are).

List walks
----------
The archive's ``list_walks`` (``crawler/backfill.py``) is the one record of whether each list was
walked to its end; a worker's own ``--db`` has no part in it. The writer publishes the archive's
flags in Redis (:func:`walks_key`: at its start for each site with no run under way, where nothing is
published or, when nothing waits to be stored, in place of what is, which may be another archive's;
and when it completes a run). The first worker of a run copies them into the run's state (:func:`walks_run_key`), which
every worker of the run reads as its ``walk_complete``, and marks the published walks open, as a
single-process crawl marks them open in the archive when it starts; the writer marks the archive's
rows open when it opens the run. A worker hands what it walked (each walk: reached its end, its last
page) to the writer in a ``walk`` message, pushed with the release of the list page that changed
it (so a killed worker's walk is taken up by the worker that fetches its page again). The writer
adds up the run's walks in the run's state in Redis and, when the run completes, records them in
the archive as a single-process crawl does, then publishes the new flags, unless a later run has
started meanwhile (its walks stay open). A worker that finds nothing published walks every list to
its end.

Failed URLs
-----------
The URLs that failed before and are fetched again on the next run (``crawler/backfill.retry_urls``:
a timeout, a challenge page, an incomplete page…) are the writer's archive's too, where the writer
records each failure: it publishes them in Redis (:func:`retries_key`) at its start for each site
with no run under way, and when it completes a site's run. Each worker of a run fetches them again
(the shared duplicate filter fetches each once), so a worker on another machine, whose ``--db`` is a
fresh file or an old copy, still retries what the archive holds as failed. A worker that finds
nothing published (no writer has run on this Redis) reads them from its own ``--db``.

The single-machine crawl never imports this module, nor ``redis``.
"""
from __future__ import annotations

import itertools
import json
import logging
import os
import pickle
import socket
import sqlite3
import time

import redis
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.scheduler import Scheduler as RedisScheduler

from archive.settings import check_redis_url, value as setting
from crawler import backfill, meta as meta_
from crawler.items import ArticleItem, Rejected

logger = logging.getLogger(__name__)

PREFIX = "archive"
ITEMS = f"{PREFIX}:items"  # finished items (and open/close messages), oldest at the right
PROCESSING = f"{PREFIX}:items:processing"  # the one the writer is storing
INFLIGHT = "archive_inflight"  # request meta: the in-flight key of a popped request


def queue_key(site: str) -> str:
    return f"{PREFIX}:{site}:requests"


def dupefilter_key(site: str) -> str:
    return f"{PREFIX}:{site}:dupefilter"


def workers_key(site: str) -> str:
    return f"{PREFIX}:{site}:workers"


def heartbeat_key(worker: str) -> str:
    return f"{PREFIX}:worker:{worker}"


def inflight_key(site: str, worker: str) -> str:
    return f"{PREFIX}:{site}:inflight:{worker}"


def idle_key(site: str) -> str:
    return f"{PREFIX}:{site}:idle"


def ended_key(site: str) -> str:
    """Set by the worker that completes *site*'s run (of the workers leaving together, one)."""
    return f"{PREFIX}:{site}:ended"


def run_key(site: str) -> str:
    return f"{PREFIX}:run:{site}"


def walks_key(site: str) -> str:
    """The archive's list walks of *site* as the writer published them (start URL: ``1`` complete,
    ``0`` open), marked open by a run under way (:data:`WALKS_RUN` names it)."""
    return f"{PREFIX}:walks:{site}"


def walks_run_key(site: str) -> str:
    """The walks *site*'s run under way started with (the workers' ``walk_complete``)."""
    return f"{PREFIX}:{site}:walks"


WALKS_RUN = ":run"  # field of walks_key/walks_run_key: the run that marked the walks open (no start URL)


def retries_key(site: str) -> str:
    """The URLs of *site* that failed before, as the writer published them from its archive (a set,
    with the empty string in it so that none published and none to fetch again differ)."""
    return f"{PREFIX}:retries:{site}"


def run_stats_key(site: str) -> str:
    """The counts of *site*'s run, added up by the writer and the workers."""
    return run_key(site) + ":stats"


def open_run_id(server, site: str) -> int | None:
    """The ``crawl_runs`` id of *site*'s run under way, as the writer opened it (None: no run open)."""
    value = server.hget(run_key(site), "run_id")
    return int(value) if value else None


def run_pending(server, site: str) -> bool:
    """Whether *site*'s run may still change: a live worker of the site, or messages the writer has not
    stored yet. The waiting list and the one being stored are read in one transaction: a message the
    writer moves from one to the other between two reads would be missed."""
    pipe = server.pipeline(transaction=True)
    pipe.llen(ITEMS).llen(PROCESSING).smembers(workers_key(site))
    waiting, storing, members = pipe.execute()
    return bool(waiting or storing) or any(server.exists(heartbeat_key(m.decode())) for m in members)


def connect(url: str):
    """A Redis client for *url*; ``ValueError`` with one line when it is not a Redis URL
    (:func:`archive.settings.check_redis_url`) or cannot be reached."""
    check_redis_url(url)
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)
        client.ping()
    except ValueError as exc:
        raise ValueError(f"bad Redis URL {url!r}: {exc}") from None
    except redis.RedisError as exc:
        raise ValueError(f"cannot reach Redis at {url}: {exc}") from None
    return client


def worker_settings(settings) -> None:
    """Turn a crawl's *settings* into a worker's: scrapy-redis frontier, items pushed to Redis."""
    settings.set("SCHEDULER", "crawler.distributed.Scheduler", priority="cmdline")
    settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", priority="cmdline")
    settings.set("SCHEDULER_PERSIST", True, priority="cmdline")
    # a sorted set by priority (Scrapy's order); Scheduler.next_request pops it with a script
    settings.set("SCHEDULER_QUEUE_CLASS", "scrapy_redis.queue.PriorityQueue", priority="cmdline")
    settings.set("SCHEDULER_QUEUE_KEY", queue_key("%(spider)s"), priority="cmdline")
    settings.set("SCHEDULER_DUPEFILTER_KEY", dupefilter_key("%(spider)s"), priority="cmdline")
    pipelines = dict(settings.getwithbase("ITEM_PIPELINES"))
    cut = pipelines.get("pipelines.dedup.DedupPipeline", 300)
    worker = {k: v for k, v in pipelines.items() if v is not None and v < cut}
    worker["crawler.distributed.PushPipeline"] = cut
    settings.set("ITEM_PIPELINES", worker, priority="cmdline")
    extensions = dict(settings.getdict("EXTENSIONS"))
    extensions["crawler.runlog.RunLog"] = None  # the writer records the run
    settings.set("EXTENSIONS", extensions, priority="cmdline")


def writer_stage_names(settings) -> list[str]:
    """The item pipelines the writer runs: dedup and every stage after it, in order."""
    pipelines = dict(settings.getwithbase("ITEM_PIPELINES"))
    cut = pipelines.get("pipelines.dedup.DedupPipeline", 300)
    return [k for k, v in sorted(pipelines.items(), key=lambda kv: kv[1]) if v is not None and v >= cut
            and k != "crawler.distributed.PushPipeline"]


def _message(kind: str, **fields) -> bytes:
    return pickle.dumps({"type": kind, **fields}, protocol=pickle.HIGHEST_PROTOCOL)


def _numeric_stats(stats: dict) -> dict:
    return {k: v for k, v in stats.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


# ------------------------------------------------------------------------ the worker

# Lua scripts (each runs atomically in Redis)
_POP_INTO_LUA = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0)
if #r == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], ARGV[1], r[1])
return r[1]
"""
# requests queued (KEYS[2]) unless the duplicate filter (KEYS[1]) has seen them: ARGV holds a
# (fingerprint, '' when not filtered; score; encoded request) triple per request; 1 or 0 for each
_QUEUE_LUA = """
local out = {}
for i = 1, #ARGV, 3 do
  local added = 1
  if ARGV[i] ~= '' then added = redis.call('SADD', KEYS[1], ARGV[i]) end
  if added == 1 then redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i + 2]) end
  out[#out + 1] = added
end
return out
"""
# the walks a run starts with: a new run (ARGV[1] '1') or one without them copies the published ones
# (KEYS[1]) into the run's (KEYS[2]) and marks the published ones open by this run (ARGV[2])
_WALKS_AT_START_LUA = """
if ARGV[1] == '1' or redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[2])
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    if all[i] ~= ARGV[3] then
      redis.call('HSET', KEYS[2], all[i], all[i + 1])
      redis.call('HSET', KEYS[1], all[i], '0')
    end
  end
  redis.call('HSET', KEYS[1], ARGV[3], ARGV[2])
  redis.call('HSET', KEYS[2], ARGV[3], ARGV[2])
end
return redis.call('HGETALL', KEYS[2])
"""
# the archive's walks published (KEYS[1]: ARGV[3..] field, value pairs): by the run ARGV[1] unless a later
# run marked them open; with no run (''), only where none are published; by a writer starting on a
# drained Redis ('*'), unless a run has started (its walks KEYS[2] exist)
_PUBLISH_WALKS_LUA = """
local run = redis.call('HGET', KEYS[1], ARGV[2])
if ARGV[1] == '' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
elseif ARGV[1] == '*' then
  if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
elseif run and run ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
"""
_MOVE_ALL_LUA = """
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do redis.call('HSET', KEYS[2], all[i], all[i + 1]) end
redis.call('DEL', KEYS[1])
return all
"""


def _script(source: str):
    registered = {}

    def call(keys, args=(), client=None):
        script = registered.get(id(client))
        if script is None:
            script = registered[id(client)] = client.register_script(source)
        return script(keys=keys, args=list(args))

    return call


_POP_INTO = _script(_POP_INTO_LUA)
_MOVE_ALL = _script(_MOVE_ALL_LUA)
_WALKS_AT_START = _script(_WALKS_AT_START_LUA)
_PUBLISH_WALKS = _script(_PUBLISH_WALKS_LUA)
OUTBOX_MAX = 64  # messages a worker holds before it pushes them without waiting for a release


def _outbox(crawler) -> list:
    """The crawler's messages not pushed yet: pushed together with the next release of a popped request
    (one transaction), never after it (see :meth:`Scheduler.release`)."""
    box = getattr(crawler, "_redis_outbox", None)
    if box is None:
        box = crawler._redis_outbox = []
    return box


def _push(server, box: list, release: tuple[str, str] | None = None) -> None:
    """Push the messages of *box* (oldest first to the writer) and delete the in-flight entry *release*
    (hash, field), in one transaction: a kill between the two cannot release a request whose items
    are not in Redis."""
    if not box and release is None:
        return
    pipe = server.pipeline(transaction=True)
    if box:
        pipe.lpush(ITEMS, *box)
    if release is not None:
        pipe.hdel(*release)
    pipe.execute()
    box.clear()


def _method_name(spider, func):
    """The name of *spider*'s method *func* (as ``Request.to_dict`` finds it, without listing every
    member of the spider for each request); *func* itself when it is not one."""
    own = getattr(func, "__func__", None)
    if own is not None and getattr(getattr(spider, func.__name__, None), "__func__", None) is own:
        return func.__name__
    return func


def _lower_priority(nice: int) -> None:
    """This process (its main thread, the reactor's, and what it starts later) at niceness *nice* at
    least. The writer stores every worker's items alone: where workers share its cores, a writer
    given no more CPU than each worker falls behind them, and stores the backlog alone at the end
    while the other cores idle (a sixth of a two-worker run on 2 cores was that tail)."""
    try:
        if nice and os.getpriority(os.PRIO_PROCESS, 0) < nice:
            os.setpriority(os.PRIO_PROCESS, 0, nice)
    except OSError as exc:  # not allowed here: the worker runs as it is
        logger.info("worker priority left as it is: %s", exc)


class Scheduler(RedisScheduler):
    """scrapy-redis's scheduler, plus: popped requests kept in Redis until handled (see the module
    doc), start pages fetched once per run by all workers together, and the run's end."""

    _serial = itertools.count(1)

    @classmethod
    def from_crawler(cls, crawler):
        instance = super().from_crawler(crawler)
        instance.crawler = crawler
        instance.worker = f"{socket.gethostname()}:{os.getpid()}:{int(time.time() * 1000) % 10**8}"
        instance.ttl = setting(crawler.settings, "REDIS_WORKER_TTL")
        _lower_priority(setting(crawler.settings, "REDIS_WORKER_NICE"))
        instance.heartbeat = None
        instance.idle = False  # marked idle in Redis: waiting for the others to finish
        instance.walks_sent: dict[str, tuple] = {}  # start URL → (done, end page) last handed to the writer
        instance.queued: list[tuple] = []  # requests yielded, not in Redis yet (see enqueue_request)
        instance.prefetched = None  # (in-flight key, encoded request) popped with a release, for next_request
        crawler.signals.connect(instance.spider_idle, signal=signals.spider_idle)
        return instance

    # --- bookkeeping keys
    @property
    def site(self) -> str:
        return self.spider.name

    def open(self, spider):
        super().open(spider)
        site, server = spider.name, self.server
        server.set(heartbeat_key(self.worker), "1", ex=self.ttl)
        server.sadd(workers_key(site), self.worker)
        self._beat()
        requeued = self.requeue_dead()
        others = [w for w in self.live_workers() if w != self.worker]
        new_run = not others and not requeued and not len(self.queue)
        if new_run:
            server.delete(ended_key(site))  # the last run's end, claimed by its last worker
            self.df.clear()  # no run under way: what an earlier, killed run saw is forgotten
        elif len(self.queue):
            logger.info("%s: joining a run under way (%d requests queued)", site, len(self.queue))
        # the walks the run started with (the worker's own --db has no say: see the module doc)
        state = _WALKS_AT_START(keys=[walks_key(site), walks_run_key(site)],
                                args=["1" if new_run else "", self.worker, WALKS_RUN], client=server)
        state = {k.decode(): v.decode() for k, v in zip(state[::2], state[1::2])}
        spider.walk_complete = {start: flag == "1" for start, flag in state.items() if start != WALKS_RUN}
        spider.retry_urls = self._retry_urls(site)
        spider.failed_before = set(spider.retry_urls)
        server.lpush(ITEMS, _message("open", site=site, worker=self.worker))
        # the engine looks for requests every 5 s when it has none: another worker may queue some
        # any moment, and an idle worker should take them up sooner, and see the run's end (every
        # worker idle) sooner: each look is a few Redis calls (Scrapy's own attribute)
        self.crawler.engine._SLOT_HEARTBEAT_INTERVAL = 0.25
        scraper = self.crawler.engine.scraper
        handle = scraper.enqueue_scrape

        def enqueue_scrape(result, request):  # released once the scraper handled it whole
            d = handle(result, request)
            d.addBoth(self._released, request)
            return d

        scraper.enqueue_scrape = enqueue_scrape

    def _retry_urls(self, site: str) -> list[str]:
        """The URLs that failed before, fetched again by this run: the writer's archive's, as it
        published them; the worker's own ``--db``'s only where nothing is published (no writer yet)."""
        published = self.server.smembers(retries_key(site))
        if published:
            return sorted(url for url in (u.decode() for u in published) if url)
        from crawler.archive import crawl_archive

        limit = setting(self.crawler.settings, "FAILURE_RETRY_LIMIT")
        return backfill.retry_urls(crawl_archive(self.crawler).db, limit, site).get(site, [])

    def _beat(self):
        from twisted.internet import task

        def beat():
            try:
                self.server.set(heartbeat_key(self.worker), "1", ex=self.ttl)
            except redis.RedisError as exc:
                logger.error("Redis heartbeat failed: %s", exc)

        self.heartbeat = task.LoopingCall(beat)
        self.heartbeat.start(max(self.ttl / 3, 0.2), now=False)

    def _released(self, result, request):
        self.release(request.meta.get(INFLIGHT), request.meta.get(meta_.KIND) == meta_.LIST)
        return result

    def release(self, key, walked: bool = True) -> None:
        """The items handed on so far pushed, and the popped request *key* (if any) released, in one
        transaction (its items went through the pipeline before its response was handled whole);
        with them, when a list page was *walked*, what changed in the walks. The release, what the
        page yielded and the next pop go in one round trip (3.94 -> 2.56 round trips per page on the
        bench tree, pops that find the queue empty included): the worker's CPU is about the same;
        what goes is the reactor's wait on each, longer where Redis is on another machine."""
        if walked:
            self._hand_on_walks()
        box = _outbox(self.crawler)
        # a page handled: the next request is popped in the same round trip (the engine asks for one
        # as each download ends), kept in flight like any popped request until next_request takes it
        fetch = key is not None and self.prefetched is None
        inflight = inflight_key(self.site, self.worker)
        if not self.queued and not fetch:
            _push(self.server, box, (inflight, key) if key else None)
            return
        pipe = self.server.pipeline(transaction=True)
        batch = self._queue_into(pipe)  # what the page yielded, queued as it is released
        if box:
            pipe.lpush(ITEMS, *box)
        if key:
            pipe.hdel(inflight, key)
        popped = self._next_key() if fetch else None
        raw = self._send(pipe, batch, popped)
        box.clear()
        if raw is not None:
            self.prefetched = (popped, raw)

    def _hand_on_walks(self) -> None:
        """The walks (reached the end, last page) changed since the last were handed on: a message."""
        changed = {}
        for start, walk in getattr(self.spider, "walks", {}).items():
            now = (walk.done, walk.end_page)
            if self.walks_sent.get(start) != now:
                changed[start] = self.walks_sent[start] = now
        if changed:
            _outbox(self.crawler).append(_message("walk", site=self.site, walks=changed))

    def enqueue_request(self, request):
        """The request waits here until the next round trip to Redis (the release of the popped
        request whose response yielded it, or the next pop), then it is queued unless the duplicate
        filter has seen it, with the popped request it replaces (a retry or redirect) released, in
        one transaction: a kill before it leaves that popped request in flight, to be fetched again.
        Whether it was a duplicate is known then (``dupefilter/filtered``), not here: True."""
        key = request.meta.pop(INFLIGHT, None)  # a retry or redirect of a popped request
        # start pages are dont_filter (fetched on every run); here every worker yields them, and
        # the run fetches them once; a retry or redirect of a popped request keeps its dont_filter
        filtered = not request.dont_filter or (key is None and request.meta.get(meta_.KIND) == meta_.LIST)
        self.queued.append((request, self.df.request_fingerprint(request) if filtered else "", -request.priority,
                            self._encode(request), key))
        return True

    def _encode(self, request) -> bytes:
        """*request* as scrapy-redis's queue encodes it (``Request.to_dict``), its callbacks named
        directly (:func:`_method_name`)."""
        saved = request.callback, request.errback
        request.callback, request.errback = _method_name(self.spider, saved[0]), _method_name(self.spider, saved[1])
        try:
            return self.queue._encode_request(request)
        finally:
            request.callback, request.errback = saved

    def _queue_into(self, pipe) -> list:
        """The requests waiting in :attr:`queued` queued on *pipe* (a transaction, first on it), with the
        popped requests they replace released; the batch, for :meth:`_send` (empty: nothing waits)."""
        batch, self.queued = self.queued, []
        if not batch:
            return batch
        pipe.eval(_QUEUE_LUA, 2, self.df.key, self.queue.key,
                  *(v for _, fp, score, encoded, _ in batch for v in (fp, score, encoded)))
        replaced = [key for *_, key in batch if key]
        if replaced:
            pipe.hdel(inflight_key(self.site, self.worker), *replaced)
        return batch

    def _send(self, pipe, batch: list, pop: str | None):
        """Run *pipe* (*batch* queued first on it) with, when *pop* names it, the next request popped
        into this worker's in-flight hash last: the popped request, or None. The batch's duplicates
        are logged; a batch not sent waits for the next round trip."""
        if pop is not None:
            pipe.eval(_POP_INTO_LUA, 2, self.queue.key, inflight_key(self.site, self.worker), pop)
        try:
            results = pipe.execute()
        except BaseException:
            self.queued[:0] = batch
            raise
        for (request, *_), new in zip(batch, results[0] if batch else ()):
            if not new:
                self.df.log(request, self.spider)
            elif self.stats:
                self.stats.inc_value("scheduler/enqueued/redis")
        return results[-1] if pop is not None else None

    def has_pending_requests(self):
        return self.prefetched is not None or bool(self.queued) or len(self) > 0

    def _next_key(self) -> str:
        return f"{self.worker}:{next(self._serial)}"

    def next_request(self):
        # popped from the shared queue and written to this worker's in-flight hash in one step (a
        # Lua script runs atomically): a kill between the two cannot lose the request; the requests
        # waiting to be queued go first, in the same round trip
        if self.prefetched is not None:  # popped with the last release
            (key, raw), self.prefetched = self.prefetched, None
        elif self.queued:
            key, pipe = self._next_key(), self.server.pipeline(transaction=True)
            raw = self._send(pipe, self._queue_into(pipe), key)
        else:
            key = self._next_key()
            raw = _POP_INTO(keys=[self.queue.key, inflight_key(self.site, self.worker)], args=[key],
                            client=self.server)
        if raw is None:
            return None
        request = self.queue._decode_request(raw)
        if self.idle:
            self.idle = False
            self.server.srem(idle_key(self.site), self.worker)
        request.meta[INFLIGHT] = key
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    # --- other workers
    def live_workers(self) -> list[str]:
        members = [m.decode() for m in self.server.smembers(workers_key(self.site))]
        return [m for m in members if m == self.worker or self.server.exists(heartbeat_key(m))]

    def requeue_dead(self) -> int:
        """Put the in-flight requests of this site's dead workers back into the queue; how many.

        They are first moved into this worker's own in-flight hash (atomically, so one worker takes
        them), then queued one by one, each removed from the hash once queued: if this worker dies
        midway, what is left is its own in-flight, queued again by the next."""
        n = 0
        mine = inflight_key(self.site, self.worker)
        for member in self.server.smembers(workers_key(self.site)):
            other = member.decode()
            if other == self.worker or self.server.exists(heartbeat_key(other)):
                continue
            moved = _MOVE_ALL(keys=[inflight_key(self.site, other), mine], client=self.server) or []
            for field, encoded in zip(moved[::2], moved[1::2]):
                request = self.queue._decode_request(encoded)
                request.meta.pop(INFLIGHT, None)
                self.queue.push(request)
                self.server.hdel(mine, field)
                n += 1
            self.server.srem(workers_key(self.site), other)
            if moved:
                logger.warning("%s: %d in-flight requests of stopped worker %s queued again",
                               self.site, len(moved) // 2, other)
        return n

    @staticmethod
    def _pause(seconds: float):
        from twisted.internet import reactor, task

        return task.deferLater(reactor, seconds, lambda: None)

    def _leave_last(self, remaining: int, reason: str):
        """Complete the run if this worker, leaving it with its work done, is the last to leave.

        Workers still in the run that are idle are about to leave too, or were killed while idle:
        such a worker's heartbeat still shows it alive for up to ``REDIS_WORKER_TTL`` seconds, and
        nobody would ever complete the run. So while only idle workers remain, this one looks again
        every 0.2 s (without holding the reactor: the process's other sites go on) until they left
        or are found dead (taken out of the run). A worker still crawling leaves last itself. Of two
        that see the run empty at once, the one that claims its end completes it (a Deferred when
        it has to wait, else None)."""
        from twisted.internet import defer

        if not remaining:
            self._complete(reason)
            return None

        @defer.inlineCallbacks
        def wait(remaining):
            server, site = self.server, self.site
            deadline = time.monotonic() + self.ttl + 1
            while remaining:
                others = {m.decode() for m in server.smembers(workers_key(site))}
                idle = {m.decode() for m in server.smembers(idle_key(site))}
                if not others <= idle or time.monotonic() > deadline:
                    return  # one still crawls (or stays): it completes the run
                yield self._pause(0.2)
                if self.requeue_dead() or len(self.queue):
                    return  # a dead worker's requests are queued again: the run goes on
                remaining = server.scard(workers_key(site))
            self._complete(reason)

        return wait(remaining)

    def _complete(self, reason: str) -> None:
        """The run is over (its end claimed by this worker): the next run starts from the lists
        again, and the writer completes the run's row."""
        server, site = self.server, self.site
        if not server.set(ended_key(site), self.worker, nx=True, ex=max(60, 4 * self.ttl)):
            return  # another worker leaving at the same time completed it
        self.flush()
        run = server.hget(walks_run_key(site), WALKS_RUN)
        server.delete(walks_run_key(site))
        server.lpush(ITEMS, _message("close", site=site, worker=self.worker, reason=reason, last=True,
                                     stats={}, walks_run=run.decode() if run else ""))

    def spider_idle(self, spider):
        """Idle here is not the run's end while the queue has requests, or another live worker
        is not idle yet (it may yield more requests): the run ends when all are idle together."""
        self.release(None)  # nothing is in progress: whatever waits to be pushed goes now
        if self.prefetched is not None or self.requeue_dead():
            raise DontCloseSpider
        server, site = self.server, self.site
        server.delete(inflight_key(site, self.worker))  # nothing is in progress here: nothing in flight
        if not self.idle:
            self.idle = True
            server.sadd(idle_key(site), self.worker)
        if len(self.queue):
            raise DontCloseSpider
        idle = {m.decode() for m in server.smembers(idle_key(site))}
        for other in self.live_workers():
            if other not in idle or server.hlen(inflight_key(site, other)):
                raise DontCloseSpider

    def close(self, reason):
        site, server = self.site, self.server
        if self.heartbeat is not None and self.heartbeat.running:
            self.heartbeat.stop()
        self.release(None)  # the items handed on, before the requests still in flight go back to the queue
        mine = inflight_key(site, self.worker)
        self.prefetched = None  # in flight: back to the queue with the rest
        left = server.hvals(mine)
        for encoded in left:  # stopped before they were handled: back to the queue
            request = self.queue._decode_request(encoded)
            request.meta.pop(INFLIGHT, None)
            self.queue.push(request)
        server.delete(mine)
        self.requeue_dead()  # a dead worker in the set would keep the run open for ever
        stats = _numeric_stats(self.crawler.stats.get_stats())
        # this worker's counts go to the writer in the transaction that takes it out of the run, so a
        # worker's close is always queued before the message of the worker completing the run
        # (:meth:`_leave_last`): a close queued after it would open a run no worker ever completes
        pipe = server.pipeline(transaction=True)
        pipe.lpush(ITEMS, _message("close", site=site, worker=self.worker, reason=reason, last=False, stats=stats))
        pipe.srem(workers_key(site), self.worker).srem(idle_key(site), self.worker).scard(workers_key(site))
        remaining = pipe.execute()[-1]
        server.delete(heartbeat_key(self.worker))
        waiting = None
        if reason == "finished" and not len(self.queue):
            waiting = self._leave_last(remaining, reason)
        # this worker's own outcome (the run's is the writer's): what it fetched and handed on
        from archive import statkeys
        from archive.runs import SiteResult

        pushed = int(stats.get("redis/items_pushed", 0))
        self.crawler.stats.set_value(statkeys.OUTCOME, SiteResult(
            site, pages_fetched=int(stats.get("response_received_count", 0)),
            status="ok" if reason == "finished" else "interrupted",
            reason=f"worker: {pushed} item(s) handed to the writer" + ("" if reason == "finished" else f" ({reason})"),
        ).as_dict())
        return waiting  # the engine waits for it: a run whose last workers leave together is completed


class PushPipeline:
    """The worker's last stage: each finished item (and each rejected one, with its reason) goes
    onto the Redis list the writer pops: with the release of the request it came from (one
    transaction, :meth:`Scheduler.release`), or at once when :data:`OUTBOX_MAX` wait."""

    def __init__(self, crawler, server):
        self.crawler = crawler
        self.server = server

    @classmethod
    def from_crawler(cls, crawler):
        pipe = cls(crawler, connect(crawler.settings.get("REDIS_URL")))
        crawler.signals.connect(pipe.item_dropped, signal=signals.item_dropped)
        return pipe

    def _hand_on(self, message: bytes) -> None:
        box = _outbox(self.crawler)
        box.append(message)
        if len(box) >= OUTBOX_MAX:
            _push(self.server, box)
        self.crawler.stats.inc_value("redis/items_pushed")

    def process_item(self, item):
        self._hand_on(_message("item", site=item.site, item=item))
        return item

    def item_dropped(self, item, response=None, spider=None, exception=None):
        if isinstance(exception, Rejected):
            self._hand_on(_message("rejected", site=item.site, item=item, kind=exception.kind,
                                   reason=exception.reason))


# ------------------------------------------------------------------------ the writer


class WriteFailed(RuntimeError):
    """The archive refused a write (a full disk…): the writer stops, the item stays in Redis."""


def _merge_walks(server, site: str, walks: dict) -> None:
    """A worker's ``walk`` message added to its run's walks in Redis: a walk reached its end when a
    worker saw it reach it (adding the same message twice changes nothing)."""
    saved = server.hget(run_key(site), "walks")
    merged = json.loads(saved) if saved else {}
    for start, (done, end_page) in walks.items():
        was_done, was_end = merged.get(start, (False, None))
        ends = [e for e in (was_end, end_page) if e is not None]
        merged[start] = [bool(was_done or done), max(ends) if ends else None]
    server.hset(run_key(site), "walks", json.dumps(merged, sort_keys=True))


def _publish_walks(server, site: str, complete: dict[str, bool], run: str) -> bool:
    """The archive's walks of *site* published for the workers (:func:`walks_key`), by the run *run*
    ('': only where none are published; '*': whatever is published, unless a run has started)."""
    pairs = [v for start, flag in sorted(complete.items()) for v in (start, "1" if flag else "0")]
    return bool(_PUBLISH_WALKS(keys=[walks_key(site), walks_run_key(site)], args=[run, WALKS_RUN, *pairs],
                               client=server))


def _publish_retries(server, site: str, urls: list[str]) -> None:
    """The archive's URLs of *site* to fetch again, published for the workers (:func:`retries_key`)."""
    pipe = server.pipeline(transaction=True)
    pipe.delete(retries_key(site))
    pipe.sadd(retries_key(site), "", *urls)
    pipe.execute()


def _record_walks(server, db, site: str, run: str) -> None:
    """The run of *site* completed: its walks recorded in the archive (as a single-process crawl's,
    ``crawler/backfill.py``), the walks left open counted in the run's stats, the new flags published."""
    from archive import statkeys

    saved = server.hget(run_key(site), "walks")
    walks = {start: (done, end_page) for start, (done, end_page) in json.loads(saved).items()} if saved else {}
    try:
        left_open = backfill.record_walks(db, site, walks, True) if walks else 0
        complete = backfill.read_walks(db, site).get(site, {})
    except sqlite3.Error as exc:
        raise WriteFailed(f"archive write failed: could not record the list walks: {exc}") from None
    if left_open:  # set, not added: a restarted writer records the same walks again
        server.hset(run_stats_key(site), statkeys.WALKS_OPEN, left_open)
    _publish_walks(server, site, complete, run)


class _SiteRun:
    """The writer's side of one site: a crawler (settings, stats, signals) for the stages and the
    run log, without an engine."""

    def __init__(self, spidercls, settings, server, archives: dict | None = None):
        from scrapy.crawler import Crawler
        from scrapy.utils.misc import build_from_crawler, load_object
        from scrapy.utils.reactor import is_reactor_installed

        from crawler.runlog import RunLog

        self.spidercls = spidercls
        self.site = spidercls.name
        self.server = server
        settings = settings.copy()
        if is_reactor_installed():  # no engine: the reactor a process already has, whichever, is left alone
            settings.set("TWISTED_REACTOR", None, priority="cmdline")
        else:  # no engine: no reactor either
            settings.set("TWISTED_REACTOR_ENABLED", False, priority="cmdline")
        self.crawler = Crawler(spidercls, settings)
        self.crawler._apply_settings()
        if archives is not None:  # the writer's sites share one connection per archive file (see Writer)
            from archive.db import Archive
            from crawler.archive import share_archive

            path = self.crawler.settings.get("ARCHIVE_DB")
            share_archive(self.crawler, archives.setdefault(path, Archive(path)))
        self.stages = [build_from_crawler(load_object(path), self.crawler) for path in writer_stage_names(settings)]
        self.runlog = RunLog(self.crawler, self._archive())
        self.opened = False
        self.unsent: dict[str, float] = {}  # counts of stored items, not yet added to the run's in Redis
        self.aliases_changed = False  # the store stage's waiting URLs may differ from those saved in Redis
        self._aliases_saved = "{}"
        self._mark = None  # what checkpoint() kept

    def _archive(self):
        from crawler.archive import crawl_archive

        return crawl_archive(self.crawler)

    def open_stages(self):
        if not self.opened:
            for stage in self.stages:
                if hasattr(stage, "open_spider"):
                    stage.open_spider(self.spidercls)
            self.opened = True

    def close_stages(self):
        if self.opened:
            for stage in self.stages:
                if hasattr(stage, "close_spider"):
                    stage.close_spider(self.spidercls)
            self.opened = False
        self._archive().close()

    def resume_or_open(self) -> None:
        """The run's ``crawl_runs`` row: the one a writer before this one opened, or a new one."""
        state = self.server.hgetall(run_key(self.site))
        if state.get(b"run_id"):
            self.runlog.run_id = int(state[b"run_id"])
            self.runlog.started = state[b"started"].decode()
        else:
            self.runlog.spider_opened(self.spidercls)
            self.server.hset(run_key(self.site), mapping={"run_id": self.runlog.run_id,
                                                          "started": self.runlog.started})
            backfill.open_walks(self._archive().db, self.site)  # open until the run completes
        for stage in self.stages:  # the stages that count "this run" count from the run's start
            if hasattr(stage, "since"):
                stage.since = self.runlog.started
        saved = self.server.hget(run_key(self.site), "aliases")
        for stage in self.stages:  # aliases of articles not stored yet, as a writer before this one left them
            if saved and hasattr(stage, "pending_aliases"):
                for canonical, urls in json.loads(saved).items():
                    if isinstance(urls, list):  # as a writer before redirects were told apart saved them
                        urls = dict.fromkeys(urls, False)
                    stage.pending_aliases[canonical].update(urls)  # {URL: whether it redirected}

    def store(self, msg: dict) -> None:
        item = msg["item"]
        if msg["type"] == "rejected":
            exc = Rejected(msg["kind"], msg["reason"])
            self.crawler.signals.send_catch_log(signals.item_dropped, item=item, response=None, spider=None,
                                                exception=exc)
            self._count()
            return
        try:
            for stage in self.stages:
                item = stage.process_item(item)
        except Rejected as exc:
            self.crawler.signals.send_catch_log(signals.item_dropped, item=item, response=None, spider=None,
                                                exception=exc)
        else:
            if isinstance(item, ArticleItem):
                self.runlog.item_scraped(item, self.spidercls)
        self.aliases_changed = True
        self._count()

    def _save_aliases(self, pipe) -> None:
        """The store stage's aliases waiting for their article, kept in the run's state in Redis (on the
        pipeline *pipe*: with the removal of the items that changed them, after their commit)."""
        if not self.aliases_changed:
            return
        self.aliases_changed = False
        for stage in self.stages:
            pending = getattr(stage, "pending_aliases", None)
            if pending is None:
                continue
            now = json.dumps({k: v for k, v in pending.items() if v}, sort_keys=True)
            if now != self._aliases_saved:
                pipe.hset(run_key(self.site), "aliases", now)
                self._aliases_saved = now

    def checkpoint(self) -> None:
        """What this run keeps in memory as it is now: :meth:`undo` goes back to it when the writes
        stored since roll back (the writer's group of items, :meth:`Writer.store_batch`)."""
        self._mark = (dict(self.unsent), len(self.runlog.articles), self.aliases_changed)
        self._each_stage("checkpoint")

    def undo(self) -> None:
        self.unsent, articles, self.aliases_changed = self._mark
        del self.runlog.articles[articles:]
        self.crawler.stats.set_stats({})  # the counts of an item that failed midway
        self._each_stage("undo")
        self._mark = None

    def forget_checkpoint(self) -> None:
        self._each_stage("forget_checkpoint")
        self._mark = None

    def _each_stage(self, method: str) -> None:
        """Call *method* of each stage that keeps something of the items in memory (dedup, store)."""
        for stage in self.stages:
            if hasattr(stage, method):
                getattr(stage, method)()

    def _count(self) -> None:
        """The writer's counts since the last item, kept until they are added to the run's in Redis
        together with the removal of the items they count (:meth:`Writer.release`, one transaction:
        a restarted writer goes on counting, never counts an item twice). A failed write stops the
        writer before the item leaves Redis."""
        from archive import statkeys

        stats = self.crawler.stats
        failed = stats.get_value(statkeys.STORE_ERROR)
        if failed:
            stats.set_value(statkeys.STORE_ERROR, None)
            raise WriteFailed(f"archive write failed: {failed}")
        for k, v in _numeric_stats(stats.get_stats()).items():
            self.unsent[k] = self.unsent.get(k, 0) + v
        stats.set_stats({})

    def send_counts(self, pipe) -> None:
        """Add the counts kept by :meth:`_count` to the run's in Redis, and save the waiting aliases if
        they changed, on the pipeline *pipe*."""
        self._save_aliases(pipe)
        for k, v in self.unsent.items():
            pipe.hincrbyfloat(run_stats_key(self.site), k, v)
        self.unsent = {}

    def finish(self, worker_stats: dict, reason: str):
        """The last worker closed: add up the counts and complete the run's row."""
        if self.unsent or self.aliases_changed:
            pipe = self.server.pipeline()
            self.send_counts(pipe)
            pipe.execute()
        totals = {k.decode(): float(v) for k, v in self.server.hgetall(run_stats_key(self.site)).items()}
        totals = {k: int(v) if v == int(v) else v for k, v in totals.items()}
        self.crawler.stats.set_stats(totals)
        self.crawler.stats.set_value("finish_reason", reason)
        self.runlog.spider_closed(self.spidercls, reason)
        outcome = self.crawler.stats.get_value("archive/outcome")
        self.server.delete(run_key(self.site), run_stats_key(self.site))
        self.aliases_changed = False  # the run's state is gone: nothing to save in it
        self.crawler.stats.set_stats({})
        self.runlog.articles = []
        return outcome


# up to this many messages taken from the Redis list at a time (one script), stored in one SQLite
# transaction, then removed from the processing list with their counts added to their runs' (one
# transaction): three round trips to Redis and one commit for the lot instead of about six round trips
# and one commit per item (a commit is a new segment of the full-text index, and its merge work)
WRITER_BATCH = 100
# a writer that has caught up gathers a batch: while items keep coming (looked for every GATHER_STEP
# seconds), for up to WRITER_GATHER seconds after the first, or until WRITER_BATCH; items trickling in
# would otherwise each be a batch of their own (a commit and its index work: a batch of 5 costs about
# what one transaction per item does, 30 or more much less). They wait in Redis meanwhile.
WRITER_GATHER = 1.0
GATHER_STEP = 0.1
_TAKE_LUA = """
local out = {}
for i = 1, tonumber(ARGV[1]) do
  local v = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
  if not v then break end
  out[#out + 1] = v
end
return out
"""
_TAKE = _script(_TAKE_LUA)


class Writer:
    """``archive ingest``: pops finished items from Redis and stores them (see the module doc).

    Items are taken in batches (:data:`WRITER_BATCH`) into the processing list and stored in one
    SQLite transaction (:class:`archive.db.group`: each item's writes a savepoint of it, the stages
    reading the same connection, so an item sees those before it in the batch as a single-process
    crawl sees earlier items), then the batch leaves the processing list, with its counts and the
    aliases waiting for their article, in one Redis transaction (a writer killed midway stores the
    batch again on restart: the dedup stage finds what was stored). A write that fails rolls the
    batch back, with what the stages and the run remembered of it, and the batch is stored again
    one item per transaction, so the items before the failing one are stored and leave Redis and the
    writer stops at that one, which stays in Redis with the rest. An ``open`` or ``close`` message
    is handled alone: what came before it is committed, removed and counted first, so a run is
    completed only with every item before it counted."""

    def __init__(self, url: str, settings, spiders: dict, *, until_done: bool = False, idle_timeout: float = 0,
                 report=None):
        self.server = connect(url)
        self.settings = settings
        self.spiders = spiders
        self.until_done = until_done
        self.idle_timeout = idle_timeout
        self.report = report or (lambda outcome: None)
        self.runs: dict[str, _SiteRun] = {}
        self.finished: list = []
        self.stored = 0
        self.open_runs: set[str] = set()  # sites whose run state is known to exist in Redis (this batch)
        self.archives: dict = {}  # archive file → the one Archive (connection) all sites' stages share
        self.group_writes = True  # a batch's items in one transaction (False: one transaction each)
        self.gather = WRITER_GATHER

    def run_for(self, site: str) -> _SiteRun:
        run = self.runs.get(site)
        if run is None:
            run = self.runs[site] = _SiteRun(self.spiders[site], self.settings, self.server, self.archives)
            run.open_stages()
            if self.server.exists(run_key(site)):
                run.resume_or_open()
        return run

    def open_run(self, site: str) -> None:
        """*site*'s run open before an item of it is stored (its ``crawl_runs`` row, its state in Redis):
        looked up once per batch (only a control message changes it)."""
        if site not in self.open_runs:
            run = self.run_for(site)
            if not self.server.exists(run_key(site)):
                run.resume_or_open()
            self.open_runs.add(site)

    def handle(self, msg: dict) -> None:
        """Handle one message (stored and committed when it is an item); the caller removes it from
        the processing list and sends the counts (:meth:`release`)."""
        site = msg["site"]
        if site not in self.spiders:
            logger.error("an item of unknown site %r: left in the queue's processing list", site)
            return
        run = self.run_for(site)
        kind = msg["type"]
        if kind == "open":
            if not self.server.exists(run_key(site)):
                run.resume_or_open()
        elif kind == "close":
            if not self.server.exists(run_key(site)) and not msg["last"]:
                run.resume_or_open()
            self._add_worker_stats(site, msg["stats"])
            if msg["last"] and self.server.exists(run_key(site)):
                db = run._archive().db
                _record_walks(self.server, db, site, msg.get("walks_run", ""))
                _publish_retries(self.server, site, backfill.retry_urls(db, self.retry_limit, site).get(site, []))
                outcome = run.finish(msg["stats"], msg["reason"])
                self.finished.append(outcome)
                self.report(outcome)
        else:
            self.open_run(site)
            if kind == "walk":  # what a worker walked: added to the run's walks
                _merge_walks(self.server, site, msg["walks"])
                return
            run.store(msg)
            self.stored += 1

    def release(self, done: list[bytes]) -> None:
        """The messages *done* (handled, their writes committed) leave the processing list, and the
        counts of what they stored are added to their runs', in one transaction."""
        counted = [run for run in self.runs.values() if run.unsent or run.aliases_changed]
        if not done and not counted:
            return
        pipe = self.server.pipeline(transaction=True)
        for run in counted:
            run.send_counts(pipe)
        for raw in done:
            pipe.lrem(PROCESSING, -1, raw)
        pipe.execute()

    def store_batch(self, raws: list[bytes]) -> None:
        """Handle the messages *raws* (in the processing list, oldest first), then :meth:`release` them;
        those after a failed write stay in the processing list for the next writer."""
        done: list[bytes] = []
        items: list[tuple[bytes, dict]] = []  # to store together
        self.open_runs.clear()
        try:
            for raw in raws:
                msg = pickle.loads(raw)
                if msg.get("type") in ("open", "close"):  # a run opened or completed: alone, in order
                    self.store_group(items, done)
                    items = []
                    self.release(done)
                    done = []
                    self.open_runs.clear()
                    self.handle(msg)
                    self.open_runs.clear()
                    self.release([raw])
                else:
                    items.append((raw, msg))
            self.store_group(items, done)
        finally:
            self.release(done)

    def store_group(self, items: list[tuple[bytes, dict]], done: list[bytes]) -> None:
        """Handle the messages *items* (``(raw, message)``) in one SQLite transaction, then add them to
        *done*; a failed write rolls them back and stores them one per transaction (see the class doc)."""
        from archive.db import group

        for _, msg in items:  # each site's run opened first: that writes its crawl_runs row, and Redis
            if msg["site"] in self.spiders:
                self.open_run(msg["site"])
        runs = [self.runs[site] for site in dict.fromkeys(msg["site"] for _, msg in items) if site in self.runs]
        archives = {id(run._archive()): run._archive() for run in runs}
        if len(items) < 2 or not self.group_writes or len(archives) != 1:
            self.store_each(items, done)
            return
        stored = self.stored
        for run in runs:
            run.checkpoint()
        try:
            with group(next(iter(archives.values())).db) as writes:
                for _, msg in items:
                    self.handle(msg)
                    if writes.lost():  # SQLite rolled it all back on its own (a stage caught the error)
                        raise sqlite3.OperationalError("the batch's transaction was rolled back")
        except BaseException as exc:
            for run in runs:
                run.undo()
            self.stored = stored
            if not isinstance(exc, (WriteFailed, sqlite3.Error)):
                raise
            logger.warning("a batch of %d items could not be written (%s): storing them one at a time",
                           len(items), exc)
            self.store_each([(raw, pickle.loads(raw)) for raw, _ in items], done)  # the items as they came
            return
        for run in runs:
            run.forget_checkpoint()
        done.extend(raw for raw, _ in items)

    def store_each(self, items: list[tuple[bytes, dict]], done: list[bytes]) -> None:
        """Handle the messages *items*, each stored in its own transaction; a failed write stops here."""
        for raw, msg in items:
            self.handle(msg)
            done.append(raw)

    def _add_worker_stats(self, site: str, stats: dict) -> None:
        pipe = self.server.pipeline()
        for k, v in stats.items():
            if k.startswith(("archive/", "item_")) and k not in ("archive/links_found",):
                continue  # counted by the writer as it stores (or not a count of the run)
            pipe.hincrbyfloat(run_stats_key(site), k, v)
        pipe.execute()

    def recover(self) -> int:
        """Items a killed writer had taken but maybe not stored: stored (again) first."""
        n = 0
        while True:
            raw = self.server.lindex(PROCESSING, -1)
            if raw is None:
                return n
            self.store_batch([raw])
            n += 1

    def publish(self) -> None:
        """What workers starting a run learn from the archive (see the module doc): its walks, for
        the sites with no run under way, where none are published (a new or emptied Redis) or, when
        nothing waits to be stored, in place of what is published (which is then the archive's
        already, or another archive's: a Redis used before for another archive); and the URLs to
        fetch again, for every site with no run under way."""
        from archive.db import Archive

        drained = not self.server.llen(ITEMS) and not self.server.llen(PROCESSING)
        archive = Archive(self.settings.get("ARCHIVE_DB"))
        try:
            walks = backfill.read_walks(archive.db)
            retries = backfill.retry_urls(archive.db, self.retry_limit)
            for site in self.spiders:
                if self.server.exists(run_key(site)):
                    continue  # a run under way: its workers learnt both as it started
                if (site in walks or drained) and not self.server.exists(walks_run_key(site)):
                    _publish_walks(self.server, site, walks.get(site, {}), "*" if drained else "")
                _publish_retries(self.server, site, retries.get(site, []))
        finally:
            archive.close()

    @property
    def retry_limit(self) -> int:
        return setting(self.settings, "FAILURE_RETRY_LIMIT")

    def active_runs(self) -> bool:
        return bool(self.server.keys(run_key("*")))

    def run(self) -> int:
        """Store items until stopped (or, with *until_done*, until no run is open and nothing waits)."""
        self.recover()
        self.publish()
        idle_since = time.monotonic()
        seen_any = False
        try:
            while True:
                raw = self.server.blmove(ITEMS, PROCESSING, 1, "RIGHT", "LEFT")
                if raw is None:
                    if self.until_done and seen_any and not self.active_runs() and not self.server.llen(ITEMS):
                        return self.stored
                    if self.idle_timeout and time.monotonic() - idle_since > self.idle_timeout:
                        return self.stored
                    continue
                seen_any = True
                idle_since = time.monotonic()
                more = _TAKE(keys=[ITEMS, PROCESSING], args=[WRITER_BATCH - 1], client=self.server)
                gather_until = time.monotonic() + self.gather
                while len(more) < WRITER_BATCH - 1 and time.monotonic() < gather_until:  # caught up
                    time.sleep(GATHER_STEP)
                    got = _TAKE(keys=[ITEMS, PROCESSING], args=[WRITER_BATCH - 1 - len(more)], client=self.server)
                    if not got:  # nothing came meanwhile: store what there is
                        break
                    more += got
                self.store_batch([raw, *more])  # stored and committed, then no longer held
        finally:
            for run in self.runs.values():
                run.close_stages()


__all__ = ["Scheduler", "PushPipeline", "Writer", "worker_settings", "connect", "json"]
