"""Body text: the site's body selector when it matches, generic extraction otherwise.

Both paths end in the site-independent clean-up layer (:mod:`.cleanup`), and
both return one paragraph per line.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar

from lxml import etree
from lxml.html import HtmlElement

from .cleanup import clean_lines, noise_memo
from .vocab import GOV_FACT_LABEL_RX, GOV_STRONG_LABELS, SPACE, WORD_RX, WS as _WS, has_words, squash

__all__ = ["element_lines", "lines_memo", "body_text", "select", "generic_text"]

# elements whose content is never text of the page
SKIP_TAGS = frozenset(
    "script style noscript template iframe object embed select option button input textarea "
    "svg canvas video audio map head title link meta".split()
)
# elements that start a new line
BLOCK_TAGS = frozenset(
    "p div br li ul ol dl dt dd h1 h2 h3 h4 h5 h6 tr table tbody thead tfoot section article header "
    "footer nav aside main blockquote pre form figure figcaption center hr address caption details "
    "summary fieldset legend".split()
)
CELL_TAGS = frozenset(("td", "th"))



def _walk(el, out: list[str]) -> None:
    tag = el.tag if isinstance(el.tag, str) else None
    if tag is None:  # comment or processing instruction: only its tail is text
        if el.tail:
            out.append(el.tail)
        return
    tag = tag.lower()
    if tag in SKIP_TAGS:
        if el.tail:
            out.append(el.tail)
        return
    block = tag in BLOCK_TAGS
    if block:
        out.append("\n")
    elif tag in CELL_TAGS:
        out.append(" ")
    if el.text:
        out.append(el.text)
    for child in el:
        _walk(child, out)
    if block:
        out.append("\n")
    elif tag in CELL_TAGS:
        out.append(" ")
    if el.tail:
        out.append(el.tail)


# element -> its lines, while a tree is read without being changed (see lines_memo)
_MEMO: ContextVar[dict | None] = ContextVar("element_lines_memo", default=None)


@contextmanager
def lines_memo():
    """Remember :func:`element_lines` per element inside the block.  Only for
    code that reads the tree without changing it (metadata search renders
    the same ancestors and the page body many times)."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def _walk_spans(el, out: list[str], spans: dict) -> None:
    """:func:`_walk`, noting where each element's own output starts and ends
    in ``out`` (its tail excluded).  The walk of an element does not depend
    on what surrounds it, so that slice is what rendering the element alone
    gives."""
    tag = el.tag if isinstance(el.tag, str) else None
    if tag is None:
        if el.tail:
            out.append(el.tail)
        return
    tag = tag.lower()
    if tag in SKIP_TAGS:
        if el.tail:
            out.append(el.tail)
        return
    start = len(out)
    block = tag in BLOCK_TAGS
    if block:
        out.append("\n")
    elif tag in CELL_TAGS:
        out.append(" ")
    if el.text:
        out.append(el.text)
    for child in el:
        _walk_spans(child, out, spans)
    if block:
        out.append("\n")
    elif tag in CELL_TAGS:
        out.append(" ")
    spans[el] = (start, len(out))
    if el.tail:
        out.append(el.tail)


def element_lines(el) -> list[str]:
    """Visible text of ``el`` as stripped, non-empty lines (block elements break lines)."""
    memo = _MEMO.get()
    if memo is None:
        return _element_lines(el)
    lines = memo.get(el)
    if lines is None:
        if "spans" not in memo:
            # the whole page rendered once; any element's lines are a slice of it
            out: list[str] = []
            spans: dict = {}
            root = el.getroottree().getroot()
            if root is not None:
                tail, root.tail = root.tail, None
                try:
                    _walk_spans(root, out, spans)
                finally:
                    root.tail = tail
            # "\n" counted before each piece (and after the last): the lines
            # between an element's first and last newline are page lines
            before, n = [], 0
            for piece in out:
                before.append(n)
                n += piece.count("\n")
            before.append(n)
            page = [_WS.sub(" ", line).strip() if line and not line.isspace() else ""
                    for line in "".join(out).split("\n")]
            memo["spans"], memo["out"], memo["before"], memo["page"] = spans, out, before, page
        span = memo["spans"].get(el)
        if span is not None:
            lines = memo[el] = _slice_lines(memo["out"], memo["before"], memo["page"], *span)
        else:  # outside the rendered page (in <head>, inside a skipped element)
            lines = memo[el] = _element_lines(el)
    return list(lines)


