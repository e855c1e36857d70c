"""The article title: the page title's parts, headings, emphasised lines and labelled titles, and
the title slot on the page.
"""
from __future__ import annotations

import html as html_lib
import re
from itertools import chain, islice

from lxml import etree

from .dates import parse_datetime
from .lines import _WS, _meta, _page_index, _page_text, _squash, _text, header_lines
from .render import select
from .vocab import COLON as C, RELATED_HEADINGS, TITLE_INVISIBLE, TITLE_LABELS

# XPath expressions compiled once (tree.xpath(expr) compiles expr on every call)
_WRAPPER_XPATH = etree.XPath("//text[@title]")
_EMPH_XPATH = etree.XPath("//b|//strong|//font|//big|//span[@style]")
_LABELLED_XPATH = etree.XPath("//body//*[text()[starts-with(normalize-space(.), '主题') or starts-with(normalize-space(.), '标题')]]")
_BODY_TEXT_XPATH = etree.XPath("//body//text()[not(ancestor::script) and not(ancestor::style)]")


_TAGS = re.compile(r"<[^>]{0,200}>")
_PAGER = re.compile(r"\s*[（(]\s*(?:页\s*\d+|第\s*\d+\s*页|\d+\s*/\s*\d+)\s*[)）]\s*$")


def _clean_title(t: str | None, keep_spaces: bool = False) -> str | None:
    """A title without markup, entities, invisible/private-use characters or
    runs of whitespace (kept with ``keep_spaces``: they separate parts)."""
    if not t:
        return None
    if "&" in t:
        t = html_lib.unescape(t)
    if "<" in t and re.search(r"<\s*/?\s*[A-Za-z]", t):
        t = _TAGS.sub(" ", t)
    t = _PAGER.sub("", TITLE_INVISIBLE.sub("", t))
    t = t.replace("\u00a0", " ").replace("\u3000", "  ").strip() if keep_spaces else _WS.sub(" ", t).strip()
    return t or None


# --- title --------------------------------------------------------------------
# separators between a page title's parts: "标题_频道_网站", "网站--频道--标题",
# "标题 - 网站", "标题|网站", "标题 · 网站", "网站 » 标题", "网站>频道", "网站 :: 栏目"
_TITLE_SPLIT = re.compile(
    r"\s*_+\s*|\s+[-|｜—–·»>:]{1,2}\s+|\s*[|｜»]\s*|\s*-{2,}\s*|\s*—{2,}\s*|\s*::\s*"
    r"|(?<=[\u4e00-\u9fff）)\]】？！”])\s*[-–—]\s*(?=[\u4e00-\u9fffA-Za-z][^-–—]{0,19}$)|\s*>\s*|\s*<\s*|\s{2,}"
)
_HEAD_XPATH = (
    "//h1|//h2|//h3|//h4|//h5"
    "|//*[@id and (contains(translate(@id,'TITLE','title'),'title') or contains(translate(@id,'HEADING','heading'),'heading'))]"
    "|//*[@class and (contains(translate(@class,'TITLE','title'),'title') or contains(translate(@class,'HEADING','heading'),'heading')"
    " or contains(@class,'bt_') or contains(@class,'biaoti'))]"
)
_EMPH = ("b", "strong", "font", "big", "h1", "h2", "h3", "h4", "h5", "span")
_BLOCKS = ("p", "td", "div", "center", "li", "th")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_LABEL_PREFIX = re.compile(r"^\s*(?:" + TITLE_LABELS + r")\s*" + C + r"\s*")
_DECOR = re.compile(r"^[\s\-—–_|·»>:：]+|[\s\-_|·»>]+$")


def _wlen(s: str) -> int:
    """Display length: a CJK character counts as two."""
    return len(s) + len(re.findall(r"[\u3400-\u9fff\uf900-\ufaff]", s))




_ORG_TAIL = re.compile(
    r"\s[\u4e00-\u9fff]{1,12}(?:办事处|人民政府|政府|网|网站|门户|官网|频道|局|委员会|委|厅|办公室|中心|街道|学院|大学|医院|报社|日报|晚报)$"
)


def _segments(t: str) -> list[str]:
    """A page title split at its site-name separators ("标题_频道_网站 - SITE")."""
    segs = [p.strip() for p in _TITLE_SPLIT.split(t) if p and len(p.strip()) >= 2]
    if segs:
        # "标题 东区办事处": a trailing organisation name after a single space
        m = _ORG_TAIL.search(segs[-1])
        if m and len(segs[-1]) - len(m.group(0)) >= 4:
            segs[-1:] = [segs[-1][: m.start()].strip(), m.group(0).strip()]
    return segs


