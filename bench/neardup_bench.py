"""Benchmark: the cost of adding one article to the near-duplicate index, by archive size.

    python bench/neardup_bench.py [--sizes 1000 100000] [--adds 300] [--dir DIR]

For each size N it generates an archive of N articles (deterministic text from
a fixed character set, 5 % of them reposts of an earlier article), indexes it,
then adds ``--adds`` new articles one by one exactly as the crawl does (the
store stage inserts the row; the near-duplicate stage then runs
``neardup.add_article`` in its own transaction, which is what is timed; a tenth of
them are reposts of archived articles, so the verification path is measured
too) and reports the mean and median time per add. The target: the mean at
100,000 is at most 2× the mean at 1,000.

The archives are built with a bulk path (signatures and band rows written in
batches, sorted by key) so that building 100,000 articles takes about a minute;
the measured adds use the ordinary per-article path. Not a test: it times things.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive import dedup as neardup  # noqa: E402
from archive.db import open_db, text_hash, transaction  # noqa: E402

CHARS = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面"
         "而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好"
         "应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道"
         "命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长"
         "求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色"
         "光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教"
         "速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记"
         "需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史"
         "感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育"
         "厂京识适属圆包火住调满县局照参红细引听该铁价严")


def make_text(r: random.Random, n: int = 500) -> str:
    out, line = [], []
    for i in range(n):
        line.append(r.choice(CHARS))
        if r.random() < 0.04:
            line.append("，" if r.random() < 0.7 else "。")
        if len(line) > 80 and line[-1] == "。":
            out.append("".join(line))
            line = []
    out.append("".join(line) + "。")
    return "\n".join(out)


def repost(r: random.Random, text: str) -> str:
    cut = text[: int(len(text) * r.uniform(0.6, 1.0))]
    return "北极星储能网获悉，" + cut + "\n特别声明:北极星转载其他网站内容,内容仅供参考。"


def build(path: Path, n: int, seed: int = 7) -> None:
    """An archive of *n* generated articles, indexed (bulk path)."""
    r = random.Random(seed)
    db = open_db(path)
    texts: list[str] = []
    t0 = time.perf_counter()
    batch = 5000
    for start in range(0, n, batch):
        rows, sigs, bands = [], [], []
        for i in range(start, min(n, start + batch)):
            text = repost(r, texts[r.randrange(len(texts))]) if texts and r.random() < 0.05 else make_text(r)
            if len(texts) < 2000:
                texts.append(text)
            rows.append((i + 1, f"https://example.cn/a/{i}.html", "bench", f"t{i}", f"2024-01-01T00:00:{i % 60:02d}+08:00",
                         text, text_hash(text), "2024-01-01", "2024-01-01"))
            doc = neardup.Doc.of(text)
            sig = neardup.signature(doc.shingles)
            sigs.append((i + 1, doc.size, sig.astype("<u4").tobytes()))
            bands.extend((k, i + 1) for k in neardup.band_keys(sig))
        bands.sort()
        with transaction(db):
            db.conn.executemany(
                """INSERT INTO articles (id, url, site, title, published_at, text, text_hash, first_seen, last_seen)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""", rows)
            db.conn.executemany("INSERT INTO neardup_signatures (article_id, shingles, minhash) VALUES (?, ?, ?)", sigs)
            db.conn.executemany("INSERT OR IGNORE INTO neardup_bands (band_key, article_id) VALUES (?, ?)", bands)
            neardup.check_params(db)
        print(f"  built {min(n, start + batch):>7}/{n}  ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    db.conn.close()


def measure(path: Path, adds: int, seed: int = 99, cpu: list[float] | None = None, form: bool = False) -> list[float]:
    """Seconds per add (``add_article`` in its own transaction, after the row is stored), for *adds* new
    articles; the CPU seconds of each add are appended to *cpu* when given (the figure to trust on a
    loaded machine). With *form*, each add is handed the text's form computed beforehand, untimed, as a
    crawl's extraction step computes it (``neardup.prepare``)."""
    r = random.Random(seed)
    db = open_db(path)
    n = db.execute("SELECT max(id) FROM articles").fetchone()[0]
    times = []
    for j in range(adds):
        if j % 10 == 0:
            old = db.execute("SELECT text FROM articles WHERE id = ?", [r.randrange(1, n + 1)]).fetchone()[0]
            text = repost(r, old)
        else:
            text = make_text(r)
        with transaction(db):  # the store stage's part, not timed
            aid = db.execute(
                """INSERT INTO articles (url, site, title, published_at, text, text_hash, first_seen, last_seen)
                   VALUES (?, 'bench', 'new', '2025-01-01T00:00:00+08:00', ?, ?, '2025-01-01', '2025-01-01')""",
                [f"https://example.cn/new/{seed}/{j}.html", text, text_hash(text)]).lastrowid
        prepared = neardup.prepare(text) if form else None
        t, c = time.perf_counter(), time.process_time()  # the near-duplicate stage's part: its own transaction
        with transaction(db):
            neardup.add_article(db, aid, None, prepared)
        times.append(time.perf_counter() - t)
        if cpu is not None:
            cpu.append(time.process_time() - c)
    db.conn.close()
    return times


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    ap.add_argument("--adds", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0, help="Vary to measure again on kept archives (new URLs).")
    ap.add_argument("--form", action="store_true",
                    help="Hand each add the text's form computed beforehand (untimed), as in a crawl.")
    ap.add_argument("--dir", type=Path, help="Keep the generated archives here (default: a temporary directory).")
    args = ap.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = args.dir or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        for n in args.sizes:
            path = root / f"neardup-bench-{n}.db"
            if not path.exists():
                print(f"building an archive of {n} articles …", file=sys.stderr)
                build(path, n)
            measure(path, 20, seed=1 + args.seed)  # warm-up: page cache, imports
            cpu: list[float] = []
            times = measure(path, args.adds, seed=99 + args.seed, cpu=cpu, form=args.form)
            results[n] = times
            size_mb = path.stat().st_size / 1e6
            print(f"N={n:>7}: per add mean {statistics.mean(times) * 1e3:.2f} ms, median "
                  f"{statistics.median(times) * 1e3:.2f} ms, p95 {sorted(times)[int(len(times) * .95)] * 1e3:.2f} ms, "
                  f"CPU mean {statistics.mean(cpu) * 1e3:.2f} ms ({args.adds} adds; archive {size_mb:.0f} MB)")
    if len(results) >= 2:
        lo, hi = min(results), max(results)
        ratio = statistics.mean(results[hi]) / statistics.mean(results[lo])
        mratio = statistics.median(results[hi]) / statistics.median(results[lo])
        print(f"ratio N={hi} / N={lo}: mean {ratio:.2f}×, median {mratio:.2f}× (target ≤ 2×)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
