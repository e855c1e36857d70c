"""Search benchmark: latency of ``archive search`` queries on a generated archive.

    .venv/bin/python bench/search_bench.py               # 100,000 articles (built once, kept in bench/out/)
    .venv/bin/python bench/search_bench.py --n 1000000   # the issue's scale (hours to build on 2 cores)
    .venv/bin/python bench/search_bench.py --n 5000      # quicker

Generated archives are cached in ``--dir`` (default: $ARCHIVE_BENCH_DIR, else bench/out/, which git
ignores), one file per N, and reused; an interrupted build resumes where it stopped.

Articles are generated from the sentences of the seed texts (shuffled, 300 to
1,500 characters each) and written with plain INSERTs, so the index is built
by the same SQL triggers as in production (a sample; see ``build``). Reports the write cost, search
latency (median and 95th percentile per query over the warm runs) and the
index size as a ratio of the text size (UTF-8 bytes of titles and texts).

Queries: the fixed list below, the 20 most common two-character words of the generated corpus
and 20 rare ones (both computed from a sample of the generated articles, by document frequency),
each searched in the default order (newest first) and by relevance, and counted (the hit count
the CLI and the search page show).

Insert cost: articles written one transaction each through the SQL triggers (as the crawl's store
stage writes them) into the archive of N articles and into one of 10,000 articles (built the same
way), timed, then deleted again (untimed), so the cached archives keep their size.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.db import open_db, text_hash, transaction  # noqa: E402
from archive.search import _CJK_RUN, count, fts_query, search, shadow  # noqa: E402

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


def _timed(fn, runs: int) -> list[float]:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return sorted(times)


def _p95(times: list[float]) -> float:
    return times[max(0, int(len(times) * 0.95 + 0.5) - 1)]


def measure(db, query: str, runs: int, kind: str = "fixed") -> dict:
    total = db.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", [fts_query(query)]).fetchone()[0]
    out = {"query": query, "kind": kind, "matches": total}
    for rank in ("newest", "relevance"):
        times = _timed(lambda: search(db, query, limit=20, rank=rank), runs)
        out[rank] = {"median_ms": statistics.median(times), "p95_ms": _p95(times)}
    times = _timed(lambda: count(db, query), runs)
    out["count"] = {"median_ms": statistics.median(times), "p95_ms": _p95(times)}
    return out


def corpus_words(sample: int = 20_000, top: int = 20, rare: int = 20) -> tuple[list[str], list[str]]:
    """The *top* most common two-character words (CJK bigrams, by the number of articles holding them)
    of the first *sample* generated articles, and the *rare* least common ones (the generator
    recombines a fixed pool of sentences, so its rarest words are those of one sentence)."""
    df = collections.Counter()
    for row in generate(sample):
        grams = set()
        for run in _CJK_RUN.findall(row[2] + " " + row[5]):
            grams.update(run[i:i + 2] for i in range(len(run) - 1))
        df.update(grams)
    ordered = sorted(df.items(), key=lambda kv: (-kv[1], kv[0]))
    return [w for w, _ in ordered[:top]], [w for w, _ in ordered[-rare:]]


INSERT_SAMPLE = 300


def insert_cost(path: Path, k: int = INSERT_SAMPLE) -> dict:
    """ms per article (wall clock, and CPU time of this process, steadier on a busy machine): *k* generated articles written one transaction each through the triggers,
    then deleted (not timed)."""
    db = open_db(path)
    base = db.execute("SELECT max(id) FROM articles").fetchone()[0] or 0
    rows = [(f"https://bench.example.cn/insert-{base}-{i}.html",) + row[1:]
            for i, row in enumerate(generate(k, seed=7))]
    t, cpu = time.perf_counter(), time.process_time()
    for row in rows:
        with transaction(db):
            db.execute(INSERT, row)
    out = {"wall_ms": (time.perf_counter() - t) / k * 1000, "cpu_ms": (time.process_time() - cpu) / k * 1000}
    with transaction(db):
        db.execute("DELETE FROM articles WHERE id > ?", [base])
    db.conn.close()
    return out


def cached_db(folder: Path, n: int, trigger_sample: int) -> tuple[Path, dict | None]:
    path = folder / f"search-{n}.db"
    existing = open_db(path).execute("SELECT count(*) FROM articles").fetchone()[0] if path.exists() else 0
    if existing < n:
        print(f"building {path}: {n:,} articles", file=sys.stderr)
        return path, build(path, n, trigger_sample)
    return path, None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="articles to generate")
    ap.add_argument("--runs", type=int, default=20, help="timed runs per query")
    ap.add_argument("--dir", type=Path, default=Path(os.environ.get("ARCHIVE_BENCH_DIR") or ROOT / "bench" / "out"),
                    help="where generated archives are cached, search-N.db (default $ARCHIVE_BENCH_DIR or bench/out)")
    ap.add_argument("--db", type=Path, help="archive file to measure as it is (no build)")
    ap.add_argument("--trigger-sample", type=int, default=2000,
                    help="articles written through the SQL triggers, timed (the rest are bulk-loaded)")
    ap.add_argument("--insert-base", type=int, default=10_000,
                    help="size of the small archive the insert cost is compared with")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    built = None
    if args.db:
        path = args.db
    else:
        path, built = cached_db(args.dir, args.n, args.trigger_sample)
    small, _ = cached_db(args.dir, args.insert_base, args.trigger_sample)
    insert = {"small": insert_cost(small), "large": insert_cost(path)}
    insert["ratio"] = {m: insert["large"][m] / insert["small"][m] for m in ("wall_ms", "cpu_ms")}
    common, rare = corpus_words()
    db = open_db(path)
    queries = ([measure(db, q, args.runs) for q in QUERIES] + [measure(db, q, args.runs, "common") for q in common]
               + [measure(db, q, args.runs, "rare") for q in rare])
    report = {"articles": db.execute("SELECT count(*) FROM articles").fetchone()[0],
              "insert_base_articles": args.insert_base, "build": built, **sizes(db),
              "insert_ms_per_article": insert, "queries": queries}
    # the former default: bm25 over every match (no window), for the most common word
    import archive.search as search_mod

    window, search_mod.RELEVANCE_WINDOW = search_mod.RELEVANCE_WINDOW, 10 ** 12
    times = _timed(lambda: search(db, common[0], limit=20, rank="relevance"), max(3, args.runs // 4))
    search_mod.RELEVANCE_WINDOW = window
    report["unbounded_relevance"] = {"query": common[0], "median_ms": statistics.median(times), "p95_ms": _p95(times)}
    for kind in ("fixed", "common", "rare"):
        qs = [q for q in queries if q["kind"] == kind]
        report[f"{kind}_worst_p95_ms"] = {m: max(q[m]["p95_ms"] for q in qs) for m in ("newest", "relevance", "count")}
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    print(f"articles: {report['articles']:,}   text: {report['text_bytes'] / 1e6:.1f} MB "
          f"({report['text_chars'] / report['articles']:.0f} chars/article)")
    if built is not None and built["trigger_ms_per_article"] is not None:
        print(f"build: through the triggers {built['trigger_ms_per_article']:.2f} ms/article; "
              f"bulk load of the rest: {built['bulk_seconds']:.0f} s")
    for m in ("wall_ms", "cpu_ms"):
        print(f"insert ({m[:-3]}), one transaction per article through the triggers: {insert['large'][m]:.2f} ms/article"
              f" at {report['articles']:,} articles, {insert['small'][m]:.2f} ms at {args.insert_base:,}: "
              f"{insert['ratio'][m]:.2f} x")
    print(f"index: {report['index_bytes'] / 1e6:.1f} MB = {report['index_to_text']:.2f} x text size")
    print(f"{'query':<22}{'kind':<8}{'matches':>9}{'newest p95':>12}{'relev. p95':>12}{'count p95':>11}")
    for q in queries:
        print(f"{q['query']:<22}{q['kind']:<8}{q['matches']:>9,}{q['newest']['p95_ms']:>12.1f}"
              f"{q['relevance']['p95_ms']:>12.1f}{q['count']['p95_ms']:>11.1f}")
    u = report["unbounded_relevance"]
    print(f"bm25 over every match (no window; the order before newest-first), {u['query']}: "
          f"median {u['median_ms']:.1f} ms, p95 {u['p95_ms']:.1f} ms")
    for kind in ("fixed", "common", "rare"):
        w = report[f"{kind}_worst_p95_ms"]
        print(f"worst p95, {kind} words: newest {w['newest']:.1f} ms, relevance {w['relevance']:.1f} ms, "
              f"count {w['count']:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
