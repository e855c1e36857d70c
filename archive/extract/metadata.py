"""Article metadata: title, publication time, source, author, editor, keywords.

A site's ``Selectors`` are tried first; generic rules are the fallback.  The
publication time comes from the page's own date line (the lines right around
the title) or from machine-readable fields (``<meta>`` PubDate/publishdate/
article:published_time, ``#pubtime_baidu``, JSON-LD datePublished) — never
from dates further down the page, which belong to related news.
"""
from __future__ import annotations

import html as html_lib
import json
import re
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone

from .text import element_lines, lines_memo, select
from .vocab import (
    COLON as C, CREDIT_LINE_RX, RELATED_HEADINGS, GOV_STRONG_LABELS, META_SOURCE_LABELS, POSTED_LABELS, SOURCE_PLACEHOLDERS,
    squash as squash_label,
)

__all__ = [
    "extract_metadata", "parse_datetime", "find_title", "find_published_at", "find_source",
    "find_author", "find_editor", "find_keywords", "find_document",
]

_WS = re.compile(r"[\s\u00a0\u3000]+")
CST = timezone(timedelta(hours=8))

# --- dates --------------------------------------------------------------------
_ISO = re.compile(
    r"(?P<y>(?:19|20)\d{2})-(?P<m>\d{1,2})-(?P<d>\d{1,2})[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?"
    r"\s*(?P<z>Z|[+-]\d{2}:?\d{2})"
)
_CN = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?!\d)\s*日?"
    r"(?:\s*[T ]?\s*(?P<H>\d{1,2})\s*[:：∶时]\s*(?P<M>\d{1,2})(?:\s*[:：∶分]\s*(?P<S>\d{1,2}))?)?"
)
# US-style "7/5/2005 9:23:57 PM" (month first), as old ASP pages print it;
# only with AM/PM, which marks the US locale ("06/02/2022" alone is ambiguous)
_US = re.compile(
    r"(?<![\d/])(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>(?:19|20)\d{2})"
    r"\s+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)"
)
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_EN = re.compile(
    r"(?i)\b(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d{2})"
    r"(?:,?\s+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?)?"
)


def _mk(y, m, d, H=None, M=None, S=None, tz=CST) -> datetime | None:
    try:
        return datetime(int(y), int(m), int(d), int(H or 0), int(M or 0), int(S or 0), tzinfo=tz)
    except (ValueError, TypeError):
        return None


def parse_datetime(text: str | None) -> datetime | None:
    """First date(-time) in ``text``; +08:00 when the text gives no zone."""
    if not text:
        return None
    text = text.strip()
    m = _ISO.search(text)
    if m:
        z = m.group("z")
        if z == "Z":
            tz = timezone.utc
        else:
            sign = 1 if z[0] == "+" else -1
            hh, mm = int(z[1:3]), int(z[-2:])
            tz = timezone(sign * timedelta(hours=hh, minutes=mm))
        return _mk(m["y"], m["m"], m["d"], m["H"], m["M"], m["S"], tz)
    m = _CN.search(text)
    if m:
        return _mk(m["y"], m["m"], m["d"], m["H"], m["M"], m["S"])
    m = _EN.search(text) or _US.search(text)
    if m:
        H = int(m["H"]) if m["H"] else 0
        ampm = (m["ampm"] or "").lower().replace(".", "")
        if ampm == "pm" and H < 12:
            H += 12
        elif ampm == "am" and H == 12:
            H = 0
        month = _MONTHS[m["mon"].lower()[:3]] if "mon" in m.re.groupindex else m["m"]
        return _mk(m["y"], month, m["d"], H, m["M"], m["S"])
    return None


def _has_seconds(text: str) -> bool:
    return re.search(r"\d{1,2}\s*[:：∶时]\s*\d{1,2}\s*[:：∶分]\s*\d{1,2}", text or "") is not None


def _has_time(text: str) -> bool:
    return re.search(r"\d{1,2}\s*[:：∶时]\s*\d{2}", text or "") is not None


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") if dt else None


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
        for el in tree.getroottree().getroot().iter():
            if not isinstance(el.tag, str):
                continue
            names = el.keys()
            if not names:  # most elements carry no attribute
                if el.tag in _HEAD_TAGS:
                    heads.append(el)
                continue
            if _is_head(el):
                heads.append(el)
            i, c = el.get("id"), el.get("class")
            if i in cms:
                cms[i].append(el)
            if i == "key_word" or (c is not None and ("keyword" in c or "key_word" in c)):
                kw.append(el)
            for attr in names:
                if attr in _TIME_ATTRS:
                    v = el.get(attr)
                    if v:
                        times.append(v)
        return {"heads": heads, "cms": cms, "kw": kw, "times": times}
    return _memo(("index", tree), build)


def _page_text(tree) -> str:
    """All text nodes of the page joined (a cheap test before a text XPath)."""
    return _memo(("text", tree), lambda: tree.getroottree().getroot().text_content())


