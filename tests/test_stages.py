"""Each pipeline stage and the base spider's callbacks on their own: Scrapy's ``get_crawler``,
``HtmlResponse`` and a real SQLite archive in a temporary directory, no crawl process.
A broken stage fails its own test here."""
from __future__ import annotations

import sqlite3

import pytest
from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.test import get_crawler

from archive import statkeys
from archive.db import open_db, text_hash, transaction
from crawler.archive import crawl_archive
from crawler.base import SiteSpider
from crawler.items import AliasItem, ArticleItem, FailureItem, Page, Rejected
from pipelines.clean import CleanPipeline
from pipelines.dedup import DedupPipeline
from pipelines.extract import ExtractPipeline
from pipelines.store import StorePipeline

WHEN = "2024-05-01T08:00:00+00:00"
TEXT = ("市科技局日前印发通知，部署今年科技创新工作。通知要求各区加快培育高新技术企业，"
        "推动产学研合作，完善科技金融服务体系。")


class ExampleSpider(SiteSpider):
    name = "example"
    label = "示例网"
    hosts = ("www.example.cn",)
    host_aliases = {"example.cn": "www.example.cn"}
    start_urls = ("https://www.example.cn/news/index.html",)
    list_page = (r"index\.html$", "index_{n}.html")
    article_urls = (r"https://www\.example\.cn/news/\d+\.html",)
    continuation = r"(?P<base>https://www\.example\.cn/news/\d+)_(?P<n>\d+)\.html"


def article_html(title=TEXT[:12], text=TEXT, extra="") -> bytes:
    return (f"<html><head><title>{title}</title></head><body><h1>{title}</h1>"
            f"<div class=\"info\">发布时间：2024-04-30 10:00 来源：市科技局</div>"
            f"<div class=\"content\"><p>{text}</p><p>{text[::-1]}</p></div>{extra}</body></html>").encode("utf-8")


def article_item(url="https://www.example.cn/news/1.html", body: bytes | None = None, **kw) -> ArticleItem:
    body = article_html() if body is None else body
    return ArticleItem(site="example", url=url, pages=[Page(url=url, status=200, body=body, fetched_at=WHEN,
                                                            charset="utf-8")], **kw)


@pytest.fixture
def crawler(tmp_path):
    c = get_crawler(ExampleSpider, settings_dict={"ARCHIVE_DB": str(tmp_path / "archive.db")})
    c.stats.open_spider()
    yield c
    crawl_archive(c).close()


def through(crawler, item, *stages):
    for cls in stages:
        item = cls.from_crawler(crawler).process_item(item)
    return item


def rows(crawler, sql, params=()):
    return crawl_archive(crawler).db.execute(sql, params).fetchall()


# ------------------------------------------------------------------ extract


def test_extract_fills_metadata_and_page_texts(crawler):
    item = through(crawler, article_item(), ExtractPipeline)
    assert item.title == TEXT[:12]
    assert item.published_at.startswith("2024-04-30T10:00")
    assert TEXT in item.page_texts[0]
    assert item.replaced_bytes == 0


def test_extract_counts_replaced_bytes(crawler):
    body = article_html().replace("部署".encode("utf-8"), b"\xff\xfe")  # two bytes no UTF-8 reader takes
    item = through(crawler, article_item(body=body), ExtractPipeline)
    assert item.replaced_bytes >= 1 and item.page_texts[0]


def test_extract_rejects_an_undecodable_page(crawler):
    item = article_item(body=bytes(range(256)) * 64)
    item.pages[0].charset = "no-such-charset"
    with pytest.raises(Rejected) as got:
        through(crawler, item, ExtractPipeline)
    assert isinstance(got.value, DropItem) and got.value.kind == "charset"


def test_extract_rejects_an_article_whose_later_page_cannot_be_decoded(crawler):
    item = article_item()
    item.pages.append(Page(url="https://www.example.cn/news/1_2.html", status=200, body=bytes(range(256)) * 64,
                           fetched_at=WHEN, charset="no-such-charset"))
    with pytest.raises(Rejected) as got:
        through(crawler, item, ExtractPipeline)
    assert (got.value.kind, got.value.reason) == ("incomplete", "a page of the article cannot be decoded")


