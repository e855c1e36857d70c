"""The crawl's frontier: Scrapy's own in this process, or shared in Redis by many workers.

A Scrapy add-on (``ADDONS`` in ``crawler/settings.py``): when ``REDIS_URL`` is set
(``archive crawl --redis URL``) it makes the crawl a worker of a distributed crawl
(``crawler/distributed.py``: scrapy-redis scheduler and duplicate filter, finished items
pushed to Redis for the one writer, ``archive ingest``). Without it nothing changes and
neither ``redis`` nor scrapy-redis is imported.
"""
from __future__ import annotations


class Frontier:
    def update_settings(self, settings) -> None:
        if settings.get("REDIS_URL"):
            from crawler.distributed import worker_settings

            worker_settings(settings)
