"""Near-duplicate detection: which archived articles are the same story.

A repost (北极星 with its own lead line and footer), a syndicated 中新网 story,
a policy on the issuing department's site, the city portal and the trade press
are different texts of one story. Exact hashes (the dedup stage) miss them;
this module groups them.

How it works (details and tuning notes in ``docs/dedup.md``):

* **Text → shingles.** Lines that are site furniture (北极星's footer, 编辑/来源
  lines, page navigation…) are dropped, the rest is NFKC-normalised and reduced
  to letters, digits and CJK characters; the shingles are the overlapping
  ``SHINGLE``-character strings, each hashed to 32 bits.
* **Signature and LSH index, in the archive.** A MinHash signature
  of ``BANDS × ROWS`` values is stored per article in ``neardup_signatures``;
  each band of ``ROWS`` values is hashed to one 64-bit key in ``neardup_bands``
  (primary key ``(band_key, article_id)``). Adding an article is one indexed
  ``IN`` lookup over its ``BANDS`` keys plus ``BANDS`` inserts, whatever the
  archive's size; a restart needs nothing rebuilt.
* **Verification on candidates.** LSH is tuned loose (a truncated repost has
  Jaccard well under 0.6 against the full text); a candidate is the same story
  when the *containment* of the shorter text's shingles in the longer one's is
  at least ``MIN_CONTAINMENT``, they share at least ``MIN_SHARED`` shingles, and
  their identity tokens (第N批, YYYY年度, 文号, the sign-off date) do not
  contradict each other — the guard that keeps a department's successive
  notices, which share nearly all their wording, apart.
* **Groups and the canonical article.** Matches join groups (connected
  components). Each group has one canonical article: a government site's copy
  when another member's 来源 names that government (the original source),
  otherwise the earliest published. Every other member gets
  ``articles.duplicate_of`` = the canonical id and ``articles.duplicate_score``
  = its containment against the canonical text. Nothing is deleted.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

import numpy as np

from archive.db import transaction

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------- parameters
# Changing any of these changes the stored index: run `archive dedup --rebuild`.
SHINGLE = 5  # characters per shingle
BANDS = 42  # LSH bands …
ROWS = 3  # … of this many MinHash values: P(candidate | Jaccard 0.4) ≈ 0.94, 0.5 → 0.996
NUM_PERM = BANDS * ROWS
SEED = 20240601
NORMALISE_VERSION = 1  # bump when the normalisation below changes

# Verification (not stored; changing these needs `archive dedup --rebuild` to regroup).
MIN_CONTAINMENT = 0.7  # |A∩B| / min(|A|, |B|) over shingle sets
MIN_SHARED = 40  # shingles in common, whatever the containment
ESTIMATE_SLACK = 0.3  # skip a candidate whose signature-estimated containment is this far below

PARAMS = {"shingle": SHINGLE, "bands": BANDS, "rows": ROWS, "seed": SEED,
          # the signature scheme's stored name: archives indexed with datasketch's
          # "affine32" hold the same values (see signature()), so the name stays
          "normalise": NORMALISE_VERSION, "minhash": "datasketch-affine32"}


class NeedsRebuild(RuntimeError):
    """The stored index was built with other parameters."""


# ---------------------------------------------------------------- normalisation

# Whole lines that are site furniture, not the story (matched on the line's start):
# footers and notices go whatever their length; credit and navigation lines only when
# short, so that a paragraph opening with "记者了解到" stays.
_FOOTER = re.compile(
    r"^\s*[(（【\[]?\s*(?:投稿与新闻线索|特别声明|凡来源注明|原文如下|版权所有|copyright|免责声明)", re.I)
_CREDIT = re.compile(
    r"^\s*[(（【\[]?\s*(?:"
    r"相关新闻|相关阅读|相关链接|延伸阅读|推荐阅读|责任编辑|编辑|编审|校对|审核|来源|稿源|文章来源|信息来源|"
    r"本文来源|作者|记者|通讯员|原标题|分享到|扫一扫|打印本页|关闭窗口|上一页|下一页|上一篇|下一篇|"
    r"首页\s*上一页|【?字体|点击查看|查看更多|您的位置|当前位置"
    r")(?=[\s:：】\])）|>]|$)",
    re.I,
)
CREDIT_MAX = 40  # characters: a longer line is content
# A 北极星 lead ("北极星氢能网获悉，"): the phrase goes, the rest of the line is content.
_BJX_LEAD = re.compile(r"^北极星[\u4e00-\u9fff]{0,8}网获悉[，,：:]?\s*")
_END_MARK = re.compile(r"[(（]\s*完\s*[)）]\s*$")
_PAGE_NAV = re.compile(r"^[\s\d上下一页首尾共第页/|>»«<]+$")
_NON_WORD = re.compile(r"[\W_]+")


def clean_lines(text: str) -> list[str]:
    """The story's lines, furniture dropped."""
    out = []
    for line in (text or "").splitlines():
        line = unicodedata.normalize("NFKC", line).strip()
        if (not line or _FOOTER.match(line) or _PAGE_NAV.match(line)
                or (len(line) <= CREDIT_MAX and _CREDIT.match(line))):
            continue
        line = _END_MARK.sub("", _BJX_LEAD.sub("", line))
        if line:
            out.append(line)
    return out


