"""Attachments: what a downloaded file is (by its bytes, not its name) and its text.

:func:`sniff` reads the first bytes (magic numbers) and, for a zip, the names of its
entries: ``pdf``, ``docx``, ``xlsx``, ``pptx``, ``ofd``, ``zip``, ``doc``/``xls``/``ppt``/``wps``
(OLE2 compound files), ``rar``, ``7z``, ``gzip``, ``image``, ``html`` (an error page served
under a file's name), ``text`` (txt/csv), ``empty``, ``binary``.

:func:`extract` gives the text of the formats that have one, with maintained libraries:
PDF text layer with pdfminer.six (CID fonts through their CMaps: 宋体 comes out as Chinese),
DOCX with python-docx (paragraphs and tables in document order), XLSX with openpyxl
(read-only; one tab-separated line per row), plain text decoded like a page
(:mod:`archive.extract.decode`). Everything else is kept as a file with ``text`` None and a
``reason``: DOC/WPS/XLS binaries, OFD, archives, images, a PDF without a text layer
(scanned) or whose text layer is garbage (:func:`garbage_share`), a corrupt file, an HTML
page. Nothing here imports Scrapy.
"""
from __future__ import annotations

import hashlib
import io
import logging
import re
import struct
import zipfile
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

# The kinds whose text is extracted, and the reason the others are kept without text.
TEXT_KINDS = ("pdf", "docx", "xlsx", "text")
NO_TEXT_REASONS = {
    "doc": "DOC (Word 97-2003 binary): kept as a file, no text extracted",
    "wps": "WPS (Kingsoft binary): kept as a file, no text extracted",
    "xls": "XLS (Excel 97-2003 binary): kept as a file, no text extracted",
    "ppt": "PPT (PowerPoint 97-2003 binary): kept as a file, no text extracted",
    "ole2": "OLE2 compound file (DOC/WPS/XLS family): kept as a file, no text extracted",
    "ofd": "OFD document: kept as a file, no text extracted",
    "pptx": "PPTX presentation: kept as a file, no text extracted",
    "zip": "zip archive: kept as a file, no text extracted",
    "rar": "RAR archive: kept as a file, no text extracted",
    "7z": "7z archive: kept as a file, no text extracted",
    "gzip": "gzip file: kept as a file, no text extracted",
    "image": "image: kept as a file, no text extracted",
    "html": "an HTML page where a file was linked (an error page?): not the attachment",
    "empty": "empty body",
    "binary": "unknown binary format: kept as a file, no text extracted",
}
# A text layer is garbage when more than this share of its visible characters are
# glyph codes pdfminer could not map ("(cid:123)"), private-use or replacement characters,
# or control characters.
GARBAGE_SHARE = 0.2
# A PDF with fewer visible characters than this per page has no text layer worth the name
# (a scan: page numbers or a stamp at most).
MIN_CHARS_PER_PAGE = 8

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|title|script|div|p|h1|table)\b",
                         re.I | re.S)
_LOCAL_HEADER = re.compile(rb"PK\x03\x04")


@dataclass
class Extracted:
    kind: str
    text: str | None = None
    reason: str | None = None  # why text is None (or what was left out)
    pages: int | None = None  # PDF pages, XLSX sheets


# --------------------------------------------------------------------------- sniffing
def zip_names(body: bytes) -> list[str]:
    """Names of a zip's entries: from its central directory, or, when that is damaged or cut
    off, from the local headers found in the bytes (a truncated DOCX is still told from a zip)."""
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            return z.namelist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        pass
    names = []
    for m in _LOCAL_HEADER.finditer(body[:1 << 20]):
        head = body[m.start(): m.start() + 30]
        if len(head) < 30:
            break
        n, extra = struct.unpack("<HH", head[26:30])
        name = body[m.start() + 30: m.start() + 30 + n]
        if len(name) == n:
            names.append(name.decode("utf-8", "replace"))
    return names


def _zip_kind(body: bytes) -> str:
    names = zip_names(body)
    low = [n.lower() for n in names]
    ooxml = "[content_types].xml" in low
    if ooxml or any(n.startswith(("word/", "xl/", "ppt/")) for n in low):
        if any(n.startswith("word/") for n in low):
            return "docx"
        if any(n.startswith("xl/") for n in low):
            return "xlsx"
        if any(n.startswith("ppt/") for n in low):
            return "pptx"
    if "ofd.xml" in low:
        return "ofd"
    return "zip"