def _by_id(tree, ident: str) -> str | None:
    if ident in _CMS_IDS:
        els = _page_index(tree)["cms"][ident]
    else:
        els = tree.xpath("//*[@id=$i]", i=ident)
    for el in els:
        val = _text(el) or (el.get("value") or "").strip()
        if val:
            return val
    return None


def _jsonld(tree) -> list[dict]:
    out = []
    for el in tree.xpath("//script[@type='application/ld+json']"):
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


_TAGS = re.compile(r"<[^>]{0,200}>")
_PAGER = re.compile(r"\s*[（(]\s*(?:页\s*\d+|第\s*\d+\s*页|\d+\s*/\s*\d+)\s*[)）]\s*$")
_PUA = re.compile(r"[\ue000-\uf8ff\ufffd\u200b-\u200f\ufeff]")


def _clean_title(t: str | None, keep_spaces: bool = False) -> str | None:
    """A title without markup, entities, invisible/private-use characters or
    runs of whitespace (kept with ``keep_spaces``: they separate parts)."""
    if not t:
        return None
    if "&" in t:
        t = html_lib.unescape(t)
    if "<" in t and re.search(r"<\s*/?\s*[A-Za-z]", t):
        t = _TAGS.sub(" ", t)
    t = _PAGER.sub("", _PUA.sub("", t))
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
_LABEL_PREFIX = re.compile(r"^\s*(?:主题|标题|题目|文章标题|帖子主题)\s*" + C + r"\s*")
_DECOR = re.compile(r"^[\s\-—–_|·»>:：]+|[\s\-_|·»>]+$")


def _wlen(s: str) -> int:
    """Display length: a CJK character counts as two."""
    return len(s) + len(re.findall(r"[\u3400-\u9fff\uf900-\ufaff]", s))


_SQUASH_RX = re.compile(r"[\s\u00a0\u3000]")


def _squash(s: str | None) -> str:
    return _SQUASH_RX.sub("", s or "") if s else ""


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
    for a in [el] + list(el.iterancestors())[:8]:
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
    wrapper = tree.xpath("//text[@title]")
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
    for el in tree.xpath("//b|//strong|//font|//big|//span[@style]"):
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
    for el in tree.xpath("//body//*[text()[starts-with(normalize-space(.), '主题') or starts-with(normalize-space(.), '标题')]]"):
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
    for node in tree.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]"):
        if len(node.strip()) >= 40 and _PROSE.search(node):
            par = node.getparent()
            first_prose = order.get(par)
            break
    before = [(el, t) for el, t in shown if first_prose is None or order.get(el, 0) < first_prose]
    return before[-1] if before else shown[0]


# --- the header lines around the title -----------------------------------------
def document_lines(tree) -> list[str]:
    body = tree.find(".//body")
    return element_lines(body if body is not None else tree)


_ANY_WS = re.compile(r"\s")


def _title_line_index(lines: list[str], title: str | None) -> int | None:
    squash = lambda s: _ANY_WS.sub("", s or "")
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


# (成文日期/发文日期 are when a document was written, not published)
_LABELED_DATE = re.compile(r"(?:发布时间|发布日期|发表时间|时间|(?<![成文])日期|更新时间)\s*" + C + r"\s*(.{6,40})")


_POSTED_TIME = re.compile(r"(?:发布时间|发表时间|发帖时间|发布于|发表于)\s*" + C + r"?\s*((?:19|20)\d{2}.{5,30})")
_POSTED = re.compile(r"(?:" + POSTED_LABELS + r")\s*" + C + r"?\s*(.{6,40})")


