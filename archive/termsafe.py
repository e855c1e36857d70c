"""Crawled text made inert for a terminal and for a spreadsheet.

A crawled title or field may carry terminal control sequences (``ESC ] 0 ;``
sets the window title, ``ESC [ 31 m`` colours the rest of the screen, some
terminals answer queries into the input) or characters that reorder what is
shown (bidirectional overrides). Everything the CLI prints from the archive
goes through :func:`clean` (human-readable output) or :func:`json_dumps`
(JSON output: the same characters written as ``\\uXXXX`` escapes, so nothing
is lost). CSV cells that a spreadsheet would run as a formula are
neutralised by :func:`csv_cell`.
"""
from __future__ import annotations

import csv
import io
import json
import re

# ESC sequences: CSI (ESC [ … final byte), OSC/DCS/SOS/PM/APC strings (ESC ] … BEL or ESC \),
# and the two-character ones (ESC + one character); then their 8-bit C1 forms.
_ESC_SEQ = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b[\]PX^_][^\x07\x1b\x9c]{0,512}(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -~]?"
    r"|\x9b[0-?]*[ -/]*[@-~]?"
    r"|[\x9d\x90\x98\x9e\x9f][^\x07\x1b\x9c]{0,512}(?:\x07|\x1b\\|\x9c)?"
)
# What is left: C0 controls but tab and line feed, DEL, C1 controls, bidirectional
# embeddings/overrides/isolates and the line/paragraph separators.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\u200e\u200f\u061c]")
# The same characters, to escape in JSON (json.dumps already escapes C0).
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\u200e\u200f\u061c]")


def clean(text, *, one_line: bool = False) -> str:
    """*text* without escape sequences and control characters (tabs and line breaks
    kept, or made spaces when *one_line*)."""
    if text is None:
        return ""
    text = _CONTROL.sub("", _ESC_SEQ.sub("", str(text)))
    if one_line:
        text = " ".join(text.split())
    return text


def json_dumps(obj, **kwargs) -> str:
    """``json.dumps(obj, ensure_ascii=False)`` with the characters a terminal would act on escaped."""
    kwargs.setdefault("ensure_ascii", False)
    out = json.dumps(obj, **kwargs)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", out)


# A spreadsheet (Excel, LibreOffice, Google Sheets) runs a cell starting with one of
# these as a formula: =HYPERLINK(…), +cmd|…, -2+3, @SUM(…); tab and carriage return too.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A CSV cell a spreadsheet reads as text: a string starting like a formula gets a
    leading apostrophe (which spreadsheets hide). Numbers are left as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def csv_document(text: str) -> str:
    """A whole CSV document (rows separated by CRLF, as Python's csv module and Datasette write
    it) with every cell passed through :func:`csv_cell`; a cell that is a plain number ("-3",
    "+1.5") stays as it is, since a spreadsheet reads it as that number."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in csv.reader(io.StringIO(text, newline="")):
        writer.writerow([c if _NUMBER.fullmatch(c) else csv_cell(c) for c in row])
    return out.getvalue()
