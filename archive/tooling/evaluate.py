"""Measure extraction quality against hand-made gold text.

Metric: character-bigram precision, recall and F1 over CJK characters, ASCII
letters and digits (whitespace and punctuation ignored), per page and
macro-averaged over the pages.  A boilerplate detector counts the pages whose
output carries page furniture that the gold text does not (ICP/公网安备
numbers, copyright lines, editor lines, a leading 来源: line, share, print and
navigation widgets).

Every run also extracts the same pages with plain ``trafilatura.extract``
(default settings, raw bytes) so the two figures always come from one run.

Metadata: when the gold directory has a sibling ``meta/`` directory (or one is
given with ``--meta DIR``) holding ``<id>.json`` with ``title``,
``published_at``, ``source``, ``author`` and ``editor`` (null where the page
shows none), each field is scored per page: correct / pages whose gold has a
value, plus "invented" = pages where we output a value and the gold is null.
Strings match exactly after whitespace normalisation; ``published_at`` is
compared as a datetime, to the minute where the gold has a time, by date
alone where the gold time is 00:00.

    python -m archive.tooling.evaluate [--meta DIR] PAGES_DIR GOLD_DIR
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

LOW_F1 = 0.85

# one "token" per kept character: CJK ideographs (basic, extension A,
# compatibility), ASCII letters (case-folded) and ASCII/full-width digits.
_KEEP = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaffA-Za-z0-9]")
_FULLWIDTH = str.maketrans(
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"
    "ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ",
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
)


def _tokens(text: str) -> list[str]:
    return _KEEP.findall(text.translate(_FULLWIDTH).lower())


def bigrams(text: str) -> Counter:
    toks = _tokens(text)
    if len(toks) == 1:
        return Counter(toks)
    return Counter(a + b for a, b in zip(toks, toks[1:]))


def prf(predicted: str, gold: str) -> tuple[float, float, float]:
    """Bigram precision, recall and F1 of ``predicted`` against ``gold``."""
    p, g = bigrams(predicted or ""), bigrams(gold or "")
    if not p and not g:
        return 1.0, 1.0, 1.0
    if not p or not g:
        return 0.0, 0.0, 0.0
    overlap = sum((p & g).values())
    precision = overlap / sum(p.values())
    recall = overlap / sum(g.values())
    f1 = 0.0 if overlap == 0 else 2 * precision * recall / (precision + recall)
    return precision, recall, f1


# --- boilerplate detector ---------------------------------------------------
# Each entry: (name, regex applied per line).  A page "leaks" a kind when its
# output has more matching lines than the gold text has.
_C = r"[:：∶]"
BOILERPLATE: tuple[tuple[str, re.Pattern], ...] = (
    ("icp", re.compile(r"ICP\s*(?:备|证|经营许可证)|ICP\s*\d|公网安备|网安备\s*\d")),
    ("copyright", re.compile(r"(?i)copyright|©|\(c\)\s*\d{4}|版权所有|all rights reserved|未经.{0,12}(?:授权|许可).{0,10}(?:转载|使用|复制)")),
    ("editor", re.compile(r"^\s*[\[【（(]?\s*(?:责任编辑|编辑|编审|责编|审核|校对|终审|值班编辑|监制)\s*" + _C
                          + r"|【\s*编辑\s*" + _C + r"|^\s*\(?\s*责任编辑\s*\S")),
    ("share", re.compile(r"分享到|^\s*分享\s*$|扫一扫|微信扫|打印本页|^\s*【?\s*打印\s*】?\s*$|"
                         r"字号\s*[:：]?\s*[【\[]?\s*大|【\s*大\s*中\s*小\s*】|^\s*[【\[]?\s*关闭\s*[】\]]?\s*$|"
                         r"关闭窗口|返回顶部|^\s*收藏\s*$|^\s*点赞\s*$|收藏\s*点赞|^\s*举报\s*$")),
    ("navigation", re.compile(r"^\s*(?:上一篇|下一篇|上一页|下一页)\s*" + _C + r"?|"
                              r"(?:您的位置|当前位置|你的位置|所在位置)\s*" + _C + r"?|"
                              r"^\s*(?:首页\s*[>›»]|相关新闻|相关阅读|相关文章|推荐阅读|热点推荐|延伸阅读)\s*$|"
                              r"我要投稿|^\s*投稿\s*$|查看更多\s*>|搜索历史|^\s*\d+\s*条评论|^\s*评论\s*\d*\s*$")),
    ("source-line", None),  # handled specially: a leading 来源 line
)
_SOURCE_LINE = re.compile(r"^\s*[【\[(（]?\s*(?:来源|稿源|信息来源|文章来源)\s*" + _C)


def boilerplate(text: str, gold: str = "") -> list[str]:
    """Kinds of boilerplate in ``text`` that ``gold`` does not carry."""
    out_lines = [ln for ln in (text or "").splitlines() if ln.strip()]
    gold_lines = [ln for ln in (gold or "").splitlines() if ln.strip()]
    found = []
    for name, rx in BOILERPLATE:
        if rx is None:
            if out_lines and _SOURCE_LINE.search(out_lines[0]) and not (
                gold_lines and _SOURCE_LINE.search(gold_lines[0])
            ):
                found.append(name)
            continue
        n_out = sum(1 for ln in out_lines if rx.search(ln))
        n_gold = sum(1 for ln in gold_lines if rx.search(ln))
        if n_out > n_gold:
            found.append(name)
    return found


# --- metadata -------------------------------------------------------------------
META_FIELDS = ("title", "published_at", "source", "author", "editor")
_CST = timezone(timedelta(hours=8))
_META_WS = re.compile(r"[\s\u00a0\u3000]+")


def _norm(value) -> str | None:
    if value is None:
        return None
    v = _META_WS.sub(" ", str(value)).strip()
    return v or None


def _as_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=_CST)


def meta_match(field: str, ours, gold) -> bool:
    """Does our value for ``field`` match a (non-null) gold value?"""
    if field != "published_at":
        return _norm(ours) is not None and _norm(ours) == _norm(gold)
    g, o = _as_datetime(gold), _as_datetime(ours)
    if g is None or o is None:
        return False
    g, o = g.astimezone(_CST), o.astimezone(_CST)
    if (g.hour, g.minute, g.second) == (0, 0, 0):  # the page shows a date only
        return o.date() == g.date()
    return o.replace(second=0, microsecond=0) == g.replace(second=0, microsecond=0)


def load_meta(meta_dir) -> dict[str, dict]:
    """{page id: gold metadata} from META_DIR/<id>.json."""
    out = {}
    for f in sorted(Path(meta_dir).glob("*.json")):
        data = json.loads(f.read_text(encoding="utf-8"))
        out[f.stem] = {k: data.get(k) for k in META_FIELDS}
    return out


def score_metadata(outputs: dict[str, dict], golds: dict[str, dict]) -> dict:
    """Per field: correct, total (gold has a value), invented (gold null, we
    give a value), accuracy; plus the list of mismatches (page, field, ours, gold)."""
    fields = {f: {"correct": 0, "total": 0, "invented": 0} for f in META_FIELDS}
    mismatches = []
    for pid in sorted(golds):
        gold, ours = golds[pid], outputs.get(pid) or {}
        for f in META_FIELDS:
            g, o = _norm(gold.get(f)), _norm(ours.get(f))
            if g is None:
                if o is not None:
                    fields[f]["invented"] += 1
                    mismatches.append((pid, f, o, None))
                continue
            fields[f]["total"] += 1
            if meta_match(f, o, g):
                fields[f]["correct"] += 1
            else:
                mismatches.append((pid, f, o, g))
    for v in fields.values():
        v["accuracy"] = v["correct"] / v["total"] if v["total"] else 1.0
    return {"n": len(golds), "fields": fields, "mismatches": mismatches}


def format_metadata(meta: dict) -> str:
    lines = [f"metadata ({meta['n']} pages)   correct/gold-has-value  accuracy  invented"]
    for f, v in meta["fields"].items():
        lines.append(f"  {f:<13} {v['correct']:>4}/{v['total']:<4} {v['accuracy']:8.1%}  {v['invented']:>8}")
    if meta["mismatches"]:
        lines.append("metadata mismatches (page field: ours | gold):")
        for pid, f, o, g in meta["mismatches"]:
            lines.append(f"  {pid[:20]:<20} {f:<12}: {o if o is not None else '-'} | {g if g is not None else '(none)'}")
    return "\n".join(lines)


# --- running ------------------------------------------------------------------
def _pages(pages_dir: Path, gold_dir: Path):
    for page in sorted(pages_dir.glob("*.html")):
        gold = gold_dir / (page.stem + ".txt")
        if not gold.exists():
            continue
        url_file = gold_dir / (page.stem + ".url")
        url = url_file.read_text(encoding="utf-8").strip() if url_file.exists() else None
        yield page.stem, page.read_bytes(), url or None, gold.read_text(encoding="utf-8")


def _score(outputs: dict[str, str], golds: dict[str, str]) -> dict:
    pages = {}
    for pid, gold in golds.items():
        text = outputs.get(pid) or ""
        p, r, f = prf(text, gold)
        pages[pid] = {"precision": p, "recall": r, "f1": f, "boilerplate": boilerplate(text, gold)}
    n = len(pages) or 1
    return {
        "pages": pages,
        "precision": sum(v["precision"] for v in pages.values()) / n,
        "recall": sum(v["recall"] for v in pages.values()) / n,
        "f1": sum(v["f1"] for v in pages.values()) / n,
        "below": sorted(k for k, v in pages.items() if v["f1"] < LOW_F1),
        "leaking": sorted(k for k, v in pages.items() if v["boilerplate"]),
    }


def default_meta_dir(gold_dir) -> Path | None:
    """The gold directory's sibling ``meta/`` when it exists."""
    cand = Path(gold_dir).resolve().parent / "meta"
    return cand if cand.is_dir() else None


