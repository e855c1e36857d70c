"""Government documents (their facts tables) and the articles that cite them (issue #14).

The replica is crawled (the session's crawl, and one more with the news sites first and the
government sites after) and every field of every document is checked against the recorded
records, and the citations against the records' ``cites``: present where a number or a title
matches, absent where they do not (a number that is not archived, another issuer's number, a
《title》 of nothing archived, a short generic title)."""
from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from archive import citations
from archive.db import open_db
from conftest import crawl, load_expected, q

EXPECTED = load_expected()
DOCS = {r["url"]: r["document"] for r in EXPECTED if r.get("document")}
CITES = {(r["url"], c["document"], c["by"], c["matched"]) for r in EXPECTED for c in r.get("cites") or ()}
DOC_COLUMNS = ", ".join(f"d.{f}" for f in citations.DOC_FIELDS)


def documents_of(db) -> dict[str, dict]:
    rows = q(db, f"SELECT a.url, {DOC_COLUMNS}, d.year FROM documents d JOIN articles a ON a.id = d.article_id")
    return {r[0]: dict(zip((*citations.DOC_FIELDS, "year"), r[1:])) for r in rows}


def citations_of(db) -> set[tuple]:
    return set(q(db, """SELECT c.url, d.url, x.matched_by, x.matched FROM citations x
                        JOIN articles c ON c.id = x.article_id JOIN articles d ON d.id = x.document_id"""))


@pytest.fixture(scope="module")
def archive_db(crawled):
    db, code, summary, err = crawled
    assert code == 0, f"crawl of the replica failed: {summary}\n{err[-2000:]}"
    return db


def test_the_replica_records_documents_and_citations_worth_checking():
    assert {r["site"] for r in EXPECTED if r.get("document")} == {"shanghai_gov", "jiangmen_kjj"}
    assert {r.get("facts_layout") for r in EXPECTED if r.get("document")} == {None, "cells", "dl"}
    citing = {r["site"] for r in EXPECTED if r.get("cites")}
    assert citing == {"bjx", "chinanews"}
    assert all(c["document"] in DOCS for r in EXPECTED for c in r.get("cites") or ())
    assert {by for _, _, by, _ in CITES} == {"doc_number", "title"}


def test_every_field_of_every_document_is_stored(archive_db):
    got = documents_of(archive_db)
    assert set(got) == set(DOCS)  # no page without a facts table became a document
    for url, want in documents_of_records().items():
        assert got[url] == want, url


def test_citations_link_exactly_what_the_records_say(archive_db):
    assert citations_of(archive_db) == CITES
    # the references the negatives make are recorded, they just match nothing archived
    refs = [r[0] for r in q(archive_db, "SELECT context || matched FROM citation_refs WHERE kind = 'doc_number'")]
    for number in ("粤府发〔2021〕25号", "沪府发〔2024〕88号", "江科〔2023〕5号"):
        assert any(r.endswith(number) for r in refs), number
    assert q(archive_db, "SELECT count(*) FROM citation_refs WHERE key = ?",
             [citations.normalise_title("上海市氢能产业高质量发展三年行动计划")])[0][0] == 1


def test_a_document_does_not_cite_itself(archive_db):
    assert q(archive_db, "SELECT count(*) FROM citations WHERE article_id = document_id")[0][0] == 0


IN_PROCESS = ("--set", "EXTRACT_WORKERS=0")  # small crawls: no worker pool to start (the session's crawl uses it)
ALL_YOUNG = (*IN_PROCESS, "--set", "RECHECK_DAYS=100000")  # every known article is re-checked


