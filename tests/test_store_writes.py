"""The store path's work per article, counted: SQLite statements for one new article through the
real dedup and store stages (a crawler from ``get_crawler``, a real archive file), and the
caches that make it small kept right (a site's newest dictionary, forgotten with a rollback)."""
from __future__ import annotations

import re
import sqlite3

import pytest
from scrapy.utils.test import get_crawler

from archive import citations, rawstore
from archive.db import open_db, text_hash, transaction
from crawler.archive import crawl_archive
from crawler.items import ArticleItem, Page
from pipelines.dedup import DedupPipeline
from pipelines.store import StorePipeline

WHEN = "2024-05-01T08:00:00+00:00"


def item(n: int, site: str = "example") -> ArticleItem:
    url = f"https://www.example.cn/news/{n}.html"
    text = f"第{n}篇：市科技局日前印发通知，部署今年科技创新工作。" + "推动产学研合作。" * (n % 5 + 1)
    body = f"<html><body><h1>标题{n}</h1><p>{text}</p></body></html>".encode()
    return ArticleItem(site=site, url=url, title=f"标题{n}", text=text, text_hash=text_hash(text),
                       keywords=["科技", f"k{n}"],
                       pages=[Page(url=url, status=200, body=body, fetched_at=WHEN, etag=f'"e{n}"')])


@pytest.fixture
def stages(tmp_path):
    crawler = get_crawler(settings_dict={"ARCHIVE_DB": str(tmp_path / "archive.db")})
    crawler.stats.open_spider()
    dedup, store = DedupPipeline.from_crawler(crawler), StorePipeline.from_crawler(crawler)
    store.open_spider()
    yield crawler, dedup, store
    crawl_archive(crawler).close()


def statements_of(conn, work) -> list[str]:
    """The statements *work* ran on *conn*, top level only: SQLite reports each trigger program run
    by a statement with the statement's own text again (dropped here: one statement, its triggers'
    work included) and the full-text index's own statements with a leading ``--`` (dropped)."""
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    try:
        work()
    finally:
        conn.set_trace_callback(None)
    out: list[str] = []
    for sql in seen:
        sql = re.sub(r"\s+", " ", sql).strip()
        if not sql.startswith("--") and (not out or out[-1] != sql):
            out.append(sql)
    return out


def test_one_new_article_costs_a_handful_of_statements(stages):
    crawler, dedup, store = stages
    for n in range(1, 4):  # the site's pages are counted once, at its first article
        store.process_item(dedup.process_item(item(n)))
    db = crawl_archive(crawler).db
    new = item(9)
    db.execute("INSERT INTO failures (url, site, kind, reason, first_seen, last_seen) VALUES (?, 'example', "
               "'http_500', 'server error', ?, ?)", [new.url, WHEN, WHEN])  # it failed on an earlier run
    found = statements_of(db.conn, lambda: store.process_item(dedup.process_item(new)))
    # dedup: the URL and the text looked up; store: one transaction with the index's input, the article
    # row, its raw page, the failure cleared once, a same-text URL record cleared
    assert len(found) <= 9, "\n".join(found)
    assert not [s for s in found if re.search(r"sqlite_master|SAVEPOINT|zstd_dicts|documents|citation", s, re.I)]
    assert len([s for s in found if s.startswith("DELETE FROM failures")]) == 1
    row = db.execute("SELECT id, title, text, keywords, pages, etag, first_seen = last_seen FROM articles "
                     "WHERE url = ?", [new.url]).fetchone()
    assert row == (new.article_id, "标题9", new.text, '["科技", "k9"]', 1, '"e9"', 1)
    assert db.execute("SELECT count(*) FROM failures").fetchone()[0] == 0
    body = db.execute("SELECT body FROM raw_pages WHERE article_id = ?", [new.article_id]).fetchone()[0]
    assert rawstore.decompress(body, db) == new.pages[0].body
    hits = db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH '\"k9\"'").fetchall()
    assert hits == [(new.article_id,)]  # indexed with its keywords, as before
    assert crawler.stats.get_value("archive/new") == 4


def test_a_dictionary_trained_in_a_rolled_back_transaction_is_not_used(tmp_path):
    db = open_db(tmp_path / "a.db")
    store = StorePipeline.from_crawler(get_crawler(settings_dict={"ARCHIVE_DB": str(tmp_path / "a.db")}))
    for n in range(1, 6):
        store.process_item(item(n, site="x"))
    body = item(7).pages[0].body
    assert rawstore.codec(rawstore.compress(body, db, "x")) == "zstd"  # no dictionary yet (remembered)
    with pytest.raises(RuntimeError):
        with transaction(db):
            dict_id = rawstore.train(db, "x")
            assert rawstore.codec(rawstore.compress(body, db, "x")) == f"zstd+dict:{dict_id}"
            raise RuntimeError("the write fails after the training")
    assert db.execute("SELECT count(*) FROM zstd_dicts").fetchone()[0] == 0
    blob = rawstore.compress(body, db, "x")
    assert rawstore.codec(blob) == "zstd" and rawstore.decompress(blob, db) == body
    with transaction(db):  # trained and committed: used from the next page on
        dict_id = rawstore.train(db, "x")
    assert rawstore.codec(rawstore.compress(body, db, "x")) == f"zstd+dict:{dict_id}"
    store.archive.close()
    db.conn.close()