def _slice_lines(out: list[str], before: list[int], page: list[str], start: int, end: int) -> list[str]:
    """``_split_lines(out[start:end])`` from the page's lines: the part of
    the slice before its first newline, the whole page lines between its
    first and last newline, the part after its last newline."""
    first_nl, last_nl = before[start], before[end] - 1  # page newline indices inside the slice
    if last_nl < first_nl:  # no line break inside: part of one line
        return _split_lines(out[start:end])
    k = start
    while "\n" not in out[k]:
        k += 1
    head = "".join(out[start:k]) + out[k][:out[k].index("\n")]
    k = end - 1
    while "\n" not in out[k]:
        k -= 1
    tail = out[k][out[k].rindex("\n") + 1:] + "".join(out[k + 1:end])
    lines = _split_lines([head])
    lines.extend(line for line in page[first_nl + 1: last_nl + 1] if line)
    lines.extend(_split_lines([tail]))
    return lines


def _element_lines(el) -> list[str]:
    out: list[str] = []
    if isinstance(el.tag, str) and el.tag.lower() in SKIP_TAGS:
        return []
    # the element's own tail is outside it
    tail, el.tail = el.tail, None
    try:
        _walk(el, out)
    finally:
        el.tail = tail
    return _split_lines(out)


def _split_lines(out: list[str]) -> list[str]:
    lines = []
    for line in "".join(out).split("\n"):
        line = _WS.sub(" ", line).strip()
        if line:
            lines.append(line)
    return lines


def select(tree, css: str | None) -> list:
    """Elements matching a CSS selector; [] for no selector or an invalid one."""
    if not css or tree is None:
        return []
    try:
        return tree.cssselect(css)
    except Exception:  # bad selector from a site file: behave as "no match"
        return []


def _remove(nodes) -> None:
    for node in nodes:
        parent = node.getparent()
        if parent is None:
            continue
        # keep the tail text: it belongs to the surrounding content
        if node.tail:
            prev = node.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + node.tail
            else:
                parent.text = (parent.text or "") + node.tail
        parent.remove(node)


def selector_text(tree, rules) -> list[str] | None:
    """Lines of the site's body container, or None when the selector misses."""
    matches = select(tree, getattr(rules, "body", None))
    if not matches:
        return None
    copies = [etree.fromstring(etree.tostring(m), parser=_FRAGMENT_PARSER) for m in matches]
    lines: list[str] = []
    for el in copies:
        for css in getattr(rules, "remove", ()) or ():
            _remove(select(el, css))
        _remove(fact_tables(el))
        lines.extend(element_lines(el))
    return lines or None


_FRAGMENT_PARSER = etree.HTMLParser(remove_comments=True)

# generic noise removed before trafilatura sees the page: hidden CMS fields
_PRUNE_XPATH = [
    "//*[@id='pubtime_baidu' or @id='source_baidu' or @id='editor_baidu' or @id='author_baidu']",
]

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
    label = m.group(0).rstrip(":：∶")
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


def generic_text(tree, url: str | None = None) -> list[str]:
    import trafilatura

    text = trafilatura.extract(
        tree,
        url=url,
        favor_precision=True,
        include_comments=False,
        include_tables=True,
        prune_xpath=_PRUNE_XPATH,
        fast=True,
    )
    if not text:
        return []
    out = []
    for line in text.split("\n"):
        line = _WS.sub(" ", line).strip()
        if line.startswith("|") and line.endswith("|") and len(line) > 1:
            cells = [c.strip() for c in line.strip("|").split(" | ") if c.strip(" -:|")]
            if len(cells) <= 1:  # a row with one filled cell is just a line
                line = cells[0] if cells else ""
        if line:
            out.append(line)
    return out


def split_rows(lines: list[str]) -> list[str]:
    """Table rows from trafilatura ("| a | b |") as one cell per line."""
    out = []
    for line in lines:
        if line.startswith("|") and line.endswith("|") and len(line) > 1:
            out.extend(c.strip() for c in line.strip("|").split(" | ") if c.strip(" -:|"))
        else:
            out.append(line)
    return out


# --- the densest prose block: a check on trafilatura's choice ---------------------
_PROSE_PUNCT = re.compile(r"[，。！？；、,]")
_NOT_CONTENT = frozenset(("a", "nav", "footer", "header", "aside", "select", "button", "label"))
MIN_PROSE = 40  # word characters a prose block must have to overrule trafilatura
# containers that are page chrome by their class or id
_CHROME_ATTR = re.compile(r"(?i)foot|copyright|\bnav|menu|sidebar|comment|share|related|recommend|breadcrumb")


def _is_chrome(el) -> bool:
    if isinstance(el.tag, str) and el.tag.lower() in _NOT_CONTENT:
        return True
    cls, ident = el.get("class"), el.get("id")
    if not cls and not ident:
        return False
    return _CHROME_ATTR.search((cls or "") + " " + (ident or "")) is not None


