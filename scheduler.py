"""Periodic refreshes of the archive with APScheduler 3.

One ``BlockingScheduler``; one interval job per site (``crawl-<site>``), its
interval from the site file (``refresh_minutes``) unless configured otherwise.
Jobs live in a SQLite job store of their own beside the archive
(``archive.jobs.sqlite`` for ``archive.db``), have explicit ids and are added
with ``replace_existing``, so a restart never duplicates them. Each crawl runs
in its own subprocess (Scrapy's reactor cannot be restarted in one process).

Only one scheduler may run per archive: a second one refuses with a message.
SIGTERM and SIGINT stop it cleanly: no new crawl starts, a running crawl is
asked to stop (Scrapy finishes the writes in progress; every article is one
transaction) and is waited for.

A crawl never outlives its scheduler: each runs in a process group of its
own, which is sent SIGTERM when the scheduler stops, and on Linux asks the
kernel for SIGTERM should the scheduler die without stopping (SIGKILL, a
crash). And crawls of one site never overlap: a crawl holds the site's lock
file (``archive.db.crawl-SITE.lock``, with its pid) for as long as it runs,
even past a scheduler that died; a scheduler that finds it held skips that
run with a log line and tries again at the next one.

    python scheduler.py [--db archive.db] [--interval SITE=30m ...] [--config FILE]
                        [--mirror URL] [--list] [--once] [SITE ...]
"""
from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import fcntl
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

log = logging.getLogger("scheduler")

_children: set[subprocess.Popen] = set()
_children_lock = threading.Lock()
_stopping = threading.Event()


# ------------------------------------------------------------------ configuration

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "": 60}


def parse_duration(text: str) -> float:
    """``30m`` → 1800.0 seconds; a bare number means minutes."""
    m = _DURATION.match(str(text))
    if not m:
        raise ValueError(f"not a duration: {text!r} (use 90s, 30m, 6h, 1d)")
    return float(m.group(1)) * _UNIT[m.group(2)]


def default_intervals() -> dict[str, float]:
    """{site: seconds} from the site files."""
    from archive.crawl import site_spiders

    return {name: cls.refresh_minutes * 60.0 for name, cls in site_spiders().items()}


def resolve_intervals(sites, overrides: dict[str, str], config: dict | None = None) -> dict[str, float]:
    intervals = default_intervals()
    unknown = [s for s in sites if s not in intervals]
    if unknown:
        raise SystemExit(f"unknown site(s): {', '.join(unknown)}")
    chosen = {s: intervals[s] for s in (sites or intervals)}
    merged = {**((config or {}).get("intervals") or {}), **overrides}
    for name, value in merged.items():
        targets = chosen if name == "all" else {name: None}
        for site in targets:
            if site not in intervals:
                raise SystemExit(f"unknown site in intervals: {site}")
            if site in chosen:
                chosen[site] = parse_duration(value)
    return chosen


def jobs_path_for(db_path: str | Path) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.stem + ".jobs.sqlite")


# ------------------------------------------------------------------------ the job

SKIPPED = 75  # exit status of a run skipped because a crawl of the site is still running (EX_TEMPFAIL)


def site_lock_path(db_path: str | Path, site: str) -> Path:
    return Path(f"{db_path}.crawl-{site}.lock")


def lock_site(db_path: str | Path, site: str):
    """The site's crawl lock, held (open file); None when a running crawl holds it."""
    handle = open(site_lock_path(db_path, site), "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def _lock_holder(db_path: str | Path, site: str) -> str:
    try:
        return site_lock_path(db_path, site).read_text().strip() or "unknown"
    except OSError:
        return "unknown"


_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True) if sys.platform == "linux" else None


def _die_with(parent_pid: int):
    """preexec_fn: the child gets SIGTERM when the scheduler dies, however it dies (Linux)."""
    def setup():
        if _libc is not None:
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent_pid:  # the scheduler died before prctl took effect
            os._exit(1)
    return setup


def crawl_site(site: str, db_path: str, mirror: str | None = None, extra: list[str] | None = None) -> int:
    """One refresh of one site, in a subprocess; returns its exit status
    (SKIPPED when a crawl of the site is still running)."""
    if _stopping.is_set():
        return 0
    lock = lock_site(db_path, site)
    if lock is None:
        log.warning("crawl %s: skipped, a crawl of this site is still running (pid %s, lock %s)",
                    site, _lock_holder(db_path, site), site_lock_path(db_path, site))
        return SKIPPED
    cmd = [sys.executable, "-m", "archive.cli", "crawl", site, "--db", str(db_path)]
    if mirror:
        cmd += ["--mirror", mirror]
    cmd += list(extra or [])
    log.info("crawl %s: starting", site)
    try:
        # The child inherits the locked file (pass_fds): the lock lasts as long as the crawl.
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True, pass_fds=(lock.fileno(),),
                                preexec_fn=_die_with(os.getpid()))
        lock.seek(0)
        lock.truncate()
        lock.write(str(proc.pid))
        lock.flush()
    finally:
        lock.close()
    with _children_lock:
        _children.add(proc)
    try:
        out, err = proc.communicate()
    finally:
        with _children_lock:
            _children.discard(proc)
    reason = [line for line in err.splitlines() if line.startswith(f"{site}: ")]
    log.info("crawl %s: exit %s%s", site, proc.returncode, f" ({reason[-1]})" if reason else "")
    if out.strip():
        log.info("crawl %s:\n%s", site, out.rstrip())
    return proc.returncode