DOC = {"index_no": "X-1", "category": "综合政务", "issuer": "某市人民政府", "doc_number": "某府发〔2021〕11号",
       "written_at": "2021-03-02", "published_at": "2021-03-05", "validity": "有效", "subject_words": None,
       "title": "某市人民政府关于印发《某市促进新能源产业发展若干措施》的通知"}


def test_a_new_articles_citations_are_what_the_general_store_writes(tmp_path):
    """``citations.store_new`` (a row inserted in this transaction) skips the reads and deletes, not the links."""
    news = [(1, "新闻", "根据某府发〔2021〕11号文件，《某市促进新能源产业发展若干措施》提出。", None),
            (2, DOC["title"], "正文", DOC),
            (3, "评论", "某府发［２０２１］１１号和另府发〔2021〕11号", None),
            (4, "又一篇", "《某市人民政府关于印发〈某市促进新能源产业发展若干措施〉的通知》", {**DOC, "doc_number": None})]
    tables = []
    for fn in (citations.store, citations.store_new):
        db = open_db(tmp_path / f"{fn.__name__}.db")
        for aid, title, text, doc in news:
            db.execute("INSERT INTO articles (id, url, site, title, text, text_hash, first_seen, last_seen) "
                       "VALUES (?, ?, 's', ?, ?, 'h', 't', 't')", [aid, f"https://example.org/{aid}", title, text])
            fn(db, aid, doc, title, text)
        tables.append([db.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3").fetchall()
                       for t in ("documents", "document_keys", "citation_refs", "citations")])
        db.conn.close()
    assert tables[0] == tables[1] and len(tables[0][3]) >= 3


def test_the_index_the_store_stage_hands_in_is_the_one_the_sql_trigger_computes(stages, tmp_path):
    """The store stage computes the index's shadow form in Python (``articles_fts_input``, schema 14);
    the full-text index it makes is byte for byte the one the trigger's SQL makes for a bare writer."""
    crawler, dedup, store = stages
    items = [item(n) for n in range(1, 7)]
    items[1].text += " 100kW储能 Ａ股，２０２４年 𠀀𠀁x\n" + "中" * 150 + "é中" * 40
    items[2].keywords = []
    items[3].keywords = ["储能", 2024]  # not all strings: left to the trigger's SQL
    items[4].title = None
    for it in items:
        store.process_item(dedup.process_item(it))
    db = crawl_archive(crawler).db
    assert db.execute("SELECT count(*) FROM articles_fts_input").fetchone()[0] == 0  # empty between transactions
    bare_path = tmp_path / "bare.db"
    open_db(bare_path).conn.close()
    bare = sqlite3.connect(bare_path)  # no application code: the trigger's SQL computes the shadow form
    cols = "id, url, site, title, text, text_hash, keywords, first_seen, last_seen"
    for row in db.execute(f"SELECT {cols} FROM articles ORDER BY id").fetchall():
        bare.execute(f"INSERT INTO articles ({cols}) VALUES ({', '.join('?' * 9)})", row)
        bare.commit()
    for table in ("articles_fts_data", "articles_fts_idx", "articles_fts_docsize"):
        sql = f"SELECT * FROM {table} ORDER BY 1, 2"
        assert db.execute(sql).fetchall() == bare.execute(sql).fetchall(), table
    assert bare.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH '储能'").fetchall() == [(2,), (4,)]
    bare.close()


def index_instances(db) -> list[tuple]:
    """Every (term, row, column, offset) the full-text index holds."""
    db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_instances USING fts5vocab(main, articles_fts, 'instance')")
    return db.execute("SELECT term, doc, col, offset FROM temp.fts_instances ORDER BY 1, 2, 3, 4").fetchall()


def test_a_changed_article_hands_the_index_its_old_and_new_forms(stages):
    """A re-fetched article whose text or title changed: the store stage computes the shadow forms of
    the old and the new row in Python (``articles_fts_change``, schema 15) instead of the update
    trigger's SQL; the index afterwards holds exactly what it holds when rebuilt from the rows (a wrong
    old form would leave the old words in it). Keywords only the SQL form reads are left to it."""
    from archive.search import rebuild_index

    crawler, dedup, store = stages
    for n in range(1, 6):
        store.process_item(dedup.process_item(item(n)))
    db = crawl_archive(crawler).db
    changed = [item(n) for n in range(1, 6)]
    changed[0].text += "新增一段：储能电站并网。"
    changed[1].title = "新标题"
    changed[2].keywords = ["储能", 2024]  # not all strings: the trigger's SQL computes both forms
    changed[2].text += "另有补充。"
    changed[3].title = None
    changed[3].text = "全文替换为另一段文字，Ａ股２０２４年 100kW。"
    changed[4].keywords = []
    changed[4].text += "补充。"
    given = []
    for it in changed:
        it.text_hash = text_hash(it.text)
        sqls = statements_of(db.conn, lambda: store.process_item(dedup.process_item(it)))
        given.append(any("INTO articles_fts_change" in s for s in sqls))
        assert it.existing_id is not None and it.changed
    assert given == [True, True, False, True, True]
    assert db.execute("SELECT count(*) FROM articles_fts_change").fetchone()[0] == 0  # empty between transactions
    assert crawler.stats.get_value("archive/updated") == 5
    kept = index_instances(db)
    assert any(term == "储能" for term, *_ in kept)
    with transaction(db):
        rebuild_index(db)
    assert index_instances(db) == kept
