"""What spiders hand to the pipelines.

spider → ``ArticleItem`` (raw pages) → extract → clean → dedup → store.
``FailureItem`` records a URL that did not give an article and why;
``AliasItem`` records another URL under which an article was linked.

A stage that decides an item is not an article raises :class:`Rejected` (a
``DropItem``); the store stage records the failure row when Scrapy signals the drop.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from scrapy.exceptions import DropItem
from scrapy.logformatter import LogFormatter


class Rejected(DropItem):
    """Not an article: the item is dropped and recorded as a failure of *kind* with *reason*
    (a reason that groups, see ``crawler/failures.py``)."""

    def __init__(self, kind: str, reason: str):
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason


class QuietDrops(LogFormatter):
    """A rejected item is a failure row, not a warning with the whole item (raw pages included)
    in the log: one DEBUG line with its URL."""

    def dropped(self, item, exception, response, spider):
        return {"level": logging.DEBUG, "msg": "rejected %(url)s: %(exception)s",
                "args": {"url": getattr(item, "url", "?"), "exception": exception}}


@dataclass
class Page:
    """One fetched page of an article, exactly as it came over the wire."""

    url: str
    status: int
    body: bytes
    fetched_at: str
    charset: str | None = None  # from the Content-Type header
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class ArticleItem:
    site: str
    url: str  # canonical real URL
    pages: list[Page] = field(default_factory=list)
    attachments: list[dict] = field(default_factory=list)  # url, name, type, size
    # filled by the extract and clean stages
    title: str | None = None
    published_at: str | None = None
    source: str | None = None
    author: str | None = None
    editor: str | None = None
    keywords: list[str] = field(default_factory=list)
    text: str = ""
    text_hash: str = ""
    encoding: str | None = None
    replaced_bytes: int = 0  # undecodable bytes replaced while decoding the pages (0: decoded cleanly)
    page_texts: list[str] = field(default_factory=list)
    # the first page's extraction (pipelines.pool.extract_pages's result), made where the spider read
    # the page, for a one-page article without attachments: the extract stage applies it, then clears it
    extracted: tuple | None = None
    # the joined text's near-duplicate form (archive.dedup.Prepared), computed where extraction runs;
    # the near-duplicate stage uses it only if it was computed from the text stored
    neardup: object | None = None
    fallback: list[str] = field(default_factory=list)  # declared selectors that missed on the first page
    document: bool = False  # the first page holds a government document's facts table
    document_facts: dict | None = None  # its fields (archive.extract.facts.find_document), stored in `documents`
    # refreshes: the archived article this fetch re-checks, and whether it is unchanged
    recheck_id: int | None = None
    not_modified: bool = False  # 304, or the same bytes as the stored page: nothing to extract
    # set by the spider when a page of the article failed: the reason (the item is then not emitted)
    incomplete: str | None = None
    # set by the dedup stage: earlier URLs of this run with the same text, now known to be an error page
    retract_urls: list[str] = field(default_factory=list)
    # set by the dedup stage: the archived article with this URL (then `changed` says
    # whether text or title differ), or the one with the same text under another URL
    existing_id: int | None = None
    changed: bool = False
    duplicate_of: int | None = None
    duplicate_reason: str | None = None
    # set by the store stage: the id of the article row it inserted (the near-duplicate stage reads it)
    article_id: int | None = None


@dataclass
class FailureItem:
    site: str
    url: str
    kind: str  # see crawler/failures.py
    reason: str
    status: int | None = None


@dataclass
class AliasItem:
    site: str
    url: str  # the URL as linked (or as requested, when it redirected)
    canonical: str  # the article's canonical URL
    redirected: bool = False  # *url* was fetched and redirected to *canonical*: its failure row goes


@dataclass
class ResolvedItem:
    """A URL that failed before (a list page) and was fetched whole this time: its failure row goes."""

    site: str
    url: str
