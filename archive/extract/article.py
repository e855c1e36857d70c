"""One article from its pages: each page extracted, the texts joined, the result hashed.

The crawl does this in two stages (``pipelines/extract.py`` then ``pipelines/clean.py``,
which join pages with :func:`join_pages`); re-extraction from the stored raw pages
(``archive/reextract.py``) does it here in one call, with the same functions, so a
re-extraction by an unchanged extractor reproduces what the crawl stored.
"""
from __future__ import annotations

import re
import unicodedata

from archive.db import text_hash
from archive.extract.vocab import LINE_SPACE, MEANINGFUL_RX, MIN_TEXT_CHARS, drop_replacement

_CHARSET = re.compile(r"charset=([\w.:-]+)", re.I)


def normalise_line(line: str) -> str:
    line = drop_replacement(unicodedata.normalize("NFC", line))
    return LINE_SPACE.sub(" ", line).strip()


def join_pages(texts: list[str]) -> str:
    """One paragraph per line; a line a later page repeats from an earlier one is dropped."""
    out: list[str] = []
    seen: set[str] = set()
    for i, text in enumerate(texts):
        for raw in (text or "").splitlines():
            line = normalise_line(raw)
            if not line:
                continue
            if i > 0 and line in seen:
                continue
            if out and out[-1] == line:
                continue
            out.append(line)
            seen.add(line)
    return "\n".join(out)


def is_article_text(text: str) -> bool:
    """Enough meaningful characters to be an article (the clean stage rejects the rest). The
    characters are counted in the text's first few lines first: an article has them there, and
    its whole text is not listed character by character."""
    return (len(MEANINGFUL_RX.findall(text, 0, 8 * MIN_TEXT_CHARS)) >= MIN_TEXT_CHARS
            or len(MEANINGFUL_RX.findall(text)) >= MIN_TEXT_CHARS)


def charset_of(content_type: str | None) -> str | None:
    """The charset named in a Content-Type header value, or None."""
    m = _CHARSET.search(content_type or "")
    return m.group(1) if m else None


def extract_article(pages: list[tuple[bytes, str, str | None]], rules=None) -> dict:
    """Extract an article from its pages ``[(body, url, charset), …]`` (first page first).

    Returns the stored fields ``title, published_at, source, author, editor, keywords,
    text, text_hash, encoding, replaced_bytes`` and ``document`` (the first page's facts table,
    or None); ``text`` is "" when the pages hold no
    article (:func:`is_article_text` false). Raises what :func:`archive.extract.extract` raises.
    """
    from archive.extract import extract

    out: dict = {}
    texts: list[str] = []
    replaced = 0
    for i, (body, url, charset) in enumerate(pages):
        result = extract(body, url, charset=charset, rules=rules)
        if i == 0:
            out = {k: result.get(k) for k in ("title", "published_at", "source", "author", "editor", "encoding")}
            out["keywords"] = list(result.get("keywords") or [])
            out["document"] = result.get("document")  # the facts table's fields, or None
        replaced += result.get("replaced_bytes") or 0
        texts.append(result.get("text") or "")
    text = join_pages(texts)
    if out.get("title"):
        out["title"] = normalise_line(out["title"])
    out["replaced_bytes"] = replaced
    out["text"] = text if is_article_text(text) else ""
    out["text_hash"] = text_hash(out["text"]) if out["text"] else ""
    return out
