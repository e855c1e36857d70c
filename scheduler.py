"""Periodic refreshes of the archive with APScheduler 3.

One ``BlockingScheduler``; one interval job per site (``crawl-<site>``), its
interval from the site file (``refresh_minutes``) unless configured otherwise.
Each crawl runs in its own subprocess (Scrapy's reactor cannot be restarted in
one process).

The jobs live in memory (APScheduler's ``MemoryJobStore``): the one state a
restart must keep, each site's last run, is already in the archive's
``crawl_runs`` table. On start each job's first run is the site's last finished
run's start plus its interval; a site that is overdue (or never crawled) runs
at once, overdue sites a few seconds apart. ``--list`` computes the same plan
from ``crawl_runs`` and prints it: it only reads (no lock, no file created,
nothing written), so it never disturbs a running scheduler.

After a crawl ends the scheduler reads its outcome from the ``crawl_runs`` row
the crawl wrote (status, counts, error summary): an ``ok`` run is logged in one
INFO line; a ``partial``, ``failed`` or ``blocked`` run at WARNING with its error
summary and the first error lines of the crawl's log (one line each, no
traceback); an ``interrupted`` run (a crawl stopped by SIGTERM) at WARNING; a
crawl killed, or ended without completing its row, at ERROR. ``--on-failure CMD``
runs a shell command on a failed run (:class:`Alert`: the site, its status and
its errors in environment variables, a time limit).

Only one scheduler may run per archive: a second one refuses with a message.
SIGTERM and SIGINT stop it cleanly: no new crawl starts, a running crawl is
asked to stop (Scrapy finishes the writes in progress; every article is one
transaction) and is waited for.

With ``--redis redis://HOST:PORT`` (or ``redis = "redis://…"`` in the ``--config`` file) the
scheduler's crawls are workers of a distributed crawl (``archive crawl --redis``: the frontier shared
in Redis, which workers on other machines may join) and the scheduler keeps the crawl's one writer
running beside the archive: an ``archive ingest --redis URL --db DB`` it starts first, starts again
(after a pause that grows to a minute) when it exits, and stops last, once the items waiting in Redis
are stored or after :data:`WRITER_DRAIN_SECONDS`. The writer opens and completes each run's
``crawl_runs`` row, so after a worker ends the scheduler waits until the writer has completed the row
(or until nothing of the site's run is left: no live worker, nothing waiting for the writer) and logs
and alerts from that row, as in a single-process crawl; only the worker's exit status no longer
speaks for the run.

A crawl never outlives its scheduler: each runs in a process group of its
own (a Ctrl-C at the scheduler's terminal is the scheduler's to handle); the
crawl is sent SIGTERM when the scheduler stops (it stops gracefully and ends its
extraction workers), and on Linux asks the kernel for SIGTERM should the
scheduler die without stopping (SIGKILL, a crash). And crawls of one site
never overlap, whoever started them: every crawl holds the site's lock file
(``archive.db.crawl-SITE.lock``, with its pid; ``crawler/locks.py``) for as long
as it runs, even past a scheduler that died; a scheduler that finds it held (or
whose crawl was refused it) skips that run with a log line and tries again at
the next one.

    python scheduler.py [--db archive.db] [--interval SITE=30m ...] [--config FILE]
                        [--mirror URL] [--redis URL] [--on-failure CMD] [--list] [--once] [SITE ...]
"""
from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import fcntl
import json
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import tomllib
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from archive.db import default_path
from crawler import locks

log = logging.getLogger("scheduler")

_children: set[subprocess.Popen] = set()
_children_lock = threading.Lock()
_stopping = threading.Event()


class BadInput(ValueError):
    """An option the user got wrong: one line, exit status 2."""


# ------------------------------------------------------------------ configuration

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "": 60}


def parse_duration(text: str) -> float:
    """``30m`` → 1800.0 seconds; a bare number means minutes."""
    m = _DURATION.match(str(text))
    if not m or float(m.group(1)) * _UNIT[m.group(2)] <= 0:
        raise BadInput(f"not a duration: {text!r} (use 90s, 30m, 6h, 1d)")
    return float(m.group(1)) * _UNIT[m.group(2)]


def default_intervals() -> dict[str, float]:
    """{site: seconds} from the site files."""
    from archive.faces.crawl import site_spiders
    from crawler.registry import SiteFileError

    try:
        spiders = site_spiders()
    except SiteFileError as exc:  # a bad TOML site file: one line naming it
        raise BadInput(f"site file {exc}") from None
    return {name: cls.refresh_minutes * 60.0 for name, cls in spiders.items()}


