"""Storage under load: linear full-text indexing, the stored-text cap, concurrent openers.

Work is counted, never timed: SQLite virtual-machine steps (a progress
handler) and the characters ``substr`` has to walk (SQLite's ``substr`` on
TEXT counts characters from the start of the string, on a BLOB it jumps to the
byte offset: the test replaces ``substr`` on its connection by a function with
the same results that adds up that walk).
"""
from __future__ import annotations

import multiprocessing
import random
import sqlite3

import pytest

from archive.db import MAX_TEXT_CHARS, cap_text, open_db, text_hash
from archive.schema import SCHEMA_VERSION, schema_version
from archive.search import BYTE_CHUNK, search, shadow, shadow_sql

WHEN = "2024-01-01T00:00:00+00:00"


def chinese_text(n: int, seed: int = 0) -> str:
    """n characters: runs of CJK, Latin words and numbers, line breaks, a few 2- and 4-byte characters."""
    rng = random.Random(seed)
    cjk = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    parts, size = [], 0
    while size < n:
        r = rng.random()
        if r < 0.75:
            part = "".join(rng.choice(cjk) for _ in range(rng.randint(3, 60)))
        elif r < 0.9:
            part = f" {rng.randint(1, 9999)}kW Energy "
        elif r < 0.95:
            part = rng.choice(["é", "𠀀𠀁", "ñ𠀂中", "\n"])
        else:
            part = "。\n"
        parts.append(part)
        size += len(part)
    return "".join(parts)[:n]


def _insert(db, text, n=1, title="标题"):
    return db.execute(
        """INSERT INTO articles (url, site, title, text, text_hash, first_seen, last_seen)
           VALUES (?, 'test', ?, ?, ?, ?, ?)""",
        [f"https://example.cn/{n}", title, text, text_hash(text), WHEN, WHEN],
    ).lastrowid


# ------------------------------------------------------------- the shadow form

def test_sql_shadow_form_equals_python_across_chunk_boundaries():
    """Multi-byte characters (2, 3 and 4 bytes) on every side of a chunk boundary."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE archive_seq (n INTEGER PRIMARY KEY)")
    conn.execute("INSERT INTO archive_seq WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
                 "WHERE n < 65536) SELECT n FROM s")
    texts = ["", "a", "中", "𠀀", "é中", "储能产业"]
    for pad in range(BYTE_CHUNK - 5, BYTE_CHUNK + 5):
        for tail in ("中国能源", "𠀀𠀁𠀂", "éé中", "ab 中", "\n中\n"):
            texts.append("x" * pad + tail + "储能" * 3)
    texts += [chinese_text(n, seed=n) for n in (150, 700, 3000, 20000)]
    for t in texts:
        got = conn.execute(f"SELECT {shadow_sql(':t')}", {"t": t}).fetchone()[0]
        assert got == shadow(t), (len(t), t[:40])


# ------------------------------------------------------------ linear indexing

class SubstrWalk:
    """``substr`` with SQLite's results that adds up the characters SQLite walks to answer it."""

    def __init__(self):
        self.walked = 0

    def __call__(self, value, start, length=None):
        if value is None or start is None:
            return None
        if isinstance(value, bytes):  # a BLOB: straight to the byte offset
            self.walked += length if length is not None else max(0, len(value) - start + 1)
        else:  # TEXT: counted from the first character
            self.walked += start + (length if length is not None else max(0, len(value) - start + 1))
        begin = max(start - 1, 0)
        return value[begin:] if length is None else value[begin:max(start - 1 + length, 0)]


def _index_walk(tmp_path, n: int) -> int:
    db = open_db(tmp_path / f"walk{n}.db")
    walk = SubstrWalk()
    db.conn.create_function("substr", 3, walk)
    db.conn.create_function("substr", 2, walk)
    _insert(db, chinese_text(n))
    db.conn.close()
    return walk.walked


def test_indexing_walks_the_text_linearly(tmp_path):
    """Ten times the text, ten times the walk (the first triggers walked a hundred times more)."""
    small, large = _index_walk(tmp_path, 10_000), _index_walk(tmp_path, 100_000)
    assert large > 0
    assert large / small < 13, (small, large)


def _index_steps(tmp_path, n: int, text: str) -> tuple[int, object]:
    db = open_db(tmp_path / f"steps{n}.db")
    steps = [0]

    def progress():
        steps[0] += 1
        return 0

    db.conn.set_progress_handler(progress, 1000)
    _insert(db, text)
    db.conn.set_progress_handler(None, 0)
    return steps[0], db


