"""The crawl's own stats keys, named once.

The spider, the middlewares, the extensions and the pipeline stages count
under these keys in Scrapy's stats; :func:`archive.runs.summarise` reads them
back into a run's outcome. Scrapy's own keys (``response_received_count``,
``finish_reason``, ``spider_exceptions/…``) are Scrapy's and are not listed.
"""
from __future__ import annotations

PREFIX = "archive/"

# what a run stored (counted by the store stage once its write commits)
NEW = "archive/new"  # a new article
UPDATED = "archive/updated"  # an archived article whose text or title changed
UNCHANGED = "archive/unchanged"  # an archived article fetched again, the same
DUPLICATE = "archive/duplicate"  # the same text under another URL: recorded as a URL of the article
STORE_ERROR = "archive/store_error"  # the message of the write that failed (the crawl stops)
FAILED_PREFIX = "archive/failed/"  # + a failure kind (crawler/failures.py): URLs that gave no article

# what the crawl saw
KNOWN = "archive/known"  # archived URLs not fetched again (older than RECHECK_DAYS)
RECHECKED = "archive/rechecked"  # archived URLs re-checked with a conditional request
REVISIT_DUE = "archive/revisit_due"  # archived URLs due by the revisit schedule (REVISIT_INTERVALS)
REVISIT_DEFERRED = "archive/revisit_deferred"  # due, but over REVISIT_MAX_PER_RUN: left for a later run
LIST_PAGES = "archive/list_pages"
LINKS_FOUND = "archive/links_found"  # article links found on the list pages
LIST_END_404 = "archive/list_end_404"  # a 404 past the last page: the list's end
ATTACHMENTS = "archive/attachments"  # attachments downloaded
ATTACHMENTS_FAILED = "archive/attachments_failed"  # attachments that gave no file (404, over the cap…): on their row
FAILURES_RETRIED = "archive/failures_retried"  # failed URLs fetched again at the start of a run
RETRY_AFTER_WAITS = "archive/retry_after_waits"
OFFSITE_REDIRECTS = "archive/offsite_redirects"
WALKS_OPEN = "archive/walks_open"  # list walks left open at the end of a run

# the run's outcome (archive.runs.SiteResult.as_dict()), computed once by crawler.runlog.RunLog
OUTCOME = "archive/outcome"
STOP_SIGNAL = "archive/stop_signal"  # SIGINT or SIGTERM: the signal that stopped the crawl (status interrupted)

# the near-duplicate stage
NEAR_DUPLICATE = "archive/near_duplicate"
NEARDUP_ERRORS = "archive/neardup/errors"


def failed(kind: str) -> str:
    """The key counting failures of *kind*: ``archive/failed/http_404``."""
    return FAILED_PREFIX + kind


def failed_counts(stats: dict) -> dict[str, int]:
    """{failure kind: count} from a crawl's stats."""
    return {k[len(FAILED_PREFIX):]: v for k, v in stats.items() if k.startswith(FAILED_PREFIX)}
