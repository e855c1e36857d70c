"""The spider's work per page, counted (never timed): a page is parsed once for its scans, which
make no Selector per link and translate no CSS, each href is joined once, an article page is
decoded once (in the crawl's process, or in an extraction worker when there are some), and
Scrapy's per-response machinery stays small (tasks per response in a real crawl of a replica site)."""
from __future__ import annotations

import json
import os
import sys

import parsel.selector
import pytest
from cssselect import GenericTranslator
from scrapy.http import HtmlResponse, Request
from scrapy.utils.misc import is_generator_with_return_value
from scrapy.utils.test import get_crawler

import crawler.base as base
import crawler.pagescan as pagescan
from archive.faces.crawl import site_spiders
from archive.tooling.replica import build as B
from conftest import REPLICA_SITE, ROOT, load_expected, run_archive


def _spider(name):
    cls = site_spiders()[name]
    return cls.from_crawler(get_crawler(cls, settings_dict={"ARCHIVE_DB": ":memory:"}))


def _recorded(pred) -> tuple[dict, bytes]:
    for r in load_expected():
        if pred(r):
            return r, (REPLICA_SITE / B.url_to_path(r["url"])).read_bytes()
    raise AssertionError("the replica has no such article")


def _response(url, body: bytes) -> HtmlResponse:
    return HtmlResponse(url=url, body=body, headers={"Content-Type": "text/html"}, request=Request(url))


