"""Soft errors: pages a site serves with HTTP 200 that are error pages, not articles.

The phrases live here and only here. A page is a soft error when its ``<title>``
or ``<h1>`` is one of them (give or take a site name), or when its whole visible
text is short and carries one (a long article that merely quotes the phrase, or
is titled about it, is not an error page).
The other sign, one text served for many URLs of a site within a run, is
checked by the dedup stage (``SOFT_ERROR_SHARED_URLS``).
"""
from __future__ import annotations

import re

from archive.extract.vocab import SPACE_RUN

SOFT_ERROR_PHRASES = (
    "页面不存在",
    "您访问的页面不存在",
    "该页面不存在",
    "页面已删除",
    "该信息已删除",
    "信息已被删除",
    "文章已被删除",
    "内容已被删除",
    "该内容已下线",
    "页面找不到",
    "找不到该页面",
    "无法找到该页",
    "页面未找到",
    "404 Not Found",
    "Page Not Found",
    "404错误",
    "错误页面",
)
# Visible text shorter than this (characters) is an error page when it carries a phrase.
SHORT_PAGE_CHARS = 400
# Pages longer than this (characters of markup) are never taken for a short error page.
LONG_PAGE_CHARS = 300_000
# A title or heading longer than its phrase by more than this is an article about the phrase.
HEADING_SLACK = 16

_PHRASES = re.compile("|".join(re.escape(p) for p in SOFT_ERROR_PHRASES), re.I)
# A phrase found in a page's visible text has its longest word (its spaces are the only place
# where markup or other spaces may stand in the markup) written as such in the markup: a page
# whose markup holds none of those words has no phrase in its text, and its text is not built.
# (Searched in the lower-cased markup by one case-sensitive pattern: a case-insensitive one is
# several times slower.)
_WORDS = {max(p.split(), key=len).lower() for p in SOFT_ERROR_PHRASES}
_PHRASE_WORDS = re.compile("|".join(re.escape(w) for w in sorted(_WORDS) if not any(v != w and v in w for v in _WORDS)))
_SCRIPT_OPEN = re.compile(r"<(script|style|noscript)\b", re.I)
_TAG = re.compile(r"<[^<>]*>")  # stops at the next "<": linear on broken markup
_HEAD_OPEN = re.compile(r"<(title|h1)\b", re.I)
MAX_HEADS = 20  # title and h1 elements looked at, from the top of the page
_SPACE = SPACE_RUN


def soft_error_phrase(html: str) -> str | None:
    """The error phrase a page shows in its title/headings or in its short whole text, else None."""
    for inner in _heads(html[:LONG_PAGE_CHARS]):
        head = _SPACE.sub(" ", _TAG.sub("", inner)).strip()
        m = _PHRASES.search(head)
        if m and len(head) <= len(m.group(0)) + HEADING_SLACK:  # the heading is the phrase (and a site name)
            return m.group(0)
    if len(html) > LONG_PAGE_CHARS:  # an error page is small; never scan a big page's markup twice
        return None
    if not _PHRASE_WORDS.search(html.lower()):  # the phrases match in any case
        return None
    text = _SPACE.sub(" ", _TAG.sub(" ", _without_scripts(html))).strip()
    if len(text) - text.count(" ") < SHORT_PAGE_CHARS:
        m = _PHRASES.search(text)
        if m:
            return m.group(0)
    return None


def _without_scripts(html: str) -> str:
    """*html* without script, style and noscript elements, in one pass (an unclosed one ends the page)."""
    low = html.lower()
    out, i = [], 0
    while True:
        m = _SCRIPT_OPEN.search(html, i)
        if not m:
            out.append(html[i:])
            break
        out.append(html[i:m.start()])
        end = low.find("</" + m.group(1).lower(), m.end())
        if end < 0:
            break
        close = low.find(">", end)
        i = len(html) if close < 0 else close + 1
    return " ".join(out)


def _heads(html: str):
    """The inner markup of the first title and h1 elements (bounded scans: linear in the page)."""
    low = html.lower()
    for n, m in enumerate(_HEAD_OPEN.finditer(html)):
        if n >= MAX_HEADS:
            return
        gt = low.find(">", m.end(), m.end() + 300)
        if gt < 0:
            continue
        close = low.find("</" + m.group(1).lower(), gt, gt + 400)
        if close >= 0:
            yield html[gt + 1:close]

