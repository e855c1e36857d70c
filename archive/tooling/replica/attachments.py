"""The replica's attachment files: real PDF and DOCX documents with Chinese text.

A record's attachment ``{"url", "type", "size", "text"}`` is generated from its ``text`` (one
paragraph per line), by the URL's extension:

* ``.pdf``: reportlab with its built-in CID font ``STSong-Light`` (``UnicodeCIDFont``: no font
  file, the text is written as CIDs through the ``UniGB-UCS2-H`` CMap — exactly the case a PDF
  text extractor must map back to Chinese); lines wrapped to the page, as many pages as needed.
* ``.docx``: python-docx, a heading then one paragraph per line.

Both are byte-stable: reportlab's invariant mode (fixed dates and document ID), the DOCX's
core properties fixed and its zip entries re-packed with a fixed timestamp, so a rebuild of
the replica gives identical files. An attachment without ``text`` is the old few-hundred-byte
ASCII PDF (``templates.attachment_pdf``).

reportlab is a test/tooling dependency only: the archive itself reads PDFs with pdfminer.six.
"""
from __future__ import annotations

import io
import zipfile
from datetime import datetime

FONT = "STSong-Light"
FIXED_TIME = datetime(2024, 1, 1, 0, 0, 0)
ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def pdf_bytes(text: str, title: str = "", *, font_size: float = 11.0) -> bytes:
    """A PDF of *text* (lines are paragraphs) in STSong-Light, wrapped on A4, byte-stable."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1, pageCompression=1)
    c.setTitle(title or "attachment")
    c.setAuthor("replica")
    c.setCreator("replica")
    width, height = A4
    margin = 56
    leading = font_size * 1.6
    usable = width - 2 * margin
    y = height - margin

    def new_page():
        nonlocal y
        c.showPage()
        y = height - margin

    for para in text.split("\n"):
        for line in _wrap(para, usable, font_size, pdfmetrics.stringWidth):
            if y < margin + leading:
                new_page()
            c.setFont(FONT, font_size)
            c.drawString(margin, y, line)
            y -= leading
        y -= leading * 0.4
    c.showPage()
    c.save()
    return buf.getvalue()


def _wrap(para: str, usable: float, size: float, measure) -> list[str]:
    """*para* cut into lines no wider than *usable* points (any character may end a line)."""
    lines, cur = [], ""
    for ch in para:
        if cur and measure(cur + ch, FONT, size) > usable:
            lines.append(cur)
            cur = ""
        cur += ch
    if cur:
        lines.append(cur)
    return lines


def docx_bytes(text: str, title: str = "") -> bytes:
    """A DOCX of *text*: the first line as a heading, the rest one paragraph each; byte-stable."""
    import docx

    document = docx.Document()
    props = document.core_properties
    props.author = props.last_modified_by = "replica"
    props.title = title or "attachment"
    props.created = props.modified = FIXED_TIME
    props.revision = 1
    lines = text.split("\n")
    document.add_heading(lines[0], level=1)
    for line in lines[1:]:
        document.add_paragraph(line)
    buf = io.BytesIO()
    document.save(buf)
    return stable_zip(buf.getvalue())


def stable_zip(data: bytes) -> bytes:
    """The same zip with every entry's timestamp fixed (entries in their order, deflated)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def attachment_bytes(att: dict, fallback_title: str) -> bytes:
    """The file for a record's attachment: generated from its ``text`` by its extension, or the
    small ASCII PDF when it has none."""
    from . import templates as T

    text = att.get("text")
    if not text:
        return T.attachment_pdf(att["url"], fallback_title)
    ext = att["url"].rsplit(".", 1)[-1].lower()
    if ext == "docx":
        return docx_bytes(text, fallback_title)
    if ext == "pdf":
        return pdf_bytes(text, fallback_title)
    raise ValueError(f"no generator for .{ext} attachments: {att['url']}")