def test_extract_leaves_an_unchanged_recheck_alone(crawler):
    item = ArticleItem(site="example", url="https://www.example.cn/news/1.html", recheck_id=3, not_modified=True)
    assert through(crawler, item, ExtractPipeline, CleanPipeline, DedupPipeline).page_texts == []


# -------------------------------------------------------------------- clean


def test_clean_joins_pages_and_hashes(crawler):
    item = ArticleItem(site="example", url="https://www.example.cn/news/1.html", title=" 标题\u3000一 ",
                       page_texts=[f"{TEXT}\n重复的一行", "重复的一行\n第二页的内容，同样是正文。"])
    item = through(crawler, item, CleanPipeline)
    assert item.text == f"{TEXT}\n重复的一行\n第二页的内容，同样是正文。"
    assert item.title == "标题 一" and item.text_hash == text_hash(item.text)


def test_clean_rejects_an_empty_text(crawler):
    item = ArticleItem(site="example", url="https://www.example.cn/news/1.html", page_texts=["返回首页 ｜ 打印"])
    with pytest.raises(Rejected) as got:
        through(crawler, item, CleanPipeline)
    assert (got.value.kind, got.value.reason) == ("empty", "no article text extracted")


# -------------------------------------------------------------------- dedup


def stored(crawler, url, text=TEXT, title="t"):
    item = ArticleItem(site="example", url=url, title=title, text=text, text_hash=text_hash(text),
                       pages=[Page(url=url, status=200, body=b"<html></html>", fetched_at=WHEN)])
    return StorePipeline.from_crawler(crawler).process_item(item).article_id


def test_dedup_finds_the_same_url_and_the_same_text(crawler):
    first = stored(crawler, "https://www.example.cn/news/1.html")
    dedup = DedupPipeline.from_crawler(crawler)
    same = dedup.process_item(ArticleItem(site="example", url="https://www.example.cn/news/1.html", title="t",
                                          text=TEXT, text_hash=text_hash(TEXT)))
    assert (same.existing_id, same.changed) == (first, False)
    changed = dedup.process_item(ArticleItem(site="example", url="https://www.example.cn/news/1.html",
                                             title="新标题", text=TEXT, text_hash=text_hash(TEXT)))
    assert changed.changed
    other = dedup.process_item(ArticleItem(site="example", url="https://www.example.cn/news/2.html",
                                           text=TEXT + " ", text_hash=text_hash(TEXT + " ")))
    assert (other.existing_id, other.duplicate_of, other.duplicate_reason) == (None, first, "same_text")


def test_dedup_rejects_one_text_for_many_urls(crawler):
    crawler.settings.frozen = False
    crawler.settings.set("SOFT_ERROR_SHARED_URLS", 3)
    dedup = DedupPipeline.from_crawler(crawler)
    urls = [f"https://www.example.cn/news/{n}.html" for n in range(3)]
    for url in urls[:2]:
        dedup.process_item(ArticleItem(site="example", url=url, text=TEXT, text_hash=text_hash(TEXT)))
    third = ArticleItem(site="example", url=urls[2], text=TEXT, text_hash=text_hash(TEXT))
    with pytest.raises(Rejected) as got:
        dedup.process_item(third)
    assert got.value.kind == "soft_error" and third.retract_urls == urls[:2]


# -------------------------------------------------------------------- store


def test_store_writes_a_new_article_with_its_replaced_bytes(crawler):
    item = article_item()
    item.title, item.text, item.text_hash, item.replaced_bytes = "t", TEXT, text_hash(TEXT), 2
    StorePipeline.from_crawler(crawler).process_item(item)
    assert rows(crawler, "SELECT url, replaced_bytes, pages FROM articles") == [(item.url, 2, 1)]
    assert rows(crawler, "SELECT count(*) FROM raw_pages")[0][0] == 1
    assert crawler.stats.get_value(statkeys.NEW) == 1


