"""The base spider: everything a site shares. A site file only declares.

A site file subclasses :class:`SiteSpider` and sets class attributes:

``name``            the site key (``bjx``)
``label``           the site's own name (``北极星``)
``hosts``           hosts of the site; ``*.bjx.com.cn`` covers the channel hosts
``host_aliases``    other hosts serving the same articles → canonical host
``start_urls``      first list pages (each is paginated with ``list_page``)
``feeds``           RSS/Atom feeds listing articles (not paginated)
``sitemaps``        sitemaps (``sitemap.xml``, a sitemap index, gzipped or not) or ``robots.txt`` URLs whose
                    ``Sitemap:`` lines are followed; their article URLs are crawled like a list's
``list_page``       ``(regex, replacement)`` turning a start URL into page ``{n}``
``article_urls``    regexes an article URL matches in full
``continuation``    regex matching page N of a multi-page article; group ``n`` (after one separator)
``continuation_page`` ``(regex, replacement)`` turning an article URL into its page ``{n}``, for sites
                    whose pager is written by a script: with the page count the page gives
                    (``共N页``, ``pageCount = N``…) every page 2…N is fetched, linked or not
``selectors``       :class:`archive.siterules.Selectors` for the extractor
``family``          a publishing system (:mod:`crawler.families`: ``trs_wcm``, ``gd_gov``, ``hanweb``)
                    giving ``article_urls`` (on the site's hosts) and ``list_page`` the file leaves out
``refresh_minutes`` how often the scheduler refreshes the site
``quality_expect``  usual extraction quality, replacing what is learned from the site's runs
                    (``archive/quality.py``): ``{"published_at": 1.0, "text_median": 800}``;
                    ``None`` for a key turns its check off

Articles are discovered by URL pattern; selectors only refine extraction.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import ClassVar
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import HtmlResponse, TextResponse
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from archive import statkeys
from archive.db import now_iso
from archive.settings import default, value as setting
from archive.extract.decode import decode
from archive.siterules import Selectors
from crawler import meta as meta_
from crawler.challenge import challenge_reason
from crawler.failures import classify
from crawler.items import AliasItem, ArticleItem, FailureItem, Page, ResolvedItem
from crawler.pagescan import ANCHORS, PAGE_COUNT, TEXT, ArticleScan, absolute_url, is_feed
from crawler.softerror import soft_error_phrase
from pipelines.pool import ExtractPool, as_deferred, read_article

# Content types an article page may come with (servers often send none, or octet-stream for
# extensionless paths); anything else — a PDF, an image — is not an article page.
HTML_TYPES = ("text/html", "application/xhtml", "text/plain", "application/octet-stream")
# A list page may also be a feed.
LIST_TYPES = HTML_TYPES + ("application/rss", "application/atom", "application/xml", "text/xml")
logger = logging.getLogger(__name__)

# A pager's "next" link (PAGE_COUNT: a pager that gives the number of pages).
NEXT_TEXT = re.compile(r"^\s*(下一页|下页|后一页|下一頁|next(\s*page)?|[>›»]+)\s*[>›»]?\s*$", re.I)
CLOSING_TAG = re.compile(rb"</(html|body)\s*>", re.I)
SITEMAP_DEPTH = 2  # robots.txt → sitemap index → sitemap
# Scrapy components switched off by a setting (crawler/settings.py) that Scrapy would still import
# to hear them say so, their modules importing libraries a crawl never uses (aiohttp for the remote
# control; tldextract and requests for cookies): left out of the crawl while their setting is off.
UNLOADED_WHEN_OFF = (
    ("EXTENSIONS", "scrapy.extensions.remote_control.RemoteControl", "REMOTE_CONTROL_ENABLED"),
    ("DOWNLOADER_MIDDLEWARES", "scrapy.downloadermiddlewares.cookies.CookiesMiddleware", "COOKIES_ENABLED"),
)

@dataclass
class Walk:
    """One start URL's list walk in this run."""

    done: bool = False  # reached the list's end (or, on a complete list, a page of known articles)
    failed: bool = False  # a list page failed: the walk stays open
    end_page: int | None = None  # the last page, when the end was reached
    pager: dict[int, tuple[bool, bool]] = field(default_factory=dict)  # page → (shows "next", says last)


