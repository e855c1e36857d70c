"""Publication time: date parsing (ISO, Chinese, US and English forms, +08:00 by default) and the
page's own date line or machine-readable date fields — never dates further down the page,
which belong to related news.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from lxml import etree

from .lines import _AUTHOR_RX, _POSTED_BY, _SOURCE_RX, _by_id, _jsonld, _meta, _page_index, _squash, _text
from .render import select
from .vocab import COLON as C, POSTED_LABELS

# XPath expressions compiled once (tree.xpath(expr) compiles expr on every call)
_WECHAT_BODY_XPATH = etree.XPath("//div[@id='js_content' and contains(@class, 'rich_media_content')]")


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
    if not _WECHAT_BODY_XPATH(tree):
        return None
    for script in tree.iter("script"):
        m = _WECHAT_CT.search(script.text or "")
        if m:
            return iso(datetime.fromtimestamp(int(m.group(1)), timezone(timedelta(hours=8))))
    return None
