"""Storage benchmark: bytes per stored raw page, zstandard with per-site dictionaries vs zlib level 6.

    .venv/bin/python bench/storage_bench.py            # the pages of ../shared/extraction-dev and -dev2
    .venv/bin/python bench/storage_bench.py --json

Real pages of real sites (the two extraction development sets, which live outside the repository;
nothing of them is copied here). Each page is compressed the way each version of the archive stores it:

* ``zlib-6``: what the archive stored before schema version 13 (the baseline);
* ``zstd``: ``archive.rawstore`` without a dictionary (a site with fewer than ``TRAIN_AT`` pages);
* ``zstd+site dict``: with a dictionary of the page's own site, made by the archive's own
  ``rawstore.make_dictionary`` from the OTHER pages of that site only (leave-one-out cross-validation:
  the page measured is never in its dictionary). A page whose site has no other page in the sets gets
  no dictionary, as in the archive. The site is the page's registered domain (``sina.com.cn``,
  ``163.com``), from its gold URL; a page without one is a site of its own.

The sets hold 1 to 6 pages per site, far fewer than the ``TRAIN_AT`` pages after which an archive
trains a site's dictionary from ``SAMPLE_PAGES`` of them: the dictionary figures here come from tiny
training sets and understate what a site with hundreds of stored pages gets.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import zstandard  # noqa: E402

from archive import rawstore  # noqa: E402

SETS = ("extraction-dev", "extraction-dev2")
SECOND_LEVEL = {"com", "gov", "org", "edu", "net", "ac"}


def site_of(url: str | None, fallback: str) -> str:
    host = (urlsplit(url).hostname or "") if url else ""
    labels = host.split(".")
    if len(labels) < 2:
        return fallback
    n = 3 if len(labels) >= 3 and labels[-2] in SECOND_LEVEL and len(labels[-1]) == 2 else 2
    return ".".join(labels[-n:])


def load(shared: Path) -> list[dict]:
    pages = []
    for name in SETS:
        folder = shared / name
        for path in sorted((folder / "pages").glob("*.html")):
            url_file = folder / "gold" / (path.stem + ".url")
            url = url_file.read_text("utf-8").strip() if url_file.exists() else None
            pages.append({"set": name, "id": path.stem, "site": site_of(url, f"{name}/{path.stem}"),
                          "body": path.read_bytes()})
    return pages


def measure(pages: list[dict], level: int) -> dict:
    by_site = defaultdict(list)
    for p in pages:
        by_site[p["site"]].append(p)
    plain = zstandard.ZstdCompressor(level=level)
    cpu = {"zlib-6": 0.0, "zstd": 0.0, "zstd+site dict": 0.0}
    for p in pages:
        body = p["body"]
        t = time.process_time()
        p["zlib-6"] = len(zlib.compress(body, 6))
        cpu["zlib-6"] += time.process_time() - t
        t = time.process_time()
        p["zstd"] = len(plain.compress(body))
        cpu["zstd"] += time.process_time() - t
        others = [o["body"] for o in by_site[p["site"]] if o is not p]
        p["has_dict"] = bool(others)
        if others:
            data = zstandard.ZstdCompressionDict(rawstore.make_dictionary(others))
            comp = zstandard.ZstdCompressor(level=level, dict_data=data, write_dict_id=False)
            t = time.process_time()
            blob = comp.compress(body)
            cpu["zstd+site dict"] += time.process_time() - t
            assert zstandard.ZstdDecompressor(dict_data=data).decompress(blob) == body
            # the archive's header: 0xD1 and the dictionary id (2 bytes for ids up to 16,383)
            p["zstd+site dict"] = len(blob) + 3
        else:
            cpu["zstd+site dict"] += 0
            p["zstd+site dict"] = p["zstd"]
    return {"cpu_ms_per_page": {k: v / len(pages) * 1000 for k, v in cpu.items()}}


def summary(pages: list[dict]) -> dict:
    n = len(pages)
    raw = sum(len(p["body"]) for p in pages)
    out = {"pages": n, "sites": len({p["site"] for p in pages}), "raw_bytes_per_page": raw / n}
    base = sum(p["zlib-6"] for p in pages)
    for codec in ("zlib-6", "zstd", "zstd+site dict"):
        total = sum(p[codec] for p in pages)
        out[codec] = {"bytes_per_page": total / n, "vs_zlib": total / base}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="folder holding the dev sets")
    ap.add_argument("--level", type=int, default=rawstore.LEVEL, help="zstd level (the archive's: %(default)s)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not all((args.shared / s / "pages").is_dir() for s in SETS):
        print(f"Error: the dev sets are not under {args.shared}", file=sys.stderr)
        return 2
    pages = load(args.shared)
    report = {"level": args.level, **measure(pages, args.level)}
    groups = {name: [p for p in pages if p["set"] == name] for name in SETS}
    groups["total"] = pages
    groups["total, pages whose site has another page"] = [p for p in pages if p["has_dict"]]
    report["groups"] = {k: summary(v) for k, v in groups.items()}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"zstd level {args.level}; CPU per page to compress: "
          + ", ".join(f"{k} {v:.1f} ms" for k, v in report["cpu_ms_per_page"].items()))
    print(f"{'pages':<44}{'n':>4}{'sites':>6}{'raw B':>9}{'zlib-6 B':>10}{'zstd B':>9}{'x':>6}"
          f"{'+dict B':>9}{'x':>6}")
    for name, s in report["groups"].items():
        print(f"{name:<44}{s['pages']:>4}{s['sites']:>6}{s['raw_bytes_per_page']:>9.0f}"
              f"{s['zlib-6']['bytes_per_page']:>10.0f}{s['zstd']['bytes_per_page']:>9.0f}{s['zstd']['vs_zlib']:>6.2f}"
              f"{s['zstd+site dict']['bytes_per_page']:>9.0f}{s['zstd+site dict']['vs_zlib']:>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
