"""Page lines and page lookups shared by the metadata finders: the rendered lines of the page and
of the header around the title, the per-page memo, <meta> and JSON-LD lookups, the hidden CMS
fields and heading candidates.
"""
from __future__ import annotations

import json
import re
from contextvars import ContextVar

from lxml import etree

from .render import element_lines
from .vocab import BYLINE_AUTHOR_LABELS, COLON as C, EDITOR_NAME_LABELS, META_SOURCE_LABELS, SPACE_RUN as _WS

# XPath expressions compiled once (tree.xpath(expr) compiles expr on every call)
_BY_ID_XPATH = etree.XPath("//*[@id=$i]")
_JSONLD_XPATH = etree.XPath("//script[@type='application/ld+json']")


# --- helpers ------------------------------------------------------------------
def _text(el) -> str:
    return _WS.sub(" ", " ".join(element_lines(el))).strip()


# per-page memo while extract_metadata reads one tree (it never changes it)
_PAGE: ContextVar[dict | None] = ContextVar("metadata_page_memo", default=None)


def _memo(key, compute):
    page = _PAGE.get()
    if page is None:
        return compute()
    if key not in page:
        page[key] = compute()
    return page[key]


def _meta_index(tree) -> dict[str, str]:
    """{lower-cased name/property/itemprop/http-equiv: first non-empty content}."""
    return _memo(("meta", tree), lambda: _build_meta_index(tree))


def _build_meta_index(tree) -> dict[str, str]:
    idx = {}
    for el in tree.iter("meta"):
        content = (el.get("content") or "").strip()
        if not content:
            continue
        for attr in ("name", "property", "itemprop", "http-equiv"):
            key = el.get(attr)
            if key:
                idx.setdefault(key.strip().lower(), content)
    return idx


def _meta(tree, *names: str) -> str | None:
    idx = _meta_index(tree)
    for name in names:
        val = idx.get(name.lower())
        if val:
            return val
    return None


# the hidden CMS fields looked up by id
_CMS_IDS = ("pubtime_baidu", "source_baidu", "author_baidu", "editor_baidu")
_HEAD_TAGS = frozenset(("h1", "h2", "h3", "h4", "h5"))
_UP_TITLE = str.maketrans("TILE", "tile")  # XPath translate(@x, 'TITLE', 'title')
_UP_HEADING = str.maketrans("HEADING", "heading")


def _is_head(el) -> bool:
    """What _HEAD_XPATH selects: h1-h5, an id or class naming a title or heading."""
    if el.tag in _HEAD_TAGS:
        return True
    i = el.get("id")
    if i is not None and ("title" in i.translate(_UP_TITLE) or "heading" in i.translate(_UP_HEADING)):
        return True
    c = el.get("class")
    return c is not None and ("title" in c.translate(_UP_TITLE) or "heading" in c.translate(_UP_HEADING)
                              or "bt_" in c or "biaoti" in c)


# a publication time a CMS writes into an attribute of the article wrapper
_TIME_ATTRS = ("data-ptime", "data-pubtime", "data-publish-time", "data-publishtime", "data-publish-date")


def _page_index(tree) -> dict:
    """One pass over the page's elements, in document order: heading
    candidates (as _HEAD_XPATH), the hidden CMS fields by id, keyword boxes."""
    def build() -> dict:
        heads: list = []
        cms: dict[str, list] = {i: [] for i in _CMS_IDS}
        kw: list = []
        times: list[str] = []
        for el in tree.getroottree().getroot().iter(etree.Element):  # elements only
            items = el.items()
            if not items:  # most elements carry no attribute
                if el.tag in _HEAD_TAGS:
                    heads.append(el)
                continue
            i = c = None
            for name, value in items:
                if name == "id":
                    i = value
                elif name == "class":
                    c = value
                elif name in _TIME_ATTRS and value:
                    times.append(value)
            # _is_head(el), with the attributes read once (the parser keeps one of each name)
            if (el.tag in _HEAD_TAGS
                    or i is not None and ("title" in i.translate(_UP_TITLE) or "heading" in i.translate(_UP_HEADING))
                    or c is not None and ("title" in c.translate(_UP_TITLE) or "heading" in c.translate(_UP_HEADING)
                                          or "bt_" in c or "biaoti" in c)):
                heads.append(el)
            if i in cms:
                cms[i].append(el)
            if i == "key_word" or (c is not None and ("keyword" in c or "key_word" in c)):
                kw.append(el)
        return {"heads": heads, "cms": cms, "kw": kw, "times": times}
    return _memo(("index", tree), build)