def test_store_records_failures_and_aliases(crawler):
    store = StorePipeline.from_crawler(crawler)
    store.process_item(FailureItem(site="example", url="https://www.example.cn/news/9.html", kind="http_5xx",
                                   reason="HTTP 503", status=503))
    store.process_item(AliasItem(site="example", url="https://example.cn/news/1.html",
                                 canonical="https://www.example.cn/news/1.html"))  # before its article
    aid = stored(crawler, "https://www.example.cn/news/1.html")
    assert rows(crawler, "SELECT kind, status, attempts FROM failures WHERE url LIKE '%/9.html'") == [("http_5xx", 503, 1)]
    assert crawler.stats.get_value(statkeys.failed("http_5xx")) == 1
    assert crawl_archive(crawler).article_for_url("https://example.cn/news/1.html") is None  # pending, own store
    store.process_item(AliasItem(site="example", url="https://example.cn/news/1.html",
                                 canonical="https://www.example.cn/news/1.html"))
    assert crawl_archive(crawler).article_for_url("https://example.cn/news/1.html")["id"] == aid


def test_a_url_that_came_before_its_article_follows_it_when_the_article_is_a_duplicate(crawler):
    """A pending URL is kept when its article turns out to be another URL of an archived article,
    and a URL that redirected to it is no longer failing."""
    first = stored(crawler, "https://www.example.cn/news/1.html")
    moved, target = "https://www.example.cn/news/7.html", "https://www.example.cn/news/8.html"
    store = StorePipeline.from_crawler(crawler)
    store.process_item(FailureItem(site="example", url=moved, kind="http_5xx", reason="HTTP 503", status=503))
    store.process_item(AliasItem(site="example", url=moved, canonical=target, redirected=True))
    assert rows(crawler, "SELECT count(*) FROM article_urls WHERE url = ?", [moved])[0][0] == 0  # pending
    store.process_item(ArticleItem(site="example", url=target, title="t", text=TEXT, text_hash=text_hash(TEXT),
                                   duplicate_of=first, duplicate_reason="same_text"))
    assert rows(crawler, "SELECT url, article_id FROM article_urls WHERE url IN (?, ?) ORDER BY url",
                [moved, target]) == [(moved, first), (target, first)]
    assert rows(crawler, "SELECT count(*) FROM failures WHERE url = ?", [moved])[0][0] == 0


def test_a_rejected_item_is_recorded_once_by_the_drop_signal(crawler):
    store = StorePipeline.from_crawler(crawler)  # noqa: F841 - the signal holds its handler weakly
    item = article_item(url="https://www.example.cn/news/5.html")
    crawler.signals.send_catch_log(signals.item_dropped, item=item, response=None, spider=None,
                                   exception=Rejected("empty", "no article text extracted"))
    crawler.signals.send_catch_log(signals.item_dropped, item=article_item(url="https://www.example.cn/news/6.html"),
                                   response=None, spider=None, exception=DropItem("someone else's drop"))
    assert rows(crawler, "SELECT url, kind, reason, status FROM failures") == [
        (item.url, "empty", "no article text extracted", 200)]
    assert crawler.stats.get_value(statkeys.failed("empty")) == 1
    assert rows(crawler, "SELECT count(*) FROM articles")[0][0] == 0


def test_a_soft_error_retracts_what_this_run_stored_under_it(crawler):
    store = StorePipeline.from_crawler(crawler)
    store.open_spider()
    old = stored(crawler, "https://www.example.cn/news/1.html", text="早已存档的另一篇正文，与错误页无关。" * 3)
    with transaction(crawl_archive(crawler).db):  # archived before this run: never touched
        crawl_archive(crawler).db.execute("UPDATE articles SET first_seen = '2000-01-01' WHERE id = ?", [old])
    first = stored(crawler, "https://www.example.cn/news/2.html")
    dup = ArticleItem(site="example", url="https://www.example.cn/news/3.html", text=TEXT,
                      text_hash=text_hash(TEXT), duplicate_of=first, duplicate_reason="same_text")
    store.process_item(dup)
    crawler.stats.set_value(statkeys.NEW, 1)
    crawler.stats.set_value(statkeys.DUPLICATE, 1)
    rejected = article_item(url="https://www.example.cn/news/4.html",
                            retract_urls=["https://www.example.cn/news/1.html", "https://www.example.cn/news/2.html",
                                          "https://www.example.cn/news/3.html"])
    store.item_dropped(rejected, exception=Rejected("soft_error", "one page text served for many URLs"))
    assert rows(crawler, "SELECT url FROM articles") == [("https://www.example.cn/news/1.html",)]
    assert sorted(u for (u,) in rows(crawler, "SELECT url FROM failures")) == [
        f"https://www.example.cn/news/{n}.html" for n in (2, 3, 4)]
    assert crawler.stats.get_value(statkeys.NEW) == 0 and crawler.stats.get_value(statkeys.DUPLICATE) == 0
    assert crawler.stats.get_value(statkeys.failed("soft_error")) == 3


