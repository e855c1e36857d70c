"""The facts table of a government document page (信息公开: 索引号, 发文字号, 成文日期 …),
parsed into fields on any layout.
"""
from __future__ import annotations

import re

from lxml import etree

from .dates import _has_time, iso, parse_datetime
from .title import _clean_title
from .vocab import (
    COLON as C, GOV_DOC_FIELDS, GOV_OTHER_DOC_LABELS, GOV_STRONG_LABELS, INLINE_SPACE, SPACE, SPACE_RUN as _WS,
    squash as squash_label,
)

# --- government document facts table (信息公开) -----------------------------------
# Labels are matched with any spacing between their characters ("索 &nbsp;引 号", "标    题").
DOC_FIELDS = GOV_DOC_FIELDS
_OTHER_DOC_LABELS = GOV_OTHER_DOC_LABELS
_LABEL_FIELD = {lab: f for f, labs in DOC_FIELDS.items() for lab in labs}
_ALL_DOC_LABELS = sorted(set(_LABEL_FIELD) | set(_OTHER_DOC_LABELS), key=len, reverse=True)
_SP = INLINE_SPACE + "*"
_DOC_LABEL_RX = re.compile(
    r"(?:^|(?<=[" + SPACE + r"|｜;；]))(?P<label>"
    + "|".join(_SP.join(map(re.escape, lab)) for lab in _ALL_DOC_LABELS)
    + r")" + _SP + r"(?P<colon>" + C + r")?" + _SP
)
_STRONG_SPACED = re.compile("|".join(_SP.join(map(re.escape, lab)) for lab in GOV_STRONG_LABELS))
_EMPTY_VALUE = re.compile(r"^[" + SPACE + r":：∶\-—/／]*$")


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


# (compiled once: tree.xpath(expr) compiles expr on every call)
_TEXT_NODES_XPATH = etree.XPath(
    ".//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)]")


def _doc_tokens(tree) -> list[tuple[str, str, object]]:
    """The page's text as a stream of ("L", label, element) and ("V", value,
    element) tokens; a label counts at the start of a text node (or after a
    space) when a colon follows it or it is the whole node."""
    tokens: list[tuple[str, str, object]] = []
    body = tree.find(".//body")
    nodes = _TEXT_NODES_XPATH(body if body is not None else tree)
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