def resolve_intervals(sites, overrides: dict[str, str], config: dict | None = None) -> dict[str, float]:
    intervals = default_intervals()
    known = ", ".join(intervals)
    unknown = [s for s in sites if s not in intervals]
    if unknown:
        raise BadInput(f"unknown site(s): {', '.join(unknown)} (known: {known})")
    chosen = {s: intervals[s] for s in (sites or intervals)}
    merged = {**((config or {}).get("intervals") or {}), **overrides}
    for name, value in merged.items():
        targets = chosen if name == "all" else {name: None}
        for site in targets:
            if site not in intervals:
                raise BadInput(f"unknown site in intervals: {site} (known: all, {known})")
            if site in chosen:
                chosen[site] = parse_duration(value)
    return chosen


CONFIG_KEYS = ("intervals", "on_failure", "on_failure_timeout", "redis")


def read_config(path: str) -> dict:
    """The TOML file of ``--config``: an ``[intervals]`` table, the alert (``on_failure = "CMD"``,
    ``on_failure_timeout = "60s"``) and the distributed crawl's Redis (``redis = "redis://HOST:PORT"``);
    the command line's options win."""
    try:
        config = tomllib.loads(Path(path).read_text("utf-8"))
    except OSError as exc:
        raise BadInput(f"--config {path}: cannot read it ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"--config {path}: not valid TOML ({exc})") from None
    unknown = [k for k in config if k not in CONFIG_KEYS]
    if unknown:
        raise BadInput(f"--config {path}: unknown key(s) {', '.join(unknown)} "
                       f"(known: [intervals], on_failure, on_failure_timeout, redis)")
    examples = {"on_failure": '"curl …"', "on_failure_timeout": '"60s"', "redis": '"redis://127.0.0.1:6379/0"'}
    for key, example in examples.items():
        if key in config and (not isinstance(config[key], str) or not config[key].strip()):
            raise BadInput(f"--config {path}: {key} must be a string ({key} = {example})")
    if "redis" in config:
        try:
            check_redis_url(config["redis"])
        except BadInput as exc:
            raise BadInput(f"--config {path}: redis: {exc}") from None
    if "on_failure_timeout" in config:
        try:
            parse_duration(config["on_failure_timeout"])
        except BadInput as exc:
            raise BadInput(f"--config {path}: on_failure_timeout: {exc}") from None
    if not isinstance(config.get("intervals", {}), dict):
        raise BadInput(f"--config {path}: intervals must be a table ([intervals] with site = \"30m\")")
    for site, value in config.get("intervals", {}).items():
        try:
            parse_duration(value)
        except BadInput as exc:
            raise BadInput(f"--config {path}: [intervals] {site}: {exc}") from None
    return config


def format_seconds(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def check_redis_url(url: str) -> None:
    """A Redis URL's form (:func:`archive.settings.check_redis_url`); else :class:`BadInput`."""
    from archive.settings import check_redis_url as check

    try:
        check(url)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def connect_redis(url: str):
    """A client of the Redis at *url*, which must answer; else :class:`BadInput` (one line)."""
    from crawler.distributed import connect

    try:
        return connect(url)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


# --------------------------------------------------------------- the runs, read back

@dataclass
class LastRun:
    """What ``crawl_runs`` says of one site: its latest row, and the start of its latest finished run."""
    status: str | None = None  # of the latest row: running, ok, partial, blocked, failed, interrupted
    started_at: str | None = None
    error_summary: str | None = None
    finished_start: datetime | None = None  # started_at of the latest run that ended (ended_at set)


def connect(db_path: str | Path, *, strictly_readonly: bool = False) -> sqlite3.Connection | None:
    """A connection for reading *db_path*; None when there is no archive yet.

    *strictly_readonly* (``--list``): nothing is written, neither the file nor
    its directory. While a writer works on the archive its ``-wal`` and ``-shm``
    files exist and a read-only reader shares them; when there is no ``-wal``
    every commit is in the file itself, which is then read as it is
    (``immutable``), since a read-only connection would leave new ``-wal`` and
    ``-shm`` files behind.
    """
    path = Path(db_path)
    if not path.is_file():
        return None
    if not strictly_readonly:
        return sqlite3.connect(str(path), timeout=30)
    uri = path.resolve().as_uri()
    if Path(f"{path}-wal").exists():
        return sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30)
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True)


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def last_runs(db_path: str | Path, *, strictly_readonly: bool = False) -> dict[str, LastRun]:
    """{site: LastRun} from ``crawl_runs`` ({} for a missing archive or one without the table)."""
    for attempt in range(3):
        conn = connect(db_path, strictly_readonly=strictly_readonly)
        if conn is None:
            return {}
        try:
            latest = conn.execute(
                "SELECT site, status, started_at, error_summary FROM crawl_runs "
                "WHERE id IN (SELECT max(id) FROM crawl_runs GROUP BY site)").fetchall()
            finished = conn.execute(
                "SELECT site, max(started_at) FROM crawl_runs WHERE ended_at IS NOT NULL GROUP BY site").fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return {}
            error = exc
        except sqlite3.DatabaseError as exc:  # an immutable read that met a checkpoint: read again
            error = exc
        else:
            runs = {site: LastRun(status, started, summary) for site, status, started, summary in latest}
            for site, started in finished:
                runs.setdefault(site, LastRun()).finished_start = _parse_time(started)
            return runs
        finally:
            conn.close()
        time.sleep(0.2 * (attempt + 1))
    raise error


