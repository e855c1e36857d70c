"""A static file server for a ``HOST/PATH`` tree: the replica, or any mirror.

``http://127.0.0.1:PORT/HOST/PATH?QUERY`` serves ``ROOT/HOST/PATH`` (the query
is ignored); a path ending in ``/`` serves that folder's ``index.html``; a
file without an extension is HTML. Folders are never listed (404 instead), and
every file carries ``ETag`` and ``Last-Modified`` so conditional requests are
answered with 304 as a real site would.
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


class MirrorHandler(SimpleHTTPRequestHandler):
    server_version = "mirror/1"
    protocol_version = "HTTP/1.1"

    def guess_type(self, path):
        return TYPES.get(Path(path).suffix.lower(), "application/octet-stream")

    def list_directory(self, path):
        self.send_error(HTTPStatus.NOT_FOUND, "Not found")
        return None

    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            return super().send_head()  # redirect to "/" or index.html, or 404
        try:
            st = os.stat(path)
        except OSError:
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


def make_server(root: str | os.PathLike, host: str = "127.0.0.1", port: int = 0, *,
                record: list | None = None, delay: float = 0) -> ThreadingHTTPServer:
    """A server for *root*; *record* collects (method, path, status, conditional) per request,
    *delay* slows every request down (seconds), for tests that must catch a crawl midway."""
    handler = partial(MirrorHandler, directory=str(root))
    server = ThreadingHTTPServer((host, port), handler)
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
