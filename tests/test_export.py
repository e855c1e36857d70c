"""Exports and the incremental cursor: every article exactly once across polls."""
from __future__ import annotations

import csv
import io
import json

from archive.db import open_db, text_hash
from archive.export import BOM, FIELDS, export
from conftest import load_expected, run_archive


def _insert(db, rec):
    return db.execute(
        """INSERT INTO articles (url, site, title, published_at, source, keywords, text, text_hash,
                                 first_seen, last_seen)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 't0', 't0')""",
        [rec["url"], rec["site"], rec["title"], rec.get("published_at"), rec.get("source"),
         json.dumps(rec.get("keywords") or [], ensure_ascii=False), rec["text"], text_hash(rec["text"])],
    ).lastrowid


def poll(db, cursor, **kw):
    out = io.StringIO()
    new_cursor = export(db, out, fmt="jsonl", since=cursor, **kw)
    return [json.loads(line) for line in out.getvalue().splitlines()], new_cursor


def test_three_polls_return_every_article_exactly_once(tmp_path):
    db = open_db(tmp_path / "archive.db")
    records = load_expected()
    assert len(records) >= 12
    first, second, third = records[:8], records[8:12], records[12:]

    for rec in first:
        _insert(db, rec)
    got1, c1 = poll(db, None)
    assert [r["url"] for r in got1] == [r["url"] for r in first]
    assert all(list(r) == list(FIELDS) for r in got1)

    # nothing new: an empty poll that keeps the cursor
    again, c1b = poll(db, c1)
    assert again == [] and c1b == c1

    # inserts, an edit of an already exported article, a last_seen-only touch
    for rec in second:
        _insert(db, rec)
    edited_url = first[2]["url"]
    db.execute("UPDATE articles SET text = text || '（更正）', text_hash = 'x' WHERE url = ?", [edited_url])
    db.execute("UPDATE articles SET last_seen = 't9' WHERE url = ?", [first[3]["url"]])
    got2, c2 = poll(db, c1)
    assert [r["url"] for r in got2] == [r["url"] for r in second] + [edited_url]
    assert got2[-1]["text"].endswith("（更正）")
    assert c2 > c1

    # more inserts and a second edit of the same article: it comes once, in its latest form
    for rec in third:
        _insert(db, rec)
    db.execute("UPDATE articles SET title = title || '（二）' WHERE url = ?", [edited_url])
    db.execute("UPDATE articles SET title = title || '（三）' WHERE url = ?", [edited_url])
    got3, c3 = poll(db, c2)
    assert [r["url"] for r in got3] == [r["url"] for r in third] + [edited_url]
    assert got3[-1]["title"].endswith("（二）（三）")

    # across the three polls: every article, and only an edit brings one back
    seen = [r["url"] for r in got1 + got2 + got3]
    assert set(seen) == {r["url"] for r in records}
    assert len(seen) == len(records) + 2
    assert sorted(r["change_seq"] for r in got1 + got2 + got3) == [r["change_seq"] for r in got1 + got2 + got3]
    # the final state equals a full export
    latest = {}
    for r in got1 + got2 + got3:
        latest[r["url"]] = r
    # (except last_seen: the crawler seeing an article again unchanged does not move it)
    full, _ = poll(db, None)
    strip = lambda r: {k: v for k, v in r.items() if k != "last_seen"}  # noqa: E731
    assert {r["url"]: strip(r) for r in full} == {u: strip(r) for u, r in latest.items()}
    assert poll(db, c3) == ([], c3)


def test_site_filter_and_timestamp(tmp_path):
    db = open_db(tmp_path / "archive.db")
    for rec in load_expected():
        _insert(db, rec)
    got, cursor = poll(db, None, site="bjx")
    assert got and {r["site"] for r in got} == {"bjx"}
    assert cursor == db.execute("SELECT max(seq) FROM article_changes").fetchone()[0]
    assert len(poll(db, "2000-01-01T00:00:00")[0]) == len(load_expected())
    assert poll(db, "2999-01-01")[0] == []


def test_csv_has_the_documented_header(tmp_path):
    db = open_db(tmp_path / "archive.db")
    for rec in load_expected()[:3]:
        _insert(db, rec)
    out = io.StringIO()
    export(db, out, fmt="csv")
    assert out.getvalue().startswith(BOM + "id,url,")  # Excel reads the Chinese as UTF-8
    rows = list(csv.reader(io.StringIO(out.getvalue()[1:])))
    assert tuple(rows[0]) == FIELDS
    assert len(rows) == 4
    assert json.loads(rows[1][FIELDS.index("keywords")]) == load_expected()[0]["keywords"]
    assert rows[1][FIELDS.index("text")] == load_expected()[0]["text"]


def test_cli_cursor_file_round_trip(tmp_path):
    path = tmp_path / "archive.db"
    db = open_db(path)
    records = load_expected()
    for rec in records[:5]:
        _insert(db, rec)
    cur_file = tmp_path / "cursor"
    p1 = run_archive("export", "--db", path, "--cursor-file", cur_file)
    assert p1.returncode == 0, p1.stderr
    assert [json.loads(l)["url"] for l in p1.stdout.splitlines()] == [r["url"] for r in records[:5]]
    for rec in records[5:7]:
        _insert(db, rec)
    p2 = run_archive("export", "--db", path, "--cursor-file", cur_file, "--format", "jsonl")
    assert [json.loads(l)["url"] for l in p2.stdout.splitlines()] == [r["url"] for r in records[5:7]]
    assert f"cursor: {cur_file.read_text().strip()}" in p2.stderr
    p3 = run_archive("export", "--db", path, "--cursor-file", cur_file)
    assert p3.stdout == ""


def _with_a_repost(tmp_path):
    """Three articles; the third is a repost of the first (score 0.93)."""
    db = open_db(tmp_path / "archive.db")
    ids = [_insert(db, rec) for rec in load_expected()[:3]]
    db.execute("UPDATE articles SET duplicate_of = ?, duplicate_score = 0.93 WHERE id = ?", [ids[0], ids[2]])
    return db, ids


def test_export_carries_duplicate_of_and_drops_reposts_on_request(tmp_path):
    db, ids = _with_a_repost(tmp_path)
    got, _ = poll(db, None)
    assert [(r["id"], r["duplicate_of"], r["duplicate_score"]) for r in got] == [
        (ids[0], None, None), (ids[1], None, None), (ids[2], ids[0], 0.93)]
    assert list(got[0])[-2:] == ["duplicate_of", "duplicate_score"]  # appended: older fields keep their places
    originals, _ = poll(db, None, originals=True)
    assert [r["id"] for r in originals] == ids[:2]


def test_cli_csv_has_a_bom_by_default_and_stays_formula_neutral(tmp_path):
    db, ids = _with_a_repost(tmp_path)
    db.execute("UPDATE articles SET title = '=HYPERLINK(\"http://x\")储能' WHERE id = ?", [ids[1]])
    path = tmp_path / "archive.db"
    out = tmp_path / "out.csv"
    p = run_archive("export", "--db", path, "--format", "csv", "--originals", "-o", out)
    assert p.returncode == 0, p.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [int(r["id"]) for r in rows] == ids[:2]
    assert rows[1]["title"] == "'=HYPERLINK(\"http://x\")储能"
    assert json.loads(rows[0]["keywords"]) == load_expected()[0]["keywords"]
    p = run_archive("export", "--db", path, "--format", "csv", "--no-bom", "-o", out)
    assert out.read_bytes().startswith(b"id,url,")
    assert len(list(csv.DictReader(io.StringIO(out.read_text("utf-8"))))) == 3