def _with_links(body: bytes, n: int) -> bytes:
    """The page with *n* more links (a menu: root-relative, relative and absolute hrefs) before </body>."""
    menu = "".join(f'<a href="/menu/{i}.html">栏目{i}</a><a href="rel/{i}.html">{i}</a>'
                   f'<a href="https://other.example.cn/{i}">外链</a>' for i in range(n // 3))
    return body.replace(b"</body>", menu.encode() + b"</body>", 1)


class _Counts:
    def __init__(self, monkeypatch):
        self.selectors = self.translations = self.joins = self.parses = 0
        init, translate, join = parsel.selector.Selector.__init__, GenericTranslator.css_to_xpath, pagescan.urljoin
        parse = parsel.selector.create_root_node

        def counted_parse(*args, **kwargs):
            self.parses += 1
            return parse(*args, **kwargs)

        def counted_init(sel, *args, **kwargs):
            self.selectors += 1
            init(sel, *args, **kwargs)

        def counted_translate(tr, *args, **kwargs):
            self.translations += 1
            return translate(tr, *args, **kwargs)

        def counted_join(*args, **kwargs):
            self.joins += 1
            return join(*args, **kwargs)

        monkeypatch.setattr(parsel.selector.Selector, "__init__", counted_init)
        monkeypatch.setattr(GenericTranslator, "css_to_xpath", counted_translate)
        monkeypatch.setattr(pagescan, "urljoin", counted_join)
        monkeypatch.setattr(parsel.selector, "create_root_node", counted_parse)
        pagescan._joined.cache_clear()


def _article_callback(spider, url, body) -> list:
    return list(spider.parse_article(_response(url, body)))


def test_an_article_page_is_parsed_once_whatever_its_links(monkeypatch):
    record, body = _recorded(lambda r: r["site"] == "jiangmen_kjj" and r.get("attachments"))
    spider = _spider("jiangmen_kjj")
    counts = _Counts(monkeypatch)
    few = _article_callback(spider, record["url"], body)
    after_few = counts.selectors
    assert counts.parses == 1
    many = _article_callback(spider, record["url"], _with_links(body, 300))
    assert [type(x) for x in few] == [type(x) for x in many] == [Request]  # its attachment is fetched next
    assert few[0].url == many[0].url and few[0].url.startswith("https://")
    # the page's own lxml tree only (no Selector object at all): none per link, however many links
    assert counts.parses == 2 and counts.selectors == after_few == 0
    assert counts.translations == 0  # the scans are XPath compiled once, at import


def test_each_href_is_joined_once_and_a_menu_once_per_host(monkeypatch):
    record, body = _recorded(lambda r: r["site"] == "jiangmen_kjj" and r.get("attachments"))
    spider = _spider("jiangmen_kjj")
    page = _with_links(body, 300)
    root = _response(record["url"], page).selector.root
    hrefs = {h.strip() for h in pagescan.HREFS(root)}
    counts = _Counts(monkeypatch)
    _article_callback(spider, record["url"], page)
    # links, attachments and the continuation scan read the same hrefs: each is joined once
    assert 300 <= counts.joins <= len(hrefs)
    first = counts.joins
    other = record["url"].replace(".html", "1.html")  # another page of the host with the same menu
    _article_callback(spider, other, page)
    relative = sum(1 for h in hrefs if not h.startswith(("/", "http://", "https://", "#")))
    assert counts.joins - first <= relative + 2  # only page-relative hrefs are joined again


def test_a_list_page_is_read_with_one_selector(monkeypatch):
    spider = _spider("bjx")
    start = spider.start_urls[0]
    body = (REPLICA_SITE / B.url_to_path(start)).read_bytes()
    counts = _Counts(monkeypatch)
    spider.walks[start] = base.Walk()
    response = HtmlResponse(url=start, body=body, headers={"Content-Type": "text/html"},
                            request=Request(start, cb_kwargs={"start": start, "n": 1, "feed": False}))
    out = list(spider.parse_list(response, start=start, n=1, feed=False))
    assert sum(isinstance(x, Request) for x in out) >= 3
    assert counts.selectors == 1 and counts.translations == 0


def test_no_callback_returns_a_value_from_its_generator():
    """Scrapy's check of it is off (WARN_ON_GENERATOR_RETURN_VALUE: it re-read a callback's source per
    response): a ``return value`` in a generator callback would be lost without a word, so it is checked here."""
    seen = 0
    for cls in {*site_spiders().values(), base.SiteSpider}:
        for name in dir(cls):
            func = getattr(cls, name, None)
            if callable(func) and name.startswith(("parse", "on_")):
                seen += 1
                assert not is_generator_with_return_value(func), f"{cls.__name__}.{name} returns a value"
    assert seen >= 7
    assert is_generator_with_return_value(_returns_a_value)  # the check sees one


def _returns_a_value():
    yield 1
    return 2


class TaskCount:
    """A Scrapy extension (loaded into the crawl below): asyncio tasks and Scrapy's log records
    created while the engine runs, the middleware steps each request, response and callback output
    goes through, and responses, written to $SPIDER_WORK_COUNTS when it stops."""

    def __init__(self, crawler):
        from scrapy import signals

        self.crawler, self.tasks, self.records = crawler, 0, 0
        crawler.signals.connect(self.started, signal=signals.engine_started)
        crawler.signals.connect(self.stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def started(self):
        import asyncio
        import logging

        loop = asyncio.get_event_loop()

        def factory(loop, coro, **kwargs):
            self.tasks += 1
            return asyncio.Task(coro, loop=loop, **kwargs)

        loop.set_task_factory(factory)
        make = self.make_record = logging.getLogRecordFactory()

        def record(name, *args, **kwargs):
            if name.startswith("scrapy."):
                self.records += 1
            return make(name, *args, **kwargs)

        logging.setLogRecordFactory(record)

    def stopped(self):
        import logging

        logging.setLogRecordFactory(self.make_record)
        stats = self.crawler.stats.get_stats()
        engine = self.crawler.engine
        steps = {"request": engine.downloader.middleware.methods["process_request"],
                 "response": engine.downloader.middleware.methods["process_response"],
                 "output": engine.scraper.spidermw.methods["process_spider_output"]}
        with open(os.environ["SPIDER_WORK_COUNTS"], "w") as fh:
            json.dump({"tasks": self.tasks, "responses": stats.get("response_received_count", 0),
                       "records": self.records, "steps": {k: sum(m is not None for m in v) for k, v in steps.items()},
                       "imported": [m for m in ("aiohttp", "tldextract") if m in sys.modules]}, fh)


def test_scrapy_makes_few_tasks_per_response(tmp_path, mirror):
    """Scrapy made CONCURRENT_ITEMS (default 100) tasks for every response's output, and imported the
    modules of components switched off (aiohttp for the remote control, tldextract for cookies).
    It also made a log record for every page crawled and item scraped that no handler writes at
    INFO, and passed each callback's every output through five spider middlewares that did nothing
    a crawl needs (crawler/lean.py, crawler/settings.py)."""
    counts = tmp_path / "counts.json"
    extensions = json.dumps({"crawler.runlog.RunLog": 500, "crawler.backfill.ListWalks": 510,
                             "test_spider_work.TaskCount": 0})
    path = os.pathsep.join(filter(None, [str(ROOT / "tests"), os.environ.get("PYTHONPATH")]))
    proc = run_archive("crawl", "--db", tmp_path / "a.db", "--mirror", mirror, "--json", "--set",
                       f"EXTENSIONS={extensions}", "jiangmen_kjj",
                       env={"PYTHONPATH": path, "SPIDER_WORK_COUNTS": str(counts)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout)[0]["new"] >= 3
    found = json.loads(counts.read_text())
    assert found["responses"] >= 10
    # one item worker per response (CONCURRENT_ITEMS = 1): 6.9 tasks per response; 9.8 with 4 workers
    assert found["tasks"] / found["responses"] < 8, found
    # Scrapy's records: the spider's opening and closing lines, none per page (25 for 15 pages before)
    assert found["records"] <= 5, found
    # steps per callback output: Scrapy's referer only (start requests are marked before the
    # callbacks, depth, URL length and meta-copy checks are off); per request: 8, per response: 6
    steps = found["steps"]
    assert steps["request"] <= 8 and steps["response"] <= 6 and steps["output"] <= 1, found
    # components switched off (REMOTE_CONTROL_ENABLED, COOKIES_ENABLED) are not even imported
    assert found["imported"] == []


def test_the_soft_error_check_still_reads_a_phrase_split_by_markup_in_any_case():
    """The check skips building a page's text when no phrase's longest word is in its markup: a phrase
    whose words stand in separate elements, in another case, is still found; an article is not."""
    from crawler.softerror import soft_error_phrase

    assert soft_error_phrase("<html><body><p>404</p>\n<b>NOT</b>\u3000<i>FOUND</i></body></html>") == "404 NOT FOUND"
    assert soft_error_phrase("<html><body><div>对不起，<b>该信息已删除</b>。</div></body></html>") == "该信息已删除"
    record, body = _recorded(lambda r: r["site"] == "bjx")
    assert soft_error_phrase(body.decode("utf-8", "replace")) is None


class _Decodes:
    """Calls of the extractor's decoding (every decoding of a page goes through decode_counted) and
    of the two parsers (the scans' tree, parsel's; the extraction's tree, archive.extract.parse_html)."""

    def __init__(self, monkeypatch):
        import archive.extract as extract

        decode = sys.modules["archive.extract.decode"]  # (the package's name `decode` is the function)

        self.decodes = self.scan_parses = self.extract_parses = 0
        counted = {"decodes": (decode, "decode_counted"), "scan_parses": (parsel.selector, "create_root_node"),
                   "extract_parses": (extract, "parse_html")}
        for attr, (module, name) in counted.items():
            monkeypatch.setattr(module, name, self._counting(attr, getattr(module, name)))
        monkeypatch.setattr(extract, "decode_counted", decode.decode_counted)  # the package's own name for it

    def _counting(self, attr, func):
        def counted(*args, **kwargs):
            setattr(self, attr, getattr(self, attr) + 1)
            return func(*args, **kwargs)
        return counted


def test_an_article_page_is_decoded_once_and_extracted_where_it_is_read(monkeypatch):
    """In-process (no extraction workers): parse_article decodes the page once and the extract
    stage applies the extraction made from that decoding; the item is the one the extract stage
    makes of the page on its own."""
    from pipelines.extract import ExtractPipeline

    record, body = _recorded(lambda r: r["site"] == "bjx" and len(r.get("pages") or []) <= 1
                             and not r.get("attachments"))
    cls = site_spiders()["bjx"]
    crawler = get_crawler(cls, settings_dict={"ARCHIVE_DB": ":memory:", "EXTRACT_WORKERS": 0})
    crawler.spider = spider = cls.from_crawler(crawler)
    stage = ExtractPipeline.from_crawler(crawler)
    stage.open_spider(spider)
    assert spider.extracts_pages and not spider.reads_in_pool
    counts = _Decodes(monkeypatch)
    (item,) = _article_callback(spider, record["url"], body)
    assert item.extracted is not None and counts.decodes == 1 and counts.scan_parses == 1
    item = stage.process_item(item)
    assert (counts.decodes, counts.scan_parses, counts.extract_parses) == (1, 1, 1)
    assert item.extracted is None and item.title == record["title"]

    spider.extracts_pages = False  # the spider alone (no extract stage): the stage extracts the page itself
    (alone,) = _article_callback(spider, record["url"], body)
    assert alone.extracted is None
    alone = stage.process_item(alone)
    assert (counts.decodes, counts.scan_parses, counts.extract_parses) == (3, 2, 2)
    fields = ("title", "published_at", "source", "author", "editor", "keywords", "encoding", "fallback",
              "document", "document_facts", "replaced_bytes", "page_texts")
    assert [getattr(item, f) for f in fields] == [getattr(alone, f) for f in fields]
    assert item.neardup.signature == alone.neardup.signature
    stage.close_spider(spider)


class DecodeCount:
    """A Scrapy extension (loaded into the crawls below): how many times the crawl's own process
    decoded each article page it fetched, by URL, written to $SPIDER_WORK_COUNTS when it stops."""

    def __init__(self, crawler):
        from scrapy import signals

        import archive.extract as extract

        decode = sys.modules["archive.extract.decode"]  # (the package's name `decode` is the function)

        self.bodies, self.decoded = {}, {}
        real = decode.decode_counted

        def counted(body, *args, **kwargs):
            if isinstance(body, bytes):
                self.decoded[body] = self.decoded.get(body, 0) + 1
            return real(body, *args, **kwargs)

        decode.decode_counted = extract.decode_counted = counted
        crawler.signals.connect(self.received, signal=signals.response_received)
        crawler.signals.connect(self.stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def received(self, response, request, spider=None):
        if request.meta.get("kind") == "article":
            self.bodies[response.url] = response.body

    def stopped(self):
        with open(os.environ["SPIDER_WORK_COUNTS"], "w") as fh:
            json.dump({url: self.decoded.get(body, 0) for url, body in self.bodies.items()}, fh)


@pytest.mark.parametrize("workers", [0, 2], ids=["in-process", "two-workers"])
def test_the_crawls_process_decodes_an_article_page_once_or_never_with_workers(tmp_path, mirror, workers):
    """A real crawl, decodings counted in the crawl's process: once per article page of one page
    without attachments in-process (the extract stage reuses the spider's decoding); never with
    extraction workers (a worker decodes, checks, scans and extracts the page in one call)."""
    from conftest import q

    counts = tmp_path / "counts.json"
    extensions = json.dumps({"crawler.runlog.RunLog": 500, "crawler.backfill.ListWalks": 510,
                             "test_spider_work.DecodeCount": 0})
    path = os.pathsep.join(filter(None, [str(ROOT / "tests"), os.environ.get("PYTHONPATH")]))
    db = tmp_path / "a.db"
    proc = run_archive("crawl", "--db", db, "--mirror", mirror, "--json", "--set", f"EXTENSIONS={extensions}",
                       "--set", f"EXTRACT_WORKERS={workers}", "shanghai_gov",
                       env={"PYTHONPATH": path, "SPIDER_WORK_COUNTS": str(counts)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    decoded = json.loads(counts.read_text())
    single = {url for (url,) in q(db, "SELECT url FROM articles a WHERE pages = 1 AND NOT EXISTS "
                                       "(SELECT 1 FROM attachments t WHERE t.article_id = a.id)")}
    assert len(single) >= 3 and single <= set(decoded)
    if workers:
        assert set(decoded.values()) == {0}, decoded
    else:
        assert {decoded[url] for url in single} == {1}, decoded
        assert max(decoded.values()) <= 2  # a page with more pages or files: again with them, by the stage


def test_a_meta_refresh_is_read_only_where_the_page_may_have_one(monkeypatch):
    """Scrapy decoded every HTML page to look for a meta refresh; now only a page whose head holds the
    word (any case, any ASCII-keeping encoding; UTF-16 always), and those still redirect."""
    import scrapy.downloadermiddlewares.redirect as redirect

    from crawler.lean import MetaRefresh

    read = []
    real = redirect.get_meta_refresh
    monkeypatch.setattr(redirect, "get_meta_refresh", lambda *a, **k: read.append(1) or real(*a, **k))
    mw = MetaRefresh.from_crawler(get_crawler(settings_dict={}))
    url = "https://www.example.gov.cn/a/old.html"

    def through(body: bytes):
        return mw.process_response(Request(url), HtmlResponse(url=url, body=body, headers={"Content-Type": "text/html"}))

    _, page = _recorded(lambda r: r["site"] == "bjx")
    response = HtmlResponse(url=url, body=page)
    assert mw.process_response(Request(url), response) is response and read == []  # no refresh: not read
    moved = "<html><head><title>通知公告</title><META HTTP-EQUIV=\"Refresh\" CONTENT=\"0; URL=/a/new.html\"></head></html>"
    for body in (moved.encode("gb18030"), moved.encode("utf-16")):
        out = through(body)
        assert isinstance(out, Request) and out.url == "https://www.example.gov.cn/a/new.html"
    assert len(read) == 2


def test_a_mirrored_request_is_the_request_at_the_mirror_url():
    """The mirror's handler sends a twin of the request (no re-escaped URL, no copied headers): the
    same request as Scrapy's ``replace`` makes, its meta its own."""
    from crawler.mirror import _fetched_at, to_mirror

    def callback(response):
        yield from ()

    url = "https://www.example.gov.cn/%E9%80%9A%E7%9F%A5/list.html?page=2&q=%20x"
    request = Request(url, callback=callback, errback=callback, headers={"If-None-Match": '"x"'},
                      meta={"kind": "article", "handle_httpstatus_list": [304]}, cb_kwargs={"n": 2},
                      priority=3, dont_filter=True, flags=["f"])
    mirror = to_mirror(url, "http://127.0.0.1:8000")
    twin, scrapys = _fetched_at(request, mirror), request.replace(url=mirror)
    for name in Request.attributes:
        assert getattr(twin, name) == getattr(scrapys, name), name
    assert twin.url == mirror and request.url == url
    twin.meta["download_latency"] = 0.1  # the handler writes there: the request's own meta is untouched
    assert "download_latency" not in request.meta


def test_the_referer_is_scrapys_and_worked_out_once_per_page_and_site(monkeypatch):
    """The Referer header each request gets is the one Scrapy's middleware gives it, whatever the
    policy (setting, request meta, response header) and target; a list page's links to one site
    cost one policy look-up, not one each."""
    import itertools
    import warnings

    from scrapy.spidermiddlewares.referer import RefererMiddleware

    from crawler.lean import Referer

    crawler = get_crawler(settings_dict={})
    scrapys, ours = RefererMiddleware.from_crawler(crawler), Referer.from_crawler(crawler)
    pages = ("https://news.bjx.com.cn/yw/", "http://www.gov.cn/a/b.html?x=1#f", "https://u:p@h.gov.cn:8443/p")
    targets = ("https://news.bjx.com.cn/html/1.shtml", "http://news.bjx.com.cn/html/2.shtml", "https://other.cn/x",
               "https://h.gov.cn:8443/q", "https://h.gov.cn/q", "http://h.gov.cn:80/z", "https://news.bjx.com.cn?x=1")
    policies = (None, "same-origin", "origin", "no-referrer", "strict-origin-when-cross-origin", "unsafe-url", "bogus")
    compared = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # Scrapy's warning for the bogus policy name
        for page, header in itertools.product(pages, (None, "origin", "no-referrer, same-origin")):
            response = HtmlResponse(url=page, body=b"<html></html>",
                                    headers={"Referrer-Policy": header} if header else {})
            for target, named in itertools.product(targets * 2, policies):  # twice: the second from memory
                meta = {"referrer_policy": named} if named else {}
                a, b = Request(target, meta=meta), Request(target, meta=meta)
                scrapys.get_processed_request(a, response)
                ours.get_processed_request(b, response)
                assert a.headers.get("Referer") == b.headers.get("Referer"), (page, header, target, named)
                compared += a.headers.get("Referer") is not None
    assert compared > 100  # most requests have a referrer
    looked_up = []
    policy = ours.policy
    monkeypatch.setattr(ours, "policy", lambda *a, **k: looked_up.append(1) or policy(*a, **k))
    page = HtmlResponse(url="https://news.bjx.com.cn/yw/", body=b"<html></html>")
    for i in range(20):
        ours.get_processed_request(Request(f"https://news.bjx.com.cn/html/{i}.shtml"), page)
    assert len(looked_up) == 1


def test_the_offsite_verdicts_are_scrapys_and_one_match_per_host():
    from scrapy import Spider
    from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
    from scrapy.exceptions import IgnoreRequest

    from crawler.lean import Offsite

    class Site(Spider):
        name, allowed_domains = "site", ["bjx.com.cn", "gov.cn"]

    crawler = get_crawler(Site)
    crawler.spider = Site.from_crawler(crawler)
    urls = ("https://news.bjx.com.cn/a", "https://bjx.com.cn/", "https://xbjx.com.cn/", "https://a.gov.cn:8080/x",
            "https://evil.cn/bjx.com.cn", "https://NEWS.BJX.COM.CN/b", "https://u:p@gov.cn/", "https://gov.cn.evil.cn/")
    verdicts = {}
    for cls in (OffsiteMiddleware, Offsite):
        mw = cls.from_crawler(crawler)
        mw.spider_opened(crawler.spider)
        out = []
        for url in urls:
            for request in (Request(url), Request(url, dont_filter=True), Request(url, meta={"allow_offsite": True})):
                try:
                    mw.process_request(request)
                    out.append(True)
                except IgnoreRequest:
                    out.append(False)
        verdicts[cls] = out
    assert verdicts[Offsite] == verdicts[OffsiteMiddleware] and out.count(False) == 3

    class Counted:
        def __init__(self, regex):
            self.regex, self.n = regex, 0

        def search(self, text):
            self.n += 1
            return self.regex.search(text)

    mw = Offsite.from_crawler(crawler)
    mw.spider_opened(crawler.spider)
    mw.host_regex = counted = Counted(mw.host_regex)
    for i in range(20):  # scheduled, then downloaded: twenty requests to one host
        request = Request(f"https://news.bjx.com.cn/html/{i}.shtml")
        mw.request_scheduled(request, crawler.spider)
        mw.process_request(request)
    assert counted.n == 1


def test_the_download_handler_is_imported_without_reading_the_stack():
    """Scrapy's deprecated-class helper called inspect.stack() (reading the source of every frame)
    three times while the HTTP/1.1 handler's TLS modules were imported: once per crawl process."""
    import subprocess

    code = ("import inspect, sys\n"
            "calls = []\n"
            "stack = inspect.stack\n"
            "inspect.stack = lambda *a, **k: calls.append(1) or stack(*a, **k)\n"
            "import crawler.mirror\n"
            "import scrapy.core.downloader.contextfactory as c, scrapy.core.downloader.tls as t\n"
            "import scrapy.utils.deprecate as d\n"
            "print(len(calls), c.ScrapyClientContextFactory.__module__, t.ScrapyClientTLSOptions.__module__,\n"
            "      d.inspect is inspect, crawler.mirror.MirrorDownloadHandler.__mro__[1].__name__)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["0", "scrapy.core.downloader.contextfactory", "scrapy.core.downloader.tls", "True",
                           "HTTP11DownloadHandler"]