STAGGER_SECONDS = 5  # between the first runs of overdue sites, so they do not all start in the same second


def plan_first_runs(intervals: dict[str, float], runs: dict[str, LastRun], now: datetime,
                    stagger: float = STAGGER_SECONDS) -> dict[str, tuple[datetime, bool]]:
    """{site: (first run, overdue)}: the last finished run's start plus the interval; a site
    never crawled or overdue runs at once, the most overdue first, *stagger* seconds apart."""
    plan: dict[str, tuple[datetime, bool]] = {}
    overdue = []
    for site, seconds in intervals.items():
        last = runs.get(site, LastRun()).finished_start
        due = last + timedelta(seconds=seconds) if last else None
        if due is not None and due > now:
            plan[site] = (due, False)
        else:
            overdue.append((due or datetime.min.replace(tzinfo=timezone.utc), site))
    for i, (_, site) in enumerate(sorted(overdue)):
        plan[site] = (now + timedelta(seconds=stagger * i), True)
    return {site: plan[site] for site in intervals}


def _when(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def describe_last(run: LastRun | None) -> str:
    if run is None or run.status is None:
        return "never"
    return f"{run.status} {run.started_at}" if run.status != "running" else f"running since {run.started_at}"


# ------------------------------------------------------------------------ the job

SKIPPED = locks.SKIPPED  # exit status of a run skipped because a crawl of the site is still running


_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True) if sys.platform == "linux" else None


def _die_with(parent_pid: int, *, interruptible: bool = False):
    """preexec_fn: the child gets SIGTERM when the scheduler dies, however it dies (Linux).
    *interruptible*: SIGINT stops it even where the scheduler was started with SIGINT ignored (a
    shell's background job), as the writer is stopped with SIGINT."""
    def setup():
        if interruptible:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
        if _libc is not None:
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent_pid:  # the scheduler died before prctl took effect
            os._exit(1)
    return setup


def latest_run_id(db_path: str | Path) -> int:
    """The highest ``crawl_runs`` id so far (0: none, or no archive yet)."""
    conn = connect(db_path)
    if conn is None:
        return 0
    try:
        return conn.execute("SELECT coalesce(max(id), 0) FROM crawl_runs").fetchone()[0]
    except sqlite3.OperationalError:  # an archive older than the run log: the crawl migrates it
        return 0
    finally:
        conn.close()


_RUN_FIELDS = ("id", "status", "ended_at", "pages_fetched", "new", "updated", "unchanged", "duplicates",
               "errors", "blocked", "error_summary")


def run_written(db_path: str | Path, site: str, after_id: int) -> dict | None:
    """The ``crawl_runs`` row a crawl of *site* wrote after row *after_id*, or None."""
    conn = connect(db_path)
    if conn is None:
        return None
    row = None
    try:
        row = conn.execute(f"SELECT {', '.join(_RUN_FIELDS)} FROM crawl_runs WHERE site = ? AND id > ? "
                           "ORDER BY id DESC LIMIT 1", [site, after_id]).fetchone()
        quality = conn.execute("SELECT degraded, problems, examples FROM run_quality WHERE run_id = ?",
                               [row[0]]).fetchone() if row else None
    except sqlite3.OperationalError:
        if not row:
            return None
        quality = None  # an archive without run_quality: the crawl wrote its outcome all the same
    finally:
        conn.close()
    if not row:
        return None
    run = dict(zip(_RUN_FIELDS, row))
    if quality:
        run.update(degraded=quality[0], quality_problems=quality[1], quality_examples=quality[2])
    return run


# Scrapy's ERROR/CRITICAL records, click's "Error: …", and the last line of a traceback.
_ERROR_LINE = re.compile(r"\] (?:ERROR|CRITICAL): |^Error: |^[A-Za-z_][\w.]*(?:Error|Exception|Exit)\b.*: ")


def first_error_lines(stderr: str, limit: int = 3, width: int = 300) -> list[str]:
    """The first *limit* error lines of a crawl's log (for the scheduler's log only)."""
    from archive.termsafe import clean

    found = [clean(line, one_line=True) for line in stderr.splitlines()
             if (m := _ERROR_LINE.search(line)) and line[m.end():].strip()]
    return [line if len(line) <= width else line[: width - 1] + "…" for line in found[:limit]]


