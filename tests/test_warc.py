"""WARC export (archive/warc.py, `archive export-warc`) of a real replica crawl, read back with warcio's
ArchiveIterator and checked record by record against the archive, digests recomputed here."""
from __future__ import annotations

import base64
import hashlib
import sqlite3

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.db import decompress
from archive.warc import warc_date
from conftest import load_expected, run_archive

EXPECTED = load_expected()


def sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def read(path):
    with open(path, "rb") as fh:
        out = []
        for rec in ArchiveIterator(fh, check_digests=True):
            out.append((rec.rec_type, dict(rec.rec_headers.headers),
                        rec.http_headers.get_statuscode() if rec.http_headers else None,
                        dict(rec.http_headers.headers) if rec.http_headers else None,
                        rec.content_stream().read()))
        return out


@pytest.fixture()
def db(crawled):
    path, code, _, err = crawled
    assert code == 0, err[-2000:]
    return path


def test_every_raw_page_is_a_response_record_with_its_metadata(db, tmp_path):
    out = tmp_path / "replica.warc.gz"
    proc = run_archive("export-warc", out, "--db", db)
    assert proc.returncode == 0, proc.stderr[-2000:]
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    raw = conn.execute("SELECT r.id, r.url, r.fetched_at, r.status, r.content_type, r.body, r.article_id, "
                       "a.site, r.page FROM raw_pages r JOIN articles a ON a.id = r.article_id ORDER BY r.id").fetchall()
    assert len(raw) >= len(EXPECTED)
    records = read(out)
    assert records[0][0] == "warcinfo"
    assert [r[0] for r in records[1:]] == ["response", "metadata"] * len(raw)
    ids = set()
    for (rid, url, fetched_at, status, ctype, body, article_id, site, page), resp, meta in zip(
            raw, records[1::2], records[2::2]):
        payload = decompress(body, conn)
        _, h, code, http, content = resp
        assert h["WARC-Target-URI"] == url and h["WARC-Date"] == warc_date(fetched_at)
        assert h["WARC-Date"].endswith("Z") and len(h["WARC-Date"]) == 20
        assert h["WARC-Record-ID"].startswith("<urn:uuid:") and h["WARC-Record-ID"] not in ids
        ids.add(h["WARC-Record-ID"])
        assert h["Content-Type"] == "application/http; msgtype=response"
        assert content == payload and h["WARC-Payload-Digest"] == sha1_b32(payload)
        assert code == str(status) and http["Content-Type"] == ctype
        assert http["Content-Length"] == str(len(payload))
        _, mh, _, _, fields = meta
        assert mh["WARC-Concurrent-To"] == h["WARC-Record-ID"] and mh["WARC-Target-URI"] == url
        assert mh["Content-Type"] == "application/warc-fields"
        assert int(mh["Content-Length"]) == len(fields)
        assert f"article-id: {article_id}\r\n".encode() in fields and f"site: {site}\r\n".encode() in fields
        assert f"page: {page}\r\n".encode() in fields
    # the file is a sequence of gzip members, one per record (what WARC tools expect)
    data = out.read_bytes()
    assert data[:2] == b"\x1f\x8b" and data.count(b"WARC/1.1") == 0


def test_site_and_since_filters_and_refusals(db, tmp_path):
    out = tmp_path / "zgm.warc"
    proc = run_archive("export-warc", out, "--db", db, "--site", "zgm")
    assert proc.returncode == 0, proc.stderr[-2000:]
    responses = [r for r in read(out) if r[0] == "response"]
    assert responses and len(responses) >= sum(1 for e in EXPECTED if e["site"] == "zgm")
    assert all("zgm.cn" in r[1]["WARC-Target-URI"] for r in responses)
    assert out.read_bytes().startswith(b"WARC/1.1\r\n")  # not gzipped: the name does not end in .gz
    future = tmp_path / "none.warc.gz"
    assert run_archive("export-warc", future, "--db", db, "--since", "2999-01-01").returncode == 0
    assert [r[0] for r in read(future)] == ["warcinfo"]
    # an existing file is never overwritten; a bad date is a usage error
    proc = run_archive("export-warc", out, "--db", db)
    assert proc.returncode == 2 and "exists" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_archive("export-warc", tmp_path / "x.warc.gz", "--db", db, "--since", "last week")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.warc.gz").exists()


def test_export_then_import_warc_round_trips_the_article_texts(db, tmp_path):
    out = tmp_path / "all.warc.gz"
    assert run_archive("export-warc", out, "--db", db).returncode == 0
    target = tmp_path / "imported.db"
    proc = run_archive("import-warc", out, "--db", target, "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    import json

    result = json.loads(proc.stdout)
    fields = "url, site, title, published_at, source, author, editor, keywords, text, text_hash, pages"
    src = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    want = {r[0]: r for r in src.execute(f"SELECT {fields} FROM articles")}
    src.close()
    assert result["articles"] == result["imported"] == len(want) == len(EXPECTED)
    conn = sqlite3.connect(target)
    got = {r[0]: r for r in conn.execute(f"SELECT {fields} FROM articles")}
    assert got == want
    # the raw pages came along: the imported archive exports the same payloads again
    assert conn.execute("SELECT count(*) FROM raw_pages").fetchone()[0] >= len(want)
    conn.close()
    again = json.loads(run_archive("import-warc", out, "--db", target, "--json").stdout)
    assert again["imported"] == 0 and again["already"] == len(want)
    bad = tmp_path / "bad.warc"
    bad.write_bytes(b"not a warc file at all\r\n")
    proc = run_archive("import-warc", bad, "--db", tmp_path / "x.db")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "not a WARC file" in proc.stderr and not (tmp_path / "x.db").exists()


def test_export_format_warc_writes_the_same_records_as_export_warc(db, tmp_path):
    one, two = tmp_path / "a.warc", tmp_path / "b.warc"
    assert run_archive("export-warc", one, "--db", db, "--site", "bjx").returncode == 0
    proc = run_archive("export", "--format", "warc", "-o", two, "--db", db, "--site", "bjx")
    assert proc.returncode == 0, proc.stderr[-2000:]
    uris = lambda path: [r[1].get("WARC-Target-URI") for r in read(path) if r[0] == "response"]  # noqa: E731
    assert uris(two) == uris(one) and uris(one)
    proc = run_archive("export", "--format", "warc", "--db", db)  # a WARC file, not stdout
    assert proc.returncode == 2 and "--output" in proc.stderr and "Traceback" not in proc.stderr
