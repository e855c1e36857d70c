"""Score the near-duplicate detector on a labelled set (``tests/neardup_eval``): pairs and canonical choice."""
from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

from archive.db import now_iso, open_db, text_hash, transaction
from archive.dedup import index_missing

TARGET_PRECISION = 0.98
TARGET_RECALL = 0.95


def evaluate(eval_dir, db_path=None, labels: dict[str, str] | None = None) -> dict:
    """Load the labelled set into a fresh archive through ``add_article`` and score its pairs.

    A pair is predicted "same story" when both documents end in one group.
    Also checks, per story, that the group's canonical is the expected one.
    """
    eval_dir = Path(eval_dir)
    docs = [json.loads(line) for line in (eval_dir / "docs.jsonl").read_text("utf-8").splitlines() if line.strip()]
    with open(eval_dir / "pairs.csv", encoding="utf-8", newline="") as f:
        pairs = list(csv.DictReader(f))
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(db_path or Path(tmp) / "eval.db")
        ids = {}
        when = now_iso()
        with transaction(db):
            for d in docs:
                cur = db.execute(
                    """INSERT INTO articles (url, site, title, published_at, source, text, text_hash, first_seen, last_seen)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    [d["url"], d["site"], d["title"], d["published_at"], d["source"], d["text"],
                     text_hash(d["text"]), when, when])
                ids[d["doc"]] = cur.lastrowid
        index_missing(db, labels=labels)
        group = {aid: root for aid, root in db.execute("SELECT id, COALESCE(duplicate_of, id) FROM articles")}
        db.conn.close()
    per: dict[str, dict] = {}
    tp = fp = fn = tn = 0
    mistakes = []
    for p in pairs:
        truth = p["same_story"] == "1"
        pred = group[ids[p["a"]]] == group[ids[p["b"]]]
        c = per.setdefault(p["category"], {"pairs": 0, "same_story": truth, "predicted_same": 0})
        c["pairs"] += 1
        c["predicted_same"] += pred
        tp += truth and pred
        fp += pred and not truth
        fn += truth and not pred
        tn += not truth and not pred
        if truth != pred:
            mistakes.append((p["a"], p["b"], p["category"], "missed" if truth else "false match"))
    by_doc = {d["doc"]: d for d in docs}
    canon_ok = canon_total = 0
    for story in sorted({d["story"] for d in docs}):
        members = [d for d in docs if d["story"] == story]
        expected = [d for d in members if d.get("canonical")]
        if len(members) < 2 or not expected:
            continue
        canon_total += 1
        root = group[ids[expected[0]["doc"]]]
        canon_ok += root == ids[expected[0]["doc"]]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {
        "documents": len(docs), "pairs": len(pairs), "tp": tp, "fp": fp, "fn": fn, "tn": tn,
        "precision": round(precision, 4), "recall": round(recall, 4),
        "canonical_correct": canon_ok, "canonical_total": canon_total,
        "by_category": per,
        "mistakes": [dict(a=a, b=b, category=c, error=e, a_kind=by_doc[a]["kind"], b_kind=by_doc[b]["kind"],
                          story=by_doc[a]["story"]) for a, b, c, e in mistakes],
        "passed": precision >= TARGET_PRECISION and recall >= TARGET_RECALL and canon_ok == canon_total,
    }


def format_evaluation(r: dict, limit: int = 20) -> str:
    lines = [f"near-duplicate evaluation: {r['documents']} documents, {r['pairs']} labelled pairs",
             f"  precision {r['precision']:.4f}  (target ≥ {TARGET_PRECISION})   "
             f"recall {r['recall']:.4f}  (target ≥ {TARGET_RECALL})",
             f"  tp {r['tp']}  fp {r['fp']}  fn {r['fn']}  tn {r['tn']}",
             f"  canonical article right in {r['canonical_correct']}/{r['canonical_total']} groups",
             "  by category (pairs, grouped together):"]
    for cat, c in sorted(r["by_category"].items(), key=lambda kv: (not kv[1]["same_story"], kv[0])):
        label = "same story" if c["same_story"] else "different "
        lines.append(f"    {label}  {cat:<20} {c['pairs']:>5} pairs  {c['predicted_same']:>5} grouped")
    for m in r["mistakes"][:limit]:
        lines.append(f"  {m['error']}: {m['a']} ({m['a_kind']}) ~ {m['b']} ({m['b_kind']}) [{m['category']}, {m['story']}]")
    if len(r["mistakes"]) > limit:
        lines.append(f"  … {len(r['mistakes']) - limit} more")
    lines.append("PASS" if r["passed"] else "FAIL")
    return "\n".join(lines)
