"""A fault-injecting copy of the mirror server, for the fault tests.

It serves a ``HOST/PATH`` tree exactly like :mod:`archive.tooling.mirror_server`, except
for the paths given a fault in ``server.faults`` (``{"/HOST/PATH": Fault}``),
which are answered with that fault instead. A fault may be limited to its
first ``times`` requests; every fault is bounded in time and size, and the
server only listens on 127.0.0.1.

Kinds: ``status`` (any code, optional ``Retry-After``), ``reset`` (connection
reset before any byte), ``timeout`` (no answer for ``seconds``, then close),
``truncate`` (``Content-Length`` longer than the body sent), ``cut`` (a
close-delimited body cut after a fraction of the page), ``shrink`` (one that lost
its middle but kept its closing tags), ``gzip_bomb``,
``large`` (a page larger than the crawl's DOWNLOAD_MAXSIZE), ``redirect_loop``, ``redirect_self``,
``offsite_redirect``, ``redirect_to`` (a redirect to the fault's ``location``, a path of this server), ``ctype`` (the page under another Content-Type),
``charset`` (the page under a wrong charset label), ``garbage`` (random bytes
as HTML), ``soft404`` (an HTTP 200 error page), ``soft_shared`` (an error page
without any known phrase), ``notfound`` (404), ``body`` (the fault's ``body`` bytes under its
``content_type``: an attachment of the test's making), ``append`` (the page with the fault's
``extra`` HTML inserted before ``</body>``: links of the test's making).
"""
from __future__ import annotations

import gzip
import os
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from functools import partial
from http.server import ThreadingHTTPServer

from archive.tooling.mirror_server import MirrorHandler

SOFT_404 = (
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>页面不存在</title></head><body>"
    "<div class=\"main\"><h1>404 Not Found</h1><p>对不起，您访问的页面不存在或已被删除。</p>"
    "<p>请检查您输入的网址是否正确，或返回首页继续浏览本站的其他栏目和最新资讯。</p>"
    "<p><a href=\"/\">返回首页</a></p></div></body></html>"
).encode("utf-8")

# an error page without any known phrase: only "shared by many URLs" gives it away
SOFT_SHARED = (
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>系统提示</title></head><body>"
    "<div class=\"content\"><h1>系统提示</h1><p>系统维护中，本栏目内容暂时无法显示，给您带来的不便敬请谅解。"
    "维护完成后将恢复正常访问，感谢您一直以来对本网站的关心和支持。</p>"
    "<p>如需帮助，请在工作日拨打网站服务热线，或通过首页的意见建议栏目与我们联系。</p></div></body></html>"
).encode("utf-8")


@dataclass
class Fault:
    kind: str
    times: int | None = None  # only the first N requests of the path; None: every request
    status: int = 500
    retry_after: str | None = None
    seconds: float = 3.0
    fraction: float = 0.35
    content_type: str = "application/json"
    charset: str = "utf-16"
    size: int = 4 * 1024 * 1024
    body: bytes = b""
    extra: str = ""
    location: str = ""
    hits: int = field(default=0, compare=False)


