"""Body text: the site's body selector when it matches, generic extraction otherwise.

Both paths end in the site-independent clean-up layer (:mod:`.cleanup`), and
both return one paragraph per line.
"""
from __future__ import annotations

import re

from lxml import etree

from .cleanup import clean_lines, noise_memo
from .layout import fact_tables, prune_teasers, unwrap_layout_tables
from .render import BLOCK_TAGS, CELL_TAGS, SKIP_TAGS, _remove, element_lines, lines_memo, select
from .vocab import WORD_RX, WS as _WS, has_words, squash

__all__ = ["element_lines", "lines_memo", "body_text", "select", "generic_text"]


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
