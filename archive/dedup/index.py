"""The near-duplicate index in the archive (signatures and LSH bands) and the story groups."""
from __future__ import annotations

import itertools
import json
import os
from dataclasses import dataclass

import numpy as np

from archive.db import transaction
from archive.search import CHANGES_TABLE

from .canonical import choose_canonical
from .compare import (
    DOC_CACHE_BYTES, ESTIMATE_SLACK, MIN_CONTAINMENT, Doc, Prepared, _FormCache, containment, decide,
    estimated_containments, shared_counts,
)
from .minhash import PARAMS, band_keys, signature


class NeedsRebuild(RuntimeError):
    """The stored index was built with other parameters."""


def check_params(db) -> None:
    """Record the index parameters on first use; refuse an index built with others.

    Once the archive's parameters were found to be these, a connection does not read them again
    (:func:`rebuild` forgets that)."""
    if getattr(db, "_neardup_params_ok", False):
        return
    row = db.execute("SELECT value FROM neardup_meta WHERE key = 'params'").fetchone()
    if row is None:  # recorded in the caller's transaction: read back (and remembered) next time
        db.execute("INSERT OR REPLACE INTO neardup_meta (key, value) VALUES ('params', ?)",
                   [json.dumps(PARAMS, sort_keys=True)])
    elif json.loads(row[0]) != PARAMS:
        raise NeedsRebuild("the near-duplicate index was built with other parameters; "
                           "run `archive dedup --rebuild`")
    else:
        _params_checked(db, True)


def _params_checked(db, ok: bool) -> None:
    try:
        db._neardup_params_ok = ok
    except AttributeError:  # pragma: no cover - a connection object that takes no attributes: check each time
        pass


def _article(db, article_id: int) -> dict | None:
    cur = db.execute(f"""SELECT id, url, site, source, published_at, text,
                                (SELECT seq FROM {CHANGES_TABLE} WHERE article_id = articles.id) AS seq
                         FROM articles WHERE id = ?""", [article_id])
    row = cur.fetchone()
    return dict(zip([c[0] for c in cur.description], row)) if row else None


# The forms of the articles compared last: a stored article is a candidate of many that come after it,
# and its text is read and its shingles computed once, not once per candidate. The key is the row's
# version as two independent writers keep it: ``article_changes.seq``, which SQLite's triggers renew on
# every write of an article's text (archive/schema.py), and the signature this index stored for it
# (renewed whenever the article is indexed again); the archive file is in the key because ids and
# versions are per archive (the crawls of several sites in one process each have a connection to it).
# A changed text is never compared in its old form.
_FORMS = _FormCache(DOC_CACHE_BYTES)
_tokens = itertools.count(1)


def _token(db):
    """The archive file of this connection (its path and inode), read once per connection."""
    token = getattr(db, "_neardup_token", None)
    if token is None:
        path = next((f for _, name, f in db.conn.execute("PRAGMA database_list") if name == "main"), "")
        try:
            st = os.stat(path) if path else None
        except OSError:
            st = None
        token = (path, st.st_dev, st.st_ino) if st else next(_tokens)  # in memory: this connection's own
        try:
            db._neardup_token = token
        except AttributeError:  # pragma: no cover - a connection object that takes no attributes
            pass
    return token


