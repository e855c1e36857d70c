"""Attachments: downloaded, typed by their bytes, their text extracted and searchable.

Unit tests of the byte sniffer and the extractors (archive/attachments.py) on files made here,
then ONE crawl of the replica's two government sites through the fault server, where a notice
links, besides its real PDF and DOCX, to a garbage-text PDF, a scanned (text-less) PDF, a corrupt
DOCX, an HTML error page served as .pdf, a 404 and a file over the size cap. The replica's
attachments are checked against the text they were generated from (char-bigram F1, written
here, sharing nothing with the extractor), each fault against its reason, and the search
(library, CLI) against a word that only an attachment holds.
"""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections import Counter

import pytest

from archive import attachments as A
from archive.db import decompress, open_db
from archive.tooling.checkout import REPLICA_SITE
from archive.tooling.replica import build as B
from archive.tooling.replica.attachments import docx_bytes, pdf_bytes
from archive.tooling.replica.templates import pdf_document
from conftest import crawl, dict_rows, load_expected, q, run_archive
from fault_server import Fault, start

CHINESE = ("关于开展二〇二四年度科技创新券申领工作的通知\n一、申领对象：在本市注册的中小微企业和创业团队。\n"
           "二、申领条件：具有独立法人资格，近两年无不良信用记录；研发投入占营业收入比例不低于百分之三。")


# --------------------------------------------------------------------------- F1 (the judge)
def bigram_f1(got: str, want: str) -> float:
    """Character-bigram F1 of two texts, whitespace ignored (multiset overlap)."""
    def grams(t):
        t = "".join((t or "").split())
        return Counter(t[i:i + 2] for i in range(len(t) - 1))
    g, w = grams(got), grams(want)
    if not g or not w:
        return 0.0
    common = sum((g & w).values())
    if not common:
        return 0.0
    p, r = common / sum(g.values()), common / sum(w.values())
    return 2 * p * r / (p + r)


def test_bigram_f1_judges():
    assert bigram_f1("储能产业", "储能 产业") == 1.0
    assert bigram_f1("储能产业", "氢能汽车") == 0.0
    assert 0.5 < bigram_f1("储能产业发展", "储能产业") < 1.0