def run_eval(pages_dir, gold_dir, meta_dir=None, *, trafilatura_baseline: bool = True) -> dict:
    """Extract every page with the project's ``extract`` and with plain
    trafilatura (default settings, raw bytes) and score both against gold;
    score metadata too when ``meta_dir`` (default: GOLD_DIR/../meta) exists."""
    from archive.extract import extract

    pages_dir, gold_dir = Path(pages_dir), Path(gold_dir)
    meta_dir = Path(meta_dir) if meta_dir else default_meta_dir(gold_dir)
    golds, ours, plain, errors, fields = {}, {}, {}, {}, {}
    for pid, raw, url, gold in _pages(pages_dir, gold_dir):
        golds[pid] = gold
        try:
            result = extract(raw, url)
            ours[pid] = result["text"]
            fields[pid] = result
        except Exception as exc:  # a crash scores as an empty output
            errors[pid] = f"{type(exc).__name__}: {exc}"
            ours[pid] = ""
        if trafilatura_baseline:
            import trafilatura

            plain[pid] = trafilatura.extract(raw, url=url) or ""
    report = {"n": len(golds), "ours": _score(ours, golds), "trafilatura": _score(plain, golds), "errors": errors}
    if meta_dir is not None:
        gold_meta = {pid: m for pid, m in load_meta(meta_dir).items() if pid in golds}
        report["metadata"] = score_metadata(fields, gold_meta)
    t = report["trafilatura"]["f1"]
    report["f1_ratio"] = report["ours"]["f1"] / t if t else float("inf")
    return report