def report_run(site: str, code: int, run: dict | None, stderr: str, *, worker: bool = False) -> int:
    """Log the outcome of one crawl, as ``crawl_runs`` recorded it; returns 0 (ok, partial) or non-zero.
    *worker*: the crawl was a worker of a distributed crawl, whose run the writer records; its exit
    status speaks for what it fetched, not for the run."""
    from archive.termsafe import clean

    lines = "".join(f"\n    {line}" for line in first_error_lines(stderr))
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if run is None:
            recorded = "no run recorded in crawl_runs"
        elif run["ended_at"] is None:
            recorded = f"its run left {run['status']} in crawl_runs"
        else:
            recorded = f"its run recorded as {run['status']} in crawl_runs"
        log.error("crawl %s: killed by %s (%s)%s", site, name, recorded, lines)
        return 1
    if run is None:
        log.error("crawl %s: exit %s without recording a run in crawl_runs%s", site, code, lines)
        return code or 1
    if run["ended_at"] is None and worker and code in (130, 143):
        log.warning("crawl %s: worker stopped (exit %s); its run (crawl_runs id %s) stays open: the next "
                    "worker goes on from the frontier in Redis%s", site, code, run["id"], lines)
        return code
    if run["ended_at"] is None:
        log.error("crawl %s: exit %s, its run (crawl_runs id %s) left %s, never completed%s",
                  site, code, run["id"], run["status"], lines)
        return code or 1
    counts = (f"{run['new']} new, {run['updated']} updated, {run['unchanged']} unchanged, "
              f"{run['duplicates']} duplicates, {run['errors']} errors, {run['blocked']} blocked, "
              f"{run['pages_fetched']} pages")
    status = run["status"]
    bad = status in ("failed", "blocked")
    if status == "ok":
        log.info("crawl %s: ok, %s", site, counts)
    else:
        summary = clean(run["error_summary"] or "no error summary", one_line=True)
        log.warning("crawl %s: %s: %s; %s%s", site, status, summary, counts, lines)
    if run.get("degraded"):  # fetched, but extracted well below the site's usual (archive/quality.py)
        examples = " ".join(json.loads(run.get("quality_examples") or "[]"))
        log.warning("crawl %s: extraction degraded: %s; e.g. %s", site,
                    clean(run.get("quality_problems") or "", one_line=True), clean(examples, one_line=True))
    if worker:  # its exit status is the worker's, the run's status the writer's
        return 0 if status in ("ok", "partial") else 1
    if status in ("ok", "partial") and code != 0 or bad and code == 0:
        log.error("crawl %s: exit %s does not agree with its recorded status %s%s", site, code, status, lines)
        return code or 1
    return code if bad else (0 if status in ("ok", "partial") else 1)


def _skipped(site: str, db_path: str | Path) -> int:
    log.warning("crawl %s: skipped, a crawl of this site is still running (pid %s, lock %s)",
                site, locks.holder(db_path, site), locks.site_lock_path(db_path, site))
    return SKIPPED


def crawl_site(site: str, db_path: str, mirror: str | None = None, extra: list[str] | None = None,
               on_failure: "Alert | None" = None, distributed: "Distributed | None" = None) -> int:
    """One refresh of one site, in a subprocess; logs its outcome from ``crawl_runs`` and returns
    0 (ok, partial), non-zero (failed, blocked, killed, no run recorded) or SKIPPED (a crawl of the
    site is still running). A failed run (not one this scheduler's own stop interrupted) runs
    *on_failure*. With *distributed* the crawl is a worker of the distributed crawl and its run's
    row is the writer's: read once the writer completed it (:meth:`Distributed.await_run`)."""
    if _stopping.is_set():
        return 0
    if locks.is_held(db_path, site):  # the crawl itself takes the lock (crawler/locks.py); no process to start
        return _skipped(site, db_path)
    cmd = [sys.executable, "-m", "archive.faces.cli", "crawl", site, "--db", str(db_path)]
    if mirror:
        cmd += ["--mirror", mirror]
    if distributed is not None:
        cmd += ["--redis", distributed.url]
    cmd += list(extra or [])
    before = latest_run_id(db_path)
    if distributed is not None:  # a run under way in Redis (the worker joins it) has its row already
        before = distributed.before(site, before)
    log.info("crawl %s: starting", site)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=_die_with(os.getpid()))
    with _children_lock:
        _children.add(proc)
        if _stopping.is_set():  # the scheduler began to stop after the check above: this crawl stops too
            proc.send_signal(signal.SIGTERM)
    try:
        out, err = proc.communicate()
    finally:
        with _children_lock:
            _children.discard(proc)
    if out.strip():
        log.debug("crawl %s:\n%s", site, out.rstrip())
    if proc.returncode == SKIPPED:  # another crawl took the site's lock first
        return _skipped(site, db_path)
    if distributed is None:
        run = run_written(db_path, site, before)
    else:
        run = distributed.await_run(site, before, proc.returncode)
    code = report_run(site, proc.returncode, run, err, worker=distributed is not None)
    if code and on_failure is not None and not _stopping.is_set():
        on_failure.run(site, db_path, proc.returncode, run, err)
    return code