def _docs(db, ids: list[int]) -> dict[int, Doc]:
    """The comparable forms of the stored articles *ids*: from the cache where their row and their
    signature did not change since, the others' texts read in one query."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return {}
    token, out, missing = _token(db), {}, []
    marks = ",".join("?" * len(ids))
    versions = {aid: (seq, sig) for aid, seq, sig in db.execute(
        f"""SELECT c.article_id, c.seq, s.minhash FROM {CHANGES_TABLE} c
            JOIN neardup_signatures s ON s.article_id = c.article_id WHERE c.article_id IN ({marks})""",
        ids).fetchall()}
    for aid in ids:
        parts = _FORMS.get((token, aid, *versions[aid])) if aid in versions else None
        if parts is None:
            missing.append(aid)
        else:
            out[aid] = Doc(*parts)
    if missing:
        marks = ",".join("?" * len(missing))
        for aid, text in db.execute(f"SELECT id, text FROM articles WHERE id IN ({marks})", missing).fetchall():
            out[aid] = doc = Doc.of(text)
            if aid in versions:
                _FORMS.put((token, aid, *versions[aid]), (doc.shingles, doc.ident))
    return out


def _drop_from_index(db, article_id: int) -> None:
    """Remove an article's signature and band rows (found by key: no scan)."""
    old = db.execute("SELECT minhash FROM neardup_signatures WHERE article_id = ?", [article_id]).fetchone()
    if old:
        db.conn.executemany("DELETE FROM neardup_bands WHERE band_key = ? AND article_id = ?",
                            [(k, article_id) for k in band_keys(np.frombuffer(old[0], dtype="<u4"))])
        db.execute("DELETE FROM neardup_signatures WHERE article_id = ?", [article_id])


def _store_signature(db, article_id: int, doc: Doc, sig: np.ndarray | None = None,
                     keys: list[int] | None = None) -> tuple[np.ndarray, list[int]]:
    if sig is None or keys is None:
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


def add_article(db, article_id: int, labels: dict[str, str] | None = None,
                prepared: Prepared | None = None) -> AddResult | None:
    """Index one stored article and put it in its group. Call inside a transaction.

    *prepared* is the article text's form computed where it was extracted (:func:`.compare.prepare`);
    it is used only when it was computed from the very text stored, else the form is computed here.

    Cost: one signature, one ``IN`` lookup over the article's band keys, the signature estimate
    of all candidates at once, the forms of those worth verifying (kept from earlier adds, else their
    texts read in one query), and the updates of its group.
    """
    check_params(db)
    row = _article(db, article_id)
    if row is None:
        return None
    text = row["text"]
    sig = keys = None
    if prepared is not None and prepared.fits(text):
        doc = prepared.doc()
        if doc.size:
            sig, keys = prepared.sig(), list(prepared.keys)
    else:
        doc = Doc.of(text)
    if not doc.size:
        return AddResult(article_id, article_id, [], 1)
    sig, keys = _store_signature(db, article_id, doc, sig, keys)
    if row["seq"] is not None:  # a candidate of the articles after it
        _FORMS.put((_token(db), article_id, row["seq"], sig.astype("<u4").tobytes()), (doc.shingles, doc.ident))
    found = candidates(db, article_id, keys)
    matches = []
    if found:
        est = estimated_containments(sig, doc.size, np.frombuffer(b"".join(c[2] for c in found), dtype="<u4")
                                     .reshape(len(found), -1), [c[1] for c in found])
        worth = [c[0] for c, e in zip(found, est.tolist()) if not e < MIN_CONTAINMENT - ESTIMATE_SLACK]
        docs = _docs(db, worth)
        others = [docs[cid] for cid in worth]
        for cid, other, common in zip(worth, others, shared_counts(doc.shingles, [o.shingles for o in others])):
            score = decide(doc, other, common)
            if score is not None:
                matches.append((cid, score))
    if not matches:
        db.execute("UPDATE articles SET duplicate_of = NULL, duplicate_score = NULL "
                   "WHERE id = ? AND (duplicate_of IS NOT NULL OR duplicate_score IS NOT NULL)", [article_id])
        return AddResult(article_id, article_id, [], 1)
    canonical, size = regroup(db, article_id, doc, [m for m, _ in matches], labels)
    return AddResult(article_id, canonical, matches, size)


def _group_roots(db, ids: list[int]) -> set[int]:
    marks = ",".join("?" * len(ids))
    return {r[0] for r in db.execute(
        f"SELECT COALESCE(duplicate_of, id) FROM articles WHERE id IN ({marks})", ids).fetchall()}


