"""The request ``meta`` keys the spider and the middlewares hand each other, named once.

Scrapy's own keys (``handle_httpstatus_list``, ``redirect_urls``, ``dont_retry``…) are Scrapy's.
"""
from __future__ import annotations

KIND = "kind"  # what the request fetches: one of the kinds below
ARTICLE, LIST, PAGE, ATTACHMENT = "article", "list", "page", "attachment"
CANONICAL = "canonical"  # the article's canonical URL (set by the spider)
# list page N>1: what page N-1's pager said, (shows "next", says last), where page N is parsed (in a
# distributed crawl another worker may have parsed page N-1): its 404 is the list's end or a failure
PREV_PAGER = "prev_pager"
RETRY_FAILURE = "retry_failure"  # a URL that failed before, fetched again: plainly, no re-check
# set by crawler.refresh.RefreshMiddleware, read by the spider and crawler.failures:
KNOWN = "known"  # archived and old: not fetched (the IgnoreRequest is no failure)
RECHECK_ID = "recheck_id"  # the archived article this fetch re-checks
LAST_SIZE = "last_size"  # bytes of its last stored first page
UNCHANGED = "unchanged"  # the same bytes as the stored page