# ------------------------------------------------------------- distributed: the writer

WRITER_DRAIN_SECONDS = 60  # on stop: how long the writer may go on storing what waits in Redis
WRITER_PAUSE_MAX = 60  # seconds between two starts of a writer that keeps exiting


class Distributed:
    """``--redis URL``: each crawl is a worker of the distributed crawl (``archive crawl --redis``), and
    the scheduler keeps its one writer running: ``archive ingest --redis URL --db DB``, in a process of
    its own, started again when it exits (a failed write, a crash) after a pause that doubles up to
    :data:`WRITER_PAUSE_MAX`; items wait in Redis meanwhile."""

    def __init__(self, url: str, db_path: str | Path, server=None):
        self.url, self.db_path = url, str(db_path)
        self.server = server if server is not None else connect_redis(url)
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    # --- the writer's process
    def start(self) -> None:
        self._thread = threading.Thread(target=self._supervise, name="writer", daemon=True)
        self._thread.start()

    def _supervise(self) -> None:
        from archive.termsafe import clean

        pause = 1.0
        while not self._done.is_set():
            cmd = [sys.executable, "-m", "archive.faces.cli", "ingest", "--redis", self.url, "--db", self.db_path,
                   "--json"]
            began = time.monotonic()
            try:
                proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, errors="replace",
                                        start_new_session=True,
                                        preexec_fn=_die_with(os.getpid(), interruptible=True))
            except OSError as exc:
                log.error("writer: archive ingest could not start: %s", exc)
            else:
                self.proc, self.starts = proc, self.starts + 1
                log.info("writer: archive ingest --db %s started (pid %s)", self.db_path, proc.pid)
                threading.Thread(target=self._read_out, args=(proc.stdout,), daemon=True).start()
                errors = deque(maxlen=200)  # its last lines of log, read until it exits
                for line in proc.stderr:
                    errors.append(clean(line, one_line=True))
                proc.wait()
                if self._done.is_set():  # stopped by stop(): SIGINT, or killed at its time limit
                    if proc.returncode not in (0, -signal.SIGINT):
                        log.warning("writer: archive ingest ended %s when stopped", proc.returncode)
                    return
                shown = "".join(f"\n    {line}" for line in first_error_lines("\n".join(errors)) or list(errors)[-3:])
                log.error("writer: archive ingest exited %s; started again in %s%s", proc.returncode,
                          format_seconds(pause), shown)
            if time.monotonic() - began > WRITER_PAUSE_MAX:
                pause = 1.0
            self._done.wait(pause)
            pause = min(pause * 2, WRITER_PAUSE_MAX)

    @staticmethod
    def _read_out(stream) -> None:
        for line in stream:  # a JSON line per run the writer completed; the outcome is logged from crawl_runs
            log.debug("writer: %s", line.rstrip())

    def stop(self, drain: float = WRITER_DRAIN_SECONDS) -> None:
        """Let the writer store what waits in Redis (up to *drain* seconds), then stop it with SIGINT
        (an item it was storing stays in Redis for the next writer)."""
        from crawler.distributed import ITEMS, PROCESSING

        deadline = time.monotonic() + drain
        while time.monotonic() < deadline and self.proc is not None and self.proc.poll() is None:
            try:
                if not sum(self.server.pipeline(transaction=True).llen(ITEMS).llen(PROCESSING).execute()):
                    break
            except Exception as exc:  # noqa: BLE001 - Redis gone: nothing to drain from
                log.warning("writer: cannot read Redis (%s); stopping the writer", exc)
                break
            time.sleep(0.2)
        self._done.set()
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._thread is not None:
            self._thread.join(timeout=60)
        log.info("writer: stopped")

    # --- the runs it records
    def before(self, site: str, latest: int) -> int:
        """The ``crawl_runs`` id after which this crawl's run row is: *latest*, or just before the row of
        the site's run under way (opened by the writer for workers before this one: this one joins it)."""
        from crawler.distributed import open_run_id

        try:
            opened = open_run_id(self.server, site)
        except Exception as exc:  # noqa: BLE001 - the worker will say what is wrong with Redis
            log.debug("crawl %s: no run state from Redis: %s", site, exc)
            return latest
        return min(latest, opened - 1) if opened else latest

    def await_run(self, site: str, before: int, code: int) -> dict | None:
        """The run's ``crawl_runs`` row once the writer has completed it. A worker that ended normally
        handed its last message to the writer, and other workers may go on with the run: wait while
        the row is open and something of the run is left (:func:`crawler.distributed.run_pending`).
        A worker killed or stopped leaves the run open: the row as it is."""
        from crawler.distributed import run_pending

        run = run_written(self.db_path, site, before)
        said = False
        while code in (0, 1) and not (run and run["ended_at"]) and not _stopping.is_set():
            try:
                pending = run_pending(self.server, site)
            except Exception as exc:  # noqa: BLE001 - Redis gone: the row as it is
                log.error("crawl %s: cannot read the run's state from Redis: %s", site, exc)
                return run
            if not pending:
                return run_written(self.db_path, site, before)
            if not said:
                log.info("crawl %s: worker done; waiting for the writer to complete the run", site)
                said = True
            _stopping.wait(0.5)
            run = run_written(self.db_path, site, before)
        return run


