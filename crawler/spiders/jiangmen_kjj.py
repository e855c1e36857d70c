"""江门市科学技术局: notices of the Jiangmen science and technology bureau.

The bureau's portal code (``jmskjj``) is a guess, so the start URL is configuration:
``-s JIANGMEN_KJJ_START=...`` or ``archive crawl jiangmen_kjj --set JIANGMEN_KJJ_START=...``.
"""
from archive.siterules import Selectors
from crawler.base import SiteSpider


class JiangmenKjjSpider(SiteSpider):
    name = "jiangmen_kjj"
    label = "江门市科学技术局"
    hosts = ("www.jiangmen.gov.cn",)
    start_urls = ("https://www.jiangmen.gov.cn/bmpd/jmskjj/zwgk/tzgg/index.html",)
    start_setting = "JIANGMEN_KJJ_START"
    list_page = (r"index\.html$", "index_{n}.html")
    article_urls = (r"https://www\.jiangmen\.gov\.cn/bmpd/\w+/(?:[\w/]+/)?content/post_\d+\.html",)
    selectors = Selectors()
    refresh_minutes = 360