# ----------------------------------------------------------------- the scheduler

def add_jobs(scheduler, intervals: dict[str, float], db_path: str, mirror: str | None, extra=None) -> None:
    wanted = {f"crawl-{site}" for site in intervals}
    for job in scheduler.get_jobs():
        if job.id.startswith("crawl-") and job.id not in wanted:
            scheduler.remove_job(job.id)  # a site no longer scheduled
    for site, seconds in intervals.items():
        scheduler.add_job(
            "scheduler:crawl_site",
            trigger="interval",
            seconds=seconds,
            args=[site, str(db_path), mirror, list(extra or [])],
            id=f"crawl-{site}",
            name=f"crawl {site} every {format_seconds(seconds)}",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            # a run missed by less than half an interval still runs; later ones are dropped
            misfire_grace_time=max(1, int(seconds / 2)),
        )


def format_seconds(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def make_scheduler(kind, jobs_path: Path):
    return kind(
        jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{jobs_path}")},
        timezone="UTC",
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
    """Signal every running crawl's process group."""
    with _children_lock:
        for proc in list(_children):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    pass


def sync_jobs(db_path, intervals, mirror=None, extra=None) -> list[tuple[str, str, str]]:
    """Bring the job store up to date (add, replace, prune); returns (id, description, next run)."""
    scheduler = make_scheduler(BackgroundScheduler, jobs_path_for(db_path))
    scheduler.start(paused=True)
    try:
        add_jobs(scheduler, intervals, db_path, mirror, extra)
        return [(j.id, j.name, j.next_run_time.isoformat() if j.next_run_time else "paused")
                for j in sorted(scheduler.get_jobs(), key=lambda j: j.id)]
    finally:
        scheduler.shutdown(wait=False)


def run(db_path, intervals, mirror=None, extra=None) -> None:
    """Run the scheduler until SIGTERM/SIGINT."""
    lock = lock_archive(db_path)
    try:
        from archive.db import open_db

        open_db(db_path).conn.close()  # create and migrate before any crawl
        for job_id, name, next_run in sync_jobs(db_path, intervals, mirror, extra):
            log.info("job %s: %s, next run %s", job_id, name, next_run)
        scheduler = make_scheduler(BlockingScheduler, jobs_path_for(db_path))

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
        lock.close()
    log.info("scheduler stopped")


def run_once(intervals, db_path, mirror=None, extra=None) -> int:
    """Every site once, one after another; returns 1 when any site failed."""
    status = 0
    for site in intervals:
        status |= 1 if crawl_site(site, db_path, mirror, extra) else 0
    return status


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="scheduler.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("sites", nargs="*", help="sites to schedule (default: all)")
    parser.add_argument("--db", default="archive.db", help="archive file (default archive.db)")
    parser.add_argument("--interval", action="append", default=[], metavar="SITE=DURATION",
                        help="override a site's interval (90s, 30m, 6h); SITE may be 'all'")
    parser.add_argument("--config", help="TOML file with an [intervals] table (site = \"30m\")")
    parser.add_argument("--mirror", help="pass --mirror URL to every crawl")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="pass a Scrapy setting to every crawl")
    parser.add_argument("--list", action="store_true", help="print the jobs and their next run, then exit")
    parser.add_argument("--once", action="store_true", help="crawl every site once, then exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)

    overrides = {}
    for item in args.interval:
        name, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--interval wants SITE=DURATION, got {item!r}")
        overrides[name.strip()] = value
    config = tomllib.loads(Path(args.config).read_text("utf-8")) if args.config else None
    intervals = resolve_intervals(args.sites, overrides, config)
    extra = [x for s in args.set for x in ("--set", s)]

    if args.list:
        for job_id, name, next_run in sync_jobs(args.db, intervals, args.mirror, extra):
            print(f"{job_id:<22}{name:<36}next run {next_run}")
        return 0
    if args.once:
        return run_once(intervals, args.db, args.mirror, extra)
    try:
        run(args.db, intervals, args.mirror, extra)
    except AlreadyRunning as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
