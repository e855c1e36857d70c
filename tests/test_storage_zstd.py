"""Raw pages stored with zstandard and per-site dictionaries (archive/rawstore.py): every blob names
its format, old zlib rows stay readable after the upgrade, a site gets a dictionary once it has
enough pages, and a page compressed with an older dictionary version still reads after a new one."""
from __future__ import annotations

import hashlib
import random
import sqlite3
import zlib

import pytest
from scrapy.utils.test import get_crawler

from archive import rawstore, schema
from archive.db import compress, decompress, open_db, text_hash
from archive.reextract import last_fetch
from conftest import archive_at_version, run_archive
from crawler.items import ArticleItem, Page
from pipelines.store import StorePipeline

WHEN = "2024-01-01T00:00:00+00:00"
CJK = [chr(c) for c in range(0x4E00, 0x4E00 + 2500)]


def page(site: str, n: int, seed: int) -> tuple[str, bytes]:
    """An article page of *site*: the site's template (navigation, scripts, footer) around a text of its own."""
    rng = random.Random(seed)
    text = "".join(rng.choice(CJK) for _ in range(rng.randint(600, 1500)))
    nav = "".join(f'<li><a href="/{site}/channel/{k}.html">频道{k}栏目{site}</a></li>' for k in range(40))
    script = f"<script>var site='{site}';function share(u){{return '//share.{site}.cn/?u='+encodeURIComponent(u);}}</script>"
    footer = f"<div class='footer'>主办单位：{site}信息中心 版权所有 ICP备{abs(hash(site)) % 10 ** 8}号 联系我们 网站地图</div>"
    html = (f"<html><head><meta charset='utf-8'><title>文章{n}</title>{script}</head><body>"
            f"<ul class='nav'>{nav}</ul><div class='article'><h1>文章{n}</h1><p>{text}</p></div>{footer}</body></html>")
    return text, html.encode("utf-8")


def store(pipe, site: str, start: int, count: int) -> None:
    for n in range(start, start + count):
        text, body = page(site, n, seed=hash((site, n)) % 10 ** 6)
        url = f"https://{site}.example.cn/{n}.html"
        pipe.process_item(ArticleItem(site=site, url=url, title=f"文章{n}", text=text, text_hash=text_hash(text),
                                      pages=[Page(url=url, status=200, body=body, fetched_at=WHEN)]))


def read_back(path) -> dict[int, str]:
    """Every raw page read through a fresh connection and cold caches: id -> codec; sizes and hashes checked."""
    rawstore._decompressors.clear()
    conn = sqlite3.connect(path)
    out = {}
    for rid, body, size, sha1 in conn.execute("SELECT id, body, size, body_sha1 FROM raw_pages"):
        data = decompress(body, conn)
        assert len(data) == size and hashlib.sha1(data).hexdigest() == sha1
        out[rid] = rawstore.codec(body)
    conn.close()
    return out


def test_round_trip_and_formats():
    for body in [b"", b"x", "<html>储能产业</html>".encode("utf-8") * 500, bytes(range(256)) * 40]:
        blob = compress(body)
        assert rawstore.codec(blob) == "zstd" and decompress(blob) == body
        assert decompress(zlib.compress(body, 6)) == body  # rows written before zstd
    blob = bytes([rawstore.DICT_MARK]) + rawstore._varint(300) + b"\x28\xb5\x2f\xfd"
    assert rawstore.codec(blob) == "zstd+dict:300"
    with pytest.raises(rawstore.CodecError, match="needs its archive"):
        decompress(blob)
    with pytest.raises(rawstore.CodecError, match="unknown compressed format"):
        decompress(b"\x01\x02\x03")
    for n in (0, 1, 127, 128, 300, 2 ** 31):
        assert rawstore._read_varint(rawstore._varint(n) + b"rest", 0) == (n, len(rawstore._varint(n)))


@pytest.fixture(scope="module")
def archive_with_dicts(tmp_path_factory):
    """One store run: site big gets 60 pages (a dictionary at 50), site small 10 (none); then a
    second dictionary version for big is trained on demand and 5 more pages are stored with it."""
    path = tmp_path_factory.mktemp("zstd") / "a.db"
    pipe = StorePipeline.from_crawler(get_crawler(settings_dict={"ARCHIVE_DB": str(path)}))
    pipe.open_spider()
    statements = []
    pipe.db.conn.set_trace_callback(statements.append)
    store(pipe, "big", 0, 60)
    store(pipe, "small", 0, 10)
    pipe.db.conn.set_trace_callback(None)
    first = read_back(path)
    v2 = rawstore.train(pipe.db, "big")
    store(pipe, "big", 60, 5)
    pipe.close_spider()
    pipe.archive.close()
    # the site's pages are counted when first seen and when the running total reaches the threshold,
    # not per page (big: first page, 50th page and its training; small: first page)
    counts = [s for s in statements if s.lstrip().startswith("SELECT count(*) FROM raw_pages")]
    assert len(counts) == 4
    return path, first, v2