def _hidden(el) -> bool:
    for a in chain((el,), islice(el.iterancestors(), 8)):
        if a.get("hidden") is not None or _HIDDEN_STYLE.search(a.get("style") or ""):
            return True
    return False


def _heading_text(el) -> str | None:
    t = _clean_title(_text(el))
    if not t:
        return None
    t = _DECOR.sub("", _LABEL_PREFIX.sub("", t)).strip()
    return t or None


def _page_titles(tree, document: dict | None) -> list[str]:
    """Title strings the page declares: ArticleTitle, og:title, <title>, a
    crawler wrapper's title attribute, a facts table's 标题."""
    out = []
    first = tree.find(".//title")  # pages embedding fragments carry several <title>s
    wrapper = _WRAPPER_XPATH(tree)
    for t in (_meta(tree, "ArticleTitle"), _meta(tree, "og:title", "twitter:title", "headline"),
              first.text_content() if first is not None else None,
              wrapper[0].get("title") if wrapper else None,
              (document or {}).get("title")):
        t = _clean_title(t, keep_spaces=True)
        if t and t not in out:
            out.append(t)
    return out


def _site_names(page_titles: list[str]) -> set[str]:
    """Parts that name the site: a segment shared by the page titles' edges
    (first or last part of a multi-part title)."""
    names = set()
    for pt in page_titles:
        segs = _segments(pt)
        if len(segs) >= 2:
            longest = max(segs, key=_wlen)
            for seg in (segs[0], segs[-1]):
                if seg is not longest:
                    names.add(_squash(seg))
    return names


def _runs(pt: str) -> set[str]:
    """Squashed contiguous runs of a page title's segments (the whole title too)."""
    segs = _segments(pt)
    runs = {_squash(pt)}
    for i in range(len(segs)):
        acc = ""
        for seg in segs[i:]:
            acc += seg
            runs.add(_squash(acc))
    return runs


def _standalone_emphasis(tree) -> list:
    """Blocks (p, td, div …) whose whole text is one emphasised element (bold,
    font, heading): the title slot of old table layouts."""
    out = []
    block_text: dict = {}  # several emphasised runs share one block
    for el in _EMPH_XPATH(tree):
        block = el
        for a in el.iterancestors():
            if a.tag in _BLOCKS:
                block = a
                break
        if block is el:
            continue
        t = _squash(el.text_content())
        if not t or len(t) > 200:
            continue
        bt = block_text.get(block)
        if bt is None:
            bt = block_text[block] = _squash(block.text_content())
        if t == bt:
            out.append(el)
    return out


def _labelled_titles(tree) -> list:
    """Cells that print the title after a label: "主题：…", "标题：…" (forums, old CMSs)."""
    out = []
    page = _page_text(tree)
    if "主题" not in page and "标题" not in page:
        return out
    for el in _LABELLED_XPATH(tree):
        if el.tag in ("script", "style", "a"):
            continue
        t = _WS.sub(" ", el.text_content()).strip()
        if _LABEL_PREFIX.match(t) and not _LABEL_PREFIX.sub("", t).strip():
            # the label alone in a bold tag: the value is beside it in the cell
            el = next((a for a in el.iterancestors() if a.tag in _BLOCKS), el)
            t = _WS.sub(" ", el.text_content()).strip()
        if _LABEL_PREFIX.match(t) and len(t) <= 120:
            out.append(el)
    return out


