"""Time the project's ``extract`` against plain ``trafilatura.extract``.

Both run on the same pages in one process, interleaved over several
repetitions; the figure is process CPU time (``time.process_time``), so other
load on the machine barely moves it.

    python bench/extract_bench.py PAGES_DIR [PAGES_DIR ...] [--reps N]

With several directories each gets its own figures, then one line for all
pages together.  A page either side refuses (an exception) costs what it
cost until it was refused.

Target: ours <= 1.3x trafilatura's time.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET = 1.3


def load_pages(pages_dir: Path) -> list[tuple[bytes, str | None]]:
    pages = []
    for page in sorted(pages_dir.glob("*.html")):
        url_file = page.with_suffix(".url")
        if not url_file.exists():  # the development set keeps URLs next to the gold text
            url_file = page.parent.parent / "gold" / (page.stem + ".url")
        url = url_file.read_text(encoding="utf-8").strip() if url_file.exists() else None
        pages.append((page.read_bytes(), url or None))
    return pages


def bench(pages, reps: int = 5) -> dict:
    import trafilatura

    from archive.extract import extract

    def ours():
        for raw, url in pages:
            try:
                extract(raw, url)
            except Exception:
                pass

    def plain():
        for raw, url in pages:
            try:
                trafilatura.extract(raw, url=url)
            except Exception:
                pass

    ours(), plain()  # warm-up: imports, caches, compiled regexes
    t_ours = t_plain = 0.0
    for _ in range(reps):
        t0 = time.process_time()
        ours()
        t1 = time.process_time()
        plain()
        t2 = time.process_time()
        t_ours += t1 - t0
        t_plain += t2 - t1
    return {"pages": len(pages), "reps": reps, "ours": t_ours, "trafilatura": t_plain,
            "ratio": t_ours / t_plain if t_plain else float("inf")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pages_dir", type=Path, nargs="+")
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args(argv)
    sets = []
    for d in args.pages_dir:
        pages = load_pages(d) if d.is_dir() else []
        if not pages:
            print(f"no *.html pages in {d}", file=sys.stderr)
            return 2
        sets.append((str(d), pages))
    total = {"ours": 0.0, "trafilatura": 0.0, "pages": 0}
    for name, pages in sets:
        r = bench(pages, args.reps)
        _report(name, r)
        total["ours"] += r["ours"]
        total["trafilatura"] += r["trafilatura"]
        total["pages"] += r["pages"]
    if len(sets) > 1:
        t = total["trafilatura"]
        _report("all", {**total, "reps": args.reps, "ratio": total["ours"] / t if t else float("inf")})
    return 0


def _report(name: str, r: dict) -> None:
    n = r["pages"] * r["reps"]
    print(f"{name}: pages={r['pages']} reps={r['reps']}")
    print(f"  ours        {r['ours']:.3f}s CPU  ({1000 * r['ours'] / n:.1f} ms/page)")
    print(f"  trafilatura {r['trafilatura']:.3f}s CPU  ({1000 * r['trafilatura'] / n:.1f} ms/page)")
    verdict = "ok" if r["ratio"] <= TARGET else "over target"
    print(f"  ratio ours/trafilatura: {r['ratio']:.3f} (target <= {TARGET}: {verdict})")


if __name__ == "__main__":
    raise SystemExit(main())