def _ole2_kind(body: bytes, ext: str) -> str:
    head = body[: 1 << 20]
    if "WordDocument".encode("utf-16-le") in head:
        return "wps" if ext == "wps" else "doc"
    if "Workbook".encode("utf-16-le") in head or "Book".encode("utf-16-le") in head:
        return "xls"
    if "PowerPoint Document".encode("utf-16-le") in head:
        return "ppt"
    return {"doc": "doc", "wps": "wps", "xls": "xls", "et": "xls", "ppt": "ppt"}.get(ext, "ole2")


def extension(url: str | None) -> str:
    path = unquote(urlsplit(url or "").path)
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def sniff(body: bytes, url: str | None = None) -> str:
    """The kind of file *body* is, by its bytes. The URL's extension only names an OLE2 file
    (DOC and WPS share the format) and never overrides the bytes."""
    body = bytes(body or b"")
    if not body.strip():
        return "empty"
    head = body[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if body.startswith(b"PK\x03\x04") or body.startswith(b"PK\x05\x06"):
        return _zip_kind(body)
    if body.startswith(OLE2_MAGIC):
        return _ole2_kind(body, extension(url))
    if body.startswith(b"Rar!\x1a\x07"):
        return "rar"
    if body.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if body.startswith(b"\x1f\x8b"):
        return "gzip"
    if body.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*", b"BM")):
        return "image"
    stripped = head.lstrip(b"\xef\xbb\xbf")
    if _HTML_START.match(stripped) or b"<html" in head.lower():
        return "html"
    if _looks_like_text(body[:8192]):
        return "text"
    return "binary"


def _looks_like_text(sample: bytes) -> bool:
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a BOM
        return True
    if b"\x00" in sample:
        return False
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls <= len(sample) // 100


# --------------------------------------------------------------------------- quality
def _bad_char(ch: str) -> bool:
    cp = ord(ch)
    return (0xE000 <= cp <= 0xF8FF or 0xF0000 <= cp or cp == 0xFFFD
            or (cp < 32 and ch not in "\t\n\r\f") or 0x7F <= cp < 0xA0)


_CID = re.compile(r"\(cid:\d+\)")


def garbage_share(text: str) -> float:
    """Share of a text layer's visible characters that are not text: glyph codes
    (``(cid:N)``, one each), private-use, replacement and control characters."""
    cids = len(_CID.findall(text))
    rest = _CID.sub("", text)
    visible = [c for c in rest if not c.isspace()]
    bad = cids + sum(1 for c in visible if _bad_char(c))
    total = cids + len(visible)
    return bad / total if total else 0.0


def visible_chars(text: str) -> int:
    return sum(1 for c in text if not c.isspace())


def tidy(text: str) -> str:
    """Lines stripped, runs of blank lines to one, form feeds (page breaks) to line breaks."""
    lines = [ln.strip() for ln in text.replace("\f", "\n").replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out, blank = [], False
    for ln in lines:
        if ln:
            out.append(ln)
            blank = False
        elif out and not blank:
            out.append("")
            blank = True
    return "\n".join(out).strip()


# --------------------------------------------------------------------------- extractors
def pdf_text(body: bytes, max_pages: int = 0) -> tuple[str, int]:
    """(text, pages read) of a PDF's text layer; one form feed between pages.

    Lines come from pdfminer's layout analysis, in its reading order. A line that reaches the
    right edge of the page's text (within two characters' width) was wrapped by the layout, not
    ended by the writer: it is joined to the next one (with a space between two Latin letters or
    digits), so a sentence or a two-character word cut by the line end comes out whole."""
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams, LTTextBox, LTTextLine
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage

    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # per-glyph font warnings: the reason says it
    rsrc = PDFResourceManager(caching=True)
    device = PDFPageAggregator(rsrc, laparams=LAParams())
    interp = PDFPageInterpreter(rsrc, device)
    out, pages = [], 0
    for page in PDFPage.get_pages(io.BytesIO(body), maxpages=max_pages or 0):
        interp.process_page(page)
        pages += 1
        lines = []
        for box in device.get_result():
            if isinstance(box, LTTextBox):
                lines.extend(ln for ln in box if isinstance(ln, LTTextLine))
        out.append(_join_wrapped(lines))
    return "\f".join(out), pages


def _join_wrapped(lines) -> str:
    items = [(ln.get_text().rstrip("\n"), ln.x1, ln.height) for ln in lines]
    items = [(t, x1, h) for t, x1, h in items if t.strip()]
    if not items:
        return ""
    right = max(x1 for _, x1, _ in items)
    parts = []
    for i, (text, x1, height) in enumerate(items):
        parts.append(text.strip())
        if i == len(items) - 1:
            break
        wrapped = x1 >= right - 2 * max(height, 1.0)
        if not wrapped:
            parts.append("\n")
        elif parts[-1][-1:].isascii() and parts[-1][-1:].isalnum() and items[i + 1][0].strip()[:1].isascii():
            parts.append(" ")
    return "".join(parts)


def docx_text(body: bytes) -> str:
    """Paragraphs and table rows (cells separated by tabs) in document order."""
    import docx
    from docx.table import Table

    document = docx.Document(io.BytesIO(body))
    lines = []

    def table_lines(table):
        for row in table.rows:
            cells, last = [], None
            for cell in row.cells:
                if cell._tc is last:  # a merged cell repeats itself
                    continue
                last = cell._tc
                cells.append(" ".join(p.text.strip() for p in cell.paragraphs if p.text.strip()))
            lines.append("\t".join(cells))

    for block in document.iter_inner_content():
        if isinstance(block, Table):
            table_lines(block)
        else:
            lines.append(block.text)
    return "\n".join(lines)


def xlsx_text(body: bytes) -> tuple[str, int]:
    """(text, sheets): each sheet's name, then one tab-separated line per non-empty row."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    try:
        lines, sheets = [], 0
        for ws in wb.worksheets:
            sheets += 1
            lines.append(ws.title)
            for row in ws.iter_rows(values_only=True):
                cells = ["" if v is None else str(v).strip() for v in row]
                while cells and not cells[-1]:
                    cells.pop()
                if any(cells):
                    lines.append("\t".join(cells))
            lines.append("")
        return "\n".join(lines), sheets
    finally:
        wb.close()


def plain_text(body: bytes, charset: str | None = None) -> str:
    from archive.extract.decode import decode

    text, _ = decode(body, charset)
    return text


def extract(body: bytes, url: str | None = None, *, charset: str | None = None, max_pages: int = 0) -> Extracted:
    """Kind and text of a downloaded attachment (see the module docstring). Never raises for a
    bad file: a file a library cannot read is ``text`` None with the reason."""
    kind = sniff(body, url)
    if kind not in TEXT_KINDS:
        return Extracted(kind, None, NO_TEXT_REASONS.get(kind, "no text extracted"))
    try:
        if kind == "pdf":
            raw, pages = pdf_text(body, max_pages)
            text = tidy(raw)
            if visible_chars(text) < MIN_CHARS_PER_PAGE * max(pages, 1):
                return Extracted(kind, None, "PDF without a text layer (a scan?): kept as a file", pages)
            share = garbage_share(text)
            if share > GARBAGE_SHARE:
                return Extracted(kind, None, "PDF text layer is garbage (glyph codes or private-use "
                                             "characters, not text): kept as a file", pages)
            return Extracted(kind, text, None, pages)
        if kind == "docx":
            return Extracted(kind, tidy(docx_text(body)), None)
        if kind == "xlsx":
            text, sheets = xlsx_text(body)
            return Extracted(kind, tidy(text), None, sheets)
        return Extracted(kind, tidy(plain_text(body, charset)), None)
    except Exception as exc:  # noqa: BLE001 - any library error is a corrupt or unreadable file
        name = {"pdf": "PDF", "docx": "DOCX", "xlsx": "XLSX", "text": "text file"}[kind]
        detail = _error_kind(exc)
        return Extracted(kind, None, f"corrupt or unreadable {name} ({detail})")


def _error_kind(exc: BaseException) -> str:
    """A short, URL-free name for what went wrong (reasons group: no per-file text)."""
    name = type(exc).__name__
    if name == "PDFPasswordIncorrect" or "encrypt" in str(exc).lower():
        return "encrypted"
    return name


def describe(body: bytes, url: str | None = None, charset: str | None = None, max_pages: int = 0) -> dict:
    """What the store keeps about a downloaded file besides its bytes: ``kind``, ``text``, ``pages``,
    ``sha1`` and ``reason`` (why the text is None; None when there is text). Plain data, so it can
    come back from an extraction worker process."""
    result = extract(body, url, charset=charset, max_pages=max_pages)
    return {"kind": result.kind, "text": result.text, "pages": result.pages,
            "sha1": hashlib.sha1(body).hexdigest(), "reason": result.reason}


def fill(att: dict, described: dict | None = None) -> dict:
    """Complete an attachment record as the spider made it (``url``, ``body`` or None, ``charset``,
    ``reason`` if it gave no file) with :func:`describe` (computed here unless *described* is
    given). A record without a body keeps its reason. Returns *att*."""
    if att.get("body") is None:
        att.setdefault("kind", None)
        att.setdefault("text", None)
        return att
    if described is None:
        described = describe(att["body"], att.get("url"), att.get("charset"))
    reason = described.get("reason")
    att.update({k: v for k, v in described.items() if k != "reason"})
    if reason:
        att["reason"] = reason
    return att
