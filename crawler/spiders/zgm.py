"""自贡网 (Zigong Net): local news of Zigong, Sichuan. List pages are unknown: start at the home page."""
from archive.siterules import Selectors
from crawler.base import SiteSpider


class ZgmSpider(SiteSpider):
    name = "zgm"
    label = "自贡网"
    hosts = ("www.zgm.cn",)
    host_aliases = {"zgm.cn": "www.zgm.cn"}
    start_urls = ("https://www.zgm.cn/",)
    article_urls = (r"https://www\.zgm\.cn/content/[0-9a-f]{13}",)
    # The live template is not publicly documented; these match the article info line
    # ("2024-10-22 13:35 自贡网") of the known pages, and generic extraction covers the rest.
    selectors = Selectors(date="div.article-info span.time", source="div.article-info span.source")
    refresh_minutes = 60
