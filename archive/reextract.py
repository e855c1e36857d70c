"""Re-extraction: run the current extractor again over the stored raw pages.

Raw pages are kept (compressed, ``raw_pages.body``) so that extraction can be
re-run without re-crawling. :func:`reextract` takes every article selected (a
site, a first-fetch date), extracts it again from the pages of its last fetch
in worker processes (one per core), and, for each article whose text or
metadata came out different, keeps the stored version as a revision with
reason ``reextract`` (the crawl's are ``recrawl``) and writes the new one. The
full-text index follows through its triggers, the change counter (exports)
through its own, and the near-duplicate groups are recomputed for an article
whose text changed. Every article re-extracted records the extractor version
(``archive.extract.EXTRACTOR_VERSION``), its government document row (the facts
table, ``documents``: written, changed or removed as the pages now give it) and
what it cites (``archive.citations``): re-extraction is also how an archive stored
before documents existed gets them. An article whose pages no longer give
an article text, or cannot be decoded, is left as it was and counted.
"""
from __future__ import annotations

import difflib
import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from archive import citations
from archive.db import MAX_TEXT_CHARS, cap_text, decompress, now_iso, save_revision, transaction
from archive.extract import EXTRACTOR_VERSION
from archive.extract.article import charset_of, extract_article
from archive.search import give_index_change

FIELDS = ("title", "published_at", "source", "author", "editor", "keywords", "text")
METADATA = ("published_at", "source", "author", "editor", "keywords")
BATCH = 64  # articles handed to the workers, and written, at a time


@dataclass
class Result:
    selected: int = 0
    changed: int = 0
    unchanged: int = 0
    no_text: int = 0  # the pages give no article text now: left as stored
    errors: int = 0  # the pages cannot be extracted now: left as stored
    documents: int = 0  # articles whose pages give a government document's facts table
    documents_changed: int = 0  # of those and the others, whose `documents` row was (or would be) written or removed
    changed_fields: dict[str, int] = field(default_factory=dict)
    changed_ids: list[int] = field(default_factory=list)
    sample_diff: str = ""
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "changed_ids"} | {
            "changed_ids": self.changed_ids[:100]}


def _select(db, site: str | None, since: str | None) -> list[tuple[int, str]]:
    where, params = ["1"], []
    if site:
        where.append("site = ?")
        params.append(site)
    if since:
        where.append("(SELECT max(fetched_at) FROM raw_pages r WHERE r.article_id = articles.id) >= ?")
        params.append(since)
    return [(r[0], r[1]) for r in db.execute(
        f"SELECT id, site FROM articles WHERE {' AND '.join(where)} ORDER BY id", params)]


def last_fetch(db, article_id: int) -> list[tuple[bytes, str, str | None]]:
    """The article's pages as last fetched, ``[(body, url, charset)]`` in page order: for each page
    number up to ``articles.pages``, its newest stored copy."""
    rows = db.execute(
        """SELECT r.body, r.url, r.content_type FROM raw_pages r
           WHERE r.article_id = ? AND r.page <= (SELECT pages FROM articles WHERE id = ?)
             AND r.id = (SELECT max(id) FROM raw_pages WHERE article_id = r.article_id AND page = r.page)
           ORDER BY r.page""", [article_id, article_id]).fetchall()
    return [(decompress(body, db), url, charset_of(ctype)) for body, url, ctype in rows]


_RULES: dict = {}


def _init_worker(rules_by_site: dict) -> None:
    global _RULES
    _RULES = rules_by_site


def _extract_one(job: tuple[int, str, list]) -> tuple[int, dict | None, str | None]:
    article_id, site, pages = job
    try:
        return article_id, extract_article(pages, _RULES.get(site)), None
    except Exception as exc:  # noqa: BLE001 - one bad page is counted, never stops the run
        return article_id, None, f"{type(exc).__name__}: {exc}"


def _stored(db, article_id: int) -> dict:
    row = db.execute(f"SELECT {', '.join(FIELDS)} FROM articles WHERE id = ?", [article_id]).fetchone()
    out = dict(zip(FIELDS, row))
    out["keywords"] = json.loads(out["keywords"] or "[]")
    return out


def _new_values(new: dict, max_text_chars) -> dict:
    text, _ = cap_text(new["text"], max_text_chars)
    return {"title": new["title"], "published_at": new["published_at"], "source": new["source"],
            "author": new["author"], "editor": new["editor"], "keywords": new["keywords"], "text": text}


def _diff(article_id: int, old: dict, new: dict) -> str:
    lines = [f"article {article_id}"]
    for k in FIELDS:
        if k != "text" and old[k] != new[k]:
            lines.append(f"  {k}: {old[k]!r} -> {new[k]!r}")
    if old["text"] != new["text"]:
        diff = difflib.unified_diff(old["text"].splitlines(), new["text"].splitlines(),
                                    "stored", "re-extracted", n=1, lineterm="")
        lines.extend("  " + d for d in list(diff)[:20])
    return "\n".join(lines)


