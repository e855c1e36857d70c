"""The spider's work per page, counted (never timed): its scans of a page make no Selector per
link and translate no CSS, each href is joined once, and Scrapy's per-response machinery
stays small (tasks per response in a real crawl of a replica site)."""
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
        self.selectors = self.translations = self.joins = 0
        init, translate, join = parsel.selector.Selector.__init__, GenericTranslator.css_to_xpath, base.urljoin

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
        monkeypatch.setattr(base, "urljoin", counted_join)
        if hasattr(base, "_joined"):
            base._joined.cache_clear()


def _article_callback(spider, url, body) -> list:
    return list(spider.parse_article(_response(url, body)))


def test_an_article_page_is_read_with_one_selector_whatever_its_links(monkeypatch):
    record, body = _recorded(lambda r: r["site"] == "jiangmen_kjj" and r.get("attachments"))
    spider = _spider("jiangmen_kjj")
    counts = _Counts(monkeypatch)
    few = _article_callback(spider, record["url"], body)
    after_few = counts.selectors
    many = _article_callback(spider, record["url"], _with_links(body, 300))
    assert [type(x) for x in few] == [type(x) for x in many] == [Request]  # its attachment is fetched next
    assert few[0].url == many[0].url and few[0].url.startswith("https://")
    # the page's own selector (its lxml tree) only: none per link, however many links the page has
    assert after_few == 1 and counts.selectors - after_few == 1
    assert counts.translations == 0  # the scans are XPath compiled once, at import


def test_each_href_is_joined_once_and_a_menu_once_per_host(monkeypatch):
    record, body = _recorded(lambda r: r["site"] == "jiangmen_kjj" and r.get("attachments"))
    spider = _spider("jiangmen_kjj")
    page = _with_links(body, 300)
    root = _response(record["url"], page).selector.root
    hrefs = {h.strip() for h in base._HREFS(root)}
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
    """A Scrapy extension (loaded into the crawl below): asyncio tasks created while the engine runs,
    and responses, written to $SPIDER_WORK_COUNTS when it stops."""

    def __init__(self, crawler):
        from scrapy import signals

        self.crawler, self.tasks = crawler, 0
        crawler.signals.connect(self.started, signal=signals.engine_started)
        crawler.signals.connect(self.stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def started(self):
        import asyncio

        loop = asyncio.get_event_loop()

        def factory(loop, coro, **kwargs):
            self.tasks += 1
            return asyncio.Task(coro, loop=loop, **kwargs)

        loop.set_task_factory(factory)

    def stopped(self):
        stats = self.crawler.stats.get_stats()
        with open(os.environ["SPIDER_WORK_COUNTS"], "w") as fh:
            json.dump({"tasks": self.tasks, "responses": stats.get("response_received_count", 0),
                       "imported": [m for m in ("aiohttp", "tldextract") if m in sys.modules]}, fh)


def test_scrapy_makes_few_tasks_per_response(tmp_path, mirror):
    """Scrapy made CONCURRENT_ITEMS (default 100) tasks for every response's output, and imported the
    modules of components switched off (aiohttp for the remote control, tldextract for cookies)."""
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
    assert found["tasks"] / found["responses"] < 20, found
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
