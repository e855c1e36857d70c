"""WARC (ISO 28500) export of the stored raw pages, written with ``warcio``.

Each stored fetch of a page (a ``raw_pages`` row) becomes a ``response`` record: the
original URL (``WARC-Target-URI``), the fetch time (``WARC-Date``), an HTTP/1.1
status line and the headers the archive kept (Content-Type, ETag, Last-Modified,
Content-Length of the body as stored: transfer and content encodings were already
undone by the crawler, so none is declared), the body, and the block and payload
digests (``sha1:`` base32) that warcio computes. A ``metadata`` record follows each
response (``WARC-Concurrent-To`` it) with the archive's own facts in
``application/warc-fields`` form: the article id, site, page number, canonical
article URL and the extractor version. The file opens with a ``warcinfo`` record.
No ``request`` record is written: the archive does not keep the requests it sent.
"""
from __future__ import annotations

from datetime import datetime, timezone
from http import HTTPStatus
from io import BytesIO

from archive.db import decompress

SOFTWARE = "cn-news-archive"


def warc_date(iso: str | None) -> str:
    """A stored ISO time as a WARC-Date (UTC, ``YYYY-MM-DDThh:mm:ssZ``)."""
    try:
        when = datetime.fromisoformat(iso).astimezone(timezone.utc)
    except (TypeError, ValueError):
        when = datetime.now(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _rows(db, site: str | None, since: str | None):
    where, params = ["1"], []
    if site:
        where.append("a.site = ?")
        params.append(site)
    if since:
        where.append("r.fetched_at >= ?")
        params.append(since)
    return db.execute(
        f"""SELECT r.id, r.article_id, r.url, r.page, r.fetched_at, r.status, r.content_type, r.etag,
                   r.last_modified, r.body, a.site, a.url, a.extractor_version
            FROM raw_pages r JOIN articles a ON a.id = r.article_id
            WHERE {' AND '.join(where)} ORDER BY r.id""", params)


def _status_line(status: int | None) -> str:
    status = status or 200
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def export_warc(db, fileobj, *, site: str | None = None, since: str | None = None,
                filename: str = "archive.warc.gz", gzip: bool = True, progress=None) -> int:
    """Write the selected raw pages of archive *db* to the binary *fileobj* as WARC 1.1;
    returns the number of response records. *since*: fetched on or after this ISO time."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    writer = WARCWriter(fileobj, gzip=gzip, warc_version="1.1")
    writer.write_record(writer.create_warcinfo_record(filename, {
        "software": SOFTWARE, "format": "WARC File Format 1.1",
        "description": "raw pages of a news and policy archive, with the article each belongs to",
    }))
    n = 0
    for (raw_id, article_id, url, page, fetched_at, status, ctype, etag, modified, body,
         site_, article_url, version) in _rows(db, site, since):
        payload = decompress(body, db)
        headers = [("Content-Type", ctype or "application/octet-stream")]
        if etag:
            headers.append(("ETag", etag))
        if modified:
            headers.append(("Last-Modified", modified))
        headers.append(("Content-Length", str(len(payload))))
        http_headers = StatusAndHeaders(_status_line(status), headers, protocol="HTTP/1.1")
        date = warc_date(fetched_at)
        response = writer.create_warc_record(url, "response", payload=BytesIO(payload),
                                             http_headers=http_headers,
                                             warc_headers_dict={"WARC-Date": date})
        writer.write_record(response)
        fields = (f"article-id: {article_id}\r\nsite: {site_}\r\npage: {page}\r\n"
                  f"article-url: {article_url}\r\nraw-page-id: {raw_id}\r\n"
                  + (f"extractor-version: {version}\r\n" if version else ""))
        metadata = writer.create_warc_record(
            url, "metadata", payload=BytesIO(fields.encode("utf-8")),
            warc_content_type="application/warc-fields",
            warc_headers_dict={"WARC-Date": date,
                               "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID")})
        writer.write_record(metadata)
        n += 1
        if progress and n % 500 == 0:
            progress(n)
    return n


def _fields(payload: bytes) -> dict[str, str]:
    out = {}
    for line in payload.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            out[name.strip().lower()] = value.strip()
    return out


def _iso(warc_date_: str | None) -> str | None:
    try:
        return datetime.fromisoformat((warc_date_ or "").replace("Z", "+00:00")).astimezone(
            timezone.utc).replace(microsecond=0).isoformat()
    except ValueError:
        return None


def read_captures(fileobj) -> list[dict]:
    """The articles a WARC file holds, each ``{key, site, url, pages}`` with its pages as last captured
    (``url, page, fetched_at, status, content_type, etag, last_modified, body``; first page first).

    A response with a ``metadata`` record of this archive's (``article-id``, ``site``, ``page``,
    ``article-url``) is grouped with the other pages of its article; any other HTTP response of
    status 200 is an article of one page, its site unknown (``site`` None). Raises ValueError for
    a file that is not WARC."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    responses: dict[str, dict] = {}
    meta: dict[str, dict] = {}
    records = 0
    try:
        for rec in ArchiveIterator(fileobj):
            records += 1
            if not str(rec.format).startswith("warc"):
                raise ValueError(f"not a WARC file: record {records} is {rec.format}, not WARC")
            rid = rec.rec_headers.get_header("WARC-Record-ID")
            if rec.rec_type == "response" and rec.http_headers is not None:
                h = rec.http_headers
                try:
                    status = int(h.get_statuscode())
                except (TypeError, ValueError):
                    status = None
                responses[rid] = {
                    "url": rec.rec_headers.get_header("WARC-Target-URI"),
                    "fetched_at": _iso(rec.rec_headers.get_header("WARC-Date")),
                    "status": status, "content_type": h.get_header("Content-Type"),
                    "etag": h.get_header("ETag"), "last_modified": h.get_header("Last-Modified"),
                    "body": rec.content_stream().read(),
                }
            elif rec.rec_type == "metadata":
                to = rec.rec_headers.get_header("WARC-Concurrent-To")
                if to:
                    meta[to] = _fields(rec.content_stream().read())
    except ArchiveLoadFailed as exc:
        raise ValueError(f"not a WARC file: {exc}") from None
    if not records:
        raise ValueError("not a WARC file: no WARC record in it")
    articles: dict[str, dict] = {}
    for rid, resp in responses.items():
        m = meta.get(rid, {})
        if m.get("article-id") and m.get("article-url"):
            key, page = f"archive:{m['article-id']}", int(m.get("page") or 1)
        elif resp["status"] == 200:
            key, page = f"url:{resp['url']}", 1
        else:
            continue
        art = articles.setdefault(key, {"key": key, "site": m.get("site"), "url": m.get("article-url") or resp["url"],
                                        "pages": {}})
        art["pages"][page] = dict(resp, page=page)  # a later capture of the page replaces an earlier one
    out = []
    for art in articles.values():
        pages = [art["pages"][n] for n in sorted(art["pages"])]
        if pages[0]["page"] == 1:  # an article whose first page is missing cannot be rebuilt
            out.append(dict(art, pages=pages))
    return out