def find_published_at(tree, rules=None, head: list[str] | None = None, lines: list[str] | None = None,
                      title: str | None = None) -> str | None:
    candidates: list[tuple[datetime, bool]] = []  # (dt, has_seconds)

    def add(text: str | None) -> None:
        dt = parse_datetime(text)
        if dt:
            candidates.append((dt, _has_seconds(text), _has_time(text) or bool(_ISO.search(text or ""))))

    for el in select(tree, getattr(rules, "date", None)):
        add(_text(el))
        if candidates:
            break
    if not candidates:
        # the page's own date line near the title: what the page shows comes
        # first (every labelled one: a facts table's day-only 发布日期 above
        # the title, then the info line's time of the same day)
        labelled = [m.group(1) for m in map(_LABELED_DATE.search, head or ()) if m and parse_datetime(m.group(1))]
        for value in labelled[:3]:
            add(value)
        if not labelled:
            for line in head or ():
                if parse_datetime(line):
                    add(line)
                    break
        # machine-readable fields
        add(_meta(tree, "PubDate", "publishdate", "publish_date", "pubdate", "article:published_time",
                  "og:article:published_time", "og:release_date", "datePublished", "publishtime",
                  "publish-time", "release_date", "dc.date.issued", "dcterms.issued", "weibo:article:create_at"))
        add(_by_id(tree, "pubtime_baidu"))
        for value in _page_index(tree)["times"][:1]:
            add(value)
        for item in _jsonld(tree):
            if item.get("datePublished"):
                add(str(item["datePublished"]))
                break
    if not candidates and lines and title:
        # the header area around the title wherever it shows (a repeated
        # title, a date line a few lines above it)
        st = _squash(title)
        for i, line in enumerate(lines):
            if _squash(line) != st:
                continue
            for near in lines[max(0, i - 4): i + 6]:
                m = _LABELED_DATE.search(near)
                if m and len(near) <= 80 and parse_datetime(m.group(1)):
                    add(m.group(1))
                    break
            if candidates:
                break
    if not candidates and lines:
        # an info line below the article: "来源：当代商报 时间：2019-09-23 14:34:05 作者："
        for line in lines:
            if len(line) <= 100 and (_SOURCE_RX.search(line) or _AUTHOR_RX.search(line)):
                m = _LABELED_DATE.search(line)
                if m and parse_datetime(m.group(1)):
                    add(m.group(1))
                    break
    if not candidates and lines:
        # a post's own time, printed under it: "发表于 2004年12月27日 12:40",
        # "本贴由X于2005年8月12日16:12:21在…发表"
        for line in lines:
            m = _POSTED.search(line)
            if m and len(line) <= 80 and parse_datetime(m.group(1)):
                add(m.group(1))
                break
            if len(line) <= 120 and _POSTED_BY.search(line) and parse_datetime(line):
                add(line)
                break
    if lines and (not candidates or not candidates[0][2]):
        # a post's time line anywhere ("发布时间 2005/05/17 22:11:42 by X",
        # "发布于：2015-11-05 11:34"): the time, or the time of the day shown
        for line in lines:
            m = _POSTED_TIME.search(line)
            if m and len(line) <= 100 and _has_time(m.group(1)):
                dt = parse_datetime(m.group(1))
                if dt and (not candidates or dt.date() == candidates[0][0].date()):
                    add(m.group(1))
                    break
    if not candidates:
        # a WeChat article shows a relative day ("昨天"); its time is the
        # template's creation-time variable (Unix seconds)
        add(_wechat_time(tree))
    if not candidates:
        return None
    # prefer the first candidate; a later one that agrees but is more precise wins
    best = candidates[0]
    for dt, secs, timed in candidates[1:]:
        if not best[2] and timed and dt.date() == best[0].date():
            best = (dt, secs, timed)
        elif best[2] and secs and not best[1] and dt.replace(second=0) == best[0].replace(second=0):
            best = (dt, secs, timed)
    return iso(best[0])


_WECHAT_CT = re.compile(r"""\bvar\s+ct\s*=\s*["'](\d{10})["']""")


def _wechat_time(tree) -> str | None:
    """``var ct = "1581517074"`` of the WeChat article template (its body is
    div#js_content.rich_media_content), as China time."""
    if not tree.xpath("//div[@id='js_content' and contains(@class, 'rich_media_content')]"):
        return None
    for script in tree.iter("script"):
        m = _WECHAT_CT.search(script.text or "")
        if m:
            return iso(datetime.fromtimestamp(int(m.group(1)), timezone(timedelta(hours=8))))
    return None


# --- source / author / editor ------------------------------------------------------
_STOP = (
    r"(?=\s{2,}|[\u3000]|\s*(?:作者|记者|编辑|责任编辑|来源|发布时间|发布日期|时间|日期|关键词|关键字|字号|点击|浏览|阅读|"
    r"分享|打印|收藏|点赞|参与互动|网友评论|网友|评论|返回|查看更多|【|\||｜)|$)"
)
_SOURCE_RX = re.compile(r"(?:" + META_SOURCE_LABELS + r")\s*" + C + r"\s*(?P<v>.+?)" + _STOP)
_AUTHOR_RX = re.compile(r"(?:作者|撰文|撰稿|采写|执笔人|执笔)\s*" + C + r"\s*(?P<v>.+?)" + _STOP)
_EDITOR_RX = re.compile(r"(?:责任编辑|责编|编辑)\s*" + C + r"\s*(?P<v>[^】\])）\s]{1,30})")


_TRAILING_DATE = re.compile(r"\s*(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}.*$")


def _value(rx: re.Pattern, text: str) -> str | None:
    m = rx.search(text or "")
    if not m:
        return None
    v = _TRAILING_DATE.sub("", m.group("v")).strip(" :：∶|｜，,。、[]【】")
    # brackets: trim the unbalanced ones only ("周思博 (Joel Spolsky)" keeps its pair)
    while v and v[-1] in ")）" and v.count("(") + v.count("（") < v.count(")") + v.count("）"):
        v = v[:-1].rstrip()
    while v and v[0] in "(（" and v.count("(") + v.count("（") > v.count(")") + v.count("）"):
        v = v[1:].lstrip()
    if v.endswith(("()", "（）")):
        v = v[:-2].rstrip()
    if re.match(r"[\w-]+\s*=\s*[\"']", v or ""):  # an attribute dump printed by broken markup
        return None
    return v or None