# ------------------------------------------------------------------- alerting

ALERT_ENV = ("ARCHIVE_SITE", "ARCHIVE_STATUS", "ARCHIVE_ERRORS", "ARCHIVE_EXIT", "ARCHIVE_RUN_ID", "ARCHIVE_DB")


@dataclass
class Alert:
    """``--on-failure CMD``: a shell command run when a site's crawl fails (failed, blocked,
    interrupted, killed, or no run recorded), with what went wrong in its environment:

    ``ARCHIVE_SITE`` (bjx), ``ARCHIVE_STATUS`` (failed, blocked, interrupted, killed, unrecorded),
    ``ARCHIVE_ERRORS`` (the run's error summary, then the first error lines of the crawl's log, one
    a line), ``ARCHIVE_EXIT`` (the crawl's exit status), ``ARCHIVE_RUN_ID`` (its ``crawl_runs`` id,
    empty when none) and ``ARCHIVE_DB``. It may run *timeout* seconds, then it is killed; its
    failure is logged, never the scheduler's."""
    command: str
    timeout: float = 60.0

    def environment(self, site, db_path, code, run, stderr) -> dict[str, str]:
        from archive.termsafe import clean

        if code < 0:
            status = "killed"
        elif run is None or run["ended_at"] is None:
            status = "unrecorded"
        else:
            status = run["status"]
        errors = [clean(run["error_summary"], one_line=True)] if run and run.get("error_summary") else []
        errors += first_error_lines(stderr)
        return {"ARCHIVE_SITE": site, "ARCHIVE_STATUS": status, "ARCHIVE_ERRORS": "\n".join(errors),
                "ARCHIVE_EXIT": str(code), "ARCHIVE_RUN_ID": str(run["id"]) if run else "",
                "ARCHIVE_DB": str(db_path)}

    def run(self, site, db_path, code, run, stderr) -> int | None:
        """Run the command; its exit status (None when it was killed at its time limit or could not start)."""
        env = self.environment(site, db_path, code, run, stderr)
        try:
            proc = subprocess.Popen(self.command, shell=True, env={**os.environ, **env}, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                    errors="replace", start_new_session=True)
        except OSError as exc:
            log.error("crawl %s: --on-failure could not start: %s", site, exc)
            return None
        try:
            out, _ = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.communicate()
            log.error("crawl %s: --on-failure killed after %s (its time limit)", site, format_seconds(self.timeout))
            return None
        if proc.returncode:
            tail = " | ".join(line for line in out.strip().splitlines()[-3:])
            log.error("crawl %s: --on-failure exited %s%s", site, proc.returncode, f": {tail}" if tail else "")
        else:
            log.info("crawl %s: --on-failure ran (%s %s)", site, env["ARCHIVE_STATUS"], site)
        return proc.returncode


# ----------------------------------------------------------------- the scheduler

def add_jobs(scheduler, intervals: dict[str, float], plan: dict[str, tuple[datetime, bool]],
             db_path: str, mirror: str | None, extra=None, on_failure: Alert | None = None,
             distributed: Distributed | None = None) -> None:
    """One interval job per site, its first run as planned (``plan_first_runs``)."""
    from apscheduler.triggers.interval import IntervalTrigger

    for site, seconds in intervals.items():
        first, _ = plan[site]
        scheduler.add_job(
            crawl_site,
            trigger=IntervalTrigger(seconds=seconds, start_date=first, timezone=timezone.utc),
            next_run_time=first,  # as planned, even if a moment past by the time the scheduler starts
            args=[site, str(db_path), mirror, list(extra or []), on_failure, distributed],
            id=f"crawl-{site}",
            name=f"crawl {site} every {format_seconds(seconds)}",
            coalesce=True,
            max_instances=1,
            # a run missed (the scheduler was held up) by less than half an interval still runs
            misfire_grace_time=max(30, int(seconds / 2)),
        )


