"""Search benchmark: latency of ``archive search`` queries on a generated archive.

    .venv/bin/python bench/search_bench.py            # 100,000 articles (built once, kept in bench/out/)
    .venv/bin/python bench/search_bench.py --n 5000   # quicker

Articles are generated from the sentences of the seed texts (shuffled, 300 to
1,500 characters each) and written with plain INSERTs, so the index is built
by the same SQL triggers as in production (a sample; see ``build``). Reports the write cost, search
latency (median and 95th percentile per query, best of the warm runs) and the
index size as a ratio of the text size (UTF-8 bytes of titles and texts).
"""
from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.db import open_db, text_hash, transaction  # noqa: E402
from archive.search import fts_query, search, shadow  # noqa: E402

QUERIES = ["储能", "中试", "氢能", "碳足迹", "碳达峰", '"燃料电池"', "100kW", "储能 中试",
           "新型储能 电站", "质子交换膜燃料电池", "科技成果转化", "江门", "氢"]
SITES = ["bjx", "chinanews", "jiangmen_kjj", "shanghai_gov", "zgm"]


def sentences() -> list[str]:
    out = []
    texts = [p.read_text("utf-8") for p in sorted((ROOT.parent / "shared" / "seeds").glob("*.txt"))]
    expected = ROOT / "replica" / "expected"
    texts += [json.loads(p.read_text("utf-8"))["text"] for p in sorted(expected.glob("*.json"))]
    for t in texts:
        out += [s.strip() + "。" for s in re.split(r"[。！？\n]", t) if len(s.strip()) >= 8]
    return out


def generate(n: int, seed: int = 42):
    rng = random.Random(seed)
    pool = sentences()
    for i in range(n):
        target = rng.randint(300, 1500)
        paras, size = [], 0
        while size < target:
            para = "".join(rng.choice(pool) for _ in range(rng.randint(1, 4)))
            paras.append(para)
            size += len(para)
        text = "\n".join(paras)
        day = f"20{rng.randint(19, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        yield (f"https://bench.example.cn/{i}.html", rng.choice(SITES), rng.choice(pool)[:30], day, "bench",
               text, text_hash(text), "2025-01-01T00:00:00+00:00", "2025-01-01T00:00:00+00:00")


INSERT = """INSERT INTO articles (url, site, title, published_at, source, text, text_hash, first_seen, last_seen)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"""


def build(path: Path, n: int, trigger_sample: int) -> dict:
    """Write n generated articles. The first ``trigger_sample`` go through the SQL
    triggers (timed: the cost a writer pays per article); the rest are bulk-loaded
    with the index trigger off and the shadow form computed in Python, which
    gives the same index (tests/test_search.py checks SQL and Python agree)."""
    db = open_db(path)
    rows = generate(n)
    out = {}
    present = db.execute("SELECT count(*) FROM articles").fetchone()[0]  # resume an interrupted build
    for _ in range(present):
        next(rows)
    sample = [next(rows) for _ in range(min(trigger_sample, n) - min(present, trigger_sample))]
    t = time.perf_counter()
    with transaction(db):
        for row in sample:
            db.execute(INSERT, row)
    out["trigger_ms_per_article"] = (time.perf_counter() - t) / len(sample) * 1000 if sample else None
    trigger = db.execute("SELECT sql FROM sqlite_master WHERE name = 'articles_fts_ai'").fetchone()[0]
    t = time.perf_counter()
    done = present + len(sample)
    while done < n:
        batch = [next(rows) for _ in range(min(5000, n - done))]
        with transaction(db) as conn:
            conn.execute("DROP TRIGGER articles_fts_ai")
            for row in batch:
                aid = conn.execute(INSERT, row).lastrowid
                conn.execute("INSERT INTO articles_fts (rowid, title, text) VALUES (?, ?, ?)",
                             [aid, shadow(row[2]), shadow(row[5])])
            conn.execute(trigger)
        done += len(batch)
        print(f"\r  {done:,}/{n:,} articles", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    out["bulk_seconds"] = time.perf_counter() - t
    db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('optimize')")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    return out


def sizes(db) -> dict:
    text = db.execute("SELECT sum(length(CAST(text AS BLOB))) + sum(coalesce(length(CAST(title AS BLOB)), 0)) "
                      "FROM articles").fetchone()[0]
    index = db.execute(
        "SELECT (SELECT coalesce(sum(length(block)), 0) FROM articles_fts_data)"
        " + (SELECT coalesce(sum(length(term) + 16), 0) FROM articles_fts_idx)"
        " + (SELECT coalesce(sum(length(sz) + 8), 0) FROM articles_fts_docsize)").fetchone()[0]
    chars = db.execute("SELECT sum(length(text)) FROM articles").fetchone()[0]
    return {"text_bytes": text, "text_chars": chars, "index_bytes": index, "index_to_text": index / text}


def measure(db, query: str, runs: int) -> dict:
    times, hits = [], 0
    search(db, query)  # warm-up
    for _ in range(runs):
        t = time.perf_counter()
        res = search(db, query, limit=20)
        times.append((time.perf_counter() - t) * 1000)
        hits = len(res)
    total = db.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", [fts_query(query)]).fetchone()[0]
    times.sort()
    return {"query": query, "matches": total, "returned": hits,
            "median_ms": statistics.median(times), "p95_ms": times[max(0, int(len(times) * 0.95) - 1)]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="articles to generate")
    ap.add_argument("--runs", type=int, default=20, help="timed runs per query")
    ap.add_argument("--db", type=Path, help="archive file (default bench/out/search-N.db, reused)")
    ap.add_argument("--trigger-sample", type=int, default=2000,
                    help="articles written through the SQL triggers, timed (the rest are bulk-loaded)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    path = args.db or ROOT / "bench" / "out" / f"search-{args.n}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    built = None
    existing = open_db(path).execute("SELECT count(*) FROM articles").fetchone()[0] if path.exists() else 0
    if existing < args.n:
        print(f"building {path.name}: {args.n:,} articles", file=sys.stderr)
        built = build(path, args.n, args.trigger_sample)
    db = open_db(path)
    report = {"articles": db.execute("SELECT count(*) FROM articles").fetchone()[0],
              "build": built, **sizes(db), "queries": [measure(db, q, args.runs) for q in QUERIES]}
    all_ms = sorted(m for q in report["queries"] for m in [q["median_ms"]])
    report["median_of_medians_ms"] = statistics.median(all_ms)
    report["worst_p95_ms"] = max(q["p95_ms"] for q in report["queries"])
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    print(f"articles: {report['articles']:,}   text: {report['text_bytes'] / 1e6:.1f} MB "
          f"({report['text_chars'] / report['articles']:.0f} chars/article)")
    if built is not None and built["trigger_ms_per_article"] is not None:
        print(f"write through the triggers: {built['trigger_ms_per_article']:.2f} ms/article; "
              f"bulk load of the rest: {built['bulk_seconds']:.0f} s")
    print(f"index: {report['index_bytes'] / 1e6:.1f} MB = {report['index_to_text']:.2f} x text size")
    print(f"{'query':<22}{'matches':>9}{'median ms':>11}{'p95 ms':>9}")
    for q in report["queries"]:
        print(f"{q['query']:<22}{q['matches']:>9,}{q['median_ms']:>11.1f}{q['p95_ms']:>9.1f}")
    print(f"all queries: median of medians {report['median_of_medians_ms']:.1f} ms, "
          f"worst p95 {report['worst_p95_ms']:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