def _strip_label(text: str, labels: str) -> str:
    return re.sub(r"^\s*[【\[(（]?\s*(?:" + labels + r")\s*" + C + r"?\s*", "", text).strip(" 】]）)")


def _selected_value(text: str, rx: re.Pattern, labels: str) -> str | None:
    """The value in a selected element: "来源：X" inside a longer line, or the
    whole (short, label-free) text of an element that holds just the value."""
    v = _value(rx, text)
    if v:
        return v
    bare = _strip_label(text, labels)
    if bare and len(bare) <= 30 and not re.search(r"[:：∶]|\d{4}", bare):
        return bare
    return None


# an outlet's name standing alone: "证券时报网", "新京报", "第一财经日报"
_OUTLET = re.compile(r"[\u4e00-\u9fff]{1,12}(?:网|报|社|台|刊|杂志|周刊|日报|晚报|晨报|新闻|客户端|发布)")
_INFO_LINE = re.compile(
    r"(?:(?:https?://)?[A-Za-z0-9.-]+\.[A-Za-z]{2,}/?\s+)?"
    r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}日?(?:\s*\d{1,2}[:：∶]\d{2}(?:[:：∶]\d{2})?)?\s*"
    r"(?:《(?P<q>[^》]{2,20})》|(?P<n>[\u4e00-\u9fff·—]{2,16}))"
)


def _header_source(tree, rules, head) -> str | None:
    for el in select(tree, getattr(rules, "source", None)):
        t = _text(el)
        v = _selected_value(t, _SOURCE_RX, META_SOURCE_LABELS)
        if v:
            return v
    for line in head or ():
        v = _value(_SOURCE_RX, line)
        if v:
            return v.strip("《》")
    # an unlabeled info line: "2024-10-22 13:35 自贡网", "site.com 2005年03月21日 11:21 《刊名》"
    for line in head or ():
        m = _INFO_LINE.fullmatch(line.strip())
        if m:
            return m.group("q") or m.group("n")
    v = _by_id(tree, "source_baidu")
    if v:
        v = _value(_SOURCE_RX, v) or _TRAILING_DATE.sub("", _strip_label(v, META_SOURCE_LABELS)).strip()
        if v:
            return v
    v = _meta(tree, "ContentSource", "source", "og:article:source", "article:source")
    if v:
        v = _value(_SOURCE_RX, v) or _strip_label(v, META_SOURCE_LABELS)
        v = _TRAILING_DATE.sub("", v).strip() if v else v
    return v or None


def find_source(tree, rules=None, head: list[str] | None = None, lines: list[str] | None = None) -> str | None:
    """The outlet the page credits: the 来源 of the header area (or a site
    selector, or a machine field); when that only says "转载文章", or there
    is none, a later "来源：X" line or a closing credit ("——《刊名》")."""
    v = _header_source(tree, rules, head)
    if v and v not in SOURCE_PLACEHOLDERS:
        return v
    if not v:
        # the info line's outlet on a line of its own: "2019-09-26 10:56:28" / "证券时报网"
        for prev, line in zip(head or (), (head or [])[1:]):
            if parse_datetime(prev) and len(_squash(prev)) <= 20 and _OUTLET.fullmatch(line.strip()):
                return line.strip()
    merged = _merge_labels(list(lines or ()))
    if not v:
        # a short "来源：X" line anywhere (after the article, in a closing info line)
        for line in merged:
            if len(line) <= 60 and _SOURCE_RX.search(line) and re.match(
                    r"^\s*[【\[（(]?\s*(?:版权声明\s*)?(?:" + META_SOURCE_LABELS + r")\s*" + C, line):
                named = _value(_SOURCE_RX, line)
                if named and named not in SOURCE_PLACEHOLDERS and not _NOT_TITLE.search(named):
                    return named.strip("《》")
    for line in merged:
        if v and len(line) <= 40:  # a placeholder in the header: the outlet named further down
            named = _value(_SOURCE_RX, line)
            if named and named not in SOURCE_PLACEHOLDERS and _SOURCE_RX.match(line.strip(" 【[（(")):
                return named.strip("《》")
        m = CREDIT_LINE_RX.search(line)
        if m:
            return m.group("v")
    return v


