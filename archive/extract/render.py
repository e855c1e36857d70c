"""Rendering an element as the lines a reader sees: blocks and cells on lines of their own,
script/style/form controls skipped, one rendering per element while a page is read; CSS
selection and removal of nodes.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from itertools import accumulate, repeat

from lxml.html import HtmlMixin

from .vocab import WS as _WS

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



# tag -> what rendering writes around the element's content: "\n" for a block,
# " " for a cell, "" inline; None for an element whose content is never text
# (SKIP_TAGS, comments, processing instructions: only their tail is).  Looked
# up once per tag name, not lower-cased and tested against three sets per element.
_SEPARATORS: dict = {}
_UNSEEN = object()


def _separator(tag) -> str | None:
    if isinstance(tag, str):
        low = tag.lower()
        sep = None if low in SKIP_TAGS else "\n" if low in BLOCK_TAGS else " " if low in CELL_TAGS else ""
    else:
        sep = None
    if len(_SEPARATORS) < 4096:  # a bound for pages inventing tag names
        _SEPARATORS[tag] = sep
    return sep


def _walk(el, out: list[str]) -> None:
    sep = _SEPARATORS.get(el.tag, _UNSEEN)
    if sep is _UNSEEN:
        sep = _separator(el.tag)
    if sep is None:
        tail = el.tail
        if tail:
            out.append(tail)
        return
    if sep:
        out.append(sep)
    text = el.text
    if text:
        out.append(text)
    for child in el:
        _walk(child, out)
    if sep:
        out.append(sep)
    tail = el.tail
    if tail:
        out.append(tail)


# element -> its lines, while a tree is read without being changed (see lines_memo)
_MEMO: ContextVar[dict | None] = ContextVar("element_lines_memo", default=None)


@contextmanager
def lines_memo():
    """Remember :func:`element_lines` per element inside the block.  Only for
    code that reads the tree without changing it (metadata search renders
    the same ancestors and the page body many times).  :func:`select` is
    remembered too.  Inside an active block, a nested one shares it."""
    if _MEMO.get() is not None:
        yield
        return
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
    sep = _SEPARATORS.get(el.tag, _UNSEEN)
    if sep is _UNSEEN:
        sep = _separator(el.tag)
    if sep is None:
        tail = el.tail
        if tail:
            out.append(tail)
        return
    start = len(out)
    if sep:
        out.append(sep)
    text = el.text
    if text:
        out.append(text)
    for child in el:
        _walk_spans(child, out, spans)
    if sep:
        out.append(sep)
    spans[el] = (start, len(out))
    tail = el.tail
    if tail:
        out.append(tail)


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
            before = list(accumulate(map(str.count, out, repeat("\n")), initial=0))
            # (runs of _WS never hold a newline: one substitution over the page is
            # the substitution line by line)
            page = [line.strip() for line in _WS.sub(" ", "".join(out)).split("\n")]
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


# (css, translator) -> its compiled selector, None for an invalid one: a site's
# few selectors are compiled once, not on every page
_SELECTORS: dict[tuple[str, str], object] = {}
_SELECTORS_MAX = 4096  # site files hold a few dozen; a bound for odd callers


def _compiled(css: str, translator: str):
    key = (css, translator)
    try:
        return _SELECTORS[key]
    except KeyError:
        pass
    from lxml.cssselect import CSSSelector

    try:
        sel = CSSSelector(css, translator=translator)
    except Exception:  # bad selector from a site file
        sel = None
    if len(_SELECTORS) >= _SELECTORS_MAX:
        _SELECTORS.clear()
    _SELECTORS[key] = sel
    return sel


def select(tree, css: str | None) -> list:
    """Elements matching a CSS selector; [] for no selector or an invalid one."""
    if not css or tree is None:
        return []
    # what tree.cssselect(css) does, with the selector compiled once: the
    # HTML translator for lxml.html elements, the XML one for plain etree ones
    memo = _MEMO.get()
    if memo is not None:  # the tree is not changed: the same selector finds the same elements
        key = ("select", tree, css)
        found = memo.get(key)
        if found is None:
            found = memo[key] = _select(tree, css)
        return list(found)
    return _select(tree, css)


def _select(tree, css: str) -> list:
    sel = _compiled(css, "html" if isinstance(tree, HtmlMixin) else "xml")
    if sel is None:  # bad selector from a site file: behave as "no match"
        return []
    try:
        return sel(tree)
    except Exception:
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
