"""Stage 4, store: write articles, their raw pages, URLs, attachments and failures
(the failures of items a stage rejected included: this stage listens for their drop).

Each article is written in one transaction (article row, compressed raw pages,
attachments, aliases), so a killed process or a full disk leaves either the
whole article or nothing. A write that fails stops the spider with a clear
reason rather than going on and losing more.
"""
from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections import defaultdict

from scrapy import signals

from archive import citations, rawstore, statkeys
from archive.db import MAX_TEXT_CHARS, cap_text, compress, now_iso, save_revision, transaction
from archive.extract import EXTRACTOR_VERSION
from archive.search import give_index_change, give_index_input
from archive.settings import value as setting
from crawler.archive import crawl_archive
from crawler.items import AliasItem, ArticleItem, FailureItem, Rejected, ResolvedItem

logger = logging.getLogger(__name__)


def record_failure(db, site: str, url: str, kind: str, reason: str, status: int | None, when: str) -> None:
    db.execute(
        """INSERT INTO failures (url, site, kind, status, reason, first_seen, last_seen)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(url) DO UPDATE SET kind = excluded.kind, status = excluded.status,
             reason = excluded.reason, last_seen = excluded.last_seen, attempts = attempts + 1""",
        [url, site, kind, status, reason, when, when],
    )


def add_url(db, article_id: int, url: str, reason: str, when: str) -> None:
    db.execute(
        "INSERT OR IGNORE INTO article_urls (url, article_id, reason, first_seen) VALUES (?, ?, ?, ?)",
        [url, article_id, reason, when],
    )


def add_alias(db, article_id: int, url: str, redirected: bool, when: str) -> None:
    """Another URL of an article; a URL that redirected to it was fetched whole: no longer failing."""
    add_url(db, article_id, url, "alias", when)
    if redirected:
        db.execute("DELETE FROM failures WHERE url = ?", [url])


def _validators(item: ArticleItem) -> tuple[str | None, str | None]:
    first = item.pages[0] if item.pages else None
    return (first.etag, first.last_modified) if first else (None, None)


def stored_this_run(db, url: str, since: str) -> str | None:
    """The count this run made for *url*: ``statkeys.NEW`` (an article), ``statkeys.DUPLICATE`` (a
    same-text URL), or None (nothing stored under it since *since*)."""
    if db.execute("SELECT 1 FROM articles WHERE url = ? AND first_seen >= ?", [url, since]).fetchone():
        return statkeys.NEW
    if db.execute("SELECT 1 FROM article_urls WHERE url = ? AND reason != 'alias' AND first_seen >= ?",
                  [url, since]).fetchone():
        return statkeys.DUPLICATE
    return None


def retract_url(db, url: str, since: str) -> bool:
    """Undo what this run stored under *url* (since *since*): an error page taken for an article or its
    same-text URL. An article archived before this run is never touched. True when something was undone."""
    row = db.execute("SELECT id FROM articles WHERE url = ? AND first_seen >= ?", [url, since]).fetchone()
    if row:
        aid = row[0]
        try:
            from archive.dedup.index import _drop_from_index

            _drop_from_index(db, aid)
        except ImportError:  # pragma: no cover - the near-duplicate index is optional here
            pass
        db.execute("UPDATE articles SET duplicate_of = NULL WHERE duplicate_of = ?", [aid])
        citations.forget(db, aid)
        for table in ("article_urls", "raw_pages", "attachments", "revisions"):
            db.execute(f"DELETE FROM {table} WHERE article_id = ?", [aid])
        db.execute("DELETE FROM articles WHERE id = ?", [aid])
        return True
    cur = db.execute("DELETE FROM article_urls WHERE url = ? AND reason != 'alias' AND first_seen >= ?", [url, since])
    return cur.rowcount > 0


# the new article's row: one plain INSERT (sqlite-utils' insert() looked up the tables and views
# twice and wrapped the row in a savepoint of its own, five statements more per article)
ARTICLE_COLUMNS = ("url", "site", "title", "published_at", "source", "author", "editor", "keywords", "text",
                   "text_hash", "pages", "first_seen", "last_seen", "checked_at", "etag", "last_modified",
                   "text_full_length", "replaced_bytes", "extractor_version")