def _page_text(tree) -> str:
    """All text nodes of the page joined (a cheap test before a text XPath)."""
    return _memo(("text", tree), lambda: tree.getroottree().getroot().text_content())


def _by_id(tree, ident: str) -> str | None:
    if ident in _CMS_IDS:
        els = _page_index(tree)["cms"][ident]
    else:
        els = _BY_ID_XPATH(tree, i=ident)
    for el in els:
        val = _text(el) or (el.get("value") or "").strip()
        if val:
            return val
    return None


def _jsonld(tree) -> list[dict]:
    out = []
    for el in _JSONLD_XPATH(tree):
        try:
            data = json.loads(el.text or "")
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                out.append(item)
                if "@graph" in item:
                    stack.append(item["@graph"])
    return out

def _squash(s: str | None) -> str:
    return _WS.sub("", s or "") if s else ""

# --- the header lines around the title -----------------------------------------
def document_lines(tree) -> list[str]:
    body = tree.find(".//body")
    return element_lines(body if body is not None else tree)


def _title_line_index(lines: list[str], title: str | None) -> int | None:
    squash = lambda s: _WS.sub("", s or "")
    st = squash(title)
    if not st:
        return None
    for i, l in enumerate(lines):
        if squash(l) == st:
            return i
    for i, l in enumerate(lines):
        sl = squash(l)
        if len(st) >= 8 and st in sl and len(sl) - len(st) <= 30:
            return i
    return None


def header_lines(tree, title: str | None, title_el=None, limit: int = 12, before: int = 3,
                 doc_lines: list[str] | None = None) -> list[str]:
    """Lines right after (and just before) the title: the article's info line.

    Only the neighbourhood of the title is rendered: the smallest ancestor of
    the title element that holds a few more lines (whole page as a fallback).
    """
    if not title:
        return []
    lines: list[str] | None = None
    idx = None
    el = title_el
    hops = 0
    while el is not None and hops < 6:
        parent = el.getparent()
        if parent is None:
            break
        el, hops = parent, hops + 1
        cand = element_lines(el)
        i = _title_line_index(cand, title)
        if i is not None and len(cand) - i > 4:
            lines, idx = cand, i
            break
    if lines is None:
        lines = doc_lines if doc_lines is not None else document_lines(tree)
        idx = _title_line_index(lines, title)
    if idx is None:
        return []
    after = []
    for l in lines[idx + 1: idx + 1 + limit]:
        # stop at the first paragraph of prose: what follows is the article
        # and, further down, related news with their own dates
        if len(l) > 120 or (len(l) >= 20 and re.search(r"[。！？]", l)):
            break
        after.append(l)
    return _merge_labels(lines[max(0, idx - before): idx] + after)


_LABEL_ONLY = re.compile(r"^[\[【|｜]?\s*[\u4e00-\u9fff]{1,6}\s*" + C + r"$")


_ANY_LABEL = re.compile(
    r"(?:" + META_SOURCE_LABELS + r"|作者|记者|时间|日期|发布时间|发布日期|关键词|关键字|标签|编辑|责任编辑)\s*" + C)


def _merge_labels(lines: list[str]) -> list[str]:
    """A label alone on its line ("发布日期：") takes the next line as its value."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _LABEL_ONLY.match(line) and i + 1 < len(lines) and not _ANY_LABEL.search(lines[i + 1]) \
                and len(lines[i + 1]) <= 40:
            out.append(line + lines[i + 1])
            i += 2
            continue
        out.append(line)
        i += 1
    return out


# --- labelled fields of an info line (source, author, editor; a forum post line) ----------
_STOP = (
    r"(?=\s{2,}|[\u3000]|\s*(?:作者|记者|编辑|责任编辑|来源|发布时间|发布日期|时间|日期|关键词|关键字|字号|点击|浏览|阅读|"
    r"分享|打印|收藏|点赞|参与互动|网友评论|网友|评论|返回|查看更多|【|\||｜)|$)"
)
_SOURCE_RX = re.compile(r"(?:" + META_SOURCE_LABELS + r")\s*" + C + r"\s*(?P<v>.+?)" + _STOP)
_AUTHOR_RX = re.compile(r"(?:" + BYLINE_AUTHOR_LABELS + r")\s*" + C + r"\s*(?P<v>.+?)" + _STOP)
_EDITOR_RX = re.compile(r"(?:" + EDITOR_NAME_LABELS + r")\s*" + C + r"\s*(?P<v>[^】\])）\s]{1,30})")

# "本贴由大卫于2005年8月12日16:12:21在〖…〗发表", a forum's post line
_POSTED_BY = re.compile(r"由\s*(?P<v>[^\s于]{1,16})\s*于\s*(?:19|20)\d{2}\s*[-/.年]")