def test_arrival_order_and_a_refresh_that_changes_the_facts(tmp_path):
    """News crawled before the documents are linked when the documents come; a document whose
    facts table changes (validity, number) while its text does not gets its row rewritten on the
    refresh, and the citations follow its new number."""
    from archive.tooling.mirror_server import serve_in_thread
    from archive.tooling.replica import build as B
    from conftest import REPLICA_SITE

    tree = tmp_path / "site"
    shutil.copytree(REPLICA_SITE, tree)
    server, url = serve_in_thread(tree)
    db = tmp_path / "a.db"
    try:
        code, summary, err = crawl(db, url, "bjx", "chinanews", extra=IN_PROCESS)
        assert code == 0, err[-2000:]
        assert q(db, "SELECT count(*) FROM citations")[0][0] == 0
        assert q(db, "SELECT count(*) FROM citation_refs")[0][0] > len(CITES)
        code, summary, err = crawl(db, url, "shanghai_gov", "jiangmen_kjj", extra=IN_PROCESS)
        assert code == 0, err[-2000:]
        assert citations_of(db) == CITES
        assert documents_of(db) == documents_of_records()

        jm6 = "https://www.jiangmen.gov.cn/bmpd/jmskjj/zwgk/tzgg/content/post_3101234.html"
        path = tree / B.url_to_path(jm6)
        html = path.read_text("utf-8")
        for old, new in (('<span class="xxgk-value">是</span>', '<span class="xxgk-value">否</span>'),
                         ("江科〔2024〕12号</span>", "江科〔2024〕13号</span>")):
            assert html.count(old) == 1
            html = html.replace(old, new)
        path.write_text(html, "utf-8")
        code, summary, err = crawl(db, url, "jiangmen_kjj", extra=ALL_YOUNG)
        assert code == 0, err[-2000:]
    finally:
        server.shutdown()
    assert summary[0]["updated"] == 0 and summary[0]["unchanged"] >= 1  # the text did not change
    want = documents_of_records()
    want[jm6]["validity"] = "否"
    want[jm6]["doc_number"] = "江科〔2024〕13号"
    assert documents_of(db) == want
    assert citations_of(db) == {c for c in CITES if not (c[1] == jm6 and c[2] == "doc_number")}


def documents_of_records() -> dict[str, dict]:
    return {url: dict(doc, year=int((doc["written_at"] or doc["published_at"])[:4])) for url, doc in DOCS.items()}


def test_reextract_backfills_documents_and_citations(archive_db, tmp_path):
    from archive.faces.crawl import site_spiders
    from archive.reextract import reextract

    path = tmp_path / "old.db"
    shutil.copy(archive_db, path)
    db = open_db(path)
    for table in ("citations", "citation_refs", "document_keys", "documents"):  # an archive from before
        db.execute(f"DELETE FROM {table}")
    db.conn.commit()
    rules = {name: cls.selectors for name, cls in site_spiders().items()}
    dry = reextract(db, rules_by_site=rules, dry_run=True, workers=0)
    assert dry.documents == dry.documents_changed == len(DOCS)
    assert q(path, "SELECT count(*) FROM documents")[0][0] == 0
    result = reextract(db, rules_by_site=rules, workers=0)
    db.conn.close()
    assert result.changed == 0 and result.documents == result.documents_changed == len(DOCS)
    assert documents_of(path) == documents_of(archive_db)
    assert citations_of(path) == CITES


# --- the library on its own: matching rules, arrival orders, updates ------------------------------

@pytest.fixture()
def lib_db(tmp_path):
    db = open_db(tmp_path / "lib.db")
    yield db
    db.conn.close()


def _article(db, aid, title, text):
    db.execute("INSERT INTO articles (id, url, site, title, text, text_hash, first_seen, last_seen) "
               "VALUES (?, ?, 's', ?, ?, 'h', 't', 't')", [aid, f"https://example.org/{aid}", title, text])


DOC = {"index_no": "X-1", "category": "综合政务", "issuer": "某市人民政府", "doc_number": "某府发〔2021〕11号",
       "written_at": "2021-03-02", "published_at": "2021-03-05", "validity": "有效", "subject_words": None,
       "title": "某市人民政府关于印发《某市促进新能源产业发展若干措施》的通知"}


