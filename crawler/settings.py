"""The one settings module of the Scrapy project.

Everything a component needs is read here through Scrapy's settings, in the
component's ``from_crawler``; override any of them with ``-s NAME=VALUE`` or
the ``archive`` CLI.
"""
BOT_NAME = "cn-news-archive"
PROJECT_URL = "https://github.com/cn-news-archive/cn-news-archive"

SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
# the site registry: the Python site files of SPIDER_MODULES and the TOML site files of SITES_DIR
SPIDER_LOADER_CLASS = "crawler.registry.SiteLoader"

# --- the archive: the crawl's own settings, declared with their defaults and help in
# archive/settings.py (one table; the README's settings table is generated from it)
from archive.settings import defaults as _defaults

globals().update(_defaults())
del _defaults

# --- politeness on the live sites -----------------------------------------
USER_AGENT = f"{BOT_NAME}/0.1 (+{PROJECT_URL})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
LOG_FORMATTER = "crawler.items.QuietDrops"  # a rejected item is a failure row, logged at DEBUG

# --- Scrapy's per-response overhead ----------------------------------------
# Scrapy hands each callback's output to CONCURRENT_ITEMS asyncio tasks (one queue and that
# many workers per response, 100 by default: most of a page's scheduling cost). A callback of
# ours yields at most one item that waits (an article or a failure; list pages yield requests
# and alias rows, which pass at once), so a few workers lose nothing.
CONCURRENT_ITEMS = 4
# Scrapy re-reads each callback's source (inspect + ast) to warn of a ``return value`` in a
# generator, again and again since bound methods miss its weak cache; tests/test_spider_work.py
# checks the spider's callbacks once instead.
WARN_ON_GENERATOR_RETURN_VALUE = False

# Handlers/middlewares ----------------------------------------------------
DOWNLOAD_HANDLERS = {
    "http": "crawler.mirror.MirrorDownloadHandler",
    "https": "crawler.mirror.MirrorDownloadHandler",
}
DOWNLOADER_MIDDLEWARES = {
    "crawler.refresh.RefreshMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.retry.RetryAfterMiddleware": 550,
    "crawler.redirects.RedirectGuardMiddleware": 610,  # before Scrapy's RedirectMiddleware (600)
}
SPIDER_MIDDLEWARES = {
    "crawler.locks.SiteLock": 10,  # one crawl per site at a time: a crawl whose site is locked sends nothing
}
# REDIS_URL set: a worker of a distributed crawl (shared frontier, items to Redis): crawler/frontier.py
ADDONS = {"crawler.frontier.Frontier": 0}
EXTENSIONS = {
    "crawler.runlog.RunLog": 500,
    "crawler.backfill.ListWalks": 510,
}

# spider → item → extract → clean → dedup → store
ITEM_PIPELINES = {
    "pipelines.extract.ExtractPipeline": 100,
    "pipelines.clean.CleanPipeline": 200,
    "pipelines.dedup.DedupPipeline": 300,
    "pipelines.store.StorePipeline": 900,
    "pipelines.neardup.NearDupPipeline": 950,
}
