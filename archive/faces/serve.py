"""``archive serve``: Datasette on the archive, read-only, with the shipped metadata.

The archive is opened read-only (SQLite ``mode=ro``, Datasette's default for
a file passed as an argument) so a crawl may keep writing to it while it is
served; ``--immutable`` is for a copy that never changes (faster counts). No
write access exists in either mode: Datasette 0.65 has no write API and the
connections it reads through cannot write.

As a user who may only read the file (Datasette as its own user, see
docs/deployment.md): nothing is migrated (an archive at an older schema is
refused with one line: run ``archive migrate`` as its owner) and nothing is
created beside it. While a writer works on the archive its ``-wal``/``-shm``
exist and Datasette reads through them (``mode=ro``, live). When there is no
``-wal`` SQLite would have to create those files to read in ``mode=ro``; a
reader that may not write the folder cannot, so the file is served as it is,
``immutable``, with a note saying so, until a writer opens the archive: then
Datasette is restarted once, reading through the writer's ``-wal`` (live).
Its open connections keep that ``-wal`` in place when the writer closes
(SQLite removes it only when no connection is left), so it stays live.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import NamedTuple

TEMPLATE_DB = "archive"  # the database key used in the shipped metadata
# Datasette interrupts any SQL statement running longer than this (its "SQL query took too long"
# error, HTTP 400), so one heavy query (a user's own SQL, a facet, a huge count) cannot hold the
# server; the archive's own pages (search newest first, article pages) take a few ms to tens of ms
# even at a million articles. `archive serve --sql-time-limit-ms` changes it.
SQL_TIME_LIMIT_MS = 3000


def database_name(db_path: str | Path) -> str:
    """The name Datasette gives a database file: its stem."""
    return Path(db_path).stem


def metadata_for(db_path: str | Path) -> dict:
    """The shipped metadata, keyed by this file's database name."""
    text = resources.files("archive.faces").joinpath("datasette/metadata.json").read_text("utf-8")
    meta = json.loads(text)
    name = database_name(db_path)
    if name != TEMPLATE_DB:
        meta["databases"] = {name: meta["databases"].pop(TEMPLATE_DB)}
        meta["description_html"] = meta["description_html"].replace(f"/{TEMPLATE_DB}/", f"/{name}/")
    return meta


def template_dir() -> Path:
    """The archive's Datasette templates (article list, article page, search page, facets)."""
    return Path(str(resources.files("archive.faces").joinpath("datasette/templates")))


def datasette_args(db_path: str | Path, metadata_path: str | Path, *, host: str = "127.0.0.1",
                   port: int = 8001, immutable: bool = False,
                   sql_time_limit_ms: int = SQL_TIME_LIMIT_MS) -> list[str]:
    """Arguments for ``datasette serve``."""
    args = ["serve"]
    args += ["--immutable", str(db_path)] if immutable else [str(db_path)]
    args += [
        "--metadata", str(metadata_path),
        "--host", host,
        "--port", str(port),
        "--setting", "default_page_size", "50",
        "--setting", "sql_time_limit_ms", str(int(sql_time_limit_ms)),
        "--setting", "facet_time_limit_ms", "1000",
        # the facets are chosen in the metadata; suggestions would be every column
        "--setting", "suggest_facets", "off",
        "--template-dir", str(template_dir()),
    ]
    return args


class ServeMode(NamedTuple):
    immutable: bool   # serve with Datasette's --immutable
    note: str = ""    # one line for the operator, when the mode was chosen for them


def prepare(db_path: str | Path, *, immutable: bool = False) -> ServeMode:
    """Before serving: bring an archive this user may write to the newest schema (index and all);
    check that one it may only read is at that schema (:class:`archive.db.ArchiveOpenError` if
    not) and choose how Datasette can read it (see the module's note)."""
    from archive.db import open_db, open_readonly, writable

    if writable(db_path):
        open_db(db_path).conn.close()
        return ServeMode(immutable)
    open_readonly(db_path).conn.close()
    if immutable or Path(f"{db_path}-wal").exists():
        return ServeMode(immutable)
    return ServeMode(True, f"{db_path} is read-only for this user and no writer has it open (no -wal): "
                           "serving the file as it is now, and live (after a restart of the server) "
                           "from the first moment a writer opens it")


