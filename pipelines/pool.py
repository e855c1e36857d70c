"""Extraction on every core: a pool of worker processes shared by the crawls of one process.

The CPU-heavy part of an article (decoding and extracting each of its pages) runs in a
``concurrent.futures.ProcessPoolExecutor`` so that the Twisted reactor thread keeps
downloading while pages are extracted. An article's first page goes there once, from the
spider (:func:`read_article`: decoded, checked, scanned for its further pages and attachments
and, for a one-page article, extracted in the same call); the extract stage sends the pages of
a longer article (:func:`extract_pages`). What is order-sensitive (dedup, near-dup, the one
SQLite writer) stays in the crawl's process.

Workers are *spawned* (a fresh interpreter, never a fork of the reactor's threads and sockets), so a
script that calls :func:`archive.faces.crawl.run_crawl` itself must guard its work with
``if __name__ == "__main__":`` as Python's ``multiprocessing`` asks (each worker imports the main
module); ``archive crawl``, ``scrapy crawl`` and the scheduler do.

``EXTRACT_WORKERS`` sizes the pool (empty: automatic, see :func:`pool_size`; 0: extraction runs in the
crawl's process, as a plain function call). One pool serves every spider of a process: it is
started when the first spider opens, and shut down when the last one closes (and, at the
latest, when the process exits: the workers are children of the crawl and end with it).

:func:`extract_pages` is the one extraction function of the stage (and :func:`read_article` the
spider's), run the same in a worker or in-process, so that both give the same output. It returns plain data (no exceptions cross
the process boundary): ``("ok", fields, texts)`` or ``("reject", kind, reason, log_line)``. The
fields include the joined text's near-duplicate form (MinHash included, :func:`neardup_form`).
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

logger = logging.getLogger(__name__)

# what the first page gives the item
FIRST_PAGE_FIELDS = ("title", "published_at", "source", "author", "editor", "keywords", "encoding",
                     "fallback", "document")


def extract_pages(pages: list[tuple[bytes, str, str | None]], rules=None, attachments=(), decoded=None) -> tuple:
    """Decode and extract an article's pages ``[(body, url, charset), …]`` (first page first), and
    its downloaded attachments ``[(body, url, charset) or None, …]``: ``fields["attachments"]`` is
    :func:`archive.attachments.describe` of each (None where there is no file). *decoded*: the
    first page's decoding already made (``decode_counted``'s ``(text, encoding, replaced)``)."""
    from archive.extract import extract
    from archive.extract.decode import DecodeError

    texts: list[str] = []
    fields: dict = {}
    replaced = 0
    for i, (body, url, charset) in enumerate(pages):
        try:
            result = extract(body, url, charset=charset, rules=rules, decoded=decoded if i == 0 else None)
        except DecodeError as exc:  # the reason groups; the details go to the log
            if i == 0:
                return ("reject", "charset", "cannot decode the page (binary data or an unknown charset)",
                        f"cannot decode {url}: {exc}")
            return ("reject", "incomplete", "a page of the article cannot be decoded", f"cannot decode {url}: {exc}")
        except Exception as exc:  # noqa: BLE001 - a page the parser cannot take: recorded, never stored
            name = type(exc).__name__
            line = f"extraction failed for {url}: {exc!r}"
            if i == 0:
                return ("reject", "unparsable", f"extraction failed ({name})", line)
            return ("reject", "incomplete", f"a page of the article cannot be extracted ({name})", line)
        if i == 0:
            fields = {
                "title": result.get("title"),
                "published_at": result.get("published_at"),
                "source": result.get("source"),
                "author": result.get("author"),
                "editor": result.get("editor"),
                "keywords": list(result.get("keywords") or []),
                "encoding": result.get("encoding"),
                "fallback": list(result.get("fallback") or []),
                "document": bool(result.get("document")),
                "document_facts": result.get("document"),  # the facts table's fields (the documents table)
            }
        replaced += result.get("replaced_bytes") or 0
        texts.append(result.get("text") or "")
    fields["replaced_bytes"] = replaced
    fields["neardup"] = neardup_form(texts)
    if attachments:
        from archive.attachments import describe

        fields["attachments"] = [None if a is None else describe(*a) for a in attachments]
    return ("ok", fields, texts)


def read_article(body: bytes, url: str, charset: str | None, scan, canonical: str, content_type: bytes,
                 rules=None, extract: bool = False) -> tuple:
    """An article's first page read once (``crawler.pagescan.read_page``: decoded, checked for an
    error page, scanned for its further pages and its attachments), and, when *extract* and the
    article is this one page without attachments, extracted from the same decoding: the extract
    stage applies that result (:func:`extract_pages`'s) instead of extracting again. Run by the
    spider's ``parse_article``, in a worker or in the crawl's process alike.

    ``("fallback",)`` and ``("problem", kind, reason)`` as ``read_page`` gives them, else
    ``("page", further pages, attachment links, extraction or None)``."""
    from crawler.pagescan import read_page

    result = read_page(body, url, charset, scan, canonical, content_type)
    if result[0] != "page":
        return result
    _, pages, files, decoded = result
    extracted = None
    if extract and not pages and not files:
        extracted = extract_pages([(body, url, charset)], rules, (), decoded=decoded)
    return ("page", pages, files, extracted)


def neardup_form(texts: list[str]):
    """The near-duplicate form (:func:`archive.dedup.prepare`: shingles, MinHash signature, band keys) of
    the text the clean stage will make of these page texts, computed here so that the near-duplicate
    stage does not compute it on the reactor thread (it checks that the text it stores is this one)."""
    from archive.dedup import prepare
    from archive.extract.article import join_pages

    text = join_pages(texts)
    return prepare(text) if text else None


def _warm_up(parent: int) -> None:
    """Run in each worker as it starts: import the extractor once, not with the first article.

    A worker ignores SIGINT: Ctrl-C on a terminal reaches the whole process group, and the crawl
    (Scrapy's graceful stop) still needs its workers for the articles in progress; the pool ends
    them when the crawl's process stops.

    A worker also watches the crawl's process: when the crawl is killed (SIGKILL: no shutdown reaches
    the pool) the worker exits too, never left waiting for work that cannot come (it holds both ends
    of its task pipe, so it would never see the pipe close)."""
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch():
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    import archive.extract  # noqa: F401
    import archive.dedup  # noqa: F401


# From this many cores the crawl extracts beside itself. On 2 cores, once an article page is read
# whole in the worker (its checks and scans with its extraction), one worker took the 2,000-article
# bench to 1.63x the pages per second of in-process extraction (120.9 against 74.1) for +4 % CPU per
# article and +76 MB; two workers on 2 cores gave only 1.22x for +24 % CPU (the crawl's own process,
# Scrapy and the store, is then the bound).
MIN_CORES_FOR_POOL = 2


def pool_size(configured, cores: int | None = None) -> int:
    """Worker processes for the setting's value. None or "": automatic, one per core but the one the
    crawl's own process keeps busy, and none (extraction in the crawl's process) below
    ``MIN_CORES_FOR_POOL`` cores."""
    if configured in (None, ""):
        cores = cores or os.cpu_count() or 1
        return cores - 1 if cores >= MIN_CORES_FOR_POOL else 0
    return max(0, int(configured))


class ExtractPool:
    """The process's one pool, counted by the spiders using it."""

    _lock = threading.Lock()
    _executor: ProcessPoolExecutor | None = None
    _users = 0
    _size = 0

    @classmethod
    def acquire(cls, size: int) -> bool:
        """A spider opens: start the pool if it is the first (True when a pool runs: one worker is a
        pool too, the crawl's process then downloads and stores while it extracts)."""
        if size < 1:
            return False
        with cls._lock:
            if cls._executor is None:
                cls._executor = cls._start(size)
                cls._size = size
            cls._users += 1
            return True

    @classmethod
    def _start(cls, size: int) -> ProcessPoolExecutor:
        # spawn: a clean interpreter per worker, never a fork of the reactor's threads and sockets
        ctx = multiprocessing.get_context("spawn")
        logger.info("extraction on %d worker processes", size)
        return ProcessPoolExecutor(max_workers=size, mp_context=ctx, initializer=_warm_up, initargs=(os.getpid(),))

    @classmethod
    def release(cls) -> None:
        """A spider closes: the last one shuts the pool down (its workers exit)."""
        with cls._lock:
            cls._users = max(0, cls._users - 1)
            if cls._users == 0 and cls._executor is not None:
                executor, cls._executor = cls._executor, None
                executor.shutdown(wait=True, cancel_futures=True)

    @classmethod
    def submit(cls, pages, rules, attachments=()):
        """A future of :func:`extract_pages` (None without a pool)."""
        return cls.submit_call(extract_pages, pages, rules, attachments)

    @classmethod
    def submit_call(cls, fn, *args):
        """A future of ``fn(*args)`` in a worker (None without a pool); a pool broken by a dead
        worker is started again."""
        with cls._lock:
            executor = cls._executor
            if executor is None:
                return None
            try:
                return executor.submit(fn, *args)
            except BrokenProcessPool:
                logger.error("an extraction worker died: starting the pool again")
                executor.shutdown(wait=False, cancel_futures=True)
                cls._executor = cls._start(cls._size)
                return cls._executor.submit(fn, *args)

    @classmethod
    def running(cls) -> bool:
        return cls._executor is not None


def as_deferred(future):
    """A Deferred firing with the result of a concurrent.futures *future*, on the reactor thread."""
    from twisted.internet import reactor
    from twisted.internet.defer import Deferred

    d = Deferred()

    def done(f):
        if f.cancelled():  # the pool was shut down under it (the crawl is stopping)
            from concurrent.futures import CancelledError

            reactor.callFromThread(d.errback, CancelledError())
            return
        exc = f.exception()
        if exc is None:
            reactor.callFromThread(d.callback, f.result())
        else:
            reactor.callFromThread(d.errback, exc)

    future.add_done_callback(done)
    return d