class FaultHandler(MirrorHandler):
    def do_GET(self):
        if not self._inject():
            super().do_GET()

    def do_HEAD(self):
        if not self._inject():
            super().do_HEAD()

    # ------------------------------------------------------------------

    def _inject(self) -> bool:
        path = self.path.split("?", 1)[0]
        server = self.server
        with server.lock:
            fault = server.faults.get(path)
            if fault is None:
                return False
            if fault.times is not None and fault.hits >= fault.times:
                return False
            fault.hits += 1
            server.injected.append((path, fault.kind))
        getattr(self, "_fault_" + fault.kind)(fault, path)
        return True

    def _file(self, path: str) -> bytes:
        full = self.translate_path(path)
        if os.path.isdir(full):
            full = os.path.join(full, "index.html")
        with open(full, "rb") as f:
            return f.read()

    def _send(self, status: int, body: bytes, headers: dict[str, str], *, length: int | None = None,
              close: bool = False) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if length is not None:
            self.send_header("Content-Length", str(length))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)
        self.wfile.flush()

    def _fault_status(self, fault, path):
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if fault.retry_after is not None:
            headers["Retry-After"] = fault.retry_after
        body = f"<html><body><h1>{fault.status}</h1></body></html>".encode()
        self._send(fault.status, body, headers, length=len(body))

    def _fault_notfound(self, fault, path):
        body = b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>"
        self._send(404, body, {"Content-Type": "text/html"}, length=len(body))

    def _fault_reset(self, fault, path):
        # SO_LINGER 0: close() sends RST, the client sees "connection reset"
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _fault_timeout(self, fault, path):
        time.sleep(fault.seconds)
        self.close_connection = True

    def _fault_truncate(self, fault, path):
        body = self._file(path)
        self._send(200, body[: int(len(body) * fault.fraction)], {"Content-Type": "text/html"},
                   length=len(body), close=True)

    def _fault_cut(self, fault, path):
        body = self._file(path)
        self._send(200, body[: int(len(body) * fault.fraction)], {"Content-Type": "text/html"}, close=True)

    def _fault_shrink(self, fault, path):
        """A close-delimited body that keeps its head and its closing tags but lost its middle."""
        body = self._file(path)
        keep = int(len(body) * fault.fraction / 2)
        self._send(200, body[:keep] + body[-keep:], {"Content-Type": "text/html"}, close=True)

    def _fault_gzip_bomb(self, fault, path):
        body = self.server.bomb(fault.size)
        self._send(200, body, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, length=len(body))

    def _fault_large(self, fault, path):
        chunk = b"<p>" + "大页面填充内容。".encode("utf-8") * 40 + b"</p>\n"
        n = fault.size // len(chunk) + 1
        self._send(200, b"", {"Content-Type": "text/html; charset=utf-8"}, length=n * len(chunk), close=True)
        try:
            for _ in range(n):
                self.wfile.write(chunk)
        except OSError:  # the client hung up, as it should
            pass

    def _fault_redirect_loop(self, fault, path):
        n = int(self.path.rsplit("loop=", 1)[1]) + 1 if "loop=" in self.path else 1
        self._send(302, b"", {"Location": f"{path}?loop={n}"}, length=0)

    def _fault_redirect_self(self, fault, path):
        self._send(302, b"", {"Location": path}, length=0)

    def _fault_offsite_redirect(self, fault, path):
        self._send(302, b"", {"Location": "https://offsite.invalid/landing.html"}, length=0)

    def _fault_redirect_to(self, fault, path):
        self._send(302, b"", {"Location": fault.location}, length=0)

    def _fault_ctype(self, fault, path):
        body = self._file(path)
        self._send(200, body, {"Content-Type": fault.content_type}, length=len(body))

    def _fault_charset(self, fault, path):
        body = self._file(path)
        self._send(200, body, {"Content-Type": f"text/html; charset={fault.charset}"}, length=len(body))

    def _fault_garbage(self, fault, path):
        body = random.Random(path).randbytes(6000)
        self._send(200, body, {"Content-Type": "text/html"}, length=len(body))

    def _fault_soft404(self, fault, path):
        self._send(200, SOFT_404, {"Content-Type": "text/html; charset=utf-8"}, length=len(SOFT_404))

    def _fault_body(self, fault, path):
        self._send(200, fault.body, {"Content-Type": fault.content_type}, length=len(fault.body))

    def _fault_append(self, fault, path):
        body = self._file(path)
        at = body.rfind(b"</body>")
        at = len(body) if at < 0 else at
        body = body[:at] + fault.extra.encode("utf-8") + body[at:]
        self._send(200, body, {"Content-Type": "text/html; charset=utf-8"}, length=len(body))

    def _fault_soft_shared(self, fault, path):
        self._send(200, SOFT_SHARED, {"Content-Type": "text/html; charset=utf-8"}, length=len(SOFT_SHARED))


class FaultServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, root, delay: float = 0):
        super().__init__(("127.0.0.1", 0), partial(FaultHandler, directory=str(root)))
        self.faults: dict[str, Fault] = {}
        self.injected: list[tuple[str, str]] = []
        self.record = None
        self.delay = delay
        self.lock = threading.Lock()
        self._bombs: dict[int, bytes] = {}

    def handle_error(self, request, client_address):
        pass  # a client hanging up on a fault is the point, not an error

    def bomb(self, size: int) -> bytes:
        if size not in self._bombs:
            self._bombs[size] = gzip.compress(b"<html><body>" + b"0" * size, 9)
        return self._bombs[size]

    def set_faults(self, faults: dict[str, Fault]) -> None:
        for fault in faults.values():
            if fault.kind == "gzip_bomb":
                self.bomb(fault.size)  # made now: compressing it at the request would outlast a short timeout
        with self.lock:
            self.faults = dict(faults)
            self.injected.clear()

    @property
    def url(self) -> str:
        h, p = self.server_address[:2]
        return f"http://{h}:{p}"


def start(root, delay: float = 0) -> FaultServer:
    server = FaultServer(root, delay)
    threading.Thread(target=server.serve_forever, name="faults", daemon=True).start()
    return server
