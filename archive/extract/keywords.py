"""The article's keywords: selectors, <meta> keywords and keyword boxes.
"""
from __future__ import annotations

from lxml import etree

from .bylines import _strip_label
from .lines import _meta, _page_index, _text
from .render import select
from .vocab import KEYWORD_SPLIT

# XPath expressions compiled once (tree.xpath(expr) compiles expr on every call)
_LINKS_XPATH = etree.XPath(".//a")


_KW_SPLIT = KEYWORD_SPLIT


def find_keywords(tree, rules=None, head: list[str] | None = None) -> list[str]:
    css = getattr(rules, "keywords", None)
    out: list[str] = []
    if css:
        for el in select(tree, css):
            links = _LINKS_XPATH(el)
            texts = [_text(a) for a in links] if links else [_text(el)]
            for t in texts:
                t = _strip_label(t, "关键词|关键字|标签")
                if t and t not in out:
                    out.append(t)
        if out:
            return out
    # 关键词 links next to the title
    for el in _page_index(tree)["kw"]:
        for a in _LINKS_XPATH(el):
            t = _text(a)
            if t and t not in out and len(t) <= 20:
                out.append(t)
        if out:
            return out
    v = _meta(tree, "keywords", "news_keywords", "Keywords")
    if v:
        for t in _KW_SPLIT.split(v):
            t = t.strip()
            if t and t not in out and not t.isdigit():
                out.append(t)
    return out