def _write(db, article_id: int, new: dict, full: dict, when: str, max_text_chars, labels) -> None:
    save_revision(db, article_id, "reextract", when)
    text, full_length = cap_text(full["text"], max_text_chars)
    keywords = json.dumps(new["keywords"], ensure_ascii=False)
    old_title, old_keywords, old_text, old_hash = db.execute(
        "SELECT title, keywords, text, text_hash FROM articles WHERE id = ?", [article_id]).fetchone()
    # the index's shadow forms, computed here (the update trigger takes them: schema version 15)
    give_index_change(db, article_id, (old_title, old_keywords, old_text), (new["title"], keywords, text))
    db.execute(
        """UPDATE articles SET title = ?, published_at = ?, source = ?, author = ?, editor = ?, keywords = ?,
             text = ?, text_hash = ?, text_full_length = ?, replaced_bytes = ?, extractor_version = ?,
             revision_count = revision_count + 1
           WHERE id = ?""",
        [new["title"], new["published_at"], new["source"], new["author"], new["editor"],
         keywords, text, full["text_hash"], full_length,
         full["replaced_bytes"], EXTRACTOR_VERSION, article_id])
    if full["text_hash"] != old_hash:
        from archive.dedup import NeedsRebuild, reindex_article

        try:
            reindex_article(db, article_id, labels)
        except NeedsRebuild:
            pass  # the index was built with other parameters: `archive dedup --rebuild` redoes it all


def reextract(db, *, rules_by_site: dict | None = None, site: str | None = None, since: str | None = None,
              dry_run: bool = False, workers: int | None = None, max_text_chars: int | None = MAX_TEXT_CHARS,
              labels: dict | None = None, progress=None) -> Result:
    """Re-extract the selected articles of the archive *db* (module docstring).

    *rules_by_site*: ``{site: archive.siterules.Selectors}`` (the site files' selectors);
    *since*: only articles last fetched on or after this ISO date/time; *workers*: processes
    (default ``os.cpu_count()``; 0 extracts in this process); *progress(done, total)* is
    called after each batch. With *dry_run* nothing is written.
    """
    rules_by_site = rules_by_site or {}
    result = Result(dry_run=dry_run)
    selected = _select(db, site, since)
    result.selected = len(selected)
    workers = (os.cpu_count() or 1) if workers is None else workers
    pool = ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(rules_by_site,)) if workers else None
    if pool is None:
        _init_worker(rules_by_site)
    when = now_iso()
    done = 0
    try:
        for start in range(0, len(selected), BATCH):
            batch = selected[start:start + BATCH]
            jobs = [(aid, s, last_fetch(db, aid)) for aid, s in batch]
            jobs = [j for j in jobs if j[2]]
            result.errors += len(batch) - len(jobs)  # no raw page stored
            outs = list(pool.map(_extract_one, jobs, chunksize=4) if pool else map(_extract_one, jobs))
            changes = []
            for article_id, full, error in outs:
                if error is not None:
                    result.errors += 1
                    continue
                if not full["text"]:
                    result.no_text += 1
                    continue
                old = _stored(db, article_id)
                new = _new_values(full, max_text_chars)
                differing = [k for k in FIELDS if old[k] != new[k]]
                if not differing:
                    result.unchanged += 1
                    changes.append((article_id, None, full))
                    continue
                result.changed += 1
                result.changed_ids.append(article_id)
                for k in differing:
                    result.changed_fields[k] = result.changed_fields.get(k, 0) + 1
                if not result.sample_diff:
                    result.sample_diff = _diff(article_id, old, new)
                changes.append((article_id, new, full))
            for article_id, new, full in changes:
                result.documents += bool(full.get("document"))
            if dry_run:
                for article_id, new, full in changes:
                    stored_doc = citations._doc_row(db, article_id)
                    want = ({f: full["document"].get(f) for f in citations.DOC_FIELDS}
                            if full.get("document") else None)
                    result.documents_changed += stored_doc != want
            elif changes:
                with transaction(db):
                    for article_id, new, full in changes:
                        if new is None:
                            db.execute("UPDATE articles SET extractor_version = ? WHERE id = ?",
                                       [EXTRACTOR_VERSION, article_id])
                        else:
                            _write(db, article_id, new, full, when, max_text_chars, labels)
                        title, text = db.execute("SELECT title, text FROM articles WHERE id = ?",
                                                 [article_id]).fetchone()
                        result.documents_changed += citations.store_document(
                            db, article_id, full.get("document"), title)
                        citations.store_refs(db, article_id, title, text)
            done += len(batch)
            if progress:
                progress(done, len(selected))
    finally:
        if pool is not None:
            pool.shutdown()
    return result
