"""中新网 (China News Service): www.chinanews.com.cn, also served as www.chinanews.com."""
from archive.siterules import Selectors
from crawler.base import SiteSpider


class ChinanewsSpider(SiteSpider):
    name = "chinanews"
    label = "中新网"
    hosts = ("www.chinanews.com.cn",)
    host_aliases = {"www.chinanews.com": "www.chinanews.com.cn", "chinanews.com.cn": "www.chinanews.com.cn"}
    start_urls = ("https://www.chinanews.com.cn/scroll-news/news1.html",)
    feeds = ("https://www.chinanews.com.cn/rss/scroll-news.xml",)
    list_page = (r"news\d+\.html$", "news{n}.html")
    article_urls = (r"https://www\.chinanews\.com\.cn/[a-z]+/\d{4}/\d{2}-\d{2}/\d{6,9}\.shtml",)
    # a long article continues on ID_2.shtml … ID_N.shtml (links the page's script writes)
    continuation = r"https://www\.chinanews\.com\.cn/[a-z]+/\d{4}/\d{2}-\d{2}/\d{6,9}_(?P<n>\d+)\.shtml"
    continuation_page = (r"\.shtml$", "_{n}.shtml")
    selectors = Selectors(
        title="h1.content_left_title, div.content h1",
        body="div.content_maincontent_content > div.left_zw, div.left_zw",
        date="#pubtime_baidu, div.content_left_time, div.left-t",
        source="#source_baidu, div.content_left_time, div.left-t",
        editor="#editor_baidu, div.adEditor, div.left_name",
        remove=("table.adInContent", "div.adEditor", "div.left_name", "#function_code_page", "div.channel",
                "div.selected_news_wrapper", "div.comment_wrapper"),
    )
    refresh_minutes = 30
    # a news article always shows its time: a run whose articles lose it is degraded from the first run on
    quality_expect = {"published_at": 1.0}
