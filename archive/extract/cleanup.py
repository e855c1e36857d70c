"""Site-independent clean-up of extracted Chinese article text.

Input is the body as lines (one paragraph per line), output the same without
page furniture: editor and reviewer lines, ICP/公网安备 and copyright lines,
share/print/font-size widgets, 上一篇/下一篇, related-news lists at the end,
image file names, metadata lines (来源, dates) at the top, comment counts,
投稿 and disclaimer blocks, breadcrumbs and trailing teaser lists.

The rules are deliberately general (they describe page furniture, not any one
site); a site's ``drop_lines`` patterns are applied in addition.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["clean_lines", "clean_text", "is_noise_line", "noise_memo"]

from .vocab import (
    BODY_TITLE_LABELS, COLON as C, CJK as _CJK, EDITOR_LABELS as _EDITOR_LABELS, EDITOR_NAME_LABELS, FURNITURE_RX as _ALWAYS_RX,
    INVISIBLE as _INVISIBLE, NOTICE_HEADING_RX, META_LABELS as _META_LABELS, MIN_WORD_CHARS, RELATED_HEADINGS, SOURCE_LABELS,
    DATE_LABELS, GOV_FACT_LABELS, GOV_STRONG_LABELS, WIDGET_CORE, WIDGET_WORDS as _WIDGET_WORDS, WS as _WS, SPACE_RUN, has_words, squash,
)

# --- whole lines that are furniture wherever they appear ----------------------
# label, then a colon or a bar ("编辑|张三", "责编｜李四")
_C_OR_BAR = r"(?:" + C + r"|\s*[|｜])"
_EDITOR_LINE = re.compile(
    r"^[\[【(（]?\s*(?:" + _EDITOR_LABELS + r")\s*" + _C_OR_BAR + r".{0,40}$"
)
# a short source credit: "来源：新华社", "来源|广州参考、羊城晚报"
_SOURCE_LINE = re.compile(r"^[\[【(（]?\s*(?:" + SOURCE_LABELS + r")\s*" + _C_OR_BAR + r"[^。！？；]{1,40}$")
# a repeated title with its label: "主题： …", "标题：…"
_TITLE_LABEL = re.compile(r"^(?:" + BODY_TITLE_LABELS + r")\s*" + C + r"\s*")
_EDITOR_ANY = re.compile(r"(?:" + EDITOR_NAME_LABELS + r")\s*" + C)
_EDITOR_INLINE = re.compile(r"[\[【(（]\s*(?:" + EDITOR_NAME_LABELS + r")\s*" + C + r"[^】\])）]{0,30}[】\])）]")

# image file names ("3221729503684_.pic_hd.jpg", "… 摄.jpg")
_IMAGE_FILE = re.compile(r"(?i)^[^。！？；]{0,120}\.(?:jpe?g|png|gif|webp|bmp|tiff?|svg)\s*$")

# related-content headings: they and what follows them at the end are dropped
_RELATED_HEADING = re.compile(
    r"^[【\[■●◆▶>《]?\s*(?:" + RELATED_HEADINGS + r")\s*[】\]]?\s*" + C + r"?\s*$"
)

# a teaser title carrying its tag list: "…标题…创业|郊区", "…样板创新|低碳|样板"
_TAGGED_TITLE = re.compile(r"[" + _CJK + r"A-Za-z0-9]{1,8}(?:\s*[|｜]\s*[" + _CJK + r"A-Za-z0-9]{1,8}){2,}\s*$")


def _tagged_title(line: str) -> bool:
    # two bars at least, or the (costly) search cannot match
    return line.count("|") + line.count("｜") >= 2 and _TAGGED_TITLE.search(line) is not None

# metadata lines (only dropped in the header zone or when very short)
_DATE = (
    r"(?:\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|\d{1,2}\s*[-/月]\s*\d{1,2}\s*日?)"
    r"(?:\s*[T ]?\s*\d{1,2}\s*[:：∶时]\s*\d{1,2}(?:\s*[:：∶分]\s*\d{1,2}\s*秒?)?)?"
)
_DATE_RX = re.compile(_DATE)
_META_LABEL_RX = re.compile(r"(?:" + _META_LABELS + r")\s*" + C)
_SOURCE_START = re.compile(r"^[【\[(（]?\s*(?:" + SOURCE_LABELS + "|" + DATE_LABELS + r")\s*" + C)
_EN_DATE = re.compile(
    r"(?i)^(?:发布时间|时间|日期)?\s*" + C + r"?\s*(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}"
)
_BREADCRUMB = re.compile(r"^(?:[^\s>›»]{1,12}\s*[>›»]\s*){2,}[^\s>›»]{0,14}$")
_SENT_END = re.compile(r"[。！？!?；;…]")
_SHORT_CRUMB = re.compile(r"^[^\s>›»]{1,12}\s*[>›»]\s*[^\s>›»]{1,14}$")
# a row of a government facts table ("索 引 号：…", "发文字号：…"), spaces squashed
_FACT_ROW = re.compile(r"^(?:" + "|".join(GOV_STRONG_LABELS) + r")" + C)
_FACT_ANY_ROW = re.compile(r"^(?:" + "|".join(sorted(GOV_FACT_LABELS, key=len, reverse=True)) + r")" + C)




def _norm(line: str) -> str:
    return _WS.sub(" ", _INVISIBLE.sub("", line)).strip()


def _is_widget_line(line: str) -> bool:
    if len(line) > 40:
        return False
    rest = _WIDGET_WORDS.sub("", line)
    # require at least one real widget word, not just digits/punctuation
    return rest == "" and WIDGET_CORE.search(line) is not None


def _is_nav_menu(line: str) -> bool:
    """A row of short menu words: "本地 天下 发现自贡 文化 健康 教育 商圈"."""
    if line.startswith("|") and line.endswith("|"):
        return False  # a table row, not a menu
    toks = line.split(" ")
    if len(toks) < 5 or _SENT_END.search(line) or re.search(r"[，,、]", line):
        return False
    return all(1 <= len(t) <= 5 for t in toks) and sum(len(t) for t in toks) <= 40


def _is_meta_line(line: str) -> bool:
    """A header line of date/source/author facts rather than prose."""
    if len(line) > 120 or _SENT_END.search(line.rstrip("。")):
        return False
    if _SOURCE_START.match(line) or _EN_DATE.match(line):
        return True
    m = _DATE_RX.match(line)
    if m and re.search(r"\d{4}|\d\s*[:：∶时]\s*\d", m.group(0)) and not re.search(r"[，,。；;]", line):
        # a leading date followed by little else ("2024-10-22 13:35 自贡网")
        rest = _META_LABEL_RX.sub("", line[m.end():])
        rest = re.sub(r"收藏|点赞|分享|打印|字号|大|中|小|[\s|｜:：∶]", "", rest)
        return len(rest) <= 30
    return len(_META_LABEL_RX.findall(line)) >= 2


# line -> is_noise_line(line), for the lines of one page (see noise_memo)
_NOISE_MEMO: ContextVar[dict | None] = ContextVar("noise_line_memo", default=None)


@contextmanager
def noise_memo():
    """Remember :func:`is_noise_line` (without extra patterns) inside the
    block: one page's lines are cleaned twice when its densest block is
    checked against trafilatura's output."""
    token = _NOISE_MEMO.set({})
    try:
        yield
    finally:
        _NOISE_MEMO.reset(token)