def regroup(db, article_id: int, doc: Doc, matched: list[int], labels: dict[str, str] | None = None) -> tuple[int, int]:
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
    canon = choose_canonical(members, labels)
    cid = canon["id"]
    # Only members whose canonical changes (and the new article) need a new score.
    rescore = [m["id"] for m in members if m["id"] != cid and (m["duplicate_of"] != cid or m["id"] == article_id)]
    docs = _docs(db, [i for i in (cid, *rescore) if i != article_id])
    canon_doc = doc if cid == article_id else docs[cid]
    for m in members:
        if m["id"] == cid:
            db.execute("UPDATE articles SET duplicate_of = NULL, duplicate_score = NULL WHERE id = ?", [cid])
            continue
        if m["duplicate_of"] == cid and m["id"] != article_id:
            continue
        mdoc = doc if m["id"] == article_id else docs[m["id"]]
        db.execute("UPDATE articles SET duplicate_of = ?, duplicate_score = ? WHERE id = ?",
                   [cid, round(containment(mdoc, canon_doc), 4), m["id"]])
    return cid, len(members)


def missing_ids(db) -> list[int]:
    """Articles not yet in the index (stored while the stage was off, or before migration 3).

    Every signature is of an article (a foreign key: an article is deleted only once out of the
    index), so as many signatures as articles means none is missing: two counts, each read from a
    small index (schema version 16), instead of a look-up per article: the usual answer when a crawl
    opens a site."""
    if db.execute("SELECT count(*) FROM articles").fetchone()[0] == \
            db.execute("SELECT count(*) FROM neardup_signatures").fetchone()[0]:
        return []
    return [r[0] for r in db.execute(
        """SELECT a.id FROM articles a LEFT JOIN neardup_signatures s ON s.article_id = a.id
           WHERE s.article_id IS NULL ORDER BY a.id""").fetchall()]


def index_missing(db, batch: int = 500, progress=None, labels: dict[str, str] | None = None) -> int:
    """Add every article the index does not have yet; returns how many."""
    ids = missing_ids(db)
    for start in range(0, len(ids), batch):
        with transaction(db):
            for aid in ids[start:start + batch]:
                add_article(db, aid, labels)
        if progress:
            progress(min(start + batch, len(ids)), len(ids))
    return len(ids)


def rebuild(db, batch: int = 500, progress=None, labels: dict[str, str] | None = None) -> int:
    """Drop the index and every group, then index the whole archive again."""
    with transaction(db):
        db.execute("DELETE FROM neardup_bands")
        db.execute("DELETE FROM neardup_signatures")
        db.execute("DELETE FROM neardup_meta")
        db.execute("UPDATE articles SET duplicate_of = NULL, duplicate_score = NULL "
                   "WHERE duplicate_of IS NOT NULL OR duplicate_score IS NOT NULL")
    _params_checked(db, False)
    return index_missing(db, batch=batch, progress=progress, labels=labels)


def summary(db) -> dict:
    one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    return {
        "articles": one("SELECT count(*) FROM articles"),
        "indexed": one("SELECT count(*) FROM neardup_signatures"),
        "originals": one("SELECT count(*) FROM articles WHERE duplicate_of IS NULL"),
        "duplicates": one("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL"),
        "groups": one("SELECT count(DISTINCT duplicate_of) FROM articles WHERE duplicate_of IS NOT NULL"),
    }


def reindex_article(db, article_id: int, labels: dict[str, str] | None = None,
                    prepared: Prepared | None = None) -> AddResult | None:
    """An article whose text changed: take it out of its group, then add it again.

    If it was a group's canonical, its former members are regrouped among
    themselves first (their signatures are still stored). Call inside a transaction.
    """
    members = [r[0] for r in db.execute("SELECT id FROM articles WHERE duplicate_of = ?", [article_id])]
    db.execute("UPDATE articles SET duplicate_of = NULL, duplicate_score = NULL WHERE id = ? OR duplicate_of = ?",
               [article_id, article_id])
    _drop_from_index(db, article_id)
    for m in members:
        add_article(db, m, labels)
    return add_article(db, article_id, labels, prepared)
