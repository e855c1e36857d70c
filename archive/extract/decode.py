"""Turn the bytes of a Chinese web page into text.

Evidence, strongest first: a byte-order mark, the bytes themselves (UTF-8 is
self-validating: a long page of valid multi-byte UTF-8 is UTF-8 whatever it
declares), the HTTP header charset, the ``<meta>`` charset.  GB2312 and GBK are
decoded as their superset GB18030.  Single-byte labels (latin-1, ascii,
windows-1252) are what servers send by default and are trusted last.

A few broken bytes never cost a page: they are replaced (and counted, see
:func:`decode_counted`).  Only bytes that are binary garbage under every
candidate charset are refused.
"""
from __future__ import annotations

import codecs
import re

from .vocab import REPLACEMENT, drop_replacement

__all__ = ["DecodeError", "decode", "decode_counted", "normalize_charset", "sniff_meta_charset"]


class DecodeError(ValueError):
    """The bytes decode under no plausible charset without many errors."""


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before utf-16-le: same first two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_META_RE = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
_XML_RE = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.IGNORECASE)

_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "gb_2312": "gb18030", "gb_2312-80": "gb18030",
    "x-gbk": "gb18030", "cp936": "gb18030", "ms936": "gb18030", "windows-936": "gb18030",
    "euc-cn": "gb18030", "hz-gb-2312": "gb18030", "gb18030": "gb18030", "chinese": "gb18030",
    "csgb2312": "gb18030", "iso-ir-58": "gb18030",
    "utf8": "utf-8", "utf-8": "utf-8", "unicode-1-1-utf-8": "utf-8",
    "big5": "big5hkscs", "big5-hkscs": "big5hkscs", "x-x-big5": "big5hkscs", "cp950": "big5hkscs",
}
# labels servers and templates emit by default; weak evidence for a Chinese page
_WEAK = {"latin-1", "iso8859-1", "ascii", "cp1252", "us-ascii"}


def normalize_charset(label: str | None) -> str | None:
    """Map a declared charset label to a Python codec name (None if unknown)."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _ALIASES:
        return _ALIASES[label]
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _ALIASES.get(name, name)


def sniff_meta_charset(body: bytes) -> str | None:
    """The charset a page declares in its first bytes (meta tag or XML prolog)."""
    head = body[:4096]
    m = _XML_RE.search(head) or _META_RE.search(head)
    if not m:
        # some templates put a long <head> before the meta tag
        m = _META_RE.search(body[:32768])
    return m.group(1).decode("ascii", "ignore") if m else None


def _replacements(body: bytes, encoding: str) -> tuple[str, int]:
    text = body.decode(encoding, errors="replace")
    return text, text.count(REPLACEMENT)


def _allowed(text_len: int) -> int:
    """How many replacement characters still count as "a handful": the
    charset is right and only a few bytes are broken."""
    return 8 + text_len // 20000


# A page whose best decoding still has more than this share of replacement
# characters (random bytes under GB18030: about 12 %) is binary garbage.
GARBAGE_SHARE = 0.02
_C0 = re.compile(r"[\x00-\x08\x0e-\x1f]")


def _is_garbage(text: str, bad: int) -> bool:
    n = len(text) or 1
    if bad > max(_allowed(n), GARBAGE_SHARE * n):
        return True
    # binary data decodes to many control characters even without errors
    return len(_C0.findall(text[:200000])) > max(8, 0.01 * min(n, 200000))


def decode(body: bytes, header_charset: str | None = None) -> tuple[str, str]:
    """Decode ``body``; return ``(text, encoding used)`` (see :func:`decode_counted`)."""
    text, enc, _ = decode_counted(body, header_charset)
    return text, enc


def decode_counted(body: bytes, header_charset: str | None = None) -> tuple[str, str, int]:
    """Decode ``body``; return ``(text, encoding used, replaced)``.

    ``replaced`` counts the byte sequences that did not decode and were
    replaced; the U+FFFD that stood for them (and any already in the page)
    are dropped from the text.  Raises :class:`DecodeError` only when the
    bytes are binary garbage under every candidate charset.
    """
    if isinstance(body, str):  # already text
        return drop_replacement(body), "unicode", 0
    body = bytes(body)
    for bom, enc in _BOMS:
        if body.startswith(bom):
            text, bad = _replacements(body[len(bom):], enc)
            if bad <= _allowed(len(text)):
                return drop_replacement(text), enc, bad
            break

    header = normalize_charset(header_charset)
    meta = normalize_charset(sniff_meta_charset(body))

    # 1. the bytes: strict UTF-8 wins over any declaration (pages declaring
    #    gb2312 but served as UTF-8 are common); pure ASCII decodes the same way
    #    under every ASCII-compatible charset.
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if _is_garbage(text, 0):
            raise DecodeError(f"cannot decode {len(body)} bytes: binary data (control characters)")
        return drop_replacement(text), "utf-8", 0

    # 2. declared charsets, then the Chinese default, then weak labels
    candidates: list[str] = []
    for enc in (header, meta):
        if enc and enc not in _WEAK and enc != "utf-8" and enc not in candidates:
            candidates.append(enc)
    if "gb18030" not in candidates:
        candidates.append("gb18030")
    candidates.append("utf-8")  # mostly-UTF-8 page with a few broken bytes
    for enc in (header, meta):
        if enc and enc in _WEAK and enc not in candidates:
            candidates.append(enc)

    best: tuple[int, str, str] | None = None
    for enc in candidates:
        if enc in _WEAK and best is not None and best[0] <= _allowed(len(best[1])):
            break  # a Chinese charset nearly works: do not fall back to a default label
        try:
            text, bad = _replacements(body, enc)
        except LookupError:
            continue
        if bad == 0 and not _is_garbage(text, 0):
            return text, enc, 0
        if best is None or bad < best[0]:
            best = (bad, text, enc)
    if best is not None and not _is_garbage(best[1], best[0]):
        return drop_replacement(best[1]), best[2], best[0]
    tried = ", ".join(candidates)
    worst = (f"{best[0]} replacement characters in {len(best[1])} at best" if best and best[0]
             else "binary data" if best else "no usable codec")
    raise DecodeError(
        f"cannot decode {len(body)} bytes (header charset {header_charset!r}, "
        f"meta charset {sniff_meta_charset(body)!r}; tried {tried}: {worst})"
    )