def is_noise_line(line: str, extra: Iterable[re.Pattern] = ()) -> bool:
    """True when ``line`` is page furniture wherever it appears."""
    memo = _NOISE_MEMO.get()
    if memo is None or extra:
        return _is_noise_line(line, extra)
    hit = memo.get(line)
    if hit is None:
        hit = memo[line] = _is_noise_line(line, ())
    return hit


def _is_noise_line(line: str, extra: Iterable[re.Pattern] = ()) -> bool:
    if not line:
        return True
    if _EDITOR_LINE.match(line) and not _SENT_END.search(line[:-1] if line.endswith("。") else line):
        return True
    if _EDITOR_INLINE.fullmatch(line) or _SOURCE_LINE.match(line):
        return True
    for rx in _ALWAYS_RX:
        if rx.search(line):
            return True
    for rx in extra:
        if rx.search(line):
            return True
    if _IMAGE_FILE.match(line) or _BREADCRUMB.match(line):
        return True
    if len(line) <= 160 and _FACT_ROW.match(squash(line)):
        return True
    if (len(line) <= 100 and (_META_LABEL_RX.match(line.lstrip("【[(（ ")) or _DATE_RX.match(line) and _META_LABEL_RX.search(line))
            and not re.search(r"[，,]", line)
            and _is_meta_line(line)
            and (_DATE_RX.search(line) or _EDITOR_ANY.search(line))):
        # "发布日期：2005-03-01 责任编辑：X" wherever it stands
        return True
    if _is_widget_line(line) or _is_nav_menu(line):
        return True
    return False