class SiteSpider(scrapy.Spider):
    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    hosts: ClassVar[tuple[str, ...]] = ()
    host_aliases: ClassVar[dict[str, str]] = {}
    start_urls: ClassVar[tuple[str, ...]] = ()
    feeds: ClassVar[tuple[str, ...]] = ()
    sitemaps: ClassVar[tuple[str, ...]] = ()
    list_page: ClassVar[tuple[str, str] | None] = None
    article_urls: ClassVar[tuple[str, ...]] = ()
    continuation: ClassVar[str | None] = None
    continuation_page: ClassVar[tuple[str, str] | None] = None
    selectors: ClassVar[Selectors] = Selectors()
    family: ClassVar[str | None] = None
    refresh_minutes: ClassVar[int] = 60
    quality_expect: ClassVar[dict] = {}  # see archive/quality.py
    start_setting: ClassVar[str | None] = None  # a setting that may replace start_urls

    custom_settings: ClassVar[dict] = {}

    # ---------------------------------------------------------------- set-up

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.family:
            from crawler.families import FAMILIES, family_article_urls

            if cls.family not in FAMILIES:
                raise TypeError(f"{cls.__name__}: unknown family {cls.family!r} (known: {', '.join(FAMILIES)})")
            if not cls.article_urls:
                cls.article_urls = family_article_urls(cls.family, cls.hosts)
            if cls.list_page is None:
                cls.list_page = FAMILIES[cls.family]["list_page"]
        cls._article_res = tuple(re.compile(p) for p in cls.article_urls)
        cls._continuation_re = re.compile(cls.continuation) if cls.continuation else None
        if cls.continuation_page and not cls.continuation:
            raise TypeError(f"{cls.__name__}: continuation_page needs continuation")
        cls.allowed_domains = sorted(
            {h.removeprefix("*.") for h in cls.hosts} | {h for h in cls.host_aliases}
        )

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        for components, path, switch in UNLOADED_WHEN_OFF:
            if not settings.getbool(switch):  # off: not even imported
                # Scrapy imports every component its settings name, even one mapped to None: the
                # switched-off one leaves Scrapy's base dict (at spider priority, which the process's
                # settings, applied again when the crawl starts, do not override)
                base = f"{components}_BASE"
                settings.set(base, {k: v for k, v in settings.getdict(base).items() if k != path}, priority="spider")
        if setting(settings, "MIRROR_URL"):
            # The mirror is local: no throttle, more parallel requests.
            settings.set("AUTOTHROTTLE_ENABLED", False, priority="spider")
            settings.set("DOWNLOAD_DELAY", 0, priority="spider")
            settings.set(
                "CONCURRENT_REQUESTS_PER_DOMAIN",
                setting(settings, "MIRROR_CONCURRENT_REQUESTS_PER_DOMAIN"),
                priority="spider",
            )

    def __init__(self, *args, max_pages=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._max_pages_arg = int(max_pages) if max_pages else None
        self.walks: dict[str, Walk] = {}
        # Handed in when the spider opens, by the components that read the archive:
        self.known_urls: set[str] = set()  # archived URLs of the site (crawler.refresh.RefreshMiddleware)
        self.walk_complete: dict[str, bool] = {}  # start URL → walked to its end before (crawler.backfill)
        self.retry_urls: list[str] = []  # URLs that failed before, fetched again (crawler.backfill)
        self.revisit_urls: list[str] = []  # archived URLs due by the revisit schedule (crawler.refresh)
        self.failed_before: set[str] = set()  # the same, as a set (crawler.backfill)
        # Read from the settings in from_crawler (the defaults are archive/settings.py's):
        self.backfill: bool = default("BACKFILL")
        self.max_list_pages: int = default("MAX_LIST_PAGES")
        self.backfill_max_pages: int = default("BACKFILL_MAX_PAGES")
        self.max_attachments: int = default("MAX_ATTACHMENTS")
        self.attachment_max_bytes: int = default("ATTACHMENT_MAX_BYTES")
        self.incomplete_shorter_than: float = default("INCOMPLETE_SHORTER_THAN")
        self.start_override: list[str] = []
        self.sitemap_max_bytes: int = 50 * 1024 * 1024  # the sitemap protocol's own limit, uncompressed
        self._scan: ArticleScan | None = None
        # Set by the extract stage (pipelines/extract.py) when the spider opens: whether it runs
        # (then a one-page article is extracted where its page is read), and in worker processes
        # (then article pages are read there, parse_article awaiting them).
        self.extracts_pages: bool = False
        self.reads_in_pool: bool = False

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.backfill = setting(settings, "BACKFILL")
        spider.max_list_pages = setting(settings, "MAX_LIST_PAGES")
        spider.backfill_max_pages = setting(settings, "BACKFILL_MAX_PAGES")
        spider.max_attachments = setting(settings, "MAX_ATTACHMENTS")
        spider.attachment_max_bytes = setting(settings, "ATTACHMENT_MAX_BYTES")
        spider.incomplete_shorter_than = setting(settings, "INCOMPLETE_SHORTER_THAN")
        if cls.start_setting and settings.get(cls.start_setting):
            spider.start_override = settings.getlist(cls.start_setting)
        return spider

    @property
    def max_pages(self) -> int:
        if self.backfill:
            return self._max_pages_arg or self.backfill_max_pages
        return self._max_pages_arg or self.max_list_pages

    # ------------------------------------------------------------------ URLs

    @property
    def scan(self) -> ArticleScan:
        """The site's declarations as plain data, for the page scans (crawler/pagescan.py), which run
        here or in an extraction worker."""
        scan = self._scan
        if scan is None or scan.max_attachments != self.max_attachments:
            scan = self._scan = ArticleScan(self.continuation, self.continuation_page, self.host_aliases,
                                            self.max_attachments)
        return scan

    def normalised_url(self, url: str) -> str:
        """https, canonical host, no fragment; unlike :meth:`canonical_url`, keeps ``-N`` pages."""
        return self.scan.normalised_url(url)

    def canonical_url(self, url: str) -> str:
        """The one URL an article is archived under: its first page on the canonical host."""
        return self.scan.canonical_url(url)

    def is_article_url(self, url: str) -> bool:
        canon = self.canonical_url(url)
        return any(r.fullmatch(canon) for r in self._article_res)

    def page_url(self, start: str, n: int) -> str | None:
        if n == 1:
            return start
        if not self.list_page:
            return None
        pattern, repl = self.list_page
        url, count = re.subn(pattern, repl.replace("{n-1}", str(n - 1)).replace("{n}", str(n)), start, count=1)
        return url if count else None

    def continuation_pages(self, response, canonical: str) -> list[str]:
        """URLs of the further pages of a multi-page article, in order (:meth:`ArticleScan.continuation_pages`)."""
        if not self._continuation_re:
            return []
        return self.scan.continuation_pages(response.selector.root, response.url, lambda: response.text, canonical)

    def article_page_url(self, canonical: str, n: int) -> str | None:
        """Page *n* of the article *canonical*, by ``continuation_page``."""
        return self.scan.article_page_url(canonical, n)

    # -------------------------------------------------------------- crawling

    def start_list_urls(self) -> list[str]:
        return list(self.start_override or self.start_urls)

    async def start(self):
        for url in self.start_list_urls():
            self.walks[url] = Walk()
            yield self.list_request(url, start=url, n=1)
        for url in self.feeds:
            self.walks[url] = Walk()
            yield self.list_request(url, start=url, n=1, feed=True)
        for url in self.sitemaps:
            self.walks[url] = Walk()
            yield self.sitemap_request(url, start=url, depth=0)
        # what failed before is fetched again, whether or not a list still links it
        for url in self.retry_urls:
            if self.is_article_url(url):
                self.crawler.stats.inc_value(statkeys.FAILURES_RETRIED)
                yield self.article_request(self.canonical_url(url), retry=True)
        # what the revisit schedule makes due is re-checked, whether or not a list page still shows it
        for url in self.revisit_urls:
            yield self.article_request(url)

    def article_request(self, canon: str, *, retry: bool = False):
        meta = {meta_.KIND: meta_.ARTICLE, meta_.CANONICAL: canon}
        if retry:
            meta[meta_.RETRY_FAILURE] = True
        return scrapy.Request(canon, callback=self.parse_article, errback=self.on_error, meta=meta)

    def list_request(self, url, *, start, n, feed=False, prev=None):
        meta = {meta_.KIND: meta_.LIST}
        if n > 1:  # a 404 past page 1 may be the list's end: parse_list judges it by the previous page
            meta["handle_httpstatus_list"] = [404]
        if prev is not None:
            meta[meta_.PREV_PAGER] = list(prev)
        return scrapy.Request(
            url,
            callback=self.parse_list,
            errback=self.on_error,
            cb_kwargs={"start": start, "n": n, "feed": feed},
            meta=meta,
            dont_filter=(n == 1),
        )

    def sitemap_request(self, url, *, start, depth):
        return scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error,
                              cb_kwargs={"start": start, "depth": depth}, meta={meta_.KIND: meta_.LIST},
                              dont_filter=(depth == 0))

    def parse_sitemap(self, response, start, depth):
        """A robots.txt (its ``Sitemap:`` lines), a sitemap index (its sitemaps, up to
        SITEMAP_DEPTH levels) or a sitemap (its article URLs)."""
        walk = self.walks.setdefault(start, Walk())
        if response.status != 200:
            walk.failed = True
            yield self.failure(response.url, "http_4xx", f"HTTP {response.status} on a sitemap", response.status)
            return
        self.crawler.stats.inc_value(statkeys.LIST_PAGES)
        if urlsplit(response.url).path.endswith("/robots.txt"):
            for url in sitemap_urls_from_robots(response.text, base_url=response.url):
                yield self.sitemap_request(url, start=start, depth=depth + 1)
            walk.done = True
            return
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gunzip(body, max_size=self.sitemap_max_bytes)
            except Exception:  # noqa: BLE001 - a broken or oversized gzip
                walk.failed = True
                yield self.failure(response.url, "not_html", "sitemap: not a readable gzip file", response.status)
                return
        try:
            sitemap = Sitemap(body)
        except Exception:  # noqa: BLE001 - not XML
            sitemap = None
        if sitemap is None or sitemap.type not in ("sitemapindex", "urlset"):
            walk.failed = True
            yield self.failure(response.url, "not_html", "not a sitemap", response.status)
            return
        locs = [urljoin(response.url, e["loc"].strip()) for e in sitemap if e.get("loc")]
        if sitemap.type == "sitemapindex":
            if depth < SITEMAP_DEPTH:
                for url in locs[: self.max_pages]:
                    yield self.sitemap_request(url, start=start, depth=depth + 1)
            walk.done = True
            return
        seen = set()
        for url in locs:
            if self.is_article_url(url):
                canon = self.canonical_url(url)
                if canon not in seen:
                    seen.add(canon)
                    yield self.article_request(canon)
        self.crawler.stats.inc_value(statkeys.LINKS_FOUND, len(seen))
        walk.done, walk.end_page = True, 1

    def links(self, response) -> list[str]:
        """The page's links, absolute, in order (a feed's ``link``/``guid`` for a feed)."""
        return self.scan.links(response.selector.root, response.url,
                               is_feed(response.headers.get(b"Content-Type", b""), response.body))

    def decoded(self, response):
        """The response as the extractor decodes it: selectors and extraction read one decoding."""
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1")
        m = re.search(r"charset=([\w.:-]+)", ctype, re.I)
        try:
            text, _ = decode(response.body, m.group(1) if m else None)
        except Exception:  # noqa: BLE001 - undecodable: keep Scrapy's own reading
            return response if isinstance(response, TextResponse) else None
        return HtmlResponse(url=response.url, body=text.encode("utf-8"), encoding="utf-8",
                            headers=response.headers, status=response.status, request=response.request)

    def pager(self, response, start: str, n: int) -> tuple[bool, bool]:
        """(page shows a "next" link, the pager says this page is the last)."""
        nxt = self.page_url(start, n + 1)
        nxt_normalised = self.normalised_url(nxt) if nxt else None
        has_next = False
        base = response.url
        for a in ANCHORS(response.selector.root):
            href = (a.get("href") or "").strip()
            if not href or href.startswith(("javascript:", "#")):
                continue
            url = absolute_url(base, href)
            if url == base:
                continue
            text = "".join(TEXT(a))
            if (nxt and self.normalised_url(url) == nxt_normalised) or NEXT_TEXT.match(text):
                has_next = True
                break
        m = PAGE_COUNT.search(response.text)
        total = int(m.group(1) or m.group(2)) if m else None
        return has_next, total is not None and n >= total

    def list_problem(self, response) -> tuple[str, str] | None:
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").split(";")[0].strip().lower()
        if ctype and not ctype.startswith(LIST_TYPES):
            return "not_html", f"list page is not HTML (Content-Type {ctype})"
        blocked = challenge_reason(response.body)
        if blocked:
            return "blocked", blocked
        return None

    def parse_list(self, response, start, n, feed):
        walk = self.walks.setdefault(start, Walk())
        if response.status == 404:
            shows_next, says_last = walk.pager.get(n - 1) or response.meta.get(meta_.PREV_PAGER) or (False, False)
            if shows_next and not says_last:  # the previous page links on: a missing page, not the end
                walk.failed = True
                yield self.failure(response.url, "http_404", "HTTP 404 on a list page the previous page links to",
                                   404)
            else:
                self.crawler.stats.inc_value(statkeys.LIST_END_404)
                walk.done, walk.end_page = True, n - 1
            return
        problem = self.list_problem(response)
        decoded = self.decoded(response) if not problem else None
        if decoded is None and not problem:
            problem = ("charset", "list page undecodable")
        if problem:
            walk.failed = True
            yield self.failure(response.url, *problem, status=response.status)
            return
        if not (feed or decoded.text.lstrip()[:5] == "<?xml"):  # a feed keeps its XML reading
            response = decoded
        if response.url in self.failed_before:
            yield ResolvedItem(site=self.name, url=response.url)
        seen = set()
        for url in self.links(response):
            if not self.is_article_url(url):
                continue
            canon = self.canonical_url(url)
            if urlsplit(url).hostname != urlsplit(canon).hostname:
                yield AliasItem(site=self.name, url=url, canonical=canon)
            if canon in seen:
                continue
            seen.add(canon)
            yield self.article_request(canon)
        self.crawler.stats.inc_value(statkeys.LIST_PAGES)
        self.crawler.stats.inc_value(statkeys.LINKS_FOUND, len(seen))
        shows_next, says_last = self.pager(response, start, n) if not feed else (False, True)
        walk.pager[n] = (shows_next, says_last)
        nxt = self.page_url(start, n + 1) if not feed else None
        if not seen or says_last or not nxt or n >= self.max_pages:
            walk.done, walk.end_page = True, n  # the end of the list (as far as this crawl walks)
            return
        complete = self.walk_complete.get(start) and not self.backfill
        if complete and seen <= self.known_urls:
            walk.done = True  # a page of known articles only, on a list walked to its end before
            return
        yield self.list_request(nxt, start=start, n=n + 1, prev=(shows_next, says_last))

    def parse_article(self, response):
        """An article's first page: an unchanged re-check, a failure, or the article (its further
        pages and attachments fetched first, :meth:`next_step`).

        The page is decoded once, then checked, scanned for its further pages and attachments and,
        for an article of one page without attachments, extracted, all in one call
        (:func:`pipelines.pool.read_article`; the extract stage then applies that extraction). In a
        crawl whose extraction runs in worker processes (``EXTRACT_WORKERS``) the call runs in a
        worker and this callback is a coroutine waiting for it; otherwise it runs here and the
        callback returns its outputs. Either way the outputs are the same."""
        canonical = response.meta.get(meta_.CANONICAL) or self.canonical_url(response.url)
        recheck_id = response.meta.get(meta_.RECHECK_ID)
        if recheck_id and (response.status == 304 or response.meta.get(meta_.UNCHANGED)):
            return [ArticleItem(site=self.name, url=canonical, recheck_id=recheck_id, not_modified=True)]
        if response.status in (404, 410):
            return [self.failure(canonical, "gone", f"HTTP {response.status}: removed from the site",
                                 response.status)]
        problem = self.page_problem(response, decoded=None)  # what the bytes show (the text's check is read's)
        if problem:
            return [self.failure(canonical, *problem, status=response.status)]
        alias = self.redirect_alias(response, canonical)
        target = alias.canonical if alias else canonical
        page = self.page(response)
        args = (page.body, page.url, page.charset, self.scan, target, response.headers.get(b"Content-Type", b""),
                self.selectors if self.extracts_pages else None, self.extracts_pages)
        future = ExtractPool.submit_call(read_article, *args) if self.reads_in_pool else None
        if future is not None:
            return self._article_read_in_pool(response, canonical, target, alias, page, future)
        return self._article_read(response, canonical, target, alias, page, read_article(*args))

    def redirect_alias(self, response, canonical: str) -> AliasItem | None:
        """A page redirected to another article URL is stored under the URL it moved to (the one a
        direct link to it stores): the requested URL becomes another URL of it (None otherwise)."""
        if not response.meta.get("redirect_urls"):
            return None
        moved_to = self.canonical_url(response.url)
        if moved_to != canonical and self.is_article_url(moved_to):
            return AliasItem(site=self.name, url=canonical, canonical=moved_to, redirected=True)
        return None

    async def _article_read_in_pool(self, response, canonical, target, alias, page, future) -> list:
        try:
            result = await maybe_deferred_to_future(as_deferred(future))
        except Exception as exc:  # noqa: BLE001 - the worker died under it: a failure row, not a loss
            return self.read_failed(target, alias, exc, response.status)
        return self._article_read(response, canonical, target, alias, page, result)

    def read_failed(self, url, alias, exc, status) -> list:
        """The worker reading the article page *url* died under it (or the pool was shut down): the
        failure the extract stage records for an extraction that crashed (``unparsable``), after
        the redirect's alias as ever."""
        logger.warning("extraction failed for %s: %s", url, exc)
        failure = self.failure(url, "unparsable", f"extraction failed ({type(exc).__name__})", status)
        return [alias, failure] if alias else [failure]

    def _article_read(self, response, canonical, target, alias, page, result) -> list:
        """The outputs of an article page read by :func:`pipelines.pool.read_article`."""
        if result[0] == "fallback":  # not decoded as the extractor decodes: read as ever, here
            result = self._read_here(response, target)
        if result[0] == "problem":
            return [self.failure(canonical, result[1], result[2], status=response.status)]
        _, pages, files, extracted = result
        item = ArticleItem(site=self.name, url=target, pages=[page], recheck_id=response.meta.get(meta_.RECHECK_ID))
        item.extracted = extracted
        out = [alias] if alias else []
        out += self.next_step(item, [(meta_.PAGE, u) for u in pages] + [(meta_.ATTACHMENT, link) for link in files])
        return out

    def _read_here(self, response, target: str) -> tuple:
        """:func:`pipelines.pool.read_article`'s result for a page the extractor's decoding refuses: its
        checks and scans read Scrapy's decoding here (the extract stage records the page as undecodable)."""
        decoded = self.decoded(response)
        problem = self.page_problem(response, decoded)
        if problem:
            return ("problem", *problem)
        if decoded is None:  # an undecodable page is the extract stage's to record
            return ("page", [], [], None)
        return ("page", self.continuation_pages(decoded, target), self.attachment_links(decoded), None)

    def page_problem(self, response, decoded=False) -> tuple[str, str] | None:
        """(kind, reason) when the response cannot be a (whole) article page."""
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").split(";")[0].strip().lower()
        if ctype and not ctype.startswith(HTML_TYPES):
            return "not_html", f"not an HTML page (Content-Type {ctype})"
        if response.body[:5] == b"%PDF-":
            return "not_html", "not an HTML page (PDF document)"
        blocked = challenge_reason(response.body)
        if blocked:
            return "blocked", blocked
        if "dataloss" in response.flags:
            return "truncated", "body shorter than its Content-Length"
        if "partial" in response.flags:  # close-delimited: nothing says how long the body should be
            if not CLOSING_TAG.search(response.body[-4096:]):
                return "incomplete", "body ended inside the page (connection closed early)"
            last = response.meta.get(meta_.LAST_SIZE)
            if last and len(response.body) < self.incomplete_shorter_than * last:
                return "incomplete", "body much shorter than the last complete fetch"
        if decoded is False:
            decoded = self.decoded(response)
        if decoded is not None:
            phrase = soft_error_phrase(decoded.text)
            if phrase:
                return "soft_error", "an error page served with HTTP 200"
        return None

    def page(self, response) -> Page:
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1")
        m = re.search(r"charset=([\w.:-]+)", ctype, re.I)
        return Page(
            url=response.url,
            status=response.status,
            body=response.body,
            fetched_at=now_iso(),
            charset=m.group(1) if m else None,
            content_type=ctype or None,
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
        )

    def attachment_links(self, response) -> list[tuple[str, str]]:
        """``(url, name)`` of the files the page links to (by extension), the name being the
        link's text (else the file name), at most MAX_ATTACHMENTS."""
        return self.scan.attachment_links(response.selector.root, response.url,
                                          is_feed(response.headers.get(b"Content-Type", b""), response.body))

    def next_step(self, item, todo):
        """Fetch the item's remaining pages and attachments one by one, then emit it.

        An article missing one of its pages is not emitted: it is recorded as ``incomplete``
        (the archived copy, if any, stays as it was) and fetched again on the next run."""
        if not todo:
            if item.incomplete:
                yield self.failure(item.url, "incomplete", item.incomplete)
            else:
                yield item
            return
        (kind, url), rest = todo[0], todo[1:]
        kwargs = {"item": item, "todo": rest}
        if kind == meta_.PAGE:
            yield scrapy.Request(url, callback=self.parse_continuation, errback=self.on_step_error,
                                 cb_kwargs=kwargs, meta={meta_.KIND: meta_.PAGE}, dont_filter=True)
        else:  # downloaded like a page (same downloader, politeness, mirror), up to the size cap
            kwargs["link"] = url  # (url, name)
            yield scrapy.Request(url[0], callback=self.parse_attachment,
                                 errback=self.on_step_error, cb_kwargs=kwargs,
                                 meta={meta_.KIND: meta_.ATTACHMENT, "download_maxsize": self.attachment_max_bytes,
                                       "download_warnsize": 0}, dont_filter=True)

    def parse_continuation(self, response, item, todo):
        problem = self.page_problem(response)
        if problem:
            item.incomplete = item.incomplete or f"a page of the article failed: {problem[1]}"
        else:
            item.pages.append(self.page(response))
        yield from self.next_step(item, todo)

    def parse_attachment(self, response, item, todo, link):
        """The file, downloaded: its bytes go with the item (the extract stage reads its kind and text,
        the store stage keeps it compressed). A failed attachment never holds the article back:
        it is recorded on its row with the reason, and the article is stored complete."""
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1")
        m = re.search(r"charset=([\w.:-]+)", ctype, re.I)
        att = {
            "url": link[0],
            "name": link[1],
            "type": ctype.split(";")[0].strip() or None,
            "size": len(response.body),
            "status": response.status,
            "body": response.body,
            "charset": m.group(1) if m else None,
            "fetched_at": now_iso(),
        }
        if "dataloss" in response.flags:
            att["reason"] = "body shorter than its Content-Length (truncated): not kept"
            att["body"] = None
        item.attachments.append(att)
        self.crawler.stats.inc_value(statkeys.ATTACHMENTS)
        yield from self.next_step(item, todo)

    def attachment_failed(self, item, link, failure) -> None:
        """An attachment that gave no file (HTTP 404, over ATTACHMENT_MAX_BYTES, a timeout…): its row
        says why; the article goes on (it is not ``incomplete``: a dead link on a page must not keep
        the page out of the archive). It is fetched again whenever the article is."""
        found = classify(failure)
        kind, reason, status = found if found is not None else ("ignored", "request ignored", None)
        if kind == "too_large":
            reason = "larger than ATTACHMENT_MAX_BYTES: not downloaded"
        item.attachments.append({"url": link[0], "name": link[1], "type": None, "size": None, "status": status,
                                 "body": None, "reason": f"{reason} ({kind})", "fetched_at": now_iso()})
        self.crawler.stats.inc_value(statkeys.ATTACHMENTS_FAILED)

    def on_step_error(self, failure):
        request = failure.request
        kwargs = request.cb_kwargs
        if request.meta.get(meta_.KIND) == meta_.PAGE:
            found = classify(failure)
            if found is not None:
                item = kwargs["item"]
                item.incomplete = item.incomplete or f"a page of the article failed: {found[1]}"
        else:
            self.attachment_failed(kwargs["item"], kwargs["link"], failure)
        yield from self.next_step(kwargs["item"], kwargs["todo"])

    def on_error(self, failure):
        request = failure.request
        if request.meta.get(meta_.KIND) == meta_.LIST:
            walk = self.walks.setdefault(request.cb_kwargs.get("start", request.url), Walk())
            walk.failed = True
        result = self.failure_from(failure)
        if result is not None:
            yield result

    def failure_from(self, failure) -> FailureItem | None:
        request = failure.request
        found = classify(failure)
        if found is None:
            return None  # already archived: not a failure
        kind, reason, status = found
        return self.failure(request.meta.get(meta_.CANONICAL, request.url), kind, reason, status)

    def failure(self, url, kind, reason, status=None) -> FailureItem:
        return FailureItem(site=self.name, url=url, kind=kind, reason=reason, status=status)


def _header(response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