def test_site_dictionary_trained_once_enough_pages(archive_with_dicts):
    path, first, v2 = archive_with_dicts
    conn = sqlite3.connect(path)
    dicts = conn.execute("SELECT id, site, version, pages, length(bytes) FROM zstd_dicts ORDER BY id").fetchall()
    assert [(d[1], d[2]) for d in dicts] == [("big", 1), ("big", 2)] and dicts[1][0] == v2
    assert dicts[0][3] == rawstore.TRAIN_AT  # trained on the page that made 50
    by_site = {}
    for rid, site, body in conn.execute(
            "SELECT r.id, a.site, r.body FROM raw_pages r JOIN articles a ON a.id = r.article_id ORDER BY r.id"):
        by_site.setdefault(site, []).append((rid, rawstore.codec(body), len(body)))
    big = by_site["big"]
    # stored before the dictionary existed: plain zstd; after: the dictionary of version 1
    assert [c for _, c, _ in big[:dicts[0][3]]] == ["zstd"] * dicts[0][3]
    assert {c for _, c, _ in big[dicts[0][3]:60]} == {f"zstd+dict:{dicts[0][0]}"}
    assert {c for _, c, _ in by_site["small"]} == {"zstd"}  # too few pages for a dictionary
    # the template is in the dictionary: the same pages take much less than without it
    with_dict = [(rid, n) for rid, c, n in big[dicts[0][3]:60]]
    plain = sum(len(compress(decompress(conn.execute("SELECT body FROM raw_pages WHERE id = ?", [rid]).fetchone()[0],
                                        conn))) for rid, _ in with_dict)
    assert sum(n for _, n in with_dict) < 0.75 * plain
    conn.close()


def test_old_dictionary_version_still_reads_after_a_new_one(archive_with_dicts):
    path, first, v2 = archive_with_dicts
    now = read_back(path)
    assert {rid: now[rid] for rid in first} == first  # nothing rewritten, all still readable
    newest = [c for rid, c in sorted(now.items())][-5:]
    assert newest == [f"zstd+dict:{v2}"] * 5
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM raw_pages").fetchone()[0] == len(now) == 75
    # a dictionary missing from the archive is a clear error, not garbage
    body = conn.execute("SELECT body FROM raw_pages ORDER BY id DESC LIMIT 1").fetchone()[0]
    conn.execute("DELETE FROM zstd_dicts WHERE id = ?", [v2])
    rawstore._decompressors.clear()
    with pytest.raises(rawstore.CodecError, match="does not hold"):
        decompress(body, conn)
    conn.close()


PREVIOUS = 12  # the last schema whose raw pages were all zlib


def test_zlib_rows_of_an_older_archive_read_after_the_upgrade(tmp_path):
    """A file at schema 12 with zlib rows (as older releases wrote them) migrates, its pages read back
    (re-extraction's reader), a dictionary trains from them, and new rows are zstd beside the old."""
    path = tmp_path / "old.db"
    old = archive_at_version(path, PREVIOUS)
    bodies = {}
    for n in range(rawstore.TRAIN_AT):
        text, body = page("old", n, seed=n)
        aid = old["articles"].insert({"url": f"https://old.example.cn/{n}.html", "site": "old", "title": "t",
                                      "text": text, "text_hash": text_hash(text), "first_seen": WHEN,
                                      "last_seen": WHEN}).last_rowid
        old["raw_pages"].insert({"article_id": aid, "url": f"https://old.example.cn/{n}.html", "page": 1,
                                 "fetched_at": WHEN, "status": 200, "size": len(body),
                                 "body_sha1": hashlib.sha1(body).hexdigest(), "body": zlib.compress(body, 6)})
        bodies[aid] = body
    old.conn.close()

    db = open_db(path)  # migrates
    assert db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert all(last_fetch(db, aid)[0][0] == body for aid, body in bodies.items())
    dict_id = rawstore.train(db, "old")
    blob = compress(bodies[1], db, "old")
    assert rawstore.codec(blob) == f"zstd+dict:{dict_id}" and decompress(blob, db) == bodies[1]
    db.conn.close()
    assert set(read_back(path).values()) == {"zlib"}

    # archive compact rewrites the old rows with the site's newest dictionary; they read the same
    before = sum(n for (n,) in sqlite3.connect(path).execute("SELECT length(body) FROM raw_pages"))
    proc = run_archive("compact", "--db", path)
    assert proc.returncode == 0, proc.stderr
    assert f"{rawstore.TRAIN_AT} page(s) rewritten" in proc.stdout
    assert set(read_back(path).values()) == {f"zstd+dict:{dict_id}"}
    after = sum(n for (n,) in sqlite3.connect(path).execute("SELECT length(body) FROM raw_pages"))
    assert after < 0.6 * before
    proc = run_archive("compact", "--db", path, "--retrain")  # a new version; every row moves to it
    assert proc.returncode == 0 and "1 dictionary trained" in proc.stdout
    assert set(read_back(path).values()) == {f"zstd+dict:{dict_id + 1}"}
    retrained = sum(n for (n,) in sqlite3.connect(path).execute("SELECT length(body) FROM raw_pages"))
    proc = run_archive("compact", "--db", path, "--level", "19")  # every page again, at level 19
    assert proc.returncode == 0 and f"{rawstore.TRAIN_AT} page(s) rewritten" in proc.stdout, proc.stderr
    assert set(read_back(path).values()) == {f"zstd+dict:{dict_id + 1}"}
    assert sum(n for (n,) in sqlite3.connect(path).execute("SELECT length(body) FROM raw_pages")) < retrained