def find_author(tree, rules=None, head: list[str] | None = None, lines: list[str] | None = None,
                title: str | None = None) -> str | None:
    for el in select(tree, getattr(rules, "author", None)):
        t = _text(el)
        v = _selected_value(t, _AUTHOR_RX, "作者|撰文|撰稿")
        if v:
            return v
    for line in head or ():
        v = _value(_AUTHOR_RX, line)
        if v:
            return v
    v = _by_id(tree, "author_baidu")
    if v:
        return _strip_label(v, "作者") or None
    v = _byline_author(tree, head) or _title_byline(lines, title)
    if v:
        return v
    for item in _jsonld(tree):
        a = item.get("author")
        if isinstance(a, dict) and a.get("name"):
            return str(a["name"]).strip()
        if isinstance(a, list) and a and isinstance(a[0], dict) and a[0].get("name"):
            return str(a[0]["name"]).strip()
        if isinstance(a, str) and a.strip():
            return a.strip()
    v = _lines_author(lines) or _forum_poster(lines)
    if v:
        return v
    v = (_meta(tree, "author", "article:author") or "").strip()
    # meta author is often a CMS account ("103553", "sina_mobile"), a URL,
    # or the publisher, the site or its web editor ("大汉网络", "网易", "X出版社,Y")
    if not v or len(v) > 30 or re.fullmatch(r"[\w.@:/-]+", v, re.ASCII) and not re.search(r"[A-Za-z]{2,}\s", v):
        return None
    sites = _site_names(_page_titles(tree, None)) | {_squash(_meta(tree, "og:site_name", "SiteName", "application-name"))}
    if _PUBLISHER.search(v) or any(_squash(v) and name.startswith(_squash(v)) for name in sites if name):
        return None
    return v


# a forum's user panel beside a post: the poster's name, then lines of their stats
_PANEL_STAT = re.compile(r"^(?:级别|等级|积分|帖子|发帖|发帖数|精华|注册时间|注册日期|头衔|威望|金钱|UID)\s*" + C)
_POSTER = re.compile(r"[\u4e00-\u9fff·]{2,8}|[A-Za-z][\w.-]{1,19}")


def _forum_poster(lines: list[str] | None) -> str | None:
    """The first post's author in a forum thread: the name line over the
    first user panel (at least two stats lines: 级别：…, 积分：…)."""
    lines = lines or []
    for i in range(1, len(lines) - 1):
        if _PANEL_STAT.match(lines[i]) and sum(1 for ln in lines[i: i + 4] if _PANEL_STAT.match(ln)) >= 2:
            name = lines[i - 1].strip()
            if _POSTER.fullmatch(name) and not _NOT_BYLINE.match(name) and not _NAV_WORD.search(name):
                return name
            return None
    return None


# a name that is an organisation, a site or a desk, not a person
_PUBLISHER = re.compile(
    r"[,，;；|]|网络|网站|网$|新闻网|在线|出版|杂志|期刊|报社|日报|晚报|传媒|媒体|公司|集团|科技|信息|中心|工作室|编辑部|"
    r"编辑|小编|管理员|admin|webmaster|editor|www\.|\.com|\.cn|Publisher", re.I)
# "本贴由大卫于2005年8月12日16:12:21在〖…〗发表", a forum's post line
_POSTED_BY = re.compile(r"由\s*(?P<v>[^\s于]{1,16})\s*于\s*(?:19|20)\d{2}\s*[-/.年]")
# "（袁源）" closing a news article: the reporter's sign-off
_SIGN_OFF = re.compile(r"^[（(]\s*(?P<v>[\u4e00-\u9fff]{2,4}(?:\s[\u4e00-\u9fff]{2,4}){0,2})\s*[)）]$")
_NOT_NAMES = {"完", "组图", "图", "待续", "未完待续", "续", "上", "中", "下", "全文完", "本报讯", "新华社", "注", "附件"}


def _clean_name(v: str | None) -> str | None:
    """A byline value without an affiliation after a colon ("赵 培：北京物资学院"),
    a two-character name spaced out for typography joined ("赵 培" -> "赵培")."""
    if not v:
        return v
    v = re.split(r"\s*[：:]\s*", v)[0].strip()
    v = re.sub(r"^([\u4e00-\u9fff])\s+([\u4e00-\u9fff])$", r"\1\2", v)
    return v or None


_AUTHOR_LINE = re.compile(r"^\s*[\[【]?\s*(?:作者|撰文|撰稿|采写|执笔人|执笔)\s*" + C)
_AUTHOR_MID = re.compile(r"(?:^|\s)(?:作者|撰文)\s*" + C + r"\s*\S")
_AUTHOR_DESK = re.compile(r"^(\s*[\[【]?\s*(?:作者|撰文|撰稿|采写|执笔人|执笔)\s*" + C + r")\s*[\u4e00-\u9fff]{0,6}记者\s*")


