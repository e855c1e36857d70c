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
# A title or heading longer than its phrase by more than this is an article about the phrase.
HEADING_SLACK = 16

_PHRASES = re.compile("|".join(re.escape(p) for p in SOFT_ERROR_PHRASES), re.I)
_SCRIPT = re.compile(r"<(script|style|noscript)\b.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")
_HEADS = re.compile(r"<(title|h1)\b[^>]*>(.*?)</\1\s*>", re.I | re.S)
_SPACE = re.compile(r"\s+")


def soft_error_phrase(html: str) -> str | None:
    """The error phrase a page shows in its title/headings or in its short whole text, else None."""
    for _, inner in _HEADS.findall(html):
        head = _SPACE.sub(" ", _TAG.sub("", inner)).strip()
        m = _PHRASES.search(head)
        if m and len(head) <= len(m.group(0)) + HEADING_SLACK:  # the heading is the phrase (and a site name)
            return m.group(0)
    text = _SPACE.sub(" ", _TAG.sub(" ", _SCRIPT.sub(" ", html))).strip()
    if len(text) - text.count(" ") < SHORT_PAGE_CHARS:
        m = _PHRASES.search(text)
        if m:
            return m.group(0)
    return None
