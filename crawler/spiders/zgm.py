"""自贡网 (Zigong Net): local news of Zigong, Sichuan. List pages are unknown: start at the home page."""
from archive.siterules import Selectors
from crawler.base import SiteSpider


class ZgmSpider(SiteSpider):
    name = "zgm"
    label = "自贡网"
    hosts = ("www.zgm.cn",)
    host_aliases = {"zgm.cn": "www.zgm.cn"}
    start_urls = ("https://www.zgm.cn/",)
    article_urls = (
        r"https://www\.zgm\.cn/content/[0-9a-f]{13}",
        r"https://www\.zgm\.cn/html/a/\d{4}/\d{4}/\d+\.html",  # the legacy (GBK) site: /html/a/YYYY/MMDD/N.html
    )
    # The live template is not publicly documented: the generic layer finds the title, the
    # "2024-10-22 13:35 自贡网" line and the body on its own.
    selectors = Selectors()
    refresh_minutes = 60