def test_million_character_article_indexes_in_bounded_work(tmp_path):
    """A 1 M-character article costs about ten times a 100 k one, and is indexed to its last word."""
    small, _ = _index_steps(tmp_path, 100_000, chinese_text(100_000))
    text = chinese_text(1_000_000) + "\n末尾的氢能示范项目 Zeppelin"
    large, db = _index_steps(tmp_path, 1_000_000, text)
    assert 8 < large / small < 12, (small, large)
    assert [r["id"] for r in search(db, "氢能示范")] == [1]
    assert [r["id"] for r in search(db, "Zeppelin")] == [1]
    db.conn.close()


# ------------------------------------------------------------------ text cap

def test_cap_text():
    assert cap_text("短文", 10) == ("短文", None)
    assert cap_text("x" * 10, 10) == ("x" * 10, None)
    text = ("一段话。" * 30 + "\n") * 100  # 12 100 characters, a line break every 121
    kept, full = cap_text(text, 1000)
    assert full == len(text)
    assert len(kept) <= 1000 and len(kept) > 900 and text.startswith(kept)
    assert kept.endswith("。")  # cut at a line break, not inside a sentence
    assert cap_text("x" * 5000, 1000) == ("x" * 1000, 5000)  # no line break: cut at the limit
    assert cap_text("x" * 5000, 0) == ("x" * 5000, None)  # 0: no cap
    assert MAX_TEXT_CHARS == 200_000


def test_store_pipeline_caps_text_and_keeps_the_page(tmp_path):
    """Over the cap: the text is cut, the cut recorded, the page kept whole; the setting is read."""
    from scrapy.utils.test import get_crawler

    from archive.db import decompress
    from crawler.items import ArticleItem, Page
    from pipelines.store import StorePipeline

    path = tmp_path / "cap.db"
    crawler = get_crawler(settings_dict={"ARCHIVE_DB": str(path), "ARCHIVE_MAX_TEXT_CHARS": 5000})
    pipe = StorePipeline.from_crawler(crawler)
    assert pipe.max_text_chars == 5000
    pipe.open_spider()
    texts = {"long": chinese_text(12_000, seed=3), "short": chinese_text(3000, seed=4)}
    for n, (name, text) in enumerate(texts.items()):
        url = f"https://example.cn/{name}.html"
        body = ("<html><body><p>" + text + "</p></body></html>").encode("utf-8")
        item = ArticleItem(site="test", url=url, title=name, text=text, text_hash=text_hash(text),
                           pages=[Page(url=url, status=200, body=body, fetched_at=WHEN)])
        pipe.process_item(item)
    pipe.close_spider()
    db = sqlite3.connect(path)
    rows = {r[0]: r[1:] for r in db.execute(
        "SELECT a.title, length(a.text), a.text_full_length, a.text_hash, r.body "
        "FROM articles a JOIN raw_pages r ON r.article_id = a.id")}
    length, full, digest, body = rows["long"]
    assert length <= 5000 and full == 12_000
    assert digest == text_hash(texts["long"])  # the hash is of the whole text
    assert texts["long"] in decompress(body, db).decode("utf-8")  # the rest is in the raw page
    assert rows["short"][:2] == (3000, None)


# --------------------------------------------------------- concurrent opening

def _open(path, barrier, results):
    try:
        barrier.wait(timeout=60)
        db = open_db(path)
        results.put(("ok", schema_version(db)))
        db.conn.close()
    except BaseException as exc:  # reported to the test, which fails on it
        results.put(("error", f"{type(exc).__name__}: {exc}"))


@pytest.mark.parametrize("trial", range(3))
def test_concurrent_openers_of_a_new_archive(tmp_path, trial):
    """16 processes open the same new file at once: all succeed, the schema is whole."""
    ctx = multiprocessing.get_context("spawn" if trial == 2 else "fork")
    path = tmp_path / "new.db"
    n = 16
    barrier, results = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_open, args=(str(path), barrier, results)) for _ in range(n)]
    for p in procs:
        p.start()
    got = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(60)
    assert got == [("ok", SCHEMA_VERSION)] * n
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM archive_seq").fetchone()[0] == 65536
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"articles_fts_ai", "articles_fts_ad", "articles_fts_au"} <= names


def test_switching_to_wal_waits_out_a_lock_sqlite_refuses_at_once(tmp_path, monkeypatch):
    """Two new openers can both hold a read lock and want to change the journal mode; SQLite refuses
    one at once ("database is locked", no busy wait). open_db tries again until the other is done."""
    import sqlite3

    from archive import db as dbmod

    path = tmp_path / "new.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")  # the other opener, mid-switch
    waits = []

    def other_opener_finishes(seconds):
        waits.append(seconds)
        holder.execute("COMMIT")

    monkeypatch.setattr(dbmod.time, "sleep", other_opener_finishes)
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    dbmod._set_wal(conn)
    assert len(waits) == 1  # refused once, then switched
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    holder.close()