@pytest.mark.parametrize("cited", ["某府发〔2021〕11号", "某府发[2021]11号", "某府发［２０２１］１１号", "某府发(2021)11号",
                                   "某府发（2021）11号", "某府发 〔2021〕 11 号", "根据某府发〔2021〕11号"])
def test_number_variants_link(lib_db, cited):
    _article(lib_db, 1, "新闻", f"{cited}文件提出。")
    citations.store(lib_db, 1, None, "新闻", f"{cited}文件提出。")
    _article(lib_db, 2, DOC["title"], "正文")
    citations.store(lib_db, 2, DOC, DOC["title"], "正文")
    assert q_lib(lib_db) == [(1, 2, "doc_number")]


@pytest.mark.parametrize("text", [
    "另府发〔2021〕11号文件",  # another issuer's number
    "某府发〔2022〕11号文件",  # another year
    "某府发〔2021〕111号文件",  # another number
    "《某市促进新能源产业》",  # part of the title only
    "《若干措施》和《通知》",  # short generic titles
    "某市促进新能源产业发展若干措施",  # the title without 《》
])
def test_near_misses_do_not_link(lib_db, text):
    _article(lib_db, 2, DOC["title"], "正文")
    citations.store(lib_db, 2, DOC, DOC["title"], "正文")
    _article(lib_db, 1, "新闻", text)
    citations.store(lib_db, 1, None, "新闻", text)
    assert q_lib(lib_db) == []


def q_lib(db):
    return [tuple(r) for r in db.execute("SELECT article_id, document_id, matched_by FROM citations ORDER BY 1, 2, 3")]


def test_titles_link_in_both_orders_and_after_normalisation(lib_db):
    text = "《某市促进新能源产业发展 若干措施》发布"  # a space inside: normalised away
    _article(lib_db, 1, "新闻", text)
    citations.store(lib_db, 1, None, "新闻", text)
    _article(lib_db, 2, DOC["title"], "正文")
    citations.store(lib_db, 2, DOC, DOC["title"], "正文")  # document after the news
    quoted = "《某市人民政府关于印发〈某市促进新能源产业发展若干措施〉的通知》"  # the notice's own title
    _article(lib_db, 3, "评论", quoted)
    citations.store(lib_db, 3, None, "评论", quoted)
    _article(lib_db, 4, "又一篇", "《某市促进新能源产业发展若干措施》")
    citations.store(lib_db, 4, None, "又一篇", "《某市促进新能源产业发展若干措施》")  # news after the document
    assert q_lib(lib_db) == [(1, 2, "title"), (3, 2, "title"), (4, 2, "title")]


def test_a_refreshed_document_updates_its_row_and_keys(lib_db):
    _article(lib_db, 1, "新闻", "某府发〔2021〕11号")
    citations.store(lib_db, 1, None, "新闻", "某府发〔2021〕11号")
    _article(lib_db, 2, DOC["title"], "正文")
    assert citations.store_document(lib_db, 2, DOC, DOC["title"])
    assert not citations.store_document(lib_db, 2, DOC, DOC["title"])  # the same facts: nothing written
    changed = dict(DOC, validity="失效", doc_number="某府发〔2021〕12号")
    assert citations.store_document(lib_db, 2, changed, DOC["title"])
    row = lib_db.execute("SELECT validity, doc_number, year FROM documents WHERE article_id = 2").fetchone()
    assert tuple(row) == ("失效", "某府发〔2021〕12号", 2021)
    assert q_lib(lib_db) == []  # the news cites number 11, no longer this document's
    assert citations.store_document(lib_db, 2, None, DOC["title"])  # no facts table any more: the row goes
    assert lib_db.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
    assert lib_db.execute("SELECT count(*) FROM document_keys").fetchone()[0] == 0