def find_title(tree, rules=None, document: dict | None = None) -> tuple[str | None, object | None]:
    """(title, element holding it if one was found in the page).

    Chosen by agreement between what the page declares (<title>, og:title,
    ArticleTitle, a wrapper's title, a facts table's 标题) and what it shows
    (headings, title-classed elements, a standalone bold line): the longest
    visible text that equals a declared title or a run of its segments; the
    site's name (an edge segment of the <title>) is never the title.
    """
    for el in select(tree, getattr(rules, "title", None)):
        t = _clean_title(_text(el))
        if t:
            return t, el
    page_titles = _page_titles(tree, document)
    site = _site_names(page_titles)
    runs: set[str] = set()
    for pt in page_titles:
        runs |= _runs(pt)
    runs -= site
    heads = []
    seen = set()
    for el in _page_index(tree)["heads"] + _standalone_emphasis(tree) + _labelled_titles(tree):
        if id(el) in seen or el.tag in ("title", "meta", "body", "html", "text"):
            continue
        seen.add(id(el))
        if len(el.text_content()) > 400:  # a container, not a heading
            continue
        t = _heading_text(el)
        if t and 2 <= len(t) <= 200 and not _hidden(el):
            heads.append((el, t))
    # 1. agreement: a visible heading equal to a declared title or a run of its parts
    agreeing = [(el, t) for el, t in heads if _squash(t) in runs and len(_squash(t)) >= 2]
    if not agreeing:
        # a heading the declared title begins with ("标题 作者名 博客名" without separators)
        starts = [_squash(pt) for pt in page_titles]
        agreeing = [(el, t) for el, t in heads if len(_squash(t)) >= 6 and _squash(t) not in site
                    and any(st.startswith(_squash(t)) for st in starts)]
    if agreeing:
        rank = {"h1": 0, "h2": 1, "h3": 2}
        el, t = max(agreeing, key=lambda et: (len(_squash(et[1])), -rank.get(et[0].tag, 3)))
        return t, el
    article_title = _clean_title(_meta(tree, "ArticleTitle"))
    if article_title:
        return article_title, None
    if document and document.get("title"):
        return document["title"], None
    # 2. no agreement: the longest part of the declared title, unless it is
    #    only the site's name (then a visible heading or bold line is used)
    candidates = []
    for pt in page_titles:
        segs = [seg for seg in _segments(pt) if _squash(seg) not in site] or ([pt] if len(_segments(pt)) <= 1 else [])
        if segs:
            candidates.append(max(segs, key=len))
    shown = [(el, t) for el, t in heads if _squash(t) not in site and 4 <= len(t) <= 80
             and not re.search(r"[。；]$|" + C + r"$", t) and el.tag not in ("a",)
             and not _NOT_TITLE.search(t) and not parse_datetime(t) and not re.fullmatch(r"[\w\s]+\d{4}", t)]
    if candidates:
        best = _clean_title(max(candidates, key=len))
        # the declared title is shown on the page, or is a real title while
        # the page shows no heading: take it.  A bare word ("显示", "1",
        # "网易娱乐") or a greeting the page never shows gives way to a heading.
        if not shown or (len(best) >= 6 and _squash(best) in _squash(_text(tree.find(".//body") if tree.find(".//body") is not None else tree))):
            return best, None
    if shown:
        el, t = _title_slot(tree, shown)
        return t, el
    return (_clean_title(candidates[0]), None) if candidates else (None, None)


_PROSE = re.compile(r"[。！？；]")
# a breadcrumb, not a title: "首页 - 新闻动态", "网易娱乐 > 电影版区"
_RELATED_RX = re.compile(r"^(?:" + RELATED_HEADINGS + r")\s*$")
_CRUMB = re.compile(r"^(?:首页|主页|当前位置|您的位置|你的位置)|\s[>»›]\s|->|>>")
# a line with a metadata label or an attribute dump is no title
_NOT_TITLE = re.compile(r"(?:来源|作者|发布日期|发布时间|时间|日期|浏览|点击|编辑)\s*" + C + r"|\w+=\"|^Re\s*[:：]", re.I)


def _title_slot(tree, shown: list):
    """Of the visible headings, the first one followed by a date line, else
    the h1/h2, else the last one before the first paragraph of prose (the
    article starts right after its title and its date line)."""
    order = {el: i for i, el in enumerate(tree.iter())}
    shown = [(el, t) for el, t in shown if not _CRUMB.search(t) and not _RELATED_RX.match(t)] or shown
    shown.sort(key=lambda et: order.get(et[0], 0))
    h = [(el, t) for el, t in shown if el.tag in ("h1", "h2")]
    if h:
        return h[0]
    # the heading right above a date line (no other heading between them)
    texts = {_squash(t) for _, t in shown}
    for el, t in shown[:30]:
        for line in header_lines(tree, t, el, limit=3, before=0):
            if _squash(line) in texts or len(line) > 60:
                break
            if parse_datetime(line):
                return el, t
    first_prose = None
    for node in _BODY_TEXT_XPATH(tree):
        if len(node.strip()) >= 40 and _PROSE.search(node):
            par = node.getparent()
            first_prose = order.get(par)
            break
    before = [(el, t) for el, t in shown if first_prose is None or order.get(el, 0) < first_prose]
    return before[-1] if before else shown[0]