class AlreadyRunning(SystemExit):
    pass


def lock_archive(db_path: str | Path):
    """Hold an exclusive lock for this archive's scheduler; refuse if another holds it."""
    path = Path(str(db_path) + ".scheduler.lock")
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        other = handle.read().strip() or "unknown"
        handle.close()
        raise AlreadyRunning(
            f"another scheduler is already running on {db_path} (pid {other}); "
            f"stop it first or use another --db"
        )
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def stop_children(sig=signal.SIGTERM) -> None:
    """Signal every running crawl: Scrapy's graceful stop (the run is recorded ``interrupted``); the
    crawl ends its own extraction workers, which would fail the articles in progress if signalled too."""
    with _children_lock:
        for proc in list(_children):
            if proc.poll() is None:
                try:
                    proc.send_signal(sig)
                except ProcessLookupError:
                    pass


def run(db_path, intervals, mirror=None, extra=None, on_failure: Alert | None = None,
        distributed: Distributed | None = None) -> None:
    """Run the scheduler until SIGTERM/SIGINT."""
    lock = lock_archive(db_path)
    try:
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.schedulers.blocking import BlockingScheduler

        from archive.db import open_db

        open_db(db_path).conn.close()  # create and migrate before any crawl
        if distributed is not None:
            distributed.start()
        scheduler = BlockingScheduler(jobstores={"default": MemoryJobStore()}, timezone=timezone.utc)
        runs = last_runs(db_path)
        plan = plan_first_runs(intervals, runs, datetime.now(timezone.utc))
        add_jobs(scheduler, intervals, plan, db_path, mirror, extra, on_failure, distributed)
        if on_failure is not None:
            log.info("on failure: runs %r (time limit %s)", on_failure.command, format_seconds(on_failure.timeout))
        for site, seconds in intervals.items():
            first, overdue = plan[site]
            log.info("job crawl-%s: every %s; last run %s; next run %s%s", site, format_seconds(seconds),
                     describe_last(runs.get(site)), _when(first),
                     " (overdue: runs at once)" if overdue else "")

        def stop(signum, frame):
            log.info("%s: stopping; waiting for running crawls", signal.Signals(signum).name)
            _stopping.set()
            stop_children(signal.SIGTERM)
            threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        scheduler.start()
    finally:
        _stopping.set()
        stop_children(signal.SIGTERM)  # whatever ended the scheduler, its crawls end with it
        if distributed is not None:  # last: it stores what the crawls handed on
            distributed.stop()
        lock.close()
    log.info("scheduler stopped")


def run_once(intervals, db_path, mirror=None, extra=None, on_failure: Alert | None = None,
             distributed: Distributed | None = None) -> int:
    """Every site once, one after another; returns 1 when any site failed."""
    status = 0
    if distributed is not None:
        from archive.db import open_db

        open_db(db_path).conn.close()  # created and migrated before the writer and the crawl read it
        distributed.start()
    try:
        for site in intervals:
            status |= 1 if crawl_site(site, db_path, mirror, extra, on_failure, distributed) else 0
    finally:
        if distributed is not None:
            distributed.stop()
    return status


def list_plan(db_path, intervals, now: datetime | None = None) -> str:
    """Each site's interval, last run and next run, as a scheduler started now would plan them.
    Only reads ``crawl_runs``: no lock, no file written."""
    from archive.termsafe import clean

    now = now or datetime.now(timezone.utc)
    runs = last_runs(db_path, strictly_readonly=True)
    plan = plan_first_runs(intervals, runs, now, stagger=0)
    lines = [f"{'site':<15}{'every':<7}{'last run':<42}next run"]
    for site, seconds in intervals.items():
        first, overdue = plan[site]
        run = runs.get(site)
        line = (f"{site:<15}{format_seconds(seconds):<7}{describe_last(run):<42}"
                f"{'at once (overdue)' if overdue else _when(first)}")
        if run and run.status not in (None, "ok", "running") and run.error_summary:
            summary = clean(run.error_summary, one_line=True)
            line += f"  [{summary[:80]}{'…' if len(summary) > 80 else ''}]"
        lines.append(line)
    return "\n".join(lines)


