"""The page's structure before body extraction: government facts tables (信息公开: 索引号,
发文字号, 成文日期 …) found for the body to drop, teaser lists pruned, layout tables unwrapped into
blocks (data tables and calendars stay tables).
"""
from __future__ import annotations

import re

from .render import _remove
from .vocab import COLON_CHARS, GOV_FACT_LABEL_RX, GOV_STRONG_LABELS, SPACE, squash

# --- government document facts table (信息公开: 索引号, 发文字号, 成文日期 …) ----
_FACT_MAX_LABEL_TEXT = 60  # a label cell: the label, maybe its value
_FACT_MAX_TABLE_TEXT = 2500  # a facts table is short whatever its layout
_FACT_MAX_UP = 6  # ancestors a label is counted in


def _fact_label(text: str | None) -> str | None:
    if not text:
        return None
    t = squash(text)
    if not t or len(t) > _FACT_MAX_LABEL_TEXT:
        return None
    m = GOV_FACT_LABEL_RX.match(t)
    if not m:
        return None
    label = m.group(0).rstrip(COLON_CHARS)
    # "标题" as a label must be followed by a colon or stand alone in its cell
    if len(t) > len(m.group(0)) and m.group(0) == label and label not in GOV_STRONG_LABELS:
        return None
    return label


def _text_len(el) -> int:
    return len(squash("".join(el.itertext())))


# a decisive label with any spacing between its characters
_STRONG_SPACED = re.compile("|".join(
    (SPACE + "*").join(label) for label in GOV_STRONG_LABELS))


def _has_sentences(el) -> bool:
    return any(len(t) >= 20 and ("。" in t or "；" in t) for t in el.itertext())


def fact_tables(tree) -> list:
    """The facts tables of a government document page, whatever their layout
    (table, dl, list, divs) or the spacing inside their labels ("索 &nbsp;引 号",
    "标 &nbsp; &nbsp;题"): the smallest element holding three or more distinct
    facts labels, one of them decisive (索引号, 发文字号, 成文日期 …), grown to
    its parent while that adds labels and little else."""
    body = tree.find(".//body")
    if not _STRONG_SPACED.search("".join((body if body is not None else tree).itertext())):
        return []
    counts: dict = {}
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        hits = []
        label = _fact_label(el.text)
        if label:
            hits.append((el, label))
        label = _fact_label(el.tail)
        if label and el.getparent() is not None:
            hits.append((el.getparent(), label))
        for owner, label in hits:
            node, up = owner, 0
            while node is not None and up <= _FACT_MAX_UP:
                counts.setdefault(node, set()).add(label)
                node, up = node.getparent(), up + 1
    if not counts:
        return []

    def qualifies(labels: set) -> bool:
        return len(labels) >= 3 and any(l in GOV_STRONG_LABELS for l in labels)

    found = []
    for el, labels in counts.items():
        if not qualifies(labels) or el.tag in ("body", "html"):
            continue
        # the smallest: no child holds the same labels
        if any(counts.get(ch) == labels for ch in el):
            continue
        size = _text_len(el)
        node = el
        while True:
            parent = node.getparent()
            if parent is None or parent.tag in ("body", "html") or len(counts.get(parent, ())) <= len(counts[node]):
                break
            psize = _text_len(parent)
            if psize > size * 1.5 + 200:
                break
            node, size = parent, psize
        # facts only: a few dozen characters per label (the title is the
        # longest value) and no sentences; a container that also holds the
        # body is not one (its facts rows go in the clean-up)
        if (size <= min(_FACT_MAX_TABLE_TEXT, 80 * len(counts[node]) + 200) and not _has_sentences(node)
                and node not in found):
            found.append(node)
    # keep only outermost
    return [el for el in found if not any(a in found for a in el.iterancestors())]


# a teaser title carrying its tag list: "…留学生归国创业全域|创业|郊区"
_TAGGED = re.compile(r"[\u3400-\u9fffA-Za-z0-9]{1,8}(?:\s*[|｜]\s*[\u3400-\u9fffA-Za-z0-9]{1,8}){2,}\s*$")


def prune_teasers(tree) -> None:
    """Remove list items that are teasers of other articles: a link whose
    title carries a tag list, with its summary paragraph.  Generic
    extraction keeps the summaries (they are prose) but drops the link, so
    the clean-up layer would never see the tag line that marks them."""
    doomed = []
    for a in tree.iterfind(".//li//a"):
        label = a.get("title") or a.text_content()
        if label and len(label) <= 80 and _TAGGED.search(label.strip()):
            li = next(a.iterancestors("li"), None)
            if li is not None and (not doomed or doomed[-1] is not li):
                doomed.append(li)
    _remove(doomed)


def _is_data_table(table) -> bool:
    """A grid of facts (most rows with two or more cells, no table inside,
    links under half the text) rather than page layout."""
    if table.find(".//table") is not None:
        return False
    rows = table.findall(".//tr")
    if len(rows) < 2:
        return False
    multi = sum(1 for r in rows if len(r.findall("td") + r.findall("th")) >= 2)
    if multi < 0.6 * len(rows):
        return False
    text = squash(table.text_content())
    if not text:
        return False
    links = sum(len(squash(a.text_content())) for a in table.iter("a"))
    return links < 0.5 * len(text)


def unwrap_layout_tables(tree) -> None:
    """Turn layout tables into plain blocks.  Legacy portals lay out the
    whole page as nested tables; given to trafilatura as tables they come
    out as ``| … |`` rows with the navigation in them.  As blocks, the usual
    text-density and link-density rules find the article.  Data tables (a
    grid of short cells without tables inside) stay tables."""
    calendars = []
    for table in list(tree.iter("table")):
        if _is_calendar(table):
            calendars.append(table)
            continue
        if _is_data_table(table):
            continue
        for part in [table, *_own_parts(table)]:
            _to_div(part)
    _remove(calendars)


_CAL_CELL = re.compile(
    r"^(?:[0-3]?\d|[日一二三四五六]|周[日一二三四五六]|星期[日一二三四五六]|(?i:su|mo|tu|we|th|fr|sa|sun|mon|tue|wed|thu|fri|sat))$"
)


def _is_calendar(table) -> bool:
    """A blog's month calendar: a grid of day numbers and weekday names."""
    if table.find(".//table") is not None:
        return False
    cells = [squash("".join(c.itertext())) for c in table.iter("td", "th")]
    cells = [c for c in cells if c]
    if len(cells) < 20:
        return False
    return sum(1 for c in cells if _CAL_CELL.match(c)) >= 0.7 * len(cells)


def _own_parts(table):
    """The rows and cells of ``table`` itself (not of tables nested in it)."""
    out = []
    stack = list(table)
    while stack:
        el = stack.pop()
        if not isinstance(el.tag, str) or el.tag == "table":
            continue
        if el.tag in ("tbody", "thead", "tfoot", "tr", "td", "th"):
            out.append(el)
            if el.tag not in ("td", "th"):
                stack.extend(el)
    return out


def _to_div(el) -> None:
    el.tag = "div"
    for attr in ("colspan", "rowspan", "width", "height", "align", "valign", "border", "cellpadding", "cellspacing"):
        el.attrib.pop(attr, None)
