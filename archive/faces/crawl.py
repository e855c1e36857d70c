"""Run the spiders in one process and summarise what each site gave."""
from __future__ import annotations

import logging

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from twisted.internet.defer import inlineCallbacks

from archive import statkeys
from archive.db import Archive, now_iso
from archive.runs import SiteResult, summarise
from crawler.registry import apply_env, sites as registry_sites


def project_settings(**overrides) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    apply_env(settings)
    for name, value in overrides.items():
        if value is not None:
            settings.set(name, value, priority="cmdline")
    return settings


def site_spiders(settings: Settings | None = None) -> dict:
    """{site key: spider class} of every site: the Python site files of ``SPIDER_MODULES`` and the
    TOML site files of ``SITES_DIR`` (:mod:`crawler.registry`)."""
    return registry_sites(settings or project_settings())


def site_labels(settings: Settings | None = None) -> dict[str, str]:
    """{site key: the site's own name} (bjx → 北极星), for the library functions that credit sites by name."""
    return {name: cls.label or "" for name, cls in site_spiders(settings).items()}


def site_for_url(url: str):
    """The spider class whose site serves *url*, or None."""
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    for cls in site_spiders().values():
        if any(host == d or host.endswith("." + d) for d in cls.allowed_domains):
            return cls
    return None


class _Process(CrawlerProcess):
    """Scrapy's process, noting in each crawl's stats the signal (Ctrl-C, SIGTERM) that stops it:
    the run is then recorded as ``interrupted`` (``archive.runs.summarise``)."""

    stop_signal: int | None = None
    killed = False

    def _signal_shutdown(self, signum, frame):
        import signal

        self.stop_signal = signum
        for crawler in self.crawlers:
            try:
                crawler.stats.set_value(statkeys.STOP_SIGNAL, signal.Signals(signum).name)
            except Exception:  # noqa: BLE001 - a crawler not started has no stats yet
                pass
        super()._signal_shutdown(signum, frame)

    def _signal_kill(self, signum, frame):
        self.killed = True  # a second signal: Scrapy's stop at once, no waiting for opening crawlers
        super()._signal_kill(signum, frame)

    def start(self, stop_after_crawl: bool = True, install_signal_handlers: bool = True) -> None:
        # Scrapy installs its handlers once the reactor has started; a signal before that (the
        # spiders may already be opening, their runs' rows written) would end the process at once.
        if install_signal_handlers:
            from scrapy.utils.ossignal import install_shutdown_handlers

            install_shutdown_handlers(self._signal_shutdown)
        super().start(stop_after_crawl, install_signal_handlers)

    @inlineCallbacks
    def _stop_dfd(self):
        """Scrapy's graceful stop passes over a crawler whose engine is still opening (its spider
        opened, its run's row written, its engine not yet running): the reactor would stop under it
        and leave that row ``running``. Such a crawler is stopped once its engine runs."""
        from twisted.internet import reactor, task

        waited = 0.0
        while waited < OPENING_WAIT and not self.killed and any(_opening(c) for c in self.crawlers):
            yield task.deferLater(reactor, OPENING_POLL, lambda: None)
            waited += OPENING_POLL
        yield super()._stop_dfd()


OPENING_WAIT = 60.0  # seconds a stop waits for a crawler's engine to start
OPENING_POLL = 0.05


def _opening(crawler) -> bool:
    """A crawl started whose engine is not running yet."""
    engine = getattr(crawler, "_engine", None)
    return crawler.crawling and (engine is None or not engine.running)


LOUDNESS = ("quiet", "normal", "verbose")


def _console_logging(settings: Settings, loudness: str, log_file, board) -> list:
    """Scrapy's log: on the console at WARNING (one line per expected failure, no traceback),
    everything at ``LOG_LEVEL`` with ``verbose``, only CRITICAL with ``quiet``; in full
    (``LOG_LEVEL``, default INFO, with tracebacks) to *log_file*. Returns the handlers installed."""
    import sys

    from crawler.progress import DATE_FORMAT, LOG_FORMAT, ConsoleHandler

    full = logging.getLevelName(str(settings.get("LOG_LEVEL") or "INFO").upper())
    full = full if isinstance(full, int) else logging.INFO
    console_level = {"quiet": logging.CRITICAL, "normal": logging.WARNING, "verbose": full}[loudness]
    handlers = [ConsoleHandler(sys.stderr, console_level, board if board.live else None,
                               tracebacks=loudness == "verbose")]
    if log_file:
        try:
            handler = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as exc:  # a usage error of the caller's (exit 2 from the CLI)
            raise ValueError(f"--log-file {log_file}: cannot write it ({exc.strerror or exc})") from None
        handler.setLevel(full)
        handler.setFormatter(logging.Formatter(LOG_FORMAT, DATE_FORMAT))
        handlers.append(handler)
    root = logging.getLogger()
    root.setLevel(min(h.level for h in handlers))
    for handler in handlers:
        root.addHandler(handler)
    return handlers


def _scrapy_log_floor(settings: Settings) -> tuple[logging.Logger, int]:
    """Scrapy's loggers at ``LOG_LEVEL``: Scrapy sets its ``scrapy`` logger to DEBUG when its
    process starts, so a record was made for every page crawled and every item scraped (and each
    of Scrapy's DEBUG lines) that no handler would write. Returns the logger and its former level."""
    level = logging.getLevelName(str(settings.get("LOG_LEVEL") or "INFO").upper())
    scrapy_log = logging.getLogger("scrapy")
    former = scrapy_log.level
    scrapy_log.setLevel(level if isinstance(level, int) else logging.INFO)
    return scrapy_log, former