def _lines_author(lines: list[str] | None) -> str | None:
    """An author named in the page's lines: a short "作者：X" line (or "作者："
    with the name on the next line), a forum's "由X于<date>发表" line, a
    sign-off "（姓名）" line."""
    for line in _merge_labels(list(lines or ())):
        if len(line) <= 60 and _AUTHOR_LINE.match(line) or (len(line) <= 40 and _AUTHOR_MID.search(line)):
            # "采写：南都记者 余某 向某": the desk before 记者 is not a name
            line = _AUTHOR_DESK.sub(r"\1", line)
            v = _value(_AUTHOR_RX, line)
            v = _clean_name(v)
            if v and not _PUBLISHER.search(v):
                return v
    for line in lines or ():
        m = _POSTED_BY.search(line) or _NAME_POSTED.match(line)
        if m and len(line) <= 120:
            return m.group("v")
    lines = list(lines or ())
    for i, line in enumerate(lines):
        m = _SIGN_OFF.match(line.strip())
        # a sign-off closes a paragraph of prose
        if m and m.group("v") not in _NOT_NAMES and i and len(lines[i - 1]) >= 8 \
                and re.search(r"[。！？”」]$", lines[i - 1]):
            return m.group("v")
        m = _REPORTED.search(line) or _CREDIT_END.search(line)
        if m and len(line) >= 20:
            return m.group("v")
    return None


# "…。(文/图 张三 李四)", "…。（文：张三）" closing a paragraph: the writer's credit
_CREDIT_END = re.compile(
    r"[。！？”][（(]\s*(?:文|文字|文/图|文／图|图/文|图／文|文图|图文)\s*[/／:：]?\s*"
    r"(?P<v>[\u4e00-\u9fff]{2,4}(?:[、 ][\u4e00-\u9fff]{2,4}){0,3})\s*[)）]$"
)


# "ggjjzhzz 发表于 2005-9-15 11:46:00": a blog or forum post's author and time
_NAME_POSTED = re.compile(r"^\s*(?P<v>[\w\u4e00-\u9fff.&·-]{2,16})\s+(?:" + POSTED_LABELS + r")\s*" + C + r"?\s*(?:19|20)\d{2}")
# "…。（姚峰 上海报道）" closing a paragraph
_REPORTED = re.compile(r"[。！？”][（(]\s*(?P<v>[\u4e00-\u9fff]{2,4}(?:[、 ][\u4e00-\u9fff]{2,4}){0,2})\s+[\u4e00-\u9fff]{2,4}报道\s*[)）]$")
# a byline alone under the title: "胡平", "赵延东、风笑天", "duscha"
_NAME_LINE = re.compile(
    r"(?:[\u4e00-\u9fff·]{2,4}(?:[、，, ][\u4e00-\u9fff·]{2,4}){0,4}|[A-Za-z][A-Za-z0-9_.-]{2,15})"
)
_NOT_BYLINE = re.compile(
    r"^(?:首页|正文|要闻|新闻|返回|发表评论|评论|分享|打印|关闭|收藏|推荐|相关|更多|上一页|下一页|上一篇|下一篇|"
    r"导读|摘要|简介|目录|专题|图片|视频|原创|转载|原文|本站|网友|游客|匿名|admin|Admin|null|none|home|Home|"
    r"Next|Previous|More|Print|Share)$"
)


_NAV_WORD = re.compile(r"返|目录|专题|栏目|频道|列表|导航|首页|主页|登录|注册|搜索|订阅|下载|论坛|社区|博客|留言")


def _title_byline(head: list[str] | None, title: str | None) -> str | None:
    """The first line under the title when it is a name and nothing else."""
    if not head or not title:
        return None
    st = _squash(title)
    for i, line in enumerate(head):
        if _squash(line) == st:
            rest = [ln for ln in head[i + 1: i + 4] if _squash(ln) != st]  # a title printed twice
            nxt = rest[0].strip() if rest else ""
            if nxt and _NAME_LINE.fullmatch(nxt) and not _NOT_BYLINE.match(nxt) and not _OUTLET.fullmatch(nxt) \
                    and not _RELATED_RX.match(nxt) and not _NAV_WORD.search(nxt) and _squash(nxt) not in st:
                return nxt
            break
    # "作者名：标题" in the title slot, the article repeating the bare title
    # with the same name alone under it
    m = _NAME_PREFIXED_TITLE.match(title.strip())
    if m:
        name, bare = m.group(1).strip(), _squash(m.group(2))
        for i, line in enumerate(head[:-1]):
            if _squash(line) == bare and head[i + 1].strip() == name and _NAME_LINE.fullmatch(name):
                return name
    return None


_NAME_PREFIXED_TITLE = re.compile(r"^([^：:]{2,12})[：:](.{4,})$")


def find_editor(tree, rules=None, lines: list[str] | None = None) -> str | None:
    for el in select(tree, getattr(rules, "editor", None)):
        t = _text(el)
        v = _selected_value(t, _EDITOR_RX, "责任编辑|责编|编辑")
        if v:
            return v
    v = _by_id(tree, "editor_baidu")
    if v:
        v = _value(_EDITOR_RX, v) or _strip_label(v, "责任编辑|责编|编辑")
        if v:
            return v
    if lines is None:
        # only elements whose own text mentions an editor are rendered
        page = _page_text(tree)
        lines = [
            _WS.sub(" ", " ".join(el.itertext())).strip()
            for el in tree.xpath("//body//*[text()[contains(., '编辑') or contains(., '责编')]]")
            if el.tag not in ("script", "style")
        ] if "编辑" in page or "责编" in page else []
    # editor lines sit at the end of the article.  A plain 编辑 mark
    # (【编辑:X】, "编辑：X") names the article's editor; 责任编辑 is the fallback.
    plain = duty = None
    for line in reversed(lines or ()):
        if len(line) > 60:
            continue
        for m in _EDITOR_ANY.finditer(line):
            v = _TRAILING_DATE.sub("", m.group("v")).strip(" :：∶|｜，,。、")
            if not v:
                continue
            if m.group("label") == "编辑":
                plain = plain or v
            else:
                duty = duty or v
    return plain or duty


