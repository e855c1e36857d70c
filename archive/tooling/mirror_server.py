"""A static file server for a ``HOST/PATH`` tree: the replica, or any mirror.

``http://127.0.0.1:PORT/HOST/PATH?QUERY`` serves ``ROOT/HOST/PATH`` (the query
is ignored); a path ending in ``/`` serves that folder's ``index.html``; a
file without an extension is HTML. Folders are never listed (404 instead), and
every file carries ``ETag`` and ``Last-Modified`` so conditional requests are
answered with 304 as a real site would.

It never serves anything outside ROOT: a path that is not clean UTF-8, holds
a NUL or another control character, a backslash, or a ``.``/``..`` segment
is answered 400; a file or folder whose real location (symbolic links
resolved) is outside ROOT is answered 404. A bad request never raises.
"""
from __future__ import annotations

import hashlib
import os
import threading
import time
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote_to_bytes

TYPES = {
    "": "text/html",
    ".html": "text/html",
    ".htm": "text/html",
    ".shtml": "text/html",
    ".xml": "application/xml",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


class BadPath(ValueError):
    """A request path the mirror refuses (400)."""


class Outside(Exception):
    """A path whose real location is outside the root (404, as if missing)."""


class MirrorHandler(SimpleHTTPRequestHandler):
    server_version = "mirror/1"
    protocol_version = "HTTP/1.1"

    def translate_path(self, path):
        """The file for URL *path*, inside the root; BadPath for a path no file can have."""
        raw = path.split("?", 1)[0].split("#", 1)[0]
        try:
            text = unquote_to_bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise BadPath("path is not UTF-8")
        if any(ord(c) < 0x20 or c == "\x7f" or c == "\\" for c in text):
            raise BadPath("control character or backslash in path")
        segments = text.split("/")
        if any(seg in (".", "..") for seg in segments):
            raise BadPath("dot segment in path")
        root = os.path.realpath(self.directory)
        full = os.path.join(root, *[seg for seg in segments if seg])
        if text.endswith("/"):
            full += os.sep
        real = os.path.realpath(full)
        if real != root and not real.startswith(root + os.sep):
            raise Outside(path)
        return full

    def _inside_root(self, path) -> bool:
        root = os.path.realpath(self.directory)
        real = os.path.realpath(path)
        return real == root or real.startswith(root + os.sep)

    def guess_type(self, path):
        return TYPES.get(Path(path).suffix.lower(), "application/octet-stream")

    def list_directory(self, path):
        self.send_error(HTTPStatus.NOT_FOUND, "Not found")
        return None

    def send_head(self):
        try:
            path = self.translate_path(self.path)
        except BadPath as exc:
            self.send_error(HTTPStatus.BAD_REQUEST, str(exc))
            return None
        except Outside:
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        if os.path.isdir(path):
            index = os.path.join(path, "index.html")
            if os.path.exists(index) and not self._inside_root(index):
                self.send_error(HTTPStatus.NOT_FOUND, "File not found")
                return None
            return super().send_head()  # redirect to "/" or index.html, or 404
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        etag = '"%s"' % hashlib.sha1(f"{st.st_mtime_ns}-{st.st_size}".encode()).hexdigest()[:16]
        inm = self.headers.get("If-None-Match")
        if inm and etag in [t.strip() for t in inm.split(",")]:
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("ETag", etag)
            self.end_headers()
            return None
        self._etag = etag
        return super().send_head()

    def end_headers(self):
        etag = getattr(self, "_etag", None)
        if etag:
            self.send_header("ETag", etag)
            self._etag = None
        super().end_headers()

    def log_message(self, format, *args):  # quiet: the crawl log says enough
        pass

    def log_request(self, code="-", size="-"):
        record = getattr(self.server, "record", None)
        if record is not None:
            conditional = bool(self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"))
            record.append((self.command, self.path, int(getattr(code, "value", code)), conditional))

    def handle_one_request(self):
        delay = getattr(self.server, "delay", 0)
        if delay:
            time.sleep(delay)
        super().handle_one_request()


class MirrorServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client that goes away mid-answer is normal; anything else is one line, never a traceback.
        import sys

        exc = sys.exc_info()[1]
        if not isinstance(exc, (ConnectionError, TimeoutError)):
            print(f"mirror: request from {client_address[0]} failed: {type(exc).__name__}: {exc}", file=sys.stderr)


def make_server(root: str | os.PathLike, host: str = "127.0.0.1", port: int = 0, *,
                record: list | None = None, delay: float = 0) -> ThreadingHTTPServer:
    """A server for *root*; *record* collects (method, path, status, conditional) per request,
    *delay* slows every request down (seconds), for tests that must catch a crawl midway."""
    handler = partial(MirrorHandler, directory=str(root))
    server = MirrorServer((host, port), handler)
    server.daemon_threads = True
    server.record = record
    server.delay = delay
    return server


def serve_in_thread(root, host: str = "127.0.0.1", port: int = 0, **options):
    """Start a server in a daemon thread; returns (server, base_url)."""
    server = make_server(root, host, port, **options)
    thread = threading.Thread(target=server.serve_forever, name="mirror", daemon=True)
    thread.start()
    h, p = server.server_address[:2]
    return server, f"http://{h}:{p}"