_INSERT_ARTICLE = (f"INSERT INTO articles ({', '.join(ARTICLE_COLUMNS)}) "
                   f"VALUES ({', '.join('?' * len(ARTICLE_COLUMNS))})")


def insert_article(db, item: ArticleItem, when: str, max_text_chars: int | None = MAX_TEXT_CHARS) -> int:
    """Insert a new article with its pages and attachments; returns its id.

    A text longer than *max_text_chars* is stored cut (``archive.db.cap_text``)."""
    etag, modified = _validators(item)
    text, full_length = cap_text(item.text, max_text_chars)
    # the index's shadow forms, computed here (the insert trigger takes them: schema version 14)
    give_index_input(db, item.url, item.title, item.keywords, text)
    article_id = db.execute(_INSERT_ARTICLE, [
        item.url, item.site, item.title, item.published_at, item.source, item.author, item.editor,
        json.dumps(item.keywords, ensure_ascii=False), text, item.text_hash, len(item.pages), when, when, when,
        etag, modified, full_length, item.replaced_bytes, EXTRACTOR_VERSION,
    ]).lastrowid
    insert_pages(db, article_id, item)
    insert_attachments(db, article_id, item, when, max_text_chars)
    citations.store_new(db, article_id, item.document_facts, item.title, item.text)
    db.execute("DELETE FROM failures WHERE url = ?", [item.url])
    # a URL that had only the same text as another article is now an article of its own
    db.execute("DELETE FROM article_urls WHERE url = ? AND reason != 'alias'", [item.url])
    return article_id


def update_article(db, article_id: int, item: ArticleItem, when: str,
                   max_text_chars: int | None = MAX_TEXT_CHARS) -> None:
    """A re-fetched article whose text or title changed: keep the old version as a revision."""
    save_revision(db, article_id, "recrawl", when)
    etag, modified = _validators(item)
    text, full_length = cap_text(item.text, max_text_chars)
    keywords = json.dumps(item.keywords, ensure_ascii=False)
    old = db.execute("SELECT title, keywords, text FROM articles WHERE id = ?", [article_id]).fetchone()
    if old is not None:  # the index's shadow forms, computed here (the update trigger takes them: schema 15)
        give_index_change(db, article_id, tuple(old), (item.title, keywords, text))
    db.execute(
        """UPDATE articles SET title = ?, published_at = COALESCE(?, published_at), source = ?, author = ?,
             editor = ?, keywords = ?, text = ?, text_hash = ?, pages = ?, last_seen = ?, checked_at = ?,
             etag = ?, last_modified = ?, gone_at = NULL, revision_count = revision_count + 1,
             text_full_length = ?, replaced_bytes = ?, extractor_version = ?, changed_at = ?
           WHERE id = ?""",
        [item.title, item.published_at, item.source, item.author, item.editor,
         keywords, text, item.text_hash, len(item.pages),
         when, when, etag, modified, full_length, item.replaced_bytes, EXTRACTOR_VERSION, when, article_id],
    )
    insert_pages(db, article_id, item)
    insert_attachments(db, article_id, item, when, max_text_chars)
    citations.store(db, article_id, item.document_facts, item.title, item.text)


def touch_article(db, article_id: int, item: ArticleItem | None, when: str) -> None:
    """Seen again, unchanged: only ``last_seen`` (and the validators, if *item* brought new ones) move."""
    etag, modified = _validators(item) if item is not None else (None, None)
    db.execute(
        """UPDATE articles SET last_seen = ?, checked_at = ?, gone_at = NULL,
             etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified) WHERE id = ?""",
        [when, when, etag, modified, article_id],
    )


