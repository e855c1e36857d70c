"""What a crawl prints while it runs: a progress line per site, and a console log without noise.

Three ways to show a crawl (``archive crawl``):

- on a terminal (stderr is a tty): one live line per site (pages, articles, errors,
  rate), redrawn in place about twice a second; when the crawl ends the lines stay,
  each as its site's summary line;
- elsewhere (a log, a pipe): one summary line per site, printed when its crawl ends;
- quiet: nothing but problems.

:class:`ConsoleHandler` is the console's log handler: Scrapy's records at the level it
is given (WARNING unless ``--verbose``), an expected failure (DNS, refused, timeout,
an HTTP error status, a dropped request) in one line without its traceback, and the
progress lines kept below the records.
"""
from __future__ import annotations

import logging
import sys
import threading
import time

from archive import statkeys
from archive.runs import spider_errors

REDRAW_SECONDS = 0.5

# exceptions of the network and of the site's answers: a crawl meets them every day
_EXPECTED_MODULES = ("twisted.internet.error", "twisted.web._newclient", "twisted.web.error",
                     "scrapy.exceptions", "scrapy.spidermiddlewares.httperror", "OpenSSL.",
                     "scrapy.core.downloader.handlers")


def expected_failure(exc_info) -> bool:
    """Whether a logged exception is an expected failure of fetching (no traceback is shown for it)."""
    if not exc_info or exc_info[0] is None:
        return False
    return any(cls.__module__.startswith(_EXPECTED_MODULES) for cls in exc_info[0].__mro__[:-1])


class _OneLine(logging.Formatter):
    """Scrapy's format; an expected failure's traceback left out (its message names the error)."""

    def format(self, record):
        if expected_failure(record.exc_info):
            exc_value = record.exc_info[1]
            record = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None})
            message = record.getMessage()
            text = str(exc_value).strip()
            if text and text not in message:
                record.msg, record.args = f"{message}: {text}", None
        return super().format(record)


LOG_FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


class ConsoleHandler(logging.StreamHandler):
    """The console's log records, below which the live progress lines (if any) are redrawn."""

    def __init__(self, stream, level, board: "Board | None" = None, tracebacks: bool = False):
        super().__init__(stream)
        self.setLevel(level)
        self.board = board
        formatter = logging.Formatter if tracebacks else _OneLine
        self.setFormatter(formatter(LOG_FORMAT, DATE_FORMAT))
        if not tracebacks:  # a library's deprecation warning is for developers (--verbose, the log file)
            self.addFilter(lambda record: record.name != "py.warnings" or record.levelno >= logging.ERROR)

    def emit(self, record):
        if self.board is None:
            return super().emit(record)
        try:
            text = self.format(record)
        except Exception:  # noqa: BLE001 - logging must not raise
            self.handleError(record)
            return
        self.board.above(text)


