"""Recognise bot-challenge pages (WAF JavaScript challenges answered with 200)."""
from __future__ import annotations

import re

# Markers seen on challenge pages; any one of the strong markers is enough.
STRONG_MARKERS = (
    b"aliyun_waf",
    b"CF_APP_WAF",
    b"acw_sc__v2",
    b"_waf_bd8ce2ce37",
    b"cf-browser-verification",
    b"challenge-platform",
)
_TITLE = re.compile(rb"<title[^>]*>([^<]{0,200})</title>", re.I)
_WEAK_TITLE = re.compile(rb"verification|verify|security check|just a moment|\xe5\xae\x89\xe5\x85\xa8\xe9\xaa\x8c\xe8\xaf\x81", re.I)  # 安全验证


def challenge_reason(body: bytes) -> str | None:
    """Why *body* looks like a bot challenge rather than content, or None."""
    head = body[:65536]
    for marker in STRONG_MARKERS:
        if marker in head:
            return f"bot challenge page (marker {marker.decode()})"
    m = _TITLE.search(head)
    if m and _WEAK_TITLE.search(m.group(1)) and b"var requestInfo" in head:
        return "bot challenge page (verification title and requestInfo script)"
    return None