def normalise(text: str) -> str:
    """Letters, digits and CJK characters of the story, lower-cased, in order."""
    return _NON_WORD.sub("", "".join(clean_lines(text)).lower())




def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


def shingle_hashes(norm: str, k: int = SHINGLE) -> np.ndarray:
    """Sorted unique 32-bit hashes of the *k*-character shingles of a normalised text."""
    if not norm:
        return np.empty(0, dtype=np.uint32)
    cp = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(cp) - k + 1
    if n <= 0:  # shorter than one shingle: the whole text is the one shingle
        cp, n, k = np.pad(cp, (0, k - len(cp))), 1, k
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * np.uint64(1000003) + cp[j:j + n]
        h = _fmix64(h)
    return np.unique((h >> np.uint64(32)).astype(np.uint32))


# MinHash with affine permutations over 32-bit words: each shingle hash is pre-mixed once with
# the MurmurHash3 32-bit finalizer, then permutation k maps h to a_k*h + b_k mod 2^32 (a_k odd, a
# bijection). The parameters are drawn as datasketch 2.x draws them for scheme "affine32", so the
# signatures are the ones an archive indexed with that library holds (PARAMS["minhash"]).
def _permutations(num_perm: int = NUM_PERM, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


_PERM_A, _PERM_B = _permutations()
_CHUNK = 8192  # shingles per block: 8192 × NUM_PERM × 4 bytes ≈ 4 MB


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def signature(shingles: np.ndarray) -> np.ndarray:
    """MinHash signature (uint32 × NUM_PERM) of a shingle-hash set (all ones for an empty set)."""
    if not len(shingles):
        return np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    h = _fmix32(np.asarray(shingles, dtype=np.uint32)).reshape(-1, 1)
    sig = np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    for start in range(0, len(h), _CHUNK):  # bounded memory for a very long text
        np.minimum(sig, (h[start:start + _CHUNK] * _PERM_A + _PERM_B).min(axis=0), out=sig)
    return sig


def band_keys(sig: np.ndarray) -> list[int]:
    """One signed 64-bit key per band (band number included, so bands never collide)."""
    keys = []
    raw = sig.astype("<u4").tobytes()
    for b in range(BANDS):
        chunk = raw[b * ROWS * 4:(b + 1) * ROWS * 4]
        d = hashlib.blake2b(b.to_bytes(2, "little") + chunk, digest_size=8).digest()
        keys.append(int.from_bytes(d, "little", signed=True))
    return keys


# ---------------------------------------------------------------- identity tokens

_CN_NUM = "〇零一二三四五六七八九十百两"
_ORDINAL = re.compile(rf"第[{_CN_NUM}\d]+(?:批|期|届|季度)")
_EDITION = re.compile(r"(?:19|20)\d\d年度")
_DOC_NO = re.compile(r"[〔\[【(（](?:19|20)\d\d[〕\]】)）]\s*\d+\s*号")
_FULL_DATE = re.compile(r"(?:19|20)\d\d\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")


def identity(text: str) -> tuple[frozenset, str | None]:
    """(ordinal/edition/文号 tokens, the sign-off date) — what tells successive notices apart."""
    lines = clean_lines(text)
    body = "".join(lines)
    tokens = frozenset(re.sub(r"\s+", "", t) for rx in (_ORDINAL, _EDITION, _DOC_NO) for t in rx.findall(body))
    signoff = None
    for line in lines[-3:]:  # a notice ends with the issuer and a date on a line of its own
        m = _FULL_DATE.fullmatch(line.strip())
        if m:
            signoff = re.sub(r"\s+", "", m.group(0))
    return tokens, signoff


def contradicts(a: tuple[frozenset, str | None], b: tuple[frozenset, str | None]) -> bool:
    """True when the two texts name different batches/editions/文号 or are signed off on different dates."""
    (ta, da), (tb, db_) = a, b
    if ta and tb and (ta - tb) and (tb - ta):
        return True
    return bool(da and db_ and da != db_)


# ---------------------------------------------------------------- one text

@dataclass
class Doc:
    """The comparable form of one article."""

    shingles: np.ndarray
    ident: tuple[frozenset, str | None]

    @classmethod
    def of(cls, text: str) -> "Doc":
        return cls(shingle_hashes(normalise(text)), identity(text))

    @property
    def size(self) -> int:
        return len(self.shingles)


def shared(a: np.ndarray, b: np.ndarray) -> int:
    return len(np.intersect1d(a, b, assume_unique=True))


def containment(a: Doc, b: Doc) -> float:
    small = min(a.size, b.size)
    return shared(a.shingles, b.shingles) / small if small else 0.0


def same_story(a: Doc, b: Doc) -> float | None:
    """The containment score when *a* and *b* are the same story, else None."""
    small = min(a.size, b.size)
    if not small:
        return None
    common = shared(a.shingles, b.shingles)
    score = common / small
    if score < MIN_CONTAINMENT or common < min(MIN_SHARED, small):
        return None
    if contradicts(a.ident, b.ident):
        return None
    return score


def estimated_containment(sig_a: np.ndarray, size_a: int, sig_b: np.ndarray, size_b: int) -> float:
    """Containment estimated from two signatures and the set sizes (no text needed)."""
    j = float(np.mean(sig_a == sig_b))
    inter = j * (size_a + size_b) / (1 + j)
    return inter / max(1, min(size_a, size_b))


# ---------------------------------------------------------------- canonical choice

_SITE_LABELS: dict[str, str] | None = None


def site_labels() -> dict[str, str]:
    """{site key: the site's name} from the spiders (empty if they cannot be loaded)."""
    global _SITE_LABELS
    if _SITE_LABELS is None:
        try:
            from archive.crawl import site_spiders

            _SITE_LABELS = {k: getattr(c, "label", "") or "" for k, c in site_spiders().items()}
        except Exception:  # pragma: no cover - spiders are another part of the project
            logger.warning("site labels unavailable; canonical choice uses 来源 and hosts only")
            _SITE_LABELS = {}
    return _SITE_LABELS


def is_government(row: dict) -> bool:
    host = (urlsplit(row.get("url") or "").hostname or "").lower()
    return host.endswith(".gov.cn") or host.endswith(".gov")


def _name(s: str | None) -> str:
    return _NON_WORD.sub("", unicodedata.normalize("NFKC", s or "")).lower()


_GOV_BODY = re.compile(r"(?:政府|办公厅|办公室|委员会|局|厅|部|署|委|办)$")


def publisher_names(row: dict) -> set[str]:
    """Who a government copy speaks for: its site's name, and its own 来源 when that is a government body
    (a 解放日报 story on a government portal does not make the portal its original)."""
    names = {_name(site_labels().get(row.get("site") or "", ""))}
    own = _name(row.get("source"))
    if _GOV_BODY.search(own):
        names.add(own)
    return {n for n in names if len(n) >= 2}


def names_match(source: str, names: set[str]) -> bool:
    s = _name(source)
    return len(s) >= 2 and any(s == n or s in n or n in s for n in names)


def _published_key(row: dict):
    value = row.get("published_at")
    if not value:
        return (1, "", row["id"])
    try:
        dt = datetime.fromisoformat(value)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        return (0, dt.astimezone(timezone.utc).isoformat(), row["id"])
    except ValueError:
        return (0, value, row["id"])


def choose_canonical(rows: list[dict]) -> dict:
    """The group's canonical article: the government original a repost names as its 来源, else the earliest published."""
    originals = []
    for row in rows:
        if not is_government(row):
            continue
        names = publisher_names(row)
        if any(other is not row and other.get("source") and names_match(other["source"], names)
               for other in rows):
            originals.append(row)
    return min(originals or rows, key=_published_key)


# ---------------------------------------------------------------- the index

def check_params(db) -> None:
    """Record the index parameters on first use; refuse an index built with others."""
    row = db.execute("SELECT value FROM neardup_meta WHERE key = 'params'").fetchone()
    if row is None:
        db.execute("INSERT OR REPLACE INTO neardup_meta (key, value) VALUES ('params', ?)",
                   [json.dumps(PARAMS, sort_keys=True)])
    elif json.loads(row[0]) != PARAMS:
        raise NeedsRebuild("the near-duplicate index was built with other parameters; "
                           "run `archive dedup --rebuild`")


def _article(db, article_id: int) -> dict | None:
    cur = db.execute("SELECT id, url, site, source, published_at, text FROM articles WHERE id = ?", [article_id])
    row = cur.fetchone()
    return dict(zip([c[0] for c in cur.description], row)) if row else None


def _drop_from_index(db, article_id: int) -> None:
    """Remove an article's signature and band rows (found by key: no scan)."""
    old = db.execute("SELECT minhash FROM neardup_signatures WHERE article_id = ?", [article_id]).fetchone()
    if old:
        db.conn.executemany("DELETE FROM neardup_bands WHERE band_key = ? AND article_id = ?",
                            [(k, article_id) for k in band_keys(np.frombuffer(old[0], dtype="<u4"))])
        db.execute("DELETE FROM neardup_signatures WHERE article_id = ?", [article_id])


def _store_signature(db, article_id: int, doc: Doc) -> tuple[np.ndarray, list[int]]:
    sig = signature(doc.shingles)
    keys = band_keys(sig)
    _drop_from_index(db, article_id)
    db.execute("INSERT OR REPLACE INTO neardup_signatures (article_id, shingles, minhash) VALUES (?, ?, ?)",
               [article_id, doc.size, sig.astype("<u4").tobytes()])
    db.conn.executemany("INSERT OR IGNORE INTO neardup_bands (band_key, article_id) VALUES (?, ?)",
                        [(k, article_id) for k in keys])
    return sig, keys


def candidates(db, article_id: int, keys: list[int]) -> list[tuple[int, int, bytes]]:
    """(id, shingle count, signature) of the articles sharing at least one band with *keys*."""
    marks = ",".join("?" * len(keys))
    return db.execute(
        f"""SELECT s.article_id, s.shingles, s.minhash FROM neardup_signatures s
            WHERE s.article_id IN (SELECT DISTINCT article_id FROM neardup_bands WHERE band_key IN ({marks}))
              AND s.article_id != ?""",
        [*keys, article_id],
    ).fetchall()


@dataclass
class AddResult:
    article_id: int
    canonical: int
    matches: list[tuple[int, float]]  # (article id, containment) verified against this one
    group_size: int


def add_article(db, article_id: int) -> AddResult | None:
    """Index one stored article and put it in its group. Call inside a transaction.

    Cost: one signature, one ``IN`` lookup over the article's band keys, the
    verification of the (few) candidates, and the updates of its group.
    """
    check_params(db)
    row = _article(db, article_id)
    if row is None:
        return None
    doc = Doc.of(row["text"])
    if not doc.size:
        return AddResult(article_id, article_id, [], 1)
    sig, keys = _store_signature(db, article_id, doc)
    matches = []
    for cid, csize, csig in candidates(db, article_id, keys):
        est = estimated_containment(sig, doc.size, np.frombuffer(csig, dtype="<u4"), csize)
        if est < MIN_CONTAINMENT - ESTIMATE_SLACK:
            continue
        other = _article(db, cid)
        score = same_story(doc, Doc.of(other["text"]))
        if score is not None:
            matches.append((cid, score))
    if not matches:
        db.execute("UPDATE articles SET duplicate_of = NULL, duplicate_score = NULL WHERE id = ?", [article_id])
        return AddResult(article_id, article_id, [], 1)
    canonical, size = regroup(db, article_id, doc, [m for m, _ in matches])
    return AddResult(article_id, canonical, matches, size)


def _group_roots(db, ids: list[int]) -> set[int]:
    marks = ",".join("?" * len(ids))
    return {r[0] for r in db.execute(
        f"SELECT COALESCE(duplicate_of, id) FROM articles WHERE id IN ({marks})", ids).fetchall()}


def regroup(db, article_id: int, doc: Doc, matched: list[int]) -> tuple[int, int]:
    """Merge *article_id* and the groups of *matched*; choose the canonical; set duplicate_of and scores."""
    roots = _group_roots(db, matched)
    marks = ",".join("?" * len(roots))
    cur = db.execute(
        f"""SELECT id, url, site, source, published_at, duplicate_of FROM articles
            WHERE id IN ({marks}) OR duplicate_of IN ({marks}) OR id = ?""",
        [*roots, *roots, article_id],
    )
    cols = [c[0] for c in cur.description]
    members = [dict(zip(cols, r)) for r in cur.fetchall()]
    canon = choose_canonical(members)
    cid = canon["id"]
    canon_doc = doc if cid == article_id else Doc.of(_article(db, cid)["text"])
    # Only members whose canonical changes (and the new article) need a new score.
    for m in members:
        if m["id"] == cid:
            db.execute("UPDATE articles SET duplicate_of = NULL, duplicate_score = NULL WHERE id = ?", [cid])
            continue
        if m["duplicate_of"] == cid and m["id"] != article_id:
            continue
        mdoc = doc if m["id"] == article_id else Doc.of(_article(db, m["id"])["text"])
        db.execute("UPDATE articles SET duplicate_of = ?, duplicate_score = ? WHERE id = ?",
                   [cid, round(containment(mdoc, canon_doc), 4), m["id"]])
    return cid, len(members)


def missing_ids(db) -> list[int]:
    """Articles not yet in the index (stored while the stage was off, or before migration 3)."""
    return [r[0] for r in db.execute(
        """SELECT a.id FROM articles a LEFT JOIN neardup_signatures s ON s.article_id = a.id
           WHERE s.article_id IS NULL ORDER BY a.id""").fetchall()]


def index_missing(db, batch: int = 500, progress=None) -> int:
    """Add every article the index does not have yet; returns how many."""
    ids = missing_ids(db)
    for start in range(0, len(ids), batch):
        with transaction(db):
            for aid in ids[start:start + batch]:
                add_article(db, aid)
        if progress:
            progress(min(start + batch, len(ids)), len(ids))
    return len(ids)


def rebuild(db, batch: int = 500, progress=None) -> int:
    """Drop the index and every group, then index the whole archive again."""
    with transaction(db):
        db.execute("DELETE FROM neardup_bands")
        db.execute("DELETE FROM neardup_signatures")
        db.execute("DELETE FROM neardup_meta")
        db.execute("UPDATE articles SET duplicate_of = NULL, duplicate_score = NULL "
                   "WHERE duplicate_of IS NOT NULL OR duplicate_score IS NOT NULL")
    return index_missing(db, batch=batch, progress=progress)


def summary(db) -> dict:
    one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    return {
        "articles": one("SELECT count(*) FROM articles"),
        "indexed": one("SELECT count(*) FROM neardup_signatures"),
        "originals": one("SELECT count(*) FROM articles WHERE duplicate_of IS NULL"),
        "duplicates": one("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL"),
        "groups": one("SELECT count(DISTINCT duplicate_of) FROM articles WHERE duplicate_of IS NOT NULL"),
    }


# ---------------------------------------------------------------- evaluation

TARGET_PRECISION = 0.98
TARGET_RECALL = 0.95


def evaluate(eval_dir, db_path=None) -> dict:
    """Load the labelled set into a fresh archive through ``add_article`` and score its pairs.

    A pair is predicted "same story" when both documents end in one group.
    Also checks, per story, that the group's canonical is the expected one.
    """
    import csv
    import tempfile
    from pathlib import Path

    from archive.db import now_iso, open_db, text_hash

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
        index_missing(db)
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


def reindex_article(db, article_id: int) -> AddResult | None:
    """An article whose text changed: take it out of its group, then add it again.

    If it was a group's canonical, its former members are regrouped among
    themselves first (their signatures are still stored). Call inside a transaction.
    """
    members = [r[0] for r in db.execute("SELECT id FROM articles WHERE duplicate_of = ?", [article_id])]
    db.execute("UPDATE articles SET duplicate_of = NULL, duplicate_score = NULL WHERE id = ? OR duplicate_of = ?",
               [article_id, article_id])
    _drop_from_index(db, article_id)
    for m in members:
        add_article(db, m)
    return add_article(db, article_id)