_EDITOR_ANY = re.compile(r"(?<![责任值班视频图片网络美])(?P<label>责任编辑|责编|编辑)\s*(?:" + C + r"|[|｜/／])\s*(?P<v>[^】\])）\s|｜]{1,30})")


def _byline_author(tree, head: list[str] | None) -> str | None:
    """The reporter named in a news byline: "（记者 张三）", "中新网北京5月23日电 （记者 刘文文）",
    a first line "自贡融媒记者 周馨钰 宋姿熠"."""
    names = r"([\u4e00-\u9fff·]{2,5}(?:[ 、，,][\u4e00-\u9fff·]{2,5}){0,3})"
    texts = []
    for el in tree.xpath("//body//p[1]|//body//p[2]|//body//p[3]")[:12]:
        texts.append(_WS.sub(" ", el.text_content()).strip())
    for t in (head or []) + texts:
        if not t:
            continue
        m = re.search(r"电\s*[（(]\s*(?:记者\s*)?" + names + r"\s*[）)]", t) or re.search(
            r"^(?:本报讯|本报|[^\s，。]{0,8}讯)\s*[（(]\s*记者\s*" + names + r"\s*[）)]", t)
        if m:
            return m.group(1)
        m = _ROLE_BYLINE.fullmatch(t)
        if m and len(t) <= 40:
            # consecutive byline lines ("本报实习生 甲 乙" / "本报记者 丙"):
            # everyone, in page order, as one list
            group = [m.group("v")]
            if head and t in head:
                for nxt in head[head.index(t) + 1:]:
                    m2 = _ROLE_BYLINE.fullmatch(nxt)
                    if not m2 or len(nxt) > 40:
                        break
                    group.append(m2.group("v"))
            if len(group) == 1:
                return group[0]
            return "、".join(n for g in group for n in re.split(r"[ 、，,]+", g) if n)
    return None


# a byline line: the desk, the role, the names ("本报记者 张三 李四", "通讯员 王五")
_ROLE_BYLINE = re.compile(
    r"[\u4e00-\u9fff]{0,8}(?:记者|实习生|通讯员)\s*[:：]?\s*"
    r"(?P<v>[\u4e00-\u9fff·]{2,5}(?:[ 、，,][\u4e00-\u9fff·]{2,5}){0,3})"
)


_KW_SPLIT = re.compile(r"[,，;；、|｜\s]+")


def find_keywords(tree, rules=None, head: list[str] | None = None) -> list[str]:
    css = getattr(rules, "keywords", None)
    out: list[str] = []
    if css:
        for el in select(tree, css):
            links = el.xpath(".//a")
            texts = [_text(a) for a in links] if links else [_text(el)]
            for t in texts:
                t = _strip_label(t, "关键词|关键字|标签")
                if t and t not in out:
                    out.append(t)
        if out:
            return out
    # 关键词 links next to the title
    for el in _page_index(tree)["kw"]:
        for a in el.xpath(".//a"):
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


# --- government document facts table (信息公开) -----------------------------------
# field -> its labels, most specific first.  Labels are matched with any
# spacing between their characters ("索 &nbsp;引 号", "标    题").
DOC_FIELDS: dict[str, tuple[str, ...]] = {
    "index_no": ("索引号",),
    "category": ("主题分类", "分类", "信息分类", "内容分类", "组配分类"),
    "issuer": ("发文机关", "发布机构", "发布机关", "发文单位", "发布单位"),
    "doc_number": ("发文字号", "文号"),
    "written_at": ("成文日期", "发文日期"),
    "published_at": ("发布日期", "公开日期", "发布时间"),
    "validity": ("有效性", "是否有效", "效力状态", "时效性"),
    "subject_words": ("主题词",),
    "title": ("标题", "名称", "文件名称"),
}
# labels that end a value but are not fields here
_OTHER_DOC_LABELS = ("公开方式", "公开范围", "公开形式", "公开时限", "体裁分类", "服务对象分类", "所属机构", "文种",
                     "信息来源", "来源", "实施日期", "废止日期", "有效期", "生成日期", "所属主题", "公文种类", "信息公开目录")
