"""Running crawls as an operator does: one crawl per site at a time, Ctrl-C and SIGTERM
recorded as ``interrupted`` (and a rerun goes on), a quiet console with a progress line
per site, and the scheduler's ``--on-failure`` command. Real processes, real signals,
the real Scrapy engine over 127.0.0.1."""
from __future__ import annotations

import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from archive.runs import SiteResult, summarise
from archive.tooling.mirror_server import serve_in_thread
from conftest import REPLICA_SITE, ROOT, alive, load_expected, q, run_archive, wait_for

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="process checks read /proc")

CLI = [sys.executable, "-m", "archive.faces.cli"]



def closed_port() -> int:
    """A port nothing listens on (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lock_pid(db: Path, site: str) -> int | None:
    try:
        return int(Path(f"{db}.crawl-{site}.lock").read_text().strip() or 0) or None
    except (OSError, ValueError):
        return None


# ------------------------------------------------------------------ the library's parts


def test_a_shutdown_is_interrupted_not_failed():
    stats = {"response_received_count": 3, "archive/new": 2, "finish_reason": "shutdown",
             "archive/stop_signal": "SIGTERM"}
    res = summarise("zgm", stats, None, "")
    assert (res.status, res.reason) == ("interrupted", "interrupted by SIGTERM")
    # interrupted before any article, it is not 'unreachable' either
    res = summarise("zgm", {"finish_reason": "shutdown", "archive/failed/dns": 1}, None, "")
    assert res.status == "interrupted"
    assert summarise("zgm", {"finish_reason": "closespider_timeout", "archive/new": 1,
                             "archive/links_found": 1}, None, "").status == "failed"


def test_exit_status_and_problem_lines():
    from archive.faces.crawl import exit_status, problem_lines

    ok, partial = SiteResult("a"), SiteResult("b", status="partial", reason="HTTP 404 ×1")
    skipped = SiteResult("c", status="skipped", reason="another crawl of this site is running (pid 7); skipped")
    failed = SiteResult("d", status="failed", reason="unreachable: DNS lookup failed (1 URL)")
    stopped = SiteResult("e", status="interrupted", reason="interrupted by SIGINT")
    assert exit_status([ok, partial]) == 0
    assert exit_status([ok, skipped]) == 75
    assert exit_status([skipped, failed]) == 1
    assert exit_status([failed, stopped]) == 130
    assert exit_status([SiteResult("e", status="interrupted", reason="interrupted by SIGTERM")]) == 143
    assert problem_lines([ok, partial, skipped, failed]) == ["d: unreachable: DNS lookup failed (1 URL)"]
    assert problem_lines([ok, partial, skipped, failed], "quiet") == [
        "b: partial: HTTP 404 ×1", "c: another crawl of this site is running (pid 7); skipped",
        "d: unreachable: DNS lookup failed (1 URL)"]


def test_expected_failures_lose_their_traceback_others_keep_it():
    import logging

    from scrapy.exceptions import CannotResolveHostError
    from twisted.internet.error import ConnectionRefusedError

    from crawler.progress import ConsoleHandler, expected_failure

    def record(exc):
        try:
            raise exc
        except Exception:
            return logging.LogRecord("scrapy.core.scraper", logging.ERROR, __file__, 1,
                                     "Error downloading %s", ("<GET https://x.cn/>",), sys.exc_info())

    handler = ConsoleHandler(sys.stderr, logging.WARNING)
    for exc in (CannotResolveHostError("DNS lookup failed: no results"), ConnectionRefusedError()):
        assert expected_failure(record(exc).exc_info)
        text = handler.format(record(exc))
        assert "\n" not in text and "Error downloading <GET https://x.cn/>" in text
    assert "DNS lookup failed" in handler.format(record(CannotResolveHostError("DNS lookup failed")))
    bug = handler.format(record(KeyError("title")))  # a bug in a callback: its traceback is shown
    assert not expected_failure(record(KeyError("title")).exc_info)
    assert "Traceback" in bug and "KeyError" in bug


# ------------------------------------------------------------------ real processes


@pytest.fixture(scope="module")
def slow_mirror():
    """The replica, every answer 2 s late: a crawl of zgm, one request at a time, lasts about 18 s
    (the tests stop it long before)."""
    record = []
    server, url = serve_in_thread(REPLICA_SITE, record=record, delay=2)
    yield url, record
    server.shutdown()


@pytest.fixture(scope="module")
def fast_mirror():
    record = []
    server, url = serve_in_thread(REPLICA_SITE, record=record)
    yield url, record
    server.shutdown()


def test_two_crawls_of_one_site_one_refused_then_ctrl_c_then_a_rerun_goes_on(tmp_path, slow_mirror, fast_mirror):
    """A crawl of zgm runs (slowly); a second `archive crawl zgm` is refused with one line and exit
    75, sends no request and writes no crawl_runs row. Ctrl-C stops the first: exit 130, its run
    `interrupted`. A rerun of every site then stores all of zgm's articles, and a successful
    `archive crawl` prints at most one line per site plus the summary table."""
    slow_url, slow_record = slow_mirror
    fast_url, fast_record = fast_mirror
    db = tmp_path / "a.db"
    first = subprocess.Popen([*CLI, "crawl", "zgm", "--db", db, "--mirror", slow_url, "--set", "CONCURRENT_REQUESTS=1"],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)  # a terminal's Ctrl-C reaches its whole process group
    try:
        start = len(slow_record)
        pid = wait_for(lambda: lock_pid(db, "zgm") == first.pid and len(slow_record) - start >= 2 and first.pid,
                       120, "the first crawl to hold zgm's lock and fetch")
        before = len(fast_record)
        second = run_archive("crawl", "zgm", "--db", db, "--mirror", fast_url, timeout=120)
        assert second.returncode == 75, second.stderr[-2000:]
        assert f"zgm: another crawl of this site is running (pid {pid}); skipped" in second.stderr
        assert "Traceback" not in second.stderr and "UNIQUE" not in second.stderr
        assert re.search(r"^zgm +0 +0 +0 +0 +0 +0 +0 +skipped$", second.stdout, re.M), second.stdout
        assert len(fast_record) == before  # the refused crawl fetched nothing
        assert q(db, "SELECT status FROM crawl_runs WHERE site = 'zgm'") == [("running",)]  # the first's row

        os.killpg(first.pid, signal.SIGINT)  # as Ctrl-C does: the crawl and its extraction workers
        out, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 130, err[-2000:]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err and "extraction failed" not in err
    assert q(db, "SELECT status, error_summary, ended_at IS NOT NULL FROM crawl_runs") == [
        ("interrupted", "interrupted by SIGINT", 1)]
    assert re.search(r"^zgm: interrupted, \d+ pages?, ", err, re.M), err
    stored = q(db, "SELECT count(*) FROM articles WHERE site = 'zgm'")[0][0]

    rerun = run_archive("crawl", "--db", db, "--mirror", fast_url, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    zgm_urls = {e["url"] for e in load_expected() if e["site"] == "zgm"}
    archived = {u for (u,) in q(db, "SELECT url FROM articles WHERE site = 'zgm'")}
    assert zgm_urls <= archived, sorted(zgm_urls - archived)  # nothing lost by the interruption
    assert stored < len(zgm_urls) or stored == len(archived)
    sites = [r[0] for r in q(db, "SELECT DISTINCT site FROM crawl_runs WHERE id > 1")]
    assert len(sites) >= 5
    lines = rerun.stdout.splitlines() + rerun.stderr.splitlines()
    table = rerun.stdout.splitlines()
    assert len(table) == len(sites) + 2  # the heading, a row per site, the total
    assert len(lines) <= 2 * len(sites) + 2, "\n".join(lines)
    for site in sites:  # its one line: the counters
        assert re.search(rf"^{site}: (ok|partial), \d+ pages?, \d+ articles? \(\d+ new\), \d+ errors?",
                         rerun.stderr, re.M), rerun.stderr


def read_pty(fd: int, until, timeout: float = 120) -> str:
    """Everything written to the terminal *fd* until *until(text)* holds (or it closes)."""
    text = b""
    import time

    deadline = time.time() + timeout
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            text += chunk
            if until(text.decode("utf-8", "replace")):
                break
    return text.decode("utf-8", "replace")


def test_a_terminal_shows_a_live_line_and_sigterm_is_interrupted(tmp_path, slow_mirror):
    """On a terminal: the site's line, with its counters, redrawn in place while it crawls;
    SIGTERM mid-crawl: exit 143 and the run recorded `interrupted`, its line saying so."""
    url, record = slow_mirror
    db = tmp_path / "a.db"
    pid, fd = pty.fork()
    if pid == 0:  # the child: the crawl, its stdout and stderr the terminal
        os.chdir(ROOT)
        os.execv(sys.executable, [*CLI, "crawl", "zgm", "--db", str(db), "--mirror", url,
                                  "--set", "CONCURRENT_REQUESTS=1"])
    try:
        live = re.compile(r"zgm: crawling, ([1-9]\d*) pages?, \d+ articles?, \d+ errors?, \d+\.\d pages/s")
        seen = read_pty(fd, live.search)
        assert live.search(seen), seen
        assert "\r\x1b[2K" in seen  # redrawn in place
        os.kill(pid, signal.SIGTERM)
        seen += read_pty(fd, lambda text: False, timeout=120)
        _, status = os.waitpid(pid, 0)
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 143, seen[-2000:]
    assert re.search(r"zgm: interrupted, \d+ pages?, \d+ articles? \(\d+ new\), \d+ errors?, [\d.]+ pages/s; "
                     r"interrupted by SIGTERM", seen), seen[-2000:]
    assert "Traceback" not in seen
    assert q(db, "SELECT status, error_summary FROM crawl_runs") == [("interrupted", "interrupted by SIGTERM")]


SIGNAL_ON_OPEN = """
import os, signal
from scrapy import signals