def _compile_extra(patterns: Iterable[str | re.Pattern]) -> list[re.Pattern]:
    out = []
    for p in patterns or ():
        try:
            out.append(p if isinstance(p, re.Pattern) else re.compile(p))
        except re.error:
            continue
    return out


def _is_prose(line: str) -> bool:
    """A sentence of body text (titles rarely end sentences or chain commas)."""
    if len(line) >= 80:
        return True
    if len(line) >= 12 and re.search(r"[。！；]|\.\s|\.$", line):
        return True
    return len(line) >= 30 and len(re.findall(r"[，,]", line)) >= 2


def _same_title(line: str, title: str | None) -> bool:
    if not title:
        return False
    a = SPACE_RUN.sub("", _TITLE_LABEL.sub("", line))
    b = SPACE_RUN.sub("", title)
    if not a or not b:
        return False
    return a == b or (len(b) >= 8 and (a.startswith(b) and len(a) - len(b) <= 20 and not _SENT_END.search(a[len(b):])))


def clean_lines(
    lines: Iterable[str],
    *,
    title: str | None = None,
    extra_patterns: Iterable[str | re.Pattern] = (),
    related_share: float = 0.4,
) -> list[str]:
    """Drop furniture from ``lines``; return the article's paragraphs.

    A related-content heading cuts the rest when at least ``related_share``
    of the text lies before it (0 when the lines are known to be one
    article block, where any such heading ends the article)."""
    extra = _compile_extra(extra_patterns)
    raw = [_norm(l) for l in lines]
    raw = [l for l in raw if l]

    # 1. header zone: everything before the first prose line.  Titles, date
    #    and source lines, lone counters and menus there are metadata.
    first_prose = next((i for i, l in enumerate(raw)
                        if _is_prose(l) and not _is_meta_line(l) and not _same_title(l, title)), len(raw))
    out: list[str] = []
    for i, line in enumerate(raw):
        if i < first_prose:
            if _same_title(line, title) or _is_meta_line(line) or re.fullmatch(r"\d{1,6}", line):
                continue
            if len(line) <= 6 and not _SENT_END.search(line) and i + 1 < first_prose:
                # lone short labels above the title ("北极星", "搜索")
                continue
            if _tagged_title(line) and not _SENT_END.search(line):
                continue
            if _SHORT_CRUMB.match(line):  # "澎湃号 > 某某发布"
                continue
            if len(line) <= 120 and _FACT_ANY_ROW.match(squash(line)):  # "分 类：综合政务" above the body
                continue
        if NOTICE_HEADING_RX.match(line):
            out.append(line)  # kept for the cut below, dropped after it
            continue
        if is_noise_line(line, extra):
            continue
        if title and len(title) >= 8 and _same_title(line, title) and len(line) <= len(title) + 2:
            continue  # the title repeated in a share box or at the foot
        # inline editor marks at the end of a paragraph: "…（完）【编辑:张三】"
        line = _EDITOR_INLINE.sub("", line).strip()
        if not line:
            continue
        out.append(line)

    # 2. related lists / teasers at the end: cut from the heading on when
    #    most of the text lies before it.
    total = sum(len(l) for l in out) or 1
    seen = 0
    for i, line in enumerate(out):
        if i > 0 and (_RELATED_HEADING.match(line) or NOTICE_HEADING_RX.match(line)
                      or (len(line) <= 80 and _tagged_title(line))):
            if seen >= related_share * total and seen > 0:
                out = out[:i]
                break
        seen += len(line)
    out = [l for l in out if not NOTICE_HEADING_RX.match(l)]

    # 3. duplicates: consecutive repeats (teasers shown twice) and later
    #    copies of a long line (a caption repeated under a second photo)
    dedup: list[str] = []
    seen_long: set[str] = set()
    for line in out:
        if dedup and dedup[-1] == line:
            continue
        if len(line) >= 15:
            if line in seen_long:
                continue
            seen_long.add(line)
        dedup.append(line)
    # too little text left to be an article body ("" means "not an article")
    if not has_words(dedup, MIN_WORD_CHARS):
        return []
    return dedup




def clean_text(text: str, *, title: str | None = None, extra_patterns: Iterable[str] = ()) -> str:
    """:func:`clean_lines` over a text block; returns the cleaned text."""
    return "\n".join(clean_lines((text or "").splitlines(), title=title, extra_patterns=extra_patterns))
