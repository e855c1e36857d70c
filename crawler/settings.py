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
# a rejected item is a failure row, logged at DEBUG; a page's DEBUG line is made only for a DEBUG log
LOG_FORMATTER = "crawler.lean.LogFormatter"

# --- Scrapy's per-response overhead ----------------------------------------
# Scrapy hands each callback's output to CONCURRENT_ITEMS asyncio tasks (one queue, a task that
# fills it and that many workers per response, 100 by default: most of a page's scheduling cost).
# A callback of ours yields at most one item that waits (an article, in the extraction pool;
# failure rows, alias rows and requests pass at once), so one worker loses nothing: responses
# are still handled side by side, each by its own worker.
CONCURRENT_ITEMS = 1
# Scrapy re-reads each callback's source (inspect + ast) to warn of a ``return value`` in a
# generator, again and again since bound methods miss its weak cache; tests/test_spider_work.py
# checks the spider's callbacks once instead.
WARN_ON_GENERATOR_RETURN_VALUE = False
# Scrapy's stats, called without a deprecation check wrapped around every call (crawler/lean.py).
STATS_CLASS = "crawler.lean.Stats"
# The downloader's byte and status counts (``downloader/…`` stats): no part of the archive reads
# them (a run's counts are the archive's own stats, its failures rows), and they cost a rebuilt
# HTTP text of every request and response.
DOWNLOADER_STATS = False
# Periodic INFO lines and the memory watch: the progress board (crawler/progress.py) says the rate.
LOGSTATS_INTERVAL = 0
MEMUSAGE_ENABLED = False

# Handlers/middlewares ----------------------------------------------------
DOWNLOAD_HANDLERS = {
    "http": "crawler.mirror.MirrorDownloadHandler",
    "https": "crawler.mirror.MirrorDownloadHandler",
}
DOWNLOADER_MIDDLEWARES = {
    # Scrapy's offsite filter, its verdict on a host remembered (crawler/lean.py); before the refresh
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.lean.Offsite": 50,
    "crawler.refresh.RefreshMiddleware": 50,
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,  # no site logs in
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.retry.RetryAfterMiddleware": 550,
    # Scrapy's meta refresh, read only in a page whose head says "refresh" (crawler/lean.py)
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.lean.MetaRefresh": 580,
    "crawler.redirects.RedirectGuardMiddleware": 610,  # before Scrapy's RedirectMiddleware (600)
}
SPIDER_MIDDLEWARES = {
    "crawler.locks.SiteLock": 10,  # one crawl per site at a time: a crawl whose site is locked sends nothing
    # Each spider middleware that looks at a callback's output is one more step for every request
    # and item of every page; these do nothing a crawl of ours needs:
    "scrapy.spidermiddlewares.start.StartSpiderMiddleware": None,  # replaced: marks start requests only
    "crawler.lean.StartMarks": 25,
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,  # no depth limit or priority is set
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,  # dropped a long URL without a failure row
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,  # the spider builds each meta afresh
    # the Referer header (live sites may check it), worked out once per page and target site
    "scrapy.spidermiddlewares.referer.RefererMiddleware": None,
    "crawler.lean.Referer": 700,
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
