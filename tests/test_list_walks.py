"""Spider callbacks on their own: where a list ends, what a pager says, what an error page is."""
from __future__ import annotations

from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler.base import Walk
from crawler.items import FailureItem
from crawler.softerror import soft_error_phrase
from crawler.spiders.jiangmen_kjj import JiangmenKjjSpider

START = "https://www.jiangmen.gov.cn/bmpd/jmskjj/zwgk/tzgg/index.html"
ART = "https://www.jiangmen.gov.cn/bmpd/jmskjj/zwgk/tzgg/content/post_{}.html"


def spider(**settings):
    crawler = get_crawler(JiangmenKjjSpider, settings_dict={"ARCHIVE_DB": ":memory:", **settings})
    sp = JiangmenKjjSpider.from_crawler(crawler)
    crawler.stats.open_spider()
    return sp


def page(url, links=(), pager="", status=200):
    body = "<html><head><title>通知公告</title></head><body><ul>"
    body += "".join(f'<li><a href="{ART.format(n)}">通知{n}</a></li>' for n in links)
    body += f"</ul><div class=\"page\">{pager}</div></body></html>"
    return HtmlResponse(url=url, body=body.encode("utf-8"), encoding="utf-8", status=status,
                        request=Request(url, meta={"kind": "list"}))


def run(sp, response, n):
    return list(sp.parse_list(response, start=START, n=n, feed=False))


def requests_of(out):
    return [o for o in out if isinstance(o, Request) and o.meta.get("kind") == "list"]


def test_next_link_then_404_is_a_failure_and_the_walk_stays_open():
    sp = spider()
    out = run(sp, page(START, [1, 2], '<a href="index_2.html">下一页</a>'), 1)
    assert [r.url for r in requests_of(out)] == [START.replace("index.html", "index_2.html")]
    out = run(sp, page(START.replace("index.html", "index_2.html"), status=404), 2)
    assert [(o.kind, o.status) for o in out if isinstance(o, FailureItem)] == [("http_404", 404)]
    assert sp.walks[START].failed and not sp.walks[START].done


def test_no_next_link_then_404_ends_the_list():
    sp = spider()
    run(sp, page(START, [1, 2]), 1)  # a pager drawn by script: no link to follow, page 2 is tried
    out = run(sp, page(START.replace("index.html", "index_2.html"), status=404), 2)
    assert not [o for o in out if isinstance(o, FailureItem)]
    assert sp.walks[START] == Walk(done=True, end_page=1, pager={1: (False, False)})


def test_page_n_is_judged_by_page_n_minus_1_where_another_worker_parsed_it():
    """A distributed crawl's workers share the list pages: the request for page 2 carries what page 1's
    pager said (through the shared queue's encoding), so the worker that meets its 404 judges it alike."""
    from scrapy.utils.request import request_from_dict

    for pager, failed in (('<a href="index_2.html">下一页</a>', True), ("", False)):
        first, other = spider(), spider()  # two workers: the other never saw page 1
        nxt, = requests_of(run(first, page(START, [1, 2], pager), 1))
        nxt = request_from_dict(nxt.to_dict(spider=first), spider=other)
        out = list(other.parse_list(HtmlResponse(url=nxt.url, body=b"", status=404, request=nxt), **nxt.cb_kwargs))
        assert [(o.kind, o.status) for o in out if isinstance(o, FailureItem)] == ([("http_404", 404)] if failed
                                                                                     else [])
        assert other.walks[START].failed is failed and other.walks[START].done is not failed


def test_a_pager_that_says_last_ends_the_walk_without_another_request():
    sp = spider()
    out = run(sp, page(START, [1, 2], '<span>共1页</span> <a href="javascript:;">下一页</a>'), 1)
    assert not requests_of(out)
    assert sp.walks[START].done and sp.walks[START].end_page == 1


def test_known_page_stops_only_a_complete_walk_unless_backfill():
    for complete, backfill, follows in ((False, False, True), (True, False, False), (True, True, True)):
        sp = spider(BACKFILL=backfill)
        sp.known_urls = {ART.format(1), ART.format(2)}
        sp.walk_complete = {START: complete}
        out = run(sp, page(START, [1, 2], '<a href="index_2.html">下一页</a>'), 1)
        assert bool(requests_of(out)) is follows, (complete, backfill)


def test_soft_error_phrases():
    assert soft_error_phrase("<html><head><title>页面不存在</title></head><body>返回首页</body></html>")
    assert soft_error_phrase("<html><body><h1>404 Not Found</h1><p>nginx</p></body></html>")
    assert soft_error_phrase("<html><body><div>对不起，该信息已删除。</div></body></html>")
    article = "<html><head><title>关于网站改版的通知</title></head><body><p>" + "正文内容。" * 200 + \
        "改版期间部分旧链接可能显示页面不存在，敬请谅解。</p></body></html>"
    assert soft_error_phrase(article) is None
    assert soft_error_phrase("<html><head><title>如何处理网站中页面不存在的错误以及常见的排查步骤和方法</title></head>"
                             "<body><p>" + "正文。" * 300 + "</p></body></html>") is None


def test_retry_after_values():
    from datetime import datetime, timezone

    from crawler.retry import retry_after_seconds

    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds("Wed, 01 May 2024 12:00:30 GMT", now) == 30
    assert retry_after_seconds("Wed, 01 May 2024 11:00:00 GMT", now) == 0  # in the past: at once
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


def test_retry_after_cap_is_low_in_mirror_mode():
    from crawler.retry import RetryAfterMiddleware

    live = RetryAfterMiddleware.from_crawler(get_crawler(settings_dict={"RETRY_AFTER_MAX": 60}))
    mirror = RetryAfterMiddleware.from_crawler(get_crawler(settings_dict={"RETRY_AFTER_MAX": 60,
                                                                          "MIRROR_URL": "http://127.0.0.1:1"}))
    assert (live.max_wait, mirror.max_wait) == (60, 1)