def counts(stats: dict) -> tuple[int, int, int, int]:
    """(pages, articles, errors, blocked) of a crawl so far, from its stats."""
    failed = statkeys.failed_counts(stats)
    articles = sum(stats.get(k, 0) for k in (statkeys.NEW, statkeys.UPDATED, statkeys.UNCHANGED,
                                              statkeys.DUPLICATE))
    errors = sum(v for k, v in failed.items() if k != "blocked") + spider_errors(stats)
    return stats.get("response_received_count", 0), articles, errors, failed.get("blocked", 0)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class Board:
    """The progress of the sites of one crawl: live lines on a terminal, one summary line per site elsewhere."""

    def __init__(self, stream=None, *, live: bool | None = None, quiet: bool = False):
        self.stream = stream if stream is not None else sys.stderr
        self.live = (self.stream.isatty() if live is None else live) and not quiet
        self.quiet = quiet
        self.sites: dict[str, object] = {}  # name -> crawler
        self.started: dict[str, float] = {}
        self.ended: dict[str, float] = {}
        self.done: dict[str, str] = {}  # name -> its final line
        self.drawn = 0  # lines of the board now on the terminal
        self.lock = threading.RLock()
        self.loop = None

    # -- wiring
    def watch(self, name: str, crawler) -> None:
        from scrapy import signals

        self.sites[name] = crawler
        crawler.signals.connect(lambda: self._opened(name), signal=signals.engine_started, weak=False)
        crawler.signals.connect(lambda: self._closed(name), signal=signals.engine_stopped, weak=False)

    def _opened(self, name: str) -> None:
        self.started[name] = time.monotonic()
        if self.live and self.loop is None:
            from twisted.internet import task

            self.loop = task.LoopingCall(self.redraw)
            self.loop.start(REDRAW_SECONDS, now=True)

    def _closed(self, name: str) -> None:
        self.ended[name] = time.monotonic()
        line = self.summary_line(name)
        with self.lock:
            self.done[name] = line
            if self.live:  # its summary line goes above the live lines of the sites still crawling, whole
                self.above(line)
            elif not self.quiet:
                self.stream.write(line + "\n")
                self.stream.flush()
            if len(self.done) == len(self.sites) and self.loop is not None and self.loop.running:
                self.loop.stop()

    # -- the lines
    def _rate(self, name: str, pages: int) -> str:
        start = self.started.get(name)
        if start is None:
            return "0.0 pages/s"
        seconds = max(self.ended.get(name, time.monotonic()) - start, 1e-3)
        return f"{pages / seconds:.1f} pages/s"

    def live_line(self, name: str) -> str:
        stats = self.sites[name].stats.get_stats() if self._has_stats(name) else {}
        pages, articles, errors, blocked = counts(stats)
        state = "crawling" if name in self.started else "waiting"
        extra = f", {blocked} blocked" if blocked else ""
        return (f"{name}: {state}, {_plural(pages, 'page')}, {_plural(articles, 'article')}, "
                f"{_plural(errors, 'error')}{extra}, {self._rate(name, pages)}")

    def _has_stats(self, name: str) -> bool:
        try:
            self.sites[name].stats
        except Exception:  # noqa: BLE001 - a crawler not built yet has no stats
            return False
        return True

    def summary_line(self, name: str) -> str:
        from archive.termsafe import clean

        stats = self.sites[name].stats.get_stats()
        pages, articles, errors, blocked = counts(stats)
        outcome = stats.get(statkeys.OUTCOME) or {}
        status = outcome.get("status", "done")
        extra = f", {blocked} blocked" if blocked else ""
        line = (f"{name}: {status}, {_plural(pages, 'page')}, {_plural(articles, 'article')} "
                f"({stats.get(statkeys.NEW, 0)} new), {_plural(errors, 'error')}{extra}, {self._rate(name, pages)}")
        if outcome.get("reason") and status != "ok":
            line += f"; {outcome['reason']}"
        return clean(line, one_line=True)

    # -- the terminal
    def _width(self) -> int:
        import os

        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
        return max((columns or 100) - 1, 20)

    def _erase(self) -> str:
        return "\r\x1b[2K" + "\x1b[1A\x1b[2K" * (self.drawn - 1) if self.drawn else ""

    def _board(self) -> str:
        from archive.termsafe import clean

        width = self._width()
        lines = [clean(self.live_line(name), one_line=True)[:width] for name in self.sites if name not in self.done]
        self.drawn = len(lines)
        return "\n".join(lines)

    def redraw(self) -> None:
        with self.lock:
            erase = self._erase()
            self.stream.write(erase + self._board())
            self.stream.flush()

    def above(self, text: str) -> None:
        """A line printed above the live lines (a log record, a site's summary), which are redrawn below it."""
        with self.lock:
            self.stream.write(self._erase() + text + "\n" + (self._board() if self.live else ""))
            self.stream.flush()

    def finish(self) -> None:
        """The crawl has ended: each site's summary line stays; live lines left (a site that never
        closed) are erased."""
        with self.lock:
            if self.loop is not None and self.loop.running:
                self.loop.stop()
            if self.drawn:
                self.stream.write(self._erase())
                self.stream.flush()
                self.drawn = 0
