"""How stored bytes are compressed: raw pages (``raw_pages.body``) and attachment files.

Every blob says how to read it, from its first bytes, so a read by id needs no other column
and rows written by an older version stay readable without being rewritten:

* ``0x78 …`` — zlib (everything stored before schema version 13);
* ``28 B5 2F FD …`` — one zstandard frame, no dictionary (bytes without a site: attachments,
  or a site that has no dictionary yet);
* ``0xD1``, the dictionary's id (unsigned LEB128), then a zstandard frame compressed with
  that dictionary: the row ``zstd_dicts.id``.

Dictionaries are trained per site from that site's own stored pages (pages of one site share
their template: header, navigation, footer, scripts), kept in the archive (``zstd_dicts``:
``id, site, version, created, bytes, sha1, pages``) and never changed or deleted once
written, so a page compressed with version 1 still reads after version 2 is trained.
When: a site gets its first dictionary once it has ``TRAIN_AT`` stored pages, and a new
version each time its page count has grown ``RETRAIN_GROWTH`` times since the last training
(50, 500, 5,000 pages…: a template drifts, and more samples train a better dictionary);
:func:`train` makes one when asked. Training reads the site's newest ``SAMPLE_PAGES`` pages.

A read costs one lookup by primary key (``zstd_dicts.sha1``); the decompressor built from a
dictionary is cached by that hash, in this process, for any archive file.
"""
from __future__ import annotations

import hashlib
import zlib
from collections import OrderedDict
from weakref import WeakKeyDictionary
from datetime import datetime, timezone

import zstandard

LEVEL = 9                 # zstd level for new rows (about zlib 6's speed; smaller output)
DICT_BYTES = 112_640      # size of a trained dictionary (zstd's default, 110 KiB)
TRAIN_AT = 50             # a site's first dictionary, at this many stored pages
RETRAIN_GROWTH = 10       # a new version once the site has this many times the pages of the last training
SAMPLE_PAGES = 500        # newest pages of the site read to train

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
DICT_MARK = 0xD1
_CACHE_SIZE = 64


class CodecError(ValueError):
    """A blob this program cannot read (unknown format, or a dictionary that is not in the archive)."""


def _conn(db):
    return getattr(db, "conn", db)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _read_varint(blob: bytes, pos: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        if pos >= len(blob) or shift > 56:
            raise CodecError("truncated dictionary id in a compressed blob")
        byte = blob[pos]
        n |= (byte & 0x7F) << shift
        pos += 1
        shift += 7
        if not byte & 0x80:
            return n, pos


# ------------------------------------------------------------------ caches (by dictionary hash)

_compressors: OrderedDict[tuple[str, int], zstandard.ZstdCompressor] = OrderedDict()
_decompressors: OrderedDict[str, zstandard.ZstdDecompressor] = OrderedDict()
_plain_c = zstandard.ZstdCompressor(level=LEVEL)
_plain_d = zstandard.ZstdDecompressor()
_site_state: dict[tuple[int, str], list[int]] = {}  # (connection, site): [pages, threshold]


def _lru_get(cache: OrderedDict, key, make):
    obj = cache.get(key)
    if obj is None:
        obj = cache[key] = make()
        while len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)
    else:
        cache.move_to_end(key)
    return obj


def _dict_bytes(conn, dict_id: int) -> bytes:
    row = conn.execute("SELECT bytes FROM zstd_dicts WHERE id = ?", [dict_id]).fetchone()
    if row is None:
        raise CodecError(f"compressed with dictionary {dict_id}, which this archive does not hold")
    return row[0]


# ------------------------------------------------------------------ compress / decompress

def latest_dict(db, site: str) -> tuple[int, str] | None:
    """``(id, sha1)`` of the newest dictionary of *site*, or None."""
    row = _conn(db).execute(
        "SELECT id, sha1 FROM zstd_dicts WHERE site = ? ORDER BY version DESC LIMIT 1", [site]).fetchone()
    return (row[0], row[1]) if row else None


# The newest dictionary of each site, as a writer's archive object (a sqlite-utils Database, not a bare
# connection) last read it: compressing a page then needs no look-up. Forgotten for a site when this
# process trains it a new version, when ``stored`` reads the site's count again (a version another
# process trained is taken up then), and for every site when a transaction rolls back (a dictionary
# trained in it is gone). Bare connections (``compact``) always read it.
_newest: WeakKeyDictionary = WeakKeyDictionary()  # Database → {site: (id, sha1) | None}


def _newest_dict(db, site: str) -> tuple[int, str] | None:
    try:
        known = _newest.get(db)
        if known is None:
            known = _newest[db] = {}
    except TypeError:  # a bare connection: not cached
        return latest_dict(db, site)
    if site not in known:
        known[site] = latest_dict(db, site)
    return known[site]