def test_relink_recomputes_references_from_stored_texts(lib_db):
    _article(lib_db, 2, DOC["title"], "正文")
    citations.store_document(lib_db, 2, DOC, DOC["title"])
    _article(lib_db, 1, "新闻", "据某府发〔2021〕11号")  # stored without its references
    assert citations.relink(lib_db) == 1
    citations.forget(lib_db, 2)
    assert lib_db.execute("SELECT count(*) FROM citations").fetchone()[0] == 0


# --- Datasette: documents with facets, a document's facts and citers, a news article's documents --------

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def served(archive_db, tmp_path_factory):
    """A real Datasette on a copy of the crawled archive, one article given a hostile document row."""
    from archive.faces.serve import free_port, start

    tmp = tmp_path_factory.mktemp("docserve")
    path = tmp / "archive.db"
    shutil.copy(archive_db, path)
    conn = sqlite3.connect(path)
    ids = dict(conn.execute("SELECT url, id FROM articles").fetchall())
    zgm = next(r["url"] for r in EXPECTED if r["site"] == "zgm")
    conn.execute("INSERT INTO documents (article_id, issuer, doc_number, title, year) VALUES (?, ?, ?, ?, 2020)",
                 [ids[zgm], HOSTILE, "x〔2020〕1号", HOSTILE])
    conn.commit()
    conn.close()
    log = open(tmp / "datasette.log", "w")
    proc, url = start(path, port=free_port(), log=log)
    yield url, ids
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