_LABEL_FIELD = {lab: f for f, labs in DOC_FIELDS.items() for lab in labs}
_ALL_DOC_LABELS = sorted(set(_LABEL_FIELD) | set(_OTHER_DOC_LABELS), key=len, reverse=True)
_SP = r"[ \t\u00a0\u2002\u2003\u2009\u3000]*"
_DOC_LABEL_RX = re.compile(
    r"(?:^|(?<=[\s\u00a0\u3000|｜;；]))(?P<label>"
    + "|".join(_SP.join(map(re.escape, lab)) for lab in _ALL_DOC_LABELS)
    + r")" + _SP + r"(?P<colon>" + C + r")?" + _SP
)
_STRONG_SPACED = re.compile("|".join(_SP.join(map(re.escape, lab)) for lab in GOV_STRONG_LABELS))
_EMPTY_VALUE = re.compile(r"^[\s\u00a0\u3000:：∶\-—/／]*$")


_ROW_TAGS = {"tr", "dl", "li", "p", "table", "ul", "ol"}


def _row_of(el):
    """The element a label's value must lie in: its table row, definition
    list, list item or paragraph, else two levels up (div layouts)."""
    cur, hops = el, 0
    while cur is not None and cur.tag not in ("body", "html"):
        if cur.tag in _ROW_TAGS:
            return cur
        cur, hops = cur.getparent(), hops + 1
    up = el.getparent()
    return up if up is not None and up.tag not in ("body", "html") else el


def _doc_tokens(tree) -> list[tuple[str, str, object]]:
    """The page's text as a stream of ("L", label, element) and ("V", value,
    element) tokens; a label counts at the start of a text node (or after a
    space) when a colon follows it or it is the whole node."""
    tokens: list[tuple[str, str, object]] = []
    body = tree.find(".//body")
    nodes = (body if body is not None else tree).xpath(
        ".//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)]")
    for node in nodes:
        chunk = _WS.sub(" ", str(node)).strip()
        if not chunk:
            continue
        el = node.getparent()
        if node.is_tail and el is not None:
            el = el.getparent()
        pos = 0
        for m in _DOC_LABEL_RX.finditer(chunk):
            whole = m.end() == len(chunk) or not chunk[m.end():].strip()
            if not m.group("colon") and not (m.start() == 0 and whole):
                continue
            before = chunk[pos:m.start()].strip()
            if before:
                tokens.append(("V", before, el))
            tokens.append(("L", squash_label(m.group("label")), el))
            pos = m.end()
        rest = chunk[pos:].strip()
        if rest:
            tokens.append(("V", rest, el))
    return tokens


def find_document(tree) -> dict | None:
    """The facts table of a government document page, parsed into fields
    (``index_no, category, issuer, doc_number, written_at, published_at,
    validity, subject_words, title``; None where the table has no such row),
    or None when the page has no facts table.  Works on any layout (table,
    definition list, divs, one line) since it reads the text in document
    order: the densest run of facts labels, each followed by its value."""
    body = tree.find(".//body")
    if not _STRONG_SPACED.search((body if body is not None else tree).text_content()):
        return None  # no decisive label anywhere: no facts table
    tokens = _doc_tokens(tree)
    label_at = [i for i, (kind, _, _) in enumerate(tokens) if kind == "L"]
    if not label_at:
        return None
    # runs of labels at most 3 tokens apart; the run with most strong labels wins
    runs, run = [], [label_at[0]]
    for i in label_at[1:]:
        if i - run[-1] <= 3:
            run.append(i)
        else:
            runs.append(run)
            run = [i]
    runs.append(run)

    def strength(r):
        labels = {tokens[i][1] for i in r}
        return (len(labels & set(GOV_STRONG_LABELS)), len(labels))

    best = max(runs, key=strength)
    strong, distinct = strength(best)
    if strong < 1 or distinct < 3:
        return None
    doc: dict = {f: None for f in DOC_FIELDS}
    rank: dict[str, int] = {}
    for i in best:
        label = tokens[i][1]
        field = _LABEL_FIELD.get(label)
        if not field:
            continue
        value = None
        if i + 1 < len(tokens) and tokens[i + 1][0] == "V":
            row = _row_of(tokens[i][2]) if tokens[i][2] is not None else None
            v_el = tokens[i + 1][2]
            if row is None or v_el is row or (v_el is not None and row in v_el.iterancestors()):
                value = tokens[i + 1][1].strip()
            if value and _EMPTY_VALUE.match(value):
                value = None
        order = DOC_FIELDS[field].index(label)
        if value and (field not in rank or order < rank[field]):
            doc[field], rank[field] = value, order
    for field in ("written_at", "published_at"):
        if doc[field]:
            dt = parse_datetime(doc[field])
            if dt is None:
                doc[field] = None
            elif field == "written_at" or not _has_time(doc[field]):
                doc[field] = dt.date().isoformat()
            else:
                doc[field] = iso(dt)
    if doc["title"]:
        doc["title"] = _clean_title(doc["title"])
    return doc if any(v for f, v in doc.items() if f != "title") else None


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