class SignalOnOpen:
    @classmethod
    def from_crawler(cls, crawler):
        ext = cls()
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        return ext

    def opened(self, spider):
        os.kill(os.getpid(), signal.SIGTERM)
"""

RUN_WITH_SIGNAL_ON_OPEN = """
import sys
from archive.faces.crawl import project_settings, run_crawl
extensions = dict(project_settings().getdict("EXTENSIONS"), **{"signal_on_open.SignalOnOpen": 10_000})
results = run_crawl(["zgm"], db_path=sys.argv[1], mirror=sys.argv[2], loudness="quiet",
                    extra_settings={"EXTENSIONS": extensions})
print(results[0].status)
"""


def test_sigterm_while_the_spider_opens_is_interrupted_not_left_running(tmp_path, slow_mirror):
    """SIGTERM after the run's row is written but before the engine runs (its spider_opened): the
    crawl still stops gracefully, its run recorded ``interrupted``, never left ``running``."""
    url, _ = slow_mirror
    (tmp_path / "signal_on_open.py").write_text(SIGNAL_ON_OPEN, "utf-8")
    db = tmp_path / "a.db"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]))
    done = subprocess.run([sys.executable, "-c", RUN_WITH_SIGNAL_ON_OPEN, str(db), url], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["interrupted"]
    assert q(db, "SELECT status, error_summary FROM crawl_runs") == [("interrupted", "interrupted by SIGTERM")]


def test_an_unreachable_site_is_one_line_never_a_traceback(tmp_path):
    """Connections refused: no traceback on the console; --quiet prints just the problem; the
    log file (--log-file) has the whole log, tracebacks included."""
    mirror = f"http://127.0.0.1:{closed_port()}"
    db = tmp_path / "a.db"
    plain = run_archive("crawl", "zgm", "--db", db, "--mirror", mirror, "--set", "RETRY_TIMES=0", timeout=120)
    assert plain.returncode == 1
    assert "Traceback" not in plain.stderr and "  File " not in plain.stderr
    assert plain.stderr.splitlines()[-1].startswith("zgm: unreachable: ")
    assert all(line.startswith(("20", "zgm: ")) for line in plain.stderr.splitlines()), plain.stderr

    log = tmp_path / "crawl.log"
    quiet = run_archive("crawl", "zgm", "--db", db, "--mirror", mirror, "--quiet", "--log-file", log,
                        "--set", "RETRY_TIMES=0", timeout=120)
    assert quiet.returncode == 1
    assert quiet.stdout == ""
    assert [line.split(": ")[0:2] for line in quiet.stderr.splitlines()] == [["zgm", "unreachable"]], quiet.stderr
    text = log.read_text("utf-8")
    assert "Traceback" in text and "Connection was refused" in text and "INFO" in text

    other = tmp_path / "b.db"
    bad = run_archive("crawl", "zgm", "--db", other, "--log-file", tmp_path / "no-such-folder" / "x.log")
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1 and "--log-file" in bad.stderr, bad.stderr
    assert not other.exists()  # nothing written


def test_scheduler_on_failure_runs_the_command_with_the_failure_and_a_time_limit(tmp_path):
    """A scheduled crawl that fails: the scheduler logs it at WARNING with the crawl's first error
    lines, and runs --on-failure with the site, status and errors in its environment; the command
    outliving its time limit is killed and logged."""
    mirror = f"http://127.0.0.1:{closed_port()}"
    db = tmp_path / "a.db"
    out = tmp_path / "alert.txt"
    config = tmp_path / "scheduler.toml"  # the command from the config file, its time limit from the command line
    config.write_text(f'on_failure = "env | grep ^ARCHIVE_ | sort > {out}; echo sent; exec sleep 60"\n'
                      'on_failure_timeout = "10m"\n', "utf-8")
    proc = subprocess.run([sys.executable, "scheduler.py", "zgm", "--db", str(db), "--mirror", mirror, "--once",
                           "--config", str(config), "--on-failure-timeout", "1s", "--set", "RETRY_TIMES=0"],
                          cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 1
    assert re.search(r"WARNING crawl zgm: failed: unreachable: connection refused", proc.stderr), proc.stderr
    assert "\n    20" in proc.stderr and "] ERROR: " in proc.stderr  # the crawl's first error lines, kept
    env = dict(line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)
    from scheduler import ALERT_ENV

    assert set(ALERT_ENV) <= set(env)  # every variable the docs name is given
    assert env["ARCHIVE_SITE"] == "zgm" and env["ARCHIVE_STATUS"] == "failed"
    assert env["ARCHIVE_ERRORS"].startswith("unreachable: connection refused")
    assert env["ARCHIVE_EXIT"] == "1" and env["ARCHIVE_DB"] == str(db)
    assert env["ARCHIVE_RUN_ID"] == str(q(db, "SELECT max(id) FROM crawl_runs")[0][0])
    assert "ERROR crawl zgm: --on-failure killed after 1s (its time limit)" in proc.stderr


@pytest.mark.parametrize("args, message", [
    (["--on-failure", " "], "--on-failure wants a command"),
    (["--on-failure", "true", "--on-failure-timeout", "soon"], "--on-failure-timeout: not a duration"),
])
def test_bad_on_failure_options_exit_2(tmp_path, args, message):
    proc = subprocess.run([sys.executable, "scheduler.py", "--db", str(tmp_path / "a.db"), "--list", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and message in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert not (tmp_path / "a.db").exists()


def test_scrapy_crawl_takes_the_same_lock(tmp_path, fast_mirror):
    """`scrapy crawl` goes through the same spider middleware: with the site's lock held (here by the
    test itself) it fetches nothing and writes no crawl_runs row, and says why in one line."""
    from crawler.locks import try_lock

    url, record = fast_mirror
    db = tmp_path / "a.db"
    held = try_lock(db, "zgm")
    try:
        before = len(record)
        proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "zgm", "-s", f"ARCHIVE_DB={db}",
                               "-s", f"MIRROR_URL={url}", "-s", "LOG_LEVEL=WARNING"],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
    finally:
        held.close()
    assert f"zgm: another crawl of this site is running (pid {os.getpid()}); skipped" in proc.stderr, proc.stderr
    assert len(record) == before
    assert q(db, "SELECT count(*) FROM crawl_runs") == [(0,)]