def test_the_whole_chain_stores_a_page(crawler):
    item = through(crawler, article_item(), ExtractPipeline, CleanPipeline, DedupPipeline, StorePipeline)
    assert item.article_id and rows(crawler, "SELECT title, source FROM articles") == [(TEXT[:12], "市科技局")]
    again = through(crawler, article_item(), ExtractPipeline, CleanPipeline, DedupPipeline, StorePipeline)
    assert again.existing_id == item.article_id and crawler.stats.get_value(statkeys.UNCHANGED) == 1


# -------------------------------------------------------- one archive per crawl


def test_one_connection_per_crawler_opened_at_first_use(tmp_path, monkeypatch):
    """Every component of a crawler shares one archive; none opens a connection when it is made."""
    from crawler.backfill import ListWalks
    from crawler.refresh import RefreshMiddleware
    from crawler.runlog import RunLog
    from pipelines.neardup import NearDupPipeline

    path = tmp_path / "archive.db"
    open_db(path).conn.close()  # an archive from an earlier run
    opened = []
    real = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: opened.append(a) or real(*a, **k))
    crawler = get_crawler(ExampleSpider, settings_dict={"ARCHIVE_DB": str(path),
                                                        "SPIDER_MODULES": ["crawler.spiders"]})
    crawler.stats.open_spider()
    spider = ExampleSpider.from_crawler(crawler)
    parts = [cls.from_crawler(crawler) for cls in (RefreshMiddleware, ListWalks, RunLog, ExtractPipeline,
                                                   CleanPipeline, DedupPipeline, StorePipeline, NearDupPipeline)]
    assert opened == []
    archives = {id(p.archive) for p in parts if hasattr(p, "archive")}
    assert archives == {id(crawl_archive(crawler))} and len([p for p in parts if hasattr(p, "archive")]) == 6
    for part in parts:
        if hasattr(part, "open_spider"):
            part.open_spider()
    for part in parts[:3]:
        part.spider_opened(spider)
    through(crawler, article_item(), ExtractPipeline, CleanPipeline, DedupPipeline)
    parts[1].spider_closed(spider, "finished")
    parts[2].spider_closed(spider, "finished")
    assert len(opened) == 1
    assert spider.known_urls == set()  # handed in by the refresh middleware (an empty archive)
    for part in parts:
        if hasattr(part, "close_spider"):
            part.close_spider()  # the extraction pool, if the stage started one, is released
    crawler.signals.send_catch_log(signals.engine_stopped)
    assert not crawl_archive(crawler).is_open


# ------------------------------------------------------------ spider callbacks


def spider_for(crawler) -> ExampleSpider:
    return ExampleSpider.from_crawler(crawler)


def test_parse_list_requests_articles_and_records_aliases(crawler):
    sp = spider_for(crawler)
    url = "https://www.example.cn/news/index.html"
    body = ('<html><body><a href="1.html">一</a><a href="https://example.cn/news/2.html">二</a>'
            '<a href="1.html#top">一</a><a href="/about.html">关于</a><a href="index_2.html">下一页</a></body></html>')
    out = list(sp.parse_list(HtmlResponse(url=url, body=body.encode(), encoding="utf-8",
                                          request=Request(url, meta={"kind": "list"})), start=url, n=1, feed=False))
    articles = [r.url for r in out if isinstance(r, Request) and r.meta.get("kind") == "article"]
    lists = [r.url for r in out if isinstance(r, Request) and r.meta.get("kind") == "list"]
    assert articles == ["https://www.example.cn/news/1.html", "https://www.example.cn/news/2.html"]
    assert lists == ["https://www.example.cn/news/index_2.html"]
    assert [(a.url, a.canonical) for a in out if isinstance(a, AliasItem)] == [
        ("https://example.cn/news/2.html", "https://www.example.cn/news/2.html")]
    assert crawler.stats.get_value(statkeys.LINKS_FOUND) == 2