def check_options(db: str, mirror: str | None, *, writing: bool) -> None:
    """--db (an archive file, or for a schedule that crawls one it may create and write) and --mirror
    (a URL); else :class:`BadInput` (nothing created)."""
    from archive.db import ArchiveOpenError, check_archive_file, check_archive_to_write
    from archive.settings import check_mirror_url

    try:
        check_archive_to_write(db) if writing else check_archive_file(db, must_exist=False)
    except ArchiveOpenError as exc:
        raise BadInput(f"--db: {exc}") from None
    if mirror is not None:
        try:
            check_mirror_url(mirror)
        except ValueError as exc:
            raise BadInput(f"--mirror {exc}") from None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="scheduler.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("sites", nargs="*", help="sites to schedule (default: all)")
    parser.add_argument("--db", default=default_path(), help="archive file (default: $ARCHIVE_DB, else archive.db)")
    parser.add_argument("--interval", action="append", default=[], metavar="SITE=DURATION",
                        help="override a site's interval (90s, 30m, 6h); SITE may be 'all'")
    parser.add_argument("--config", help="TOML file with an [intervals] table (site = \"30m\"); also "
                                         "on_failure = \"CMD\" and on_failure_timeout = \"60s\" if wanted")
    parser.add_argument("--mirror", help="pass --mirror URL to every crawl")
    parser.add_argument("--redis", metavar="URL",
                        help="redis://HOST:PORT/DB: every crawl is a worker of a distributed crawl (the frontier "
                             "shared in Redis) and the scheduler keeps its one writer (archive ingest) running; "
                             "also redis = \"URL\" in the --config file")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="pass a Scrapy setting to every crawl")
    parser.add_argument("--list", action="store_true",
                        help="print each site's interval, last run and next run (reads only), then exit")
    parser.add_argument("--once", action="store_true", help="crawl every site once, then exit")
    parser.add_argument("--on-failure", metavar="CMD",
                        help="shell command run when a site's crawl fails, blocked or interrupted included "
                             "(environment: ARCHIVE_SITE, ARCHIVE_STATUS, ARCHIVE_ERRORS, ARCHIVE_EXIT, "
                             "ARCHIVE_RUN_ID, ARCHIVE_DB); e.g. a curl to a webhook")
    parser.add_argument("--on-failure-timeout", metavar="DURATION",
                        help="time limit of the --on-failure command (default 60s), then it is killed")
    # both may also be given in the --config file: on_failure = "CMD", on_failure_timeout = "60s"
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)

    try:
        overrides = {}
        for item in args.interval:
            name, sep, value = item.partition("=")
            if not sep:
                raise BadInput(f"--interval wants SITE=DURATION (bjx=30m), got {item!r}")
            try:
                parse_duration(value)
            except BadInput as exc:
                raise BadInput(f"--interval {item}: {exc}") from None
            overrides[name.strip()] = value
        from archive.settings import check_value

        for item in args.set:
            name, sep, value = item.partition("=")
            if not sep:
                raise BadInput(f"--set wants NAME=VALUE, got {item!r}")
            try:
                check_value(name.strip(), value)
            except ValueError as exc:
                raise BadInput(f"--set: {exc}") from None
        if args.on_failure is not None and not args.on_failure.strip():
            raise BadInput("--on-failure wants a command (e.g. 'curl -fsS -d \"$ARCHIVE_SITE\" URL')")
        try:
            alert_timeout = parse_duration(args.on_failure_timeout) if args.on_failure_timeout else None
        except BadInput as exc:
            raise BadInput(f"--on-failure-timeout: {exc}") from None
        check_options(args.db, args.mirror, writing=not args.list)
        config = read_config(args.config) if args.config else None
        alert_command = args.on_failure or (config or {}).get("on_failure")
        if alert_timeout is None:
            alert_timeout = parse_duration((config or {}).get("on_failure_timeout") or "60s")
        intervals = resolve_intervals(args.sites, overrides, config)
        redis_url = args.redis or (config or {}).get("redis")
        distributed = None
        if redis_url:
            where = "--redis" if args.redis else f"--config {args.config}: redis"
            try:
                check_redis_url(redis_url)
                if not args.list:  # the plan only reads the archive
                    distributed = Distributed(redis_url.strip(), args.db, connect_redis(redis_url.strip()))
            except BadInput as exc:
                raise BadInput(f"{where}: {exc}") from None
    except BadInput as exc:
        print(f"scheduler.py: error: {exc}", file=sys.stderr)
        return 2
    extra = [x for s in args.set for x in ("--set", s)]
    on_failure = Alert(alert_command, alert_timeout) if alert_command else None

    if args.list:
        if not Path(args.db).is_file():
            print(f"no archive at {args.db} yet: every site runs at once", file=sys.stderr)
        print(list_plan(args.db, intervals))
        return 0
    if args.once:
        return run_once(intervals, args.db, args.mirror, extra, on_failure, distributed)
    try:
        run(args.db, intervals, args.mirror, extra, on_failure, distributed)
    except AlreadyRunning as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