def _own_text(el) -> str:
    """Text of ``el`` outside its block children, its links and scripts."""
    parts = [el.text or ""]
    _inline_text(el, parts)
    return "".join(parts)


def _inline_text(el, parts: list[str]) -> None:
    for ch in el:
        tag = ch.tag.lower() if isinstance(ch.tag, str) else None
        if tag is not None and tag not in BLOCK_TAGS and tag not in CELL_TAGS and tag not in SKIP_TAGS and tag != "a":
            parts.append(ch.text or "")
            _inline_text(ch, parts)
        parts.append(ch.tail or "")


_RUN_SKIP = frozenset(("br", "hr", "ul", "ol", "dl", "table", "tbody", "thead", "tfoot", "tr"))
_RUN_TAGS = (BLOCK_TAGS | CELL_TAGS) - _RUN_SKIP


def prose_blocks(tree):
    """The container holding the most prose (runs of text with sentence
    punctuation, links excluded) and those runs, in document order.  Scores
    go to a run's parent and, halved, to its grandparent.  Page chrome
    (nav, footer, elements whose class or id says so) is not searched."""
    scores: dict = {}
    runs: dict = {}
    body = tree.find(".//body")
    stack = [body if body is not None else tree]
    while stack:
        el = stack.pop()
        for ch in reversed(el):
            if isinstance(ch.tag, str) and ch.tag.lower() not in SKIP_TAGS and not _is_chrome(ch):
                stack.append(ch)
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag not in _RUN_TAGS:
            continue
        raw = _own_text(el)
        # (squashing removes spaces only: the tests hold on the raw text first)
        if len(raw) < 10 or not _PROSE_PUNCT.search(raw):
            continue
        text = squash(raw)
        if len(text) < 10:
            continue
        parent = el.getparent()
        if parent is None:
            continue
        n = len(text)
        scores[parent] = scores.get(parent, 0) + n
        runs.setdefault(parent, []).append(text)
        grand = parent.getparent()
        if grand is not None:
            scores[grand] = scores.get(grand, 0) + n / 2
            runs.setdefault(grand, []).append(text)
    if not scores:
        return None, []
    best = max(scores, key=scores.get)
    return best, runs.get(best, [])


def _covered(runs: list[str], lines: list[str]) -> float:
    """Share of the prose runs' characters that ``lines`` carry."""
    joined = squash("".join(lines))
    total = sum(len(r) for r in runs) or 1
    return sum(len(r) for r in runs if r[:24] in joined) / total


def body_text(tree, url: str | None = None, rules=None, *, title: str | None = None) -> str:
    """Clean article text of ``tree``: one paragraph per line, "" when none found."""
    with noise_memo():
        return _body_text(tree, url, rules, title=title)


def _body_text(tree, url: str | None = None, rules=None, *, title: str | None = None) -> str:
    lines = None
    extra = tuple(getattr(rules, "drop_lines", ()) or ()) if rules is not None else ()
    if rules is not None and getattr(rules, "body", None):
        lines = selector_text(tree, rules)
        if lines is not None:
            cleaned = clean_lines(lines, title=title, extra_patterns=extra)
            if cleaned:
                return "\n".join(cleaned)
    prune_teasers(tree)
    _remove(fact_tables(tree))
    unwrap_layout_tables(tree)
    container, runs = prose_blocks(tree)
    lines = generic_text(tree, url)
    cleaned = clean_lines(lines, title=title, extra_patterns=extra)
    if container is not None and has_words(runs, MIN_PROSE) and _covered(runs, cleaned) < 0.5:
        # trafilatura missed the page's main prose (a short brief in portal
        # chrome, a body its heuristics skip): take the densest block instead
        # when that gives more text.
        own = clean_lines(element_lines(container), title=title, extra_patterns=extra, related_share=0.0)
        if len(WORD_RX.findall("".join(own))) > len(WORD_RX.findall("".join(cleaned))) or not cleaned:
            cleaned = own
        elif own:
            # both hold text (a prose block beside a data table trafilatura
            # kept): the two in page order
            cleaned = _in_page_order(tree, cleaned, own)
    return "\n".join(split_rows(cleaned))


def _in_page_order(tree, *groups: list[str]) -> list[str]:
    page = squash(tree.text_content())
    seen, placed = set(), []
    for group in groups:
        for line in group:
            if line in seen:
                continue
            seen.add(line)
            pos = page.find(squash(line)[:20])
            placed.append((pos if pos >= 0 else len(page), len(placed), line))
    return [line for _, _, line in sorted(placed)]