def format_report(report: dict) -> str:
    ours, base = report["ours"], report["trafilatura"]
    lines = [f"{'page':<16} {'ours P':>7} {'R':>6} {'F1':>6}   {'traf P':>7} {'R':>6} {'F1':>6}  boilerplate (ours | trafilatura)"]
    for pid in sorted(ours["pages"]):
        o, b = ours["pages"][pid], base["pages"][pid]
        flag = " <" if o["f1"] < LOW_F1 else "  "
        lines.append(
            f"{pid[:16]:<16} {o['precision']:7.3f} {o['recall']:6.3f} {o['f1']:6.3f}{flag}"
            f" {b['precision']:7.3f} {b['recall']:6.3f} {b['f1']:6.3f}  "
            f"{','.join(o['boilerplate']) or '-'} | {','.join(b['boilerplate']) or '-'}"
        )
    for pid, err in sorted(report.get("errors", {}).items()):
        lines.append(f"error {pid[:16]}: {err}")
    lines.append("")
    for name, s in (("ours", ours), ("trafilatura", base)):
        lines.append(
            f"{name:<12} pages={report['n']} macro P={s['precision']:.4f} R={s['recall']:.4f} "
            f"F1={s['f1']:.4f}  below {LOW_F1}: {len(s['below'])}  leaking: {len(s['leaking'])}"
        )
        if s["below"]:
            lines.append(f"{'':<12} below: {' '.join(p[:16] for p in s['below'])}")
        if s["leaking"]:
            lines.append(f"{'':<12} leaking: {' '.join(p[:16] for p in s['leaking'])}")
    lines.append(f"F1 ratio ours/trafilatura: {report['f1_ratio']:.4f}")
    if report.get("metadata"):
        lines.append("")
        lines.append(format_metadata(report["metadata"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    meta_dir = None
    if "--meta" in argv:
        i = argv.index("--meta")
        if i + 1 >= len(argv):
            print("--meta needs a directory", file=sys.stderr)
            return 2
        meta_dir = Path(argv[i + 1])
        del argv[i: i + 2]
    if len(argv) != 2 or argv[0] in ("-h", "--help"):
        print("usage: python -m archive.tooling.evaluate [--meta DIR] PAGES_DIR GOLD_DIR", file=sys.stderr)
        return 2
    pages_dir, gold_dir = Path(argv[0]), Path(argv[1])
    for d in (pages_dir, gold_dir) + ((meta_dir,) if meta_dir else ()):
        if not d.is_dir():
            print(f"not a directory: {d}", file=sys.stderr)
            return 2
    print(format_report(run_eval(pages_dir, gold_dir, meta_dir)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