def _get(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as resp:
        return resp.read().decode("utf-8")


def test_datasette_lists_documents_with_facets(served):
    url, ids = served
    data = json.loads(_get(url + "/archive/documents.json?_shape=objects&_size=100"))
    assert {r["article_id"] for r in data["rows"]} == {ids[u] for u in DOCS} | {ids[next(
        r["url"] for r in EXPECTED if r["site"] == "zgm")]}
    facets = data["facet_results"]
    assert {"issuer", "category", "year"} <= set(facets)
    issuers = {v["value"]: v["count"] for v in facets["issuer"]["results"]}
    assert issuers["江门市科学技术局"] == sum(d["issuer"] == "江门市科学技术局" for d in DOCS.values())
    years = {v["value"]: v["count"] for v in facets["year"]["results"]}
    assert years[2024] == sum((d["written_at"] or "")[:4] == "2024" for d in DOCS.values())


def test_document_page_shows_its_facts_and_the_news_citing_it(served):
    url, ids = served
    sh6 = "https://www.shanghai.gov.cn/nw12344/20250114/a44cf6f6a717287dc9fd35a62d376665.html"
    page = _get(f"{url}/archive/articles/{ids[sh6]}")
    for value in ("沪府规〔2025〕2号", "310000000000/2025-00007", "综合政务\\其他", "有效", "2025-01-08"):
        assert value in page, value
    citing = {c for c, d, _, _ in CITES if d == sh6}
    assert citing
    for c in citing:
        assert f'href="/archive/articles/{ids[c]}"' in page
        assert next(r["title"] for r in EXPECTED if r["url"] == c) in page
    assert "沪府规［２０２５］２号" in page  # what the news wrote
    assert "Documents cited" not in page


def test_news_page_shows_the_documents_it_cites_and_only_those(served):
    url, ids = served
    for citer in {c for c, _, _, _ in CITES}:
        page = _get(f"{url}/archive/articles/{ids[citer]}")
        cited = {d for c, d, _, _ in CITES if c == citer}
        assert "Documents cited (%d)" % len(cited) in page
        linked = {int(m) for m in __import__("re").findall(r'href="/archive/articles/(\d+)"', page.split(
            'id="cites"', 1)[1].split("</section>", 1)[0])}
        assert linked == {ids[d] for d in cited}
        assert "Government document" not in page


def test_document_values_are_escaped(served):
    url, ids = served
    zgm = next(r["url"] for r in EXPECTED if r["site"] == "zgm")
    page = _get(f"{url}/archive/articles/{ids[zgm]}")
    assert HOSTILE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    listing = _get(url + "/archive/documents")
    assert HOSTILE not in listing


def test_linking_looks_keys_up_in_indexes(lib_db):
    """Linking one article costs index lookups, never a scan of either side's table."""
    for sql, first, second in ((citations.LINK_DOCUMENT, "sqlite_autoindex_document_keys_1", "idx_citation_refs_key"),
                               (citations.LINK_REFS, "idx_citation_refs_article", "idx_document_keys_key")):
        steps = [r[-1] for r in lib_db.execute("EXPLAIN QUERY PLAN " + sql, [1])]
        lookups = [s for s in steps if s.startswith(("SEARCH", "SCAN"))]
        assert len(lookups) == 2 and all(s.startswith("SEARCH") for s in lookups), steps
        assert first in lookups[0] and second in lookups[1], steps


# --- the facts table on any layout ---------------------------------------------------------------

FACTS = {"index_no": "11440700/2024-00012", "category": "科技、教育\\科技", "issuer": "某市科学技术局",
         "doc_number": "某科〔2024〕7号", "written_at": "2024-03-01", "published_at": "2024-03-05", "validity": "有效",
         "subject_words": "科技 专项", "title": "某市科学技术局关于印发《某市科技专项资金管理办法》的通知"}
ROWS = [("索 &nbsp;引 号", "index_no"), ("主题分类", "category"), ("发文机关", "issuer"), ("成文日期", "written_at"),
        ("标&nbsp;&nbsp;&nbsp;&nbsp;题", "title"), ("发文字号", "doc_number"), ("发布日期", "published_at"),
        ("有 效 性", "validity"), ("主　题　词", "subject_words")]
LAYOUTS = {
    "table, label cells without colons": "<table>" + "".join(
        f"<tr><th>{lab}</th><td>{{{f}}}</td></tr>" for lab, f in ROWS) + "</table>",
    "table, two pairs a row, full-width colons": "<table>" + "".join(
        f"<tr><td>{a}：</td><td>{{{fa}}}</td><td>{b}：</td><td>{{{fb}}}</td></tr>"
        for (a, fa), (b, fb) in zip(ROWS[::2], ROWS[1::2] + [("公开方式", "x")])) + "</table>",
    "one definition list": "<dl>" + "".join(f"<dt>{lab}：</dt><dd>{{{f}}}</dd>" for lab, f in ROWS) + "</dl>",
    "a definition list per row": "".join(f"<dl><dt>{lab}</dt><dd>{{{f}}}</dd></dl>" for lab, f in ROWS),
    "spans, ASCII colons": "<div>" + "".join(f"<span>{lab}:{{{f}}}</span>" for lab, f in ROWS) + "</div>",
    "list items, bold labels": "<ul>" + "".join(f"<li><b>{lab}：</b>{{{f}}}</li>" for lab, f in ROWS) + "</ul>",
    "divs, ratio colon": "".join(f'<div class="r"><div class="l">{lab}∶</div><div class="v">{{{f}}}</div></div>'
                                 for lab, f in ROWS),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_facts_table_is_read_on_any_layout(layout):
    from archive.extract import extract

    body = "<p>" + "为规范科技专项资金管理，提高资金使用效益，根据有关规定，制定本办法。" * 6 + "</p>"
    html = (f"<html><head><title>{FACTS['title']}</title></head><body><div class=nav>首页</div>"
            f"{LAYOUTS[layout].format(x='主动公开', **FACTS)}<h1>{FACTS['title']}</h1><div>{body}</div></body></html>")
    assert extract(html.encode(), "https://example.gov.cn/a.html")["document"] == FACTS


def test_number_keys_are_one_form_for_every_spelling():
    key = ("发2021-11", "沪府发")
    for spelling in ("沪府发〔2021〕11号", "沪府发 [２０２１] １１ 号", "沪府发（2021）011号", "沪府发［2021］11号"):
        assert citations.parse_number(spelling) == key, spelling
    assert citations.parse_number("〔2021〕11号") is None  # no issuer: nothing to link by
    assert citations.parse_number("2021年11号") is None
