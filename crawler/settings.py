"""The one settings module of the Scrapy project.

Everything a component needs is read here through Scrapy's settings, in the
component's ``from_crawler``; override any of them with ``-s NAME=VALUE`` or
the ``archive`` CLI.
"""
BOT_NAME = "cn-news-archive"
PROJECT_URL = "https://github.com/cn-news-archive/cn-news-archive"

SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- the archive -----------------------------------------------------------
ARCHIVE_DB = "archive.db"  # path of the SQLite archive
MAX_LIST_PAGES = 5  # list pages followed per start URL (stops earlier at a page without article links)
MAX_ATTACHMENTS = 10  # attachments looked at per article
MIRROR_URL = None
INCREMENTAL = True  # skip archived URLs; re-check young ones with conditional requests
RECHECK_DAYS = 3  # known articles published less than this many days ago are re-checked  # e.g. http://127.0.0.1:8000: fetch https://HOST/PATH from MIRROR_URL/HOST/PATH
BACKFILL = False  # walk every list to its end on purpose (archive crawl --backfill)
BACKFILL_MAX_PAGES = 1000  # list pages per start URL in a backfill
FAILURE_RETRY_LIMIT = 20  # failed article URLs are fetched again on each run, up to this many attempts
SOFT_ERROR_SHARED_URLS = 4  # one text served for this many URLs of a site within a run is an error page
INCOMPLETE_SHORTER_THAN = 0.5  # a close-delimited body under this share of the last good fetch is incomplete

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
RETRY_AFTER_MAX = 60  # seconds: the longest Retry-After honoured (MIRROR_RETRY_AFTER_MAX in mirror mode)
MIRROR_RETRY_AFTER_MAX = 1
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"

# In mirror mode (MIRROR_URL set) the throttle is lifted: the mirror is local.
MIRROR_CONCURRENT_REQUESTS_PER_DOMAIN = 16

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