def insert_pages(db, article_id: int, item: ArticleItem) -> None:
    """The article's fetched pages, each compressed with its site's newest dictionary
    (``archive.rawstore``; a site's dictionary is trained here once it has enough pages)."""
    for n, page in enumerate(item.pages, 1):
        db.execute(
            """INSERT INTO raw_pages (article_id, url, page, fetched_at, status, content_type, encoding,
                                      etag, last_modified, size, body_sha1, body)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [article_id, page.url, n, page.fetched_at, page.status, page.content_type,
             item.encoding if n == 1 else None, page.etag, page.last_modified, len(page.body),
             hashlib.sha1(page.body).hexdigest(), compress(page.body, db, item.site)],
        )
    rawstore.stored(db, item.site, len(item.pages))


def insert_attachments(db, article_id: int, item: ArticleItem, when: str,
                       max_text_chars: int | None = MAX_TEXT_CHARS) -> None:
    """The article's attachments: the file compressed like a raw page, its kind, text and reason
    (``archive.attachments.fill``). A file fetched again replaces the stored one; a fetch that
    gave no file (404, over the cap) never replaces a file stored before, only says why."""
    for att in item.attachments:
        body = att.get("body")
        text, full_length = (None, None) if att.get("text") is None else cap_text(att["text"], max_text_chars)
        db.execute(
            """INSERT INTO attachments (article_id, url, name, type, size, first_seen, kind, body, sha1, text,
                                        text_full_length, pages, status, reason, fetched_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(article_id, url) DO UPDATE SET
                 name = excluded.name, type = excluded.type, size = excluded.size, kind = excluded.kind,
                 body = excluded.body, sha1 = excluded.sha1, text = excluded.text,
                 text_full_length = excluded.text_full_length, pages = excluded.pages,
                 status = excluded.status, reason = excluded.reason, fetched_at = excluded.fetched_at
               WHERE excluded.body IS NOT NULL OR attachments.body IS NULL""",
            [article_id, att["url"], att.get("name"), att.get("type"), att.get("size"), when, att.get("kind"),
             compress(body) if body is not None else None, att.get("sha1"), text, full_length, att.get("pages"),
             att.get("status"), att.get("reason"), att.get("fetched_at")],
        )


class StorePipeline:
    """Writes what the spider and the stages hand on, and records every item a stage rejected
    (``crawler.items.Rejected``, through Scrapy's ``item_dropped`` signal) as a failure."""

    def __init__(self, crawler, archive, max_text_chars: int | None = MAX_TEXT_CHARS):
        self.crawler = crawler
        self.archive = archive
        self.max_text_chars = max_text_chars  # longest text stored in articles.text (0: no cap)
        # canonical URL → {URL: whether it redirected there}, for articles not stored yet
        self.pending_aliases: dict[str, dict[str, bool]] = defaultdict(dict)
        self.since = now_iso()
        self.counts: list[tuple[str, int]] = []

    @classmethod
    def from_crawler(cls, crawler):
        pipe = cls(crawler, crawl_archive(crawler), setting(crawler.settings, "ARCHIVE_MAX_TEXT_CHARS"))
        crawler.signals.connect(pipe.item_dropped, signal=signals.item_dropped)
        return pipe

    @property
    def db(self):
        return self.archive.db

    def open_spider(self, spider=None):
        self.since = now_iso()
        self.counts = []

    def close_spider(self, spider=None):
        """Nothing to do: the crawl's archive closes its connection when the engine stops."""

    def checkpoint(self) -> None:
        """The URLs waiting for their article as they are now, restored by :meth:`undo` (a writer that
        stores many items in one transaction, when the transaction rolls back)."""
        self._saved_aliases = {k: dict(v) for k, v in self.pending_aliases.items() if v}

    def undo(self) -> None:
        self.pending_aliases = defaultdict(dict, self._saved_aliases)
        self._saved_aliases = None

    def forget_checkpoint(self) -> None:
        self._saved_aliases = None

    @property
    def stats(self):
        return self.crawler.stats

    def count(self, key: str, n: int = 1) -> None:
        """Count *key* once the write commits: the summary counts what was really stored."""
        self.counts.append((key, n))

    def process_item(self, item):
        self.commit(self.write, item)
        return item

    def item_dropped(self, item, response=None, spider=None, exception=None):
        """A stage rejected *item*: it is a failure of the exception's kind (other drops are not ours)."""
        if isinstance(exception, Rejected):
            self.commit(self.reject, item, exception)

    def commit(self, write, item, *args) -> None:
        """Run *write* in one transaction, then count what it wrote; a failed write stops the crawl."""
        self.counts = []
        try:
            with transaction(self.db):
                write(item, *args)
            for key, n in self.counts:
                self.stats.inc_value(key, n)
        except sqlite3.Error as exc:
            self.stats.inc_value(statkeys.failed("store"))
            self.stats.set_value(statkeys.STORE_ERROR, str(exc))
            logger.error("archive write failed for %s: %s", getattr(item, "url", item), exc)
            self.stop(f"archive write failed: {exc}")

    def stop(self, reason: str) -> None:
        """Stop the crawl: nothing more can be stored safely."""
        try:
            engine = self.crawler.engine
        except RuntimeError:  # no crawl running (the stage used on its own)
            return
        if engine is not None and engine.running:
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(engine.close_spider_async(reason=reason))

    def reject(self, item, rejected: Rejected) -> None:
        when = now_iso()
        db = self.db
        kind, reason = rejected.kind, rejected.reason
        pages = getattr(item, "pages", None)
        record_failure(db, item.site, item.url, kind, reason, pages[0].status if pages else None, when)
        self.count(statkeys.failed(kind))
        # this run took the same error page for articles: undo that, count them as failures
        stored = {url: stored_this_run(db, url, self.since) for url in getattr(item, "retract_urls", ())}
        for url, counted in stored.items():
            if counted is None:
                continue  # already a failure, or archived before this run (left alone)
            retract_url(db, url, self.since)
            self.count(counted, -1)
            record_failure(db, item.site, url, kind, reason, None, when)
            self.count(statkeys.failed(kind))

    def write(self, item) -> None:
        when = now_iso()
        db = self.db
        if isinstance(item, FailureItem):
            record_failure(db, item.site, item.url, item.kind, item.reason, item.status, when)
            self.count(statkeys.failed(item.kind))
            if item.kind == "gone":  # marked, never deleted
                db.execute("UPDATE articles SET gone_at = COALESCE(gone_at, ?) WHERE url = ?", [when, item.url])
        elif isinstance(item, ResolvedItem):
            db.execute("DELETE FROM failures WHERE url = ?", [item.url])
        elif isinstance(item, AliasItem):
            row = self.archive.article_for_url(item.canonical)
            if row:
                add_alias(db, row["id"], item.url, item.redirected, when)
            else:  # its article is not stored yet: the URL is added when it is
                pending = self.pending_aliases[item.canonical]
                pending[item.url] = pending.get(item.url, False) or item.redirected
        elif isinstance(item, ArticleItem):
            if item.not_modified or item.existing_id is not None or item.duplicate_of is not None:
                # fetched whole: no longer failing (insert_article clears it for a new article)
                db.execute("DELETE FROM failures WHERE url = ?", [item.url])
            if item.not_modified:
                touch_article(db, item.recheck_id, item, when)
                self.count(statkeys.UNCHANGED)
                return
            if item.existing_id is not None:
                self.add_pending_aliases(item.url, item.existing_id, when)
                if item.changed:
                    update_article(db, item.existing_id, item, when, self.max_text_chars)
                    self.count(statkeys.UPDATED)
                else:
                    touch_article(db, item.existing_id, item, when)
                    # the attachments were fetched again: a file that failed before may have come now
                    insert_attachments(db, item.existing_id, item, when, self.max_text_chars)
                    # same text and title; the facts table (its validity) may still have changed
                    citations.store_document(db, item.existing_id, item.document_facts, item.title)
                    self.count(statkeys.UNCHANGED)
                return
            if item.duplicate_of is not None:
                touch_article(db, item.duplicate_of, None, when)
                add_url(db, item.duplicate_of, item.url, item.duplicate_reason or "duplicate", when)
                self.add_pending_aliases(item.url, item.duplicate_of, when)
                self.count(statkeys.DUPLICATE)
                return
            article_id = insert_article(db, item, when, self.max_text_chars)
            item.article_id = article_id
            self.add_pending_aliases(item.url, article_id, when)
            self.count(statkeys.NEW)

    def add_pending_aliases(self, url: str, article_id: int, when: str) -> None:
        """The URLs that came for *url* before its article was stored become URLs of *article_id*."""
        for alias, redirected in self.pending_aliases.pop(url, {}).items():
            add_alias(self.db, article_id, alias, redirected, when)
