"""Article metadata: title, publication time, source, author, editor, keywords.

A site's ``Selectors`` are tried first; generic rules are the fallback.  The
publication time comes from the page's own date line (the lines right around
the title) or from machine-readable fields (``<meta>`` PubDate/publishdate/
article:published_time, ``#pubtime_baidu``, JSON-LD datePublished) — never
from dates further down the page, which belong to related news.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

from .text import element_lines, select

__all__ = [
    "extract_metadata", "parse_datetime", "find_title", "find_published_at", "find_source",
    "find_author", "find_editor", "find_keywords",
]

C = r"[:：∶]"
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
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_EN = re.compile(
    r"(?i)\b(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>(?:19|20)\d{2})"
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
    m = _EN.search(text)
    if m:
        H = int(m["H"]) if m["H"] else 0
        ampm = (m["ampm"] or "").lower().replace(".", "")
        if ampm == "pm" and H < 12:
            H += 12
        elif ampm == "am" and H == 12:
            H = 0
        return _mk(m["y"], _MONTHS[m["mon"].lower()[:3]], m["d"], H, m["M"], m["S"])
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


def _meta_index(tree) -> dict[str, str]:
    """{lower-cased name/property/itemprop/http-equiv: first non-empty content}."""
    idx = getattr(tree, "_archive_meta", None)
    if idx is not None:
        return idx
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


def _by_id(tree, ident: str) -> str | None:
    for el in tree.xpath("//*[@id=$i]", i=ident):
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


def _clean_title(t: str | None) -> str | None:
    if not t:
        return None
    t = _WS.sub(" ", t).strip()
    return t or None


# --- title --------------------------------------------------------------------
_TITLE_SPLIT = re.compile(r"\s*_\s*|\s+[-|｜—–]{1,2}\s+|\s*[|｜]\s*|\s*-{2,}\s*")


def _segments(t: str) -> list[str]:
    """A page title split at its site-name separators ("标题_频道_网站 - SITE")."""
    return [p for p in _TITLE_SPLIT.split(t) if p and len(p.strip()) >= 2]


def find_title(tree, rules=None) -> tuple[str | None, object | None]:
    """(title, element holding it if one was found in the page)."""
    for el in select(tree, getattr(rules, "title", None)):
        t = _clean_title(_text(el))
        if t:
            return t, el
    squash = lambda s: re.sub(r"\s", "", s or "")
    article_title = _clean_title(_meta(tree, "ArticleTitle"))
    first = tree.find(".//title")  # pages embedding fragments carry several <title>s
    doc_title = _clean_title(first.text_content()) if first is not None else None
    og_title = _clean_title(_meta(tree, "og:title", "twitter:title", "headline"))
    heads = []
    for el in tree.xpath("//h1|//h2|//h3|//*[@id and contains(translate(@id,'TITLE','title'),'title')]"
                         "|//*[@class and contains(translate(@class,'TITLE','title'),'title')]"):
        t = _clean_title(_text(el))
        if t and 4 <= len(t) <= 200:
            heads.append((el, t))
    if article_title:
        for el, t in heads:
            if squash(t) == squash(article_title):
                return t, el
        return article_title, None
    page_titles = [t for t in (og_title, doc_title) if t]
    # an h1 that the page title repeats is the article title
    for el, t in heads:
        if el.tag == "h1" and any(squash(t) in squash(pt) for pt in page_titles):
            return t, el
    # a heading equal to the first segment(s) of the page title
    for pt in page_titles:
        segs = _segments(pt)
        prefixes = {squash(pt)}
        acc = ""
        for seg in segs:
            acc += seg
            prefixes.add(squash(acc))
        for el, t in heads:
            if squash(t) in prefixes:
                return t, el
    for pt in page_titles:
        segs = _segments(pt)
        if segs and len(segs[0]) >= 4:
            return segs[0].strip(), None
        return pt, None
    h1s = [(el, t) for el, t in heads if el.tag == "h1"]
    if h1s:
        return h1s[0][1], h1s[0][0]
    return None, None


# --- the header lines around the title -----------------------------------------
def document_lines(tree) -> list[str]:
    body = tree.find(".//body")
    return element_lines(body if body is not None else tree)


def _title_line_index(lines: list[str], title: str | None) -> int | None:
    squash = lambda s: re.sub(r"\s", "", s or "")
    st = squash(title)
    if not st:
        return None
    for i, l in enumerate(lines):
        sl = squash(l)
        if sl == st or (len(st) >= 8 and st in sl and len(sl) - len(st) <= 30):
            return i
    return None


def header_lines(tree, title: str | None, title_el=None, limit: int = 12) -> list[str]:
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
        lines = document_lines(tree)
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
    return lines[max(0, idx - 3): idx] + after


_LABELED_DATE = re.compile(r"(?:发布时间|发布日期|发表时间|发文日期|成文日期|时间|日期|更新时间)\s*" + C + r"\s*(.{6,40})")


def find_published_at(tree, rules=None, head: list[str] | None = None) -> str | None:
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
        # machine-readable fields
        add(_meta(tree, "PubDate", "publishdate", "publish_date", "pubdate", "article:published_time",
                  "og:article:published_time", "og:release_date", "datePublished", "publishtime",
                  "publish-time", "release_date", "dc.date.issued", "dcterms.issued", "weibo:article:create_at"))
        add(_by_id(tree, "pubtime_baidu"))
        for item in _jsonld(tree):
            if item.get("datePublished"):
                add(str(item["datePublished"]))
                break
        # the page's own date line near the title
        for line in head or ():
            m = _LABELED_DATE.search(line)
            if m and parse_datetime(m.group(1)):
                add(m.group(1))
                break
        else:
            for line in head or ():
                if parse_datetime(line):
                    add(line)
                    break
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


# --- source / author / editor ------------------------------------------------------
_STOP = (
    r"(?=\s{2,}|[\u3000]|\s*(?:作者|记者|编辑|责任编辑|来源|发布时间|发布日期|时间|日期|关键词|关键字|字号|点击|浏览|阅读|"
    r"分享|打印|收藏|点赞|参与互动|评论|【|\||｜)|$)"
)
_SOURCE_RX = re.compile(r"(?:来源|稿源|信息来源|文章来源|出处)\s*" + C + r"\s*(?P<v>.+?)" + _STOP)
_AUTHOR_RX = re.compile(r"(?:作者|撰文|撰稿)\s*" + C + r"\s*(?P<v>.+?)" + _STOP)
_EDITOR_RX = re.compile(r"(?:责任编辑|责编|编辑)\s*" + C + r"\s*(?P<v>[^】\])）\s]{1,30})")


_TRAILING_DATE = re.compile(r"\s*(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}.*$")


def _value(rx: re.Pattern, text: str) -> str | None:
    m = rx.search(text or "")
    if not m:
        return None
    v = _TRAILING_DATE.sub("", m.group("v")).strip(" :：∶|｜，,。、()（）[]【】")
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


def find_source(tree, rules=None, head: list[str] | None = None) -> str | None:
    for el in select(tree, getattr(rules, "source", None)):
        t = _text(el)
        v = _selected_value(t, _SOURCE_RX, "来源|稿源|信息来源|文章来源")
        if v:
            return v
    for line in head or ():
        v = _value(_SOURCE_RX, line)
        if v:
            return v
    # an unlabeled info line: "2024-10-22 13:35 自贡网"
    for line in head or ():
        m = re.fullmatch(r"(?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:\s*\d{1,2}[:：∶]\d{2}(?:[:：∶]\d{2})?)?\s+"
                         r"([\u4e00-\u9fff·]{2,16})", line.strip())
        if m:
            return m.group(1)
    v = _by_id(tree, "source_baidu")
    if v:
        v = _value(_SOURCE_RX, v) or _TRAILING_DATE.sub("", _strip_label(v, "来源|稿源|信息来源|文章来源")).strip()
        if v:
            return v
    v = _meta(tree, "ContentSource", "source", "og:article:source", "article:source")
    if v:
        v = _value(_SOURCE_RX, v) or _strip_label(v, "来源|稿源|信息来源|文章来源")
        v = _TRAILING_DATE.sub("", v).strip() if v else v
    return v or None


def find_author(tree, rules=None, head: list[str] | None = None) -> str | None:
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
    v = _byline_author(tree, head)
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
    v = (_meta(tree, "author", "article:author") or "").strip()
    # meta author is often a CMS account ("103553", "sina_mobile") or a URL
    if not v or len(v) > 30 or re.fullmatch(r"[\w.@:/-]+", v, re.ASCII) and not re.search(r"[A-Za-z]{2,}\s", v):
        return None
    return v


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
        lines = [
            _WS.sub(" ", " ".join(el.itertext())).strip()
            for el in tree.xpath("//body//*[text()[contains(., '编辑') or contains(., '责编')]]")
            if el.tag not in ("script", "style")
        ]
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


_EDITOR_ANY = re.compile(r"(?<![责任值班视频图片网络美])(?P<label>责任编辑|责编|编辑)\s*" + C + r"\s*(?P<v>[^】\])）\s|｜]{1,30})")


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
        m = re.fullmatch(r"[\u4e00-\u9fff]{0,8}记者\s*[:：]?\s*" + names, t)
        if m and len(t) <= 40:
            return m.group(1)
    return None


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
    for el in tree.xpath("//*[@id='key_word' or contains(@class,'keyword') or contains(@class,'key_word')]"):
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


def extract_metadata(tree, rules=None, url: str | None = None) -> dict:
    title, title_el = find_title(tree, rules)
    head = header_lines(tree, title, title_el)
    author = find_author(tree, rules, head)
    editor = find_editor(tree, rules)
    if author and editor and author == editor and not select(tree, getattr(rules, "author", None)):
        author = None  # CMSs often write the editor into <meta name="author">
    return {
        "title": title,
        "published_at": find_published_at(tree, rules, head),
        "source": find_source(tree, rules, head),
        "author": author,
        "editor": editor,
        "keywords": find_keywords(tree, rules, head),
    }