def test_parse_article_gives_an_item_or_a_failure(crawler):
    sp = spider_for(crawler)
    url = "https://www.example.cn/news/1.html"
    req = Request(url, meta={"kind": "article", "canonical": url})
    (item,) = sp.parse_article(HtmlResponse(url=url, body=article_html(), encoding="utf-8", request=req,
                                            headers={"Content-Type": "text/html; charset=utf-8"}))
    assert isinstance(item, ArticleItem) and item.url == url and item.pages[0].charset == "utf-8"
    (gone,) = sp.parse_article(Response(url=url, status=404, request=req))
    assert (gone.kind, gone.status) == ("gone", 404)
    error_page = b"<html><head><title>\xe9\xa1\xb5\xe9\x9d\xa2\xe4\xb8\x8d\xe5\xad\x98\xe5\x9c\xa8</title></head><body></body></html>"
    (soft,) = sp.parse_article(HtmlResponse(url=url, body=error_page, encoding="utf-8", request=req))
    assert isinstance(soft, FailureItem) and soft.kind == "soft_error"


def test_an_article_redirected_to_another_article_url_is_stored_under_where_it_moved(crawler):
    """The stored URL does not depend on whether the redirect or a direct link came first: the
    article takes the URL it moved to and the requested URL is another URL of it; a redirect to a
    page that is no article URL (the home page) keeps the requested URL, for its checks to judge."""
    sp = spider_for(crawler)
    moved, target = "https://www.example.cn/news/1.html", "https://www.example.cn/news/2.html"

    def redirected_to(url):
        req = Request(url, meta={"kind": "article", "canonical": moved, "redirect_urls": [moved]})
        return list(sp.parse_article(HtmlResponse(url=url, body=article_html(), encoding="utf-8", request=req)))

    alias, item = redirected_to(target)
    assert (alias.url, alias.canonical, alias.redirected) == (moved, target, True)
    assert isinstance(item, ArticleItem) and item.url == target and item.pages[0].url == target
    (item,) = redirected_to("https://www.example.cn/index.html")
    assert isinstance(item, ArticleItem) and item.url == moved


def test_a_multi_page_article_fetches_its_next_page_first(crawler):
    sp = spider_for(crawler)
    url = "https://www.example.cn/news/1.html"
    req = Request(url, meta={"kind": "article", "canonical": url})
    body = article_html(extra='<a href="1_2.html">2</a>')
    (nxt,) = sp.parse_article(HtmlResponse(url=url, body=body, encoding="utf-8", request=req))
    assert isinstance(nxt, Request) and nxt.url == "https://www.example.cn/news/1_2.html"
    page2 = HtmlResponse(url=nxt.url, body=article_html(text="第二页正文。" * 10), encoding="utf-8", request=nxt)
    (item,) = sp.parse_continuation(page2, **nxt.cb_kwargs)
    assert isinstance(item, ArticleItem) and [p.url for p in item.pages] == [url, nxt.url]


def test_spider_reads_its_settings_in_from_crawler(tmp_path):
    crawler = get_crawler(ExampleSpider, settings_dict={"ARCHIVE_DB": str(tmp_path / "a.db"), "MAX_LIST_PAGES": 2,
                                                        "BACKFILL": True, "BACKFILL_MAX_PAGES": 7})
    sp = ExampleSpider.from_crawler(crawler)
    assert (sp.backfill, sp.max_list_pages, sp.max_pages) == (True, 2, 7)


def test_on_error_records_a_failure_unless_the_url_was_known(crawler):
    from scrapy.exceptions import IgnoreRequest
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.python.failure import Failure

    from crawler import meta

    sp = spider_for(crawler)
    start = "https://www.example.cn/news/index.html"
    req = sp.list_request(start, start=start, n=1)
    try:
        raise HttpError(Response(url=start, status=503, request=req), "HTTP 503")
    except HttpError:
        failure = Failure()
    failure.request = req
    (item,) = sp.on_error(failure)
    assert (item.kind, item.status, item.reason) == ("http_5xx", 503, "HTTP 503") and sp.walks[start].failed
    known = sp.article_request("https://www.example.cn/news/1.html")
    known.meta[meta.KNOWN] = True  # the refresh middleware skipped an archived URL: no failure
    try:
        raise IgnoreRequest("already archived")
    except IgnoreRequest:
        failure = Failure()
    failure.request = known
    assert list(sp.on_error(failure)) == []
