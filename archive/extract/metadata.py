"""Article metadata: title, publication time, source, author, editor, keywords.

A site's ``Selectors`` are tried first; generic rules are the fallback.  The
publication time comes from the page's own date line (the lines right around
the title) or from machine-readable fields (``<meta>`` PubDate/publishdate/
article:published_time, ``#pubtime_baidu``, JSON-LD datePublished) — never
from dates further down the page, which belong to related news.
"""
from __future__ import annotations

from .bylines import find_author, find_editor, find_source, _clean_name
from .dates import _has_time, find_published_at, iso, parse_datetime
from .facts import DOC_FIELDS, find_document
from .keywords import find_keywords
from .lines import _PAGE, document_lines, header_lines
from .render import lines_memo, select
from .title import find_title

__all__ = [
    "extract_metadata", "parse_datetime", "find_title", "find_published_at", "find_source",
    "find_author", "find_editor", "find_keywords", "find_document",
]


def extract_metadata(tree, rules=None, url: str | None = None) -> dict:
    token = _PAGE.set({})
    try:
        with lines_memo():  # the tree is only read here: each element rendered once
            return _extract_metadata(tree, rules, url)
    finally:
        _PAGE.reset(token)


def _extract_metadata(tree, rules=None, url: str | None = None) -> dict:
    document = find_document(tree)
    title, title_el = find_title(tree, rules, document)
    lines = document_lines(tree)
    head = header_lines(tree, title, title_el, doc_lines=lines)
    author = _clean_name(find_author(tree, rules, head, lines, title))
    editor = find_editor(tree, rules) or find_editor(tree, rules, [line for line in lines if len(line) <= 60])
    if author and editor and author == editor and not select(tree, getattr(rules, "author", None)):
        author = None  # CMSs often write the editor into <meta name="author">
    published_at = find_published_at(tree, rules, head, lines, title)
    if document and document.get("published_at") and not select(tree, getattr(rules, "date", None)):
        # the facts table's 发布日期 is the document's own; keep a more precise
        # time from elsewhere on the same day
        facts = parse_datetime(document["published_at"])
        other = parse_datetime(published_at)
        if not (other and facts and other.date() == facts.date() and _has_time(published_at or "")):
            published_at = iso(facts)
    return {
        "title": title,
        "published_at": published_at,
        "source": find_source(tree, rules, head, lines),
        "author": author,
        "editor": editor,
        "keywords": find_keywords(tree, rules, head),
        "document": document,
    }
