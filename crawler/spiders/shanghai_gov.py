"""上海市人民政府: policy documents of the Shanghai municipal government."""
from archive.siterules import Selectors
from crawler.base import SiteSpider


class ShanghaiGovSpider(SiteSpider):
    name = "shanghai_gov"
    label = "上海市人民政府"
    hosts = ("www.shanghai.gov.cn",)
    start_urls = ("https://www.shanghai.gov.cn/nw12344/index.html",)
    list_page = (r"index\.html$", "index_{n}.html")
    article_urls = (
        # /{column}/{YYYYMMDD}/{32 hex}.html; the column is nw12344, nw31406… or a named one (jcsfbsbtz)
        r"https://www\.shanghai\.gov\.cn/[a-z][a-z0-9]*/\d{8}/(?:[0-9a-f]{32}|0001-\d+_\w+)\.html",
        # the 2018-era portal: /nw2/nw2314/nw2319/…/u26aw55139.html
        r"https://www\.shanghai\.gov\.cn/nw2/nw2314/(?:nw\d+/)+u\d+aw\d+\.html",
    )
    selectors = Selectors(
        title="#ivs_title",
        body="#ivs_content",
        remove=("div.newsbox", "ul.breadcrumb"),
    )
    refresh_minutes = 360
