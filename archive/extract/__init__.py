"""Extraction library: decoded text, metadata and clean body of one article page.

Pure functions: no Scrapy, no database.  A site file may pass a
:class:`archive.siterules.Selectors`; every selector is optional and one that
stops matching falls back to the generic layer.
"""
from __future__ import annotations

import re

from lxml import etree, html as lxml_html

from .decode import DecodeError, decode, decode_counted
from .metadata import extract_metadata
from .render import lines_memo, select
from .text import body_text
from .vocab import drop_replacement, strip_controls

__all__ = ["EXTRACTOR_VERSION", "extract", "parse_html", "DecodeError", "decode"]

# The extractor's version, stored with every article it produced (``articles.extractor_version``).
# Raise it with any change that alters what is extracted; ``archive reextract`` then brings
# stored articles up to date from their raw pages.
EXTRACTOR_VERSION = "2026.11.2"

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_SELECTOR_FIELDS = ("title", "body", "date", "source", "author", "editor", "keywords")
_PARSER = lxml_html.HTMLParser(remove_comments=True, remove_pis=True)
# Every element an lxml.html element, found by lxml's C lookup: lxml.html's own
# lookup is a Python call each time an element is touched (over a million per
# 100 pages); it only adds the form classes (FormElement, InputElement …),
# whose form APIs extraction never uses.
_PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=lxml_html.HtmlElement, comment=lxml_html.HtmlComment,
    pi=lxml_html.HtmlProcessingInstruction, entity=lxml_html.HtmlEntity))


def parse_html(text: str):
    """Parse decoded HTML into an lxml tree (None for an empty document)."""
    text = _XML_DECL.sub("", text, count=1)
    if not text.strip():
        return None
    try:
        return lxml_html.document_fromstring(text, parser=_PARSER)
    except Exception:  # lxml refuses some degenerate documents
        return None


def extract(body: bytes | str, url: str | None = None, *, charset: str | None = None, rules=None,
            decoded: tuple[str, str, int] | None = None) -> dict:
    """Extract one article page.

    Returns a dict with keys ``url, title, published_at, source, author,
    editor, keywords, text, encoding, replaced_bytes, document``; ``text`` is "" when the
    page holds no article body; ``document`` is the parsed facts table of a
    government document page (index_no, category, issuer, doc_number,
    written_at, published_at, validity, subject_words, title), else None; ``replaced_bytes`` counts the undecodable byte
    sequences that were replaced (and dropped); ``fallback`` lists the site's declared selectors
    (``title``, ``body``, ``date``…) that matched nothing on the page, whose field therefore came
    from the generic layer ([] without rules, or when every declared selector matched).  Control characters are
    removed before parsing.  Raises :class:`DecodeError` only for binary
    garbage.  *decoded*: ``decode_counted(body, charset)`` already made by the caller (the page
    is decoded once).
    """
    if decoded is not None:
        text, encoding, replaced = decoded
    elif isinstance(body, str):
        text, encoding, replaced = body, "unicode", 0
    else:
        text, encoding, replaced = decode_counted(body, charset)
    text = strip_controls(text)
    result = {
        "url": url, "title": None, "published_at": None, "source": None, "author": None,
        "editor": None, "keywords": [], "text": "", "encoding": encoding, "replaced_bytes": replaced,
        "document": None, "fallback": [],
    }
    tree = parse_html(text)
    if tree is None:
        return result
    # lxml makes a Python object for an element each time it is reached unless one
    # is alive: holding them while the page is read spares the later walks (the
    # rendering, the finders, the body's) making them again
    elements = list(tree.iter())
    with lines_memo():  # the tree is only read until body_text: each selector applied once
        if rules is not None:  # before body_text, which may prune the tree
            result["fallback"] = [f for f in _SELECTOR_FIELDS
                                  if getattr(rules, f, None) and not select(tree, getattr(rules, f))]
        meta = extract_metadata(tree, rules, url)
    result.update(meta)
    result["text"] = drop_replacement(body_text(tree, url, rules, title=meta["title"]))
    del elements
    return result
