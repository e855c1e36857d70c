"""Bare Scrapy: fetch the given URLs from a local server with Scrapy's defaults and a callback
that does nothing, no pipeline, no extension of ours. The floor of Scrapy's own work per page
(download, engine, scheduler) that any Scrapy crawl pays; run by ``crawl_bench.py``.

    python bench/bare_scrapy.py URLS_FILE
"""
from __future__ import annotations

import sys

import scrapy
from scrapy.crawler import CrawlerProcess


class Bare(scrapy.Spider):
    name = "bare"

    def __init__(self, urls: list[str], **kw):
        super().__init__(**kw)
        self.urls = urls

    async def start(self):
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse)

    def parse(self, response):
        return None


def main(path: str) -> int:
    urls = [line.strip() for line in open(path, encoding="utf-8") if line.strip()]
    process = CrawlerProcess({
        "LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False, "ROBOTSTXT_OBEY": False,
        "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "DOWNLOAD_DELAY": 0,
    })
    crawler = process.create_crawler(Bare)
    process.crawl(crawler, urls=urls)
    process.start()
    stats = crawler.stats.get_stats()
    print(stats.get("response_received_count", 0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
