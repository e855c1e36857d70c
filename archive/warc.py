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
        payload = decompress(body)
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