def forget_newest(conn, site: str | None = None) -> None:
    """Drop what :func:`_newest_dict` remembers for the archive on connection *conn*: of *site*, or all."""
    for db, known in list(_newest.items()):
        if _conn(db) is conn:
            if site is None:
                known.clear()
            else:
                known.pop(site, None)


def compress(body: bytes, db=None, site: str | None = None, level: int | None = None) -> bytes:
    """*body* compressed for storage: with the newest dictionary of *site* when the archive *db*
    has one, else plain zstandard (bytes without a site, e.g. attachments). *level*: zstd's
    (default ``LEVEL``; ``archive compact --level 19`` trades CPU for a smaller archive)."""
    level = level or LEVEL
    if db is not None and site:
        found = _newest_dict(db, site)
        if found is not None:
            dict_id, sha1 = found
            conn = _conn(db)

            def make():
                data = zstandard.ZstdCompressionDict(_dict_bytes(conn, dict_id))
                return zstandard.ZstdCompressor(level=level, dict_data=data, write_dict_id=False)

            comp = _lru_get(_compressors, (sha1, level), make)
            return bytes([DICT_MARK]) + _varint(dict_id) + comp.compress(body)
    if level == LEVEL:
        return _plain_c.compress(body)
    return zstandard.ZstdCompressor(level=level).compress(body)


def decompress(blob: bytes, db=None) -> bytes:
    """The bytes *blob* holds, whatever the format it was stored in (see the module docstring).
    A blob compressed with a dictionary needs the archive it came from (*db*)."""
    blob = bytes(blob)
    if not blob:
        raise CodecError("empty compressed blob")
    first = blob[0]
    if first == 0x78:
        return zlib.decompress(blob)
    if blob[:4] == ZSTD_MAGIC:
        return _plain_d.decompress(blob)
    if first == DICT_MARK:
        dict_id, pos = _read_varint(blob, 1)
        if db is None:
            raise CodecError(f"compressed with dictionary {dict_id}: reading it needs its archive")
        conn = _conn(db)
        row = conn.execute("SELECT sha1 FROM zstd_dicts WHERE id = ?", [dict_id]).fetchone()
        if row is None:
            raise CodecError(f"compressed with dictionary {dict_id}, which this archive does not hold")

        def make():
            return zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(_dict_bytes(conn, dict_id)))

        return _lru_get(_decompressors, row[0], make).decompress(blob[pos:])
    raise CodecError(f"unknown compressed format (first byte 0x{first:02x})")


def codec(blob: bytes) -> str:
    """``zlib``, ``zstd`` or ``zstd+dict:<id>``: how *blob* was stored (for statistics and tests)."""
    blob = bytes(blob[:12])
    if blob[:1] == b"\x78":
        return "zlib"
    if blob[:4] == ZSTD_MAGIC:
        return "zstd"
    if blob[:1] == bytes([DICT_MARK]):
        return f"zstd+dict:{_read_varint(blob, 1)[0]}"
    return "unknown"


# ------------------------------------------------------------------ dictionaries

def site_page_count(db, site: str) -> int:
    return _conn(db).execute(
        "SELECT count(*) FROM raw_pages r JOIN articles a ON a.id = r.article_id WHERE a.site = ?",
        [site]).fetchone()[0]


