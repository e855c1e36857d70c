"""Datasette plugin: its own CSV downloads (``/archive/articles.csv``, ``/archive.csv?sql=…``) keep
crawled text inert in a spreadsheet, as ``archive export --format csv`` does: a cell that starts like
a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) gets a leading apostrophe
(:func:`archive.termsafe.csv_document`). The response is collected, rewritten and sent whole."""
from __future__ import annotations

from datasette import hookimpl

from archive.termsafe import csv_document


def _is_csv(scope) -> bool:
    if scope.get("type") != "http":
        return False
    path = scope.get("path", "")
    query = scope.get("query_string", b"")
    return path.endswith(".csv") or b"_format=csv" in query


def neutralise_csv(app):
    """ASGI middleware: every CSV response of *app* through :func:`csv_document`."""

    async def wrapped(scope, receive, send):
        if not _is_csv(scope):
            await app(scope, receive, send)
            return
        start, chunks = {}, []

        async def collect(message):
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            ctype = dict((k.lower(), v) for k, v in headers).get(b"content-type", b"")
            body = b"".join(chunks)
            if start.get("status") == 200 and (b"csv" in ctype or b"text/plain" in ctype):
                body = csv_document(body.decode("utf-8")).encode("utf-8")
            headers.append((b"content-length", str(len(body)).encode()))
            await send(dict(start, headers=headers))
            await send({"type": "http.response.body", "body": body})

        await app(scope, receive, collect)

    return wrapped


@hookimpl
def asgi_wrapper(datasette):
    return neutralise_csv