# --------------------------------------------------------------------------- files made here
def _page_pdf(stream: bytes, fonts: list[bytes] = ()) -> bytes:
    res = b" /Resources << /Font << /F1 5 0 R >> >>" if fonts else b""
    return pdf_document([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                         b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R" + res + b" >>",
                         b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream", *fonts])


def garbage_pdf() -> bytes:
    """Text drawn with an embedded-style CID font that has no ToUnicode map: the text layer is glyph
    numbers, not characters (what a subset font without a CMap gives)."""
    codes = b"".join(b"%04X" % (0x0400 + i * 37) for i in range(80))
    return _page_pdf(b"BT /F1 12 Tf 72 720 Td <" + codes + b"> Tj ET", [
        b"<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+SimSun /Encoding /Identity-H /DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /ABCDEF+SimSun "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>"])


def scanned_pdf() -> bytes:
    """A page with only drawing on it (a scan's image would be the same for text): no text layer."""
    return _page_pdf(b"0.5 g 72 72 468 648 re f 1 g 100 100 200 50 re f")


def xlsx_bytes() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "申报汇总"
    ws.append(["序号", "企业名称", "申领金额（万元）"])
    ws.append([1, "江门市某某新材料有限公司", 5])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def ole2_bytes(stream_name: str) -> bytes:
    """The start of an OLE2 compound file naming one stream (enough for the sniffer)."""
    return A.OLE2_MAGIC + b"\x00" * 504 + stream_name.encode("utf-16-le") + b"\x00" * 200


def ofd_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("OFD.xml", "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>")
        z.writestr("Doc_0/Document.xml", "<ofd:Document/>")
    return buf.getvalue()


HTML_ERROR = "<!DOCTYPE html><html><head><title>404</title></head><body>文件不存在</body></html>".encode()


# --------------------------------------------------------------------------- sniffer
def test_sniff_by_bytes_not_by_name():
    docx = docx_bytes(CHINESE)
    assert A.sniff(pdf_bytes(CHINESE), "a.docx") == "pdf"
    assert A.sniff(b"\r\n%PDF-1.7\n...", "x") == "pdf"  # junk before the header is allowed
    assert A.sniff(docx, "a.pdf") == "docx"
    assert A.sniff(docx[: len(docx) // 2], "a.zip") == "docx"  # cut short: told from its local headers
    assert A.sniff(xlsx_bytes(), "a.xls") == "xlsx"
    assert A.sniff(ofd_bytes(), "a.zip") == "ofd"
    assert A.sniff(ole2_bytes("WordDocument"), "a.doc") == "doc"
    assert A.sniff(ole2_bytes("WordDocument"), "a.wps") == "wps"
    assert A.sniff(ole2_bytes("Workbook"), "a.doc") == "xls"
    assert A.sniff(HTML_ERROR, "a.pdf") == "html"
    assert A.sniff("  \n<html><body>系统错误</body></html>".encode("gbk"), "a.docx") == "html"
    assert A.sniff("序号,名称\n1,储能\n".encode("gbk"), "a.csv") == "text"
    assert A.sniff(b"Rar!\x1a\x07\x00rest", "a.rar") == "rar"
    assert A.sniff(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "a.pdf") == "image"
    assert A.sniff(b"", "a.pdf") == "empty"
    assert A.sniff(bytes(range(256)) * 4, "a.pdf") == "binary"


# --------------------------------------------------------------------------- extractors
def test_pdf_cid_font_comes_out_as_chinese():
    """STSong-Light is a CID font written through a CMap: the text must be the characters."""
    data = pdf_bytes(CHINESE * 3)
    assert b"STSong-Light" in data and b"UniGB-UCS2-H" in data
    got = A.extract(data, "a.pdf")
    assert got.kind == "pdf" and got.reason is None and got.pages == 1
    assert "(cid:" not in got.text and "申领对象" in got.text
    assert bigram_f1(got.text, CHINESE * 3) >= 0.98


def test_pdf_lines_wrapped_by_the_layout_are_joined():
    para = "第一条 为规范孵化载体的认定和管理，" + "促进科技型中小企业成长，提升孵化服务能力。" * 12
    got = A.extract(pdf_bytes("标题\n" + para), "a.pdf").text
    assert got.split("\n") == ["标题", para]


def test_many_page_pdf_counts_its_pages():
    text = "\n".join(f"第{i}条 " + "本办法所称公共数据，是指本市各级行政机关在依法履职过程中产生的数据。" * 2
                     for i in range(1, 121))
    got = A.extract(pdf_bytes(text), "a.pdf")
    assert got.pages >= 3 and bigram_f1(got.text, text) >= 0.98


def test_pdf_garbage_or_absent_text_layer_is_kept_without_text():
    garbage = A.extract(garbage_pdf(), "a.pdf")
    assert garbage.kind == "pdf" and garbage.text is None and "garbage" in garbage.reason
    scan = A.extract(scanned_pdf(), "a.pdf")
    assert scan.kind == "pdf" and scan.text is None and "without a text layer" in scan.reason
    assert A.garbage_share("(cid:12)(cid:13)中文") == 0.5
    assert A.garbage_share("\ue000\ue001储能") == 0.5
    assert A.garbage_share("江门市科技局 2024") == 0.0


def test_docx_xlsx_and_text():
    docx = A.extract(docx_bytes(CHINESE), "a.docx")
    assert docx.kind == "docx" and bigram_f1(docx.text, CHINESE) >= 0.98
    xlsx = A.extract(xlsx_bytes(), "a.xlsx")
    assert xlsx.kind == "xlsx" and xlsx.pages == 1
    assert xlsx.text.split("\n") == ["申报汇总", "序号\t企业名称\t申领金额（万元）", "1\t江门市某某新材料有限公司\t5"]
    csv = A.extract("序号,名称\n1,储能电站\n".encode("gb18030"), "a.csv")
    assert csv.kind == "text" and csv.text == "序号,名称\n1,储能电站"


def test_files_without_text_and_corrupt_files_have_a_reason():
    docx = docx_bytes(CHINESE)
    corrupt = A.extract(docx[: len(docx) // 2], "a.docx")
    assert corrupt.kind == "docx" and corrupt.text is None and corrupt.reason.startswith("corrupt or unreadable DOCX")
    broken_pdf = A.extract(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n", "a.pdf")
    assert broken_pdf.text is None and broken_pdf.reason
    for data, kind in ((ole2_bytes("WordDocument"), "doc"), (ofd_bytes(), "ofd"), (HTML_ERROR, "html")):
        got = A.extract(data, "a." + kind)
        assert got.kind == kind and got.text is None and got.reason, kind
    wps = A.extract(ole2_bytes("WordDocument"), "https://example.gov.cn/a/%E9%99%84%E4%BB%B6.wps")
    assert wps.kind == "wps" and "WPS" in wps.reason


def test_replica_generation_is_byte_stable():
    assert pdf_bytes(CHINESE, "t") == pdf_bytes(CHINESE, "t")
    assert docx_bytes(CHINESE, "t") == docx_bytes(CHINESE, "t")


# --------------------------------------------------------------------------- one crawl
J = "/www.jiangmen.gov.cn/bmpd/jmskjj/zwgk/tzgg"
EXPECTED = load_expected()
WITH_TEXT = [(r, a) for r in EXPECTED if r["site"] in ("jiangmen_kjj", "shanghai_gov")
             for a in r["attachments"] if a.get("text")]
HOST_ARTICLE = next(r for r, a in WITH_TEXT if a["url"].endswith(".docx"))  # the notice with a PDF and a DOCX
FAULTS = {  # file name under the fault folder: (fault, what its row must say)
    "garbage.pdf": (Fault("body", body=garbage_pdf(), content_type="application/pdf"), "garbage"),
    "scan.pdf": (Fault("body", body=scanned_pdf(), content_type="application/pdf"), "without a text layer"),
    "broken.docx": (Fault("body", body=docx_bytes(CHINESE)[:9000], content_type="application/octet-stream"),
                    "corrupt or unreadable DOCX"),
    "error.pdf": (Fault("soft404"), "an HTML page"),
    "missing.pdf": (None, "HTTP 404"),
    "huge.pdf": (Fault("large", size=3 * 1024 * 1024), "larger than ATTACHMENT_MAX_BYTES"),
}
FAULT_DIR = "/www.jiangmen.gov.cn/attachment/0/999/999001/"  # the fault server's /HOST/PATH
CAP = 1024 * 1024  # the size cap of this crawl; the replica's files are far below it


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    srv = start(REPLICA_SITE)
    links = "".join(f'<p><a href="/{FAULT_DIR.split("/", 2)[2]}{name}">附件：{name}</a></p>' for name in FAULTS)
    page = "/" + B.url_to_path(HOST_ARTICLE["url"])
    faults = {page: Fault("append", extra=f'<div class="extra-files">{links}</div>')}
    faults.update({FAULT_DIR + name: f for name, (f, _) in FAULTS.items() if f is not None})
    srv.set_faults(faults)
    db = tmp_path_factory.mktemp("att") / "a.db"
    try:
        code, summary, err = crawl(db, srv.url, "jiangmen_kjj", "shanghai_gov",
                                   extra=("--set", f"ATTACHMENT_MAX_BYTES={CAP}", "--set", "DOWNLOAD_TIMEOUT=5",
                                          "--set", "RETRY_TIMES=0"))
        yield db, code, err, srv
    finally:
        srv.shutdown()



def test_replica_attachments_text_matches_what_they_were_made_from(crawled):
    db, code, err, _ = crawled
    assert code == 0, err[-3000:]
    assert len(WITH_TEXT) >= 4 and {a["url"].rsplit(".", 1)[1] for _, a in WITH_TEXT} == {"pdf", "docx"}
    for record, att in WITH_TEXT:
        row = dict_rows(db, "SELECT t.* FROM attachments t JOIN articles a ON a.id = t.article_id "
                        "WHERE a.url = ? AND t.url = ?", [record["url"], att["url"]])
        assert row, att["url"]
        row = row[0]
        assert row["kind"] == att["url"].rsplit(".", 1)[1] and row["reason"] is None and row["status"] == 200
        f1 = bigram_f1(row["text"], att["text"])
        assert f1 >= 0.98, (att["url"], f1)
        # the file itself is kept, compressed, byte for byte
        served = (REPLICA_SITE / B.url_to_path(att["url"])).read_bytes()
        body = decompress(row["body"])
        assert body == served and row["sha1"] == hashlib.sha1(served).hexdigest() and row["size"] == len(served)
        if row["kind"] == "pdf":
            assert row["pages"] >= 1


def test_each_faulty_attachment_has_its_reason_and_breaks_nothing(crawled):
    db, code, err, srv = crawled
    assert code == 0, err[-3000:]
    article = dict_rows(db, "SELECT id, text FROM articles WHERE url = ?", [HOST_ARTICLE["url"]])
    assert article, "the article with the faulty attachments is stored"
    assert "".join(HOST_ARTICLE["text"].split()) == "".join(article[0]["text"].split())
    assert not q(db, "SELECT url FROM failures WHERE url LIKE ?", ["%999001%"]), "the rows say it, not failures"
    assert not q(db, "SELECT url FROM failures WHERE url = ?", [HOST_ARTICLE["url"]]), "not incomplete"
    rows = {r["url"].rsplit("/", 1)[1]: r for r in dict_rows(
        db, "SELECT * FROM attachments WHERE article_id = ? AND url LIKE ?", [article[0]["id"], "%999001%"])}
    assert set(rows) == set(FAULTS)
    for name, (_, says) in FAULTS.items():
        row = rows[name]
        assert row["text"] is None and says in row["reason"], (name, row["reason"])
    assert rows["missing.pdf"]["status"] == 404 and rows["missing.pdf"]["body"] is None
    assert rows["huge.pdf"]["body"] is None  # cancelled, not stored
    assert rows["error.pdf"]["kind"] == "html" and rows["broken.docx"]["kind"] == "docx"
    assert rows["garbage.pdf"]["kind"] == rows["scan.pdf"]["kind"] == "pdf"
    # the garbage and scanned PDFs are kept as files
    assert decompress(rows["garbage.pdf"]["body"]) == garbage_pdf()
    # every expected article of the two sites is there
    urls = {r["url"] for r in EXPECTED if r["site"] in ("jiangmen_kjj", "shanghai_gov")}
    assert urls <= {u for (u,) in q(db, "SELECT url FROM articles")}


def test_a_word_only_in_an_attachment_is_found_with_the_attachment(crawled):
    db, code, err, _ = crawled
    from archive.search import count, count_attachments, search_attachments

    record, att = next((r, a) for r, a in WITH_TEXT if "星火积分" in a["text"])
    assert "星火积分" not in record["text"] and "星火积分" not in record["title"]
    conn = open_db(db)
    try:
        assert count(conn, "星火积分") == 0  # not in any article's title or text
        hits = search_attachments(conn, "星火积分")
        assert count_attachments(conn, "星火积分") == len(hits) == 1
        assert hits[0]["url"] == record["url"] and hits[0]["attachment"]["url"] == att["url"]
        assert "<mark>星火积分</mark>" in hits[0]["snippet"]
        assert search_attachments(conn, "星火积分", site="shanghai_gov") == []
    finally:
        conn.conn.close()
    proc = run_archive("search", "--db", db, "星火积分")
    assert proc.returncode == 0, proc.stderr
    assert att["url"] in proc.stdout and record["url"] in proc.stdout and "附件2" in proc.stdout
    assert proc.stdout.splitlines()[-2:] == ["1 hit in attachments (all shown)", "no hits in articles"]
    as_json = json.loads(run_archive("search", "--db", db, "--json", "数据沙箱").stdout)
    assert [h["attachment"]["url"] for h in as_json if h.get("attachment")] == [
        a["url"] for _, a in WITH_TEXT if "数据沙箱" in a["text"]]


def test_datasette_searches_attachments_and_shows_them_on_the_article(crawled):
    import urllib.parse
    import urllib.request

    from archive.faces.serve import free_port, start as serve

    db, code, err, _ = crawled
    record, att = next((r, a) for r, a in WITH_TEXT if "星火积分" in a["text"])
    proc, url = serve(db, port=free_port(), log=open(db.parent / "datasette.log", "w"))
    name = db.stem

    def get(path, **params):
        with urllib.request.urlopen(url + path + "?" + urllib.parse.urlencode(params), timeout=30) as resp:
            body = resp.read().decode("utf-8")
        return json.loads(body) if ".json" in path else body

    try:
        rows = get(f"/{name}/attachments.json", _search="星火积分", _shape="array", _col="url")
        assert [r["url"] for r in rows] == [att["url"]]
        hits = get(f"/{name}/search_attachments.json", q="星火积分", site="", _shape="array")
        assert [(h["attachment_url"], h["url"]) for h in hits] == [(att["url"], record["url"])]
        assert "<mark>星火积分</mark>" in hits[0]["snippet"]
        aid = q(db, "SELECT id FROM articles WHERE url = ?", [record["url"]])[0][0]
        page = get(f"/{name}/articles/{aid}")
        assert att["url"] in page and "HTTP 404" in page and "garbage" in page  # the faulty ones say why
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_extract_stage_fills_attachments_in_process():
    """The stage without a worker pool (EXTRACT_WORKERS 0) gives the attachments the same fields."""
    from crawler.items import ArticleItem, Page
    from pipelines.extract import ExtractPipeline

    page = ("<html><head><title>关于印发管理办法的通知</title></head><body><h1>关于印发管理办法的通知</h1>"
            "<div class='content'><p>" + "各有关单位：现将管理办法印发给你们，请认真贯彻执行。" * 6 + "</p></div>"
            "</body></html>").encode()
    item = ArticleItem(site="t", url="https://example.gov.cn/a.html",
                       pages=[Page(url="https://example.gov.cn/a.html", status=200, body=page, fetched_at="t0")],
                       attachments=[{"url": "https://example.gov.cn/f.docx", "body": docx_bytes(CHINESE)},
                                    {"url": "https://example.gov.cn/g.pdf", "body": None, "reason": "HTTP 404"}])
    out = ExtractPipeline(None, workers=0).process_item(item)
    docx, missing = out.attachments
    assert docx["kind"] == "docx" and bigram_f1(docx["text"], CHINESE) >= 0.98 and docx.get("reason") is None
    assert docx["sha1"] == hashlib.sha1(docx_bytes(CHINESE)).hexdigest()
    assert missing["text"] is None and missing["reason"] == "HTTP 404"


def test_a_second_fetch_keeps_files_and_fills_the_missing_ones(crawled):
    """Run last on the module's archive: the notice is fetched again (INCREMENTAL off) with the faults
    changed: the file that was 404 is there now and is stored; a file stored before that now fails
    is kept as it was."""
    db, code, err, srv = crawled
    before = {r["url"].rsplit("/", 1)[1]: r for r in dict_rows(db, "SELECT * FROM attachments WHERE url LIKE ?",
                                                            ["%999001%"])}
    page = "/" + B.url_to_path(HOST_ARTICLE["url"])
    links = "".join(f'<p><a href="/{FAULT_DIR.split("/", 2)[2]}{name}">附件：{name}</a></p>' for name in FAULTS)
    srv.set_faults({page: Fault("append", extra=f"<div>{links}</div>"),
                    FAULT_DIR + "missing.pdf": Fault("body", body=pdf_bytes(CHINESE), content_type="application/pdf")})
    code, summary, err = crawl(db, srv.url, "jiangmen_kjj",
                               extra=("--set", "INCREMENTAL=False", "--set", "RETRY_TIMES=0"))
    assert code == 0, err[-3000:]
    after = {r["url"].rsplit("/", 1)[1]: r for r in dict_rows(db, "SELECT * FROM attachments WHERE url LIKE ?",
                                                           ["%999001%"])}
    assert after["missing.pdf"]["reason"] is None and bigram_f1(after["missing.pdf"]["text"], CHINESE) >= 0.98
    assert decompress(after["missing.pdf"]["body"]) == pdf_bytes(CHINESE)
    for name in ("garbage.pdf", "scan.pdf", "error.pdf"):  # now 404: the stored file and its reason stay
        assert after[name]["body"] == before[name]["body"] and after[name]["reason"] == before[name]["reason"]
    assert "HTTP 404" in after["huge.pdf"]["reason"]  # had no file: says why now
