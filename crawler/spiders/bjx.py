"""北极星 (Beijixing): energy and power news, news.bjx.com.cn and its channel sites."""
from archive.siterules import Selectors
from crawler.base import SiteSpider


class BjxSpider(SiteSpider):
    name = "bjx"
    label = "北极星"
    hosts = ("news.bjx.com.cn", "*.bjx.com.cn")
    start_urls = ("https://news.bjx.com.cn/zc/", "https://news.bjx.com.cn/yw/")
    list_page = (r"/$", "/{n}/")
    # news.bjx.com.cn/html/…; channel sites use /news/… and /html/… alike
    article_urls = (r"https://[a-z0-9]+\.bjx\.com\.cn/(?:html|news)/\d{8}/\d+\.shtml",)
    continuation = r"https://[a-z0-9]+\.bjx\.com\.cn/(?:html|news)/\d{8}/\d+-(?P<n>\d+)\.shtml"
    selectors = Selectors(
        title="div.cc-headline div.box h1",
        body="#article_cont div.cc-article",
        date="div.cc-headline div.box p",
        source="div.cc-headline div.box p",
        author="div.cc-headline div.box p",
        keywords="#key_word a",
        remove=("div.cc-paging", "div.cc-article-source-title", "div.cc-detail-contact", "div[data-expose]"),
    )
    refresh_minutes = 30