WAL_POLL_SECONDS = 2.0  # how often a snapshot server looks for a writer's -wal


def serve_until_writer(db_path: str | Path, *, host: str = "127.0.0.1", port: int = 8001,
                       sql_time_limit_ms: int = SQL_TIME_LIMIT_MS) -> int:
    """Serve the file as it is (``immutable``) until a writer opens it (its ``-wal`` appears), then
    stop that server and serve it live, in this process. Returns an exit status."""
    import threading

    wal = Path(f"{db_path}-wal")
    writer_came, done = threading.Event(), threading.Event()

    def watch():
        while not done.wait(WAL_POLL_SECONDS):
            if wal.exists():
                writer_came.set()
                os.kill(os.getpid(), signal.SIGINT)  # the server stops as on Ctrl-C
                return

    threading.Thread(target=watch, name="wal-watch", daemon=True).start()
    try:
        status = serve(db_path, host=host, port=port, immutable=True, prepared=True,
                       sql_time_limit_ms=sql_time_limit_ms)
    except KeyboardInterrupt:
        status = 0
    finally:
        done.set()
    if not writer_came.is_set():  # stopped (Ctrl-C, SIGTERM)
        return status
    print(f"{db_path}: a writer has it open; serving it live from now on", file=sys.stderr, flush=True)
    return serve(db_path, host=host, port=port, immutable=False, prepared=True,
                 sql_time_limit_ms=sql_time_limit_ms)


def serve(db_path: str | Path, *, host: str = "127.0.0.1", port: int = 8001,
          immutable: bool = False, prepared: bool = False, sql_time_limit_ms: int = SQL_TIME_LIMIT_MS) -> int:
    """Run Datasette in this process until it stops (Ctrl-C, SIGTERM); returns an exit status.

    *prepared*: :func:`prepare` has run and *immutable* is its choice."""
    from datasette.cli import cli as datasette_cli

    if not prepared:
        immutable = prepare(db_path, immutable=immutable).immutable
    with tempfile.TemporaryDirectory(prefix="archive-serve-") as tmp:
        meta_path = Path(tmp) / "metadata.json"
        meta_path.write_text(json.dumps(metadata_for(db_path), ensure_ascii=False, indent=2), "utf-8")
        args = datasette_args(db_path, meta_path, host=host, port=port, immutable=immutable,
                              sql_time_limit_ms=sql_time_limit_ms)
        # SIGTERM ends the server like Ctrl-C, so the metadata file is cleaned up.
        previous = signal.signal(signal.SIGTERM, _terminate)
        try:
            datasette_cli.main(args=args, prog_name="datasette", standalone_mode=False)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
    return 0


def _terminate(signum, frame):
    raise KeyboardInterrupt


def start(db_path: str | Path, *, port: int, host: str = "127.0.0.1", immutable: bool = False,
          timeout: float = 60, log=None, sql_time_limit_ms: int | None = None) -> tuple[subprocess.Popen, str]:
    """Start ``archive serve`` in a child process and wait until it answers; returns (process, base URL).

    For tests and scripts; stop it with ``proc.terminate()``.
    """
    import time
    import urllib.request

    cmd = [sys.executable, "-m", "archive.faces.cli", "serve", "--db", str(db_path), "--host", host,
           "--port", str(port)] + (["--immutable"] if immutable else [])
    if sql_time_limit_ms is not None:
        cmd += ["--sql-time-limit-ms", str(sql_time_limit_ms)]
    proc = subprocess.Popen(cmd, stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
                            env=os.environ.copy())
    url = f"http://{host}:{port}"
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"archive serve exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/-/versions.json", timeout=2) as resp:
                if resp.status == 200:
                    return proc, url
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.terminate()
            raise RuntimeError(f"archive serve did not answer on {url} within {timeout} s")
        time.sleep(0.2)


def free_port(host: str = "127.0.0.1") -> int:
    import socket

    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]