def make_dictionary(samples: list[bytes], size: int = DICT_BYTES) -> bytes:
    """A zstd dictionary of at most *size* bytes trained on *samples* (pages of one site); when
    training fails (too few or too small samples) the newest pages themselves, cut to *size*,
    serve as a raw-content dictionary."""
    samples = [s for s in samples if s]
    total = sum(len(s) for s in samples)
    size = max(4096, min(size, total // 4 or 4096))
    try:
        d = zstandard.train_dictionary(size, samples, k=1024, d=8, f=20, steps=4, level=LEVEL)
        return d.as_bytes()
    except zstandard.ZstdError:
        return b"".join(samples)[-size:]


def train(db, site: str, *, sample_pages: int = SAMPLE_PAGES) -> int | None:
    """Train and store a new dictionary version for *site* from its newest stored pages;
    returns its id, or None when the site has no stored page. The caller holds the transaction
    (or none: then SQLite's own statement atomicity applies)."""
    conn = _conn(db)
    rows = conn.execute(
        """SELECT r.body FROM raw_pages r JOIN articles a ON a.id = r.article_id
           WHERE a.site = ? ORDER BY r.id DESC LIMIT ?""", [site, sample_pages]).fetchall()
    if not rows:
        return None
    samples = [decompress(r[0], conn) for r in rows]
    data = make_dictionary(samples)
    version = conn.execute("SELECT coalesce(max(version), 0) + 1 FROM zstd_dicts WHERE site = ?",
                           [site]).fetchone()[0]
    cur = conn.execute(
        "INSERT INTO zstd_dicts (site, version, created, bytes, sha1, pages) VALUES (?, ?, ?, ?, ?, ?)",
        [site, version, datetime.now(timezone.utc).replace(microsecond=0).isoformat(), data,
         hashlib.sha1(data).hexdigest(), site_page_count(conn, site)])
    forget_newest(conn, site)
    return cur.lastrowid


def _threshold(conn, site: str) -> int:
    """The page count at which *site* is due its next dictionary (``TRAIN_AT``, ``RETRAIN_GROWTH``)."""
    row = conn.execute("SELECT pages FROM zstd_dicts WHERE site = ? ORDER BY version DESC LIMIT 1",
                       [site]).fetchone()
    return TRAIN_AT if row is None else max(TRAIN_AT, row[0]) * RETRAIN_GROWTH


def due(db, site: str) -> bool:
    """Should *site* get a (new) dictionary now? (``TRAIN_AT``, ``RETRAIN_GROWTH``.)"""
    conn = _conn(db)
    return site_page_count(conn, site) >= _threshold(conn, site)


def stored(db, site: str, pages: int = 1) -> int | None:
    """A writer stored *pages* raw pages of *site*: train a dictionary when one is due. The pages are
    counted once per site and connection, then followed in memory (the count and the threshold are
    read again only when the running total reaches the threshold), so the cost per page stays
    constant however big the site. Returns the new dictionary's id, if one was trained."""
    if not site:
        return None
    conn = _conn(db)
    key = (id(conn), site)
    state = _site_state.get(key)
    if state is not None:
        state[0] += pages
        if state[0] < state[1]:
            return None
    forget_newest(conn, site)  # a version another writer trained since is taken up from here
    count, threshold = site_page_count(conn, site), _threshold(conn, site)
    new = None
    if count >= threshold:
        new = train(conn, site)
        threshold = _threshold(conn, site)
    _site_state[key] = [count, threshold]
    return new


def compact(db, *, site: str | None = None, retrain: bool = False, batch: int = 200, progress=None,
            level: int | None = None) -> dict:
    """Rewrite stored raw pages with their site's newest dictionary (zlib rows of older versions,
    pages stored before the site had a dictionary, pages of an older dictionary version). A site
    that is due a dictionary (``due``), or every site with *retrain*, gets a new version first.
    With a *level* other than ``LEVEL`` every page of the site is rewritten at that level.
    Each batch of *batch* rows is one transaction: a killed run leaves every row readable.
    Returns ``{"sites", "trained", "rewritten", "bytes_before", "bytes_after"}`` (of the rewritten rows).
    The file itself shrinks once SQLite reuses or drops the freed pages (``VACUUM``)."""
    conn = _conn(db)
    sites = [site] if site else [r[0] for r in conn.execute("SELECT DISTINCT site FROM articles ORDER BY site")]
    out = {"sites": len(sites), "trained": 0, "rewritten": 0, "bytes_before": 0, "bytes_after": 0}
    for s in sites:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if retrain or due(conn, s):
                if train(conn, s) is not None:
                    out["trained"] += 1
            conn.execute("COMMIT")
        except BaseException:
            forget_newest(conn)  # a dictionary trained in the rolled-back transaction is gone
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        newest = latest_dict(conn, s)
        mark = (bytes([DICT_MARK]) + _varint(newest[0])) if newest else ZSTD_MAGIC
        if level and level != LEVEL:
            mark = b""  # rewrite every page: the format does not say the level it was written at
        last = 0
        while True:
            rows = conn.execute(
                """SELECT r.id, r.body FROM raw_pages r JOIN articles a ON a.id = r.article_id
                   WHERE a.site = ? AND r.id > ? AND (? = 0 OR substr(r.body, 1, ?) != ?) ORDER BY r.id LIMIT ?""",
                [s, last, len(mark), len(mark), mark, batch]).fetchall()
            if not rows:
                break
            conn.execute("BEGIN IMMEDIATE")
            try:
                for rid, body in rows:
                    new = compress(decompress(body, conn), conn, s, level)
                    conn.execute("UPDATE raw_pages SET body = ? WHERE id = ?", [new, rid])
                    out["rewritten"] += 1
                    out["bytes_before"] += len(body)
                    out["bytes_after"] += len(new)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            last = rows[-1][0]
            if progress:
                progress(s, out)
    return out