def run_crawl(sites=None, *, db_path="archive.db", mirror=None, extra_settings=None,
              loudness: str = "normal", log_file=None) -> list[SiteResult]:
    """Crawl *sites* (all when empty) into *db_path*; returns one result per site.

    *loudness*: ``normal`` shows a live progress line per site on a terminal and one
    summary line per site elsewhere, and Scrapy's records from WARNING up; ``quiet``
    nothing; ``verbose`` Scrapy's whole log (``LOG_LEVEL``). *log_file* gets the whole
    log whatever the loudness. A site whose crawl is already running elsewhere is
    refused (``crawler/locks.py``): its result's status is ``skipped``."""
    from crawler.progress import Board

    if loudness not in LOUDNESS:
        raise ValueError(f"loudness: one of {', '.join(LOUDNESS)}, not {loudness!r}")
    settings = project_settings(ARCHIVE_DB=str(db_path), MIRROR_URL=mirror, **(extra_settings or {}))
    spiders = site_spiders(settings)
    names = list(sites) if sites else list(spiders)
    unknown = [n for n in names if n not in spiders]
    if unknown:
        raise ValueError(f"unknown site(s): {', '.join(unknown)}; known: {', '.join(spiders)}")
    board = Board(quiet=loudness == "quiet", live=None if loudness == "normal" else False)
    handlers = _console_logging(settings, loudness, log_file or settings.get("LOG_FILE"), board)
    archive = scrapy_log = None
    try:
        archive = Archive(db_path).open()  # create and migrate the file once, before the spiders open it
        since = now_iso()
        settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")  # the handlers are ours
        process = _Process(settings)
        scrapy_log, former_level = _scrapy_log_floor(settings)  # after the process set Scrapy's logging up
        crawlers = []
        for name in names:
            crawler = process.create_crawler(spiders[name])
            crawlers.append((name, crawler))
            board.watch(name, crawler)
            process.crawl(crawler)
        process.start()
        board.finish()
        return [outcome(name, crawler, archive, since) for name, crawler in crawlers]
    finally:
        if scrapy_log is not None:
            scrapy_log.setLevel(former_level)
        for handler in handlers:
            logging.getLogger().removeHandler(handler)
            handler.close()
        if archive is not None:
            archive.close()


def outcome(name: str, crawler, archive: Archive, since: str) -> SiteResult:
    """A site's outcome as its run log computed it (and wrote to ``crawl_runs``); computed here
    only when the run log is off (``RUN_LOG_ENABLED``)."""
    stats = crawler.stats.get_stats()
    if stats.get(statkeys.OUTCOME):
        return SiteResult(**stats[statkeys.OUTCOME])
    res = summarise(name, stats, archive.db, since)
    if stats.get(statkeys.STOP_SIGNAL):  # a second Ctrl-C stopped it at once, before its run log closed
        res.status = "interrupted"
        res.reason = (f"interrupted by {stats[statkeys.STOP_SIGNAL]}, at once (its crawl_runs row is "
                      "marked interrupted by the site's next run)")
    return res


def format_summary(results: list[SiteResult]) -> str:
    fields = ("new", "updated", "unchanged", "duplicate", "known", "blocked", "errors")
    heads = ("new", "updated", "unchanged", "dup", "known", "blocked", "errors")
    lines = [f"{'site':<14}" + "".join(f"{h:>10}" for h in heads) + "  status"]
    total = SiteResult("total")
    for r in results:
        lines.append(f"{r.site:<14}" + "".join(f"{getattr(r, f):>10}" for f in fields) + f"  {r.status}")
        for f in fields:
            setattr(total, f, getattr(total, f) + getattr(r, f))
    lines.append(f"{'total':<14}" + "".join(f"{getattr(total, f):>10}" for f in fields))
    return "\n".join(lines)


def problem_lines(results: list[SiteResult], loudness: str = "normal") -> list[str]:
    """The lines printed after the summary (to stderr): a site that failed, was blocked or
    interrupted; with ``quiet`` (which prints nothing else) also a partial, skipped or degraded one."""
    shown = ("failed", "blocked", "interrupted")
    lines = []
    for r in results:
        if r.status in shown or loudness == "quiet" and r.status != "ok":
            lines.append(f"{r.site}: {r.reason or r.status}" if r.status in shown or r.status == "skipped"
                         else f"{r.site}: {r.status}: {r.reason}")
        elif loudness == "quiet" and r.degraded:
            lines.append(f"{r.site}: extraction degraded: {', '.join(map(str, r.degraded))}")
    return lines


def exit_status(results: list[SiteResult]) -> int:
    """130 (SIGINT) or 143 (SIGTERM) when the crawl was interrupted; 1 when a site failed or was
    blocked; ``crawler.locks.SKIPPED`` (75) when a site was refused because another crawl of it
    runs; else 0 (a ``partial`` site too)."""
    import signal

    from crawler.locks import SKIPPED

    statuses = {r.status for r in results}
    if "interrupted" in statuses:
        for name in ("SIGINT", "SIGTERM"):
            if any(r.status == "interrupted" and name in r.reason for r in results):
                return 128 + getattr(signal, name)
        return 1
    if statuses & {"failed", "blocked"}:
        return 1
    return SKIPPED if "skipped" in statuses else 0
