"""What an article page says of the article's other parts, read without Scrapy: the URLs of its
further pages and the files it links to.

The spider (``crawler/base.py``) runs these scans on a page's lxml tree. An :class:`ArticleScan`
holds what they need of the site (its continuation patterns, host aliases, attachment cap) as
plain data, so that the same scans run in an extraction worker process, where an article page is
decoded, checked, scanned and extracted in one call (:func:`read_page`, ``pipelines/pool.py``),
and in the crawl's process. Nothing here imports Scrapy: a worker never loads it.
"""
from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

from lxml import etree

ATTACHMENT_EXT = re.compile(r"\.(pdf|docx?|xlsx?|wps|ofd|zip|rar|7z|et|csv|pptx?)$", re.I)
# A pager that gives the number of pages.
PAGE_COUNT = re.compile(r"共\s*(\d{1,5})\s*页|createPageHTML\(\s*['\"]?(\d{1,5})")
# An article pager's page count as a script states it (``var pageCount = 3;``, ``totalPage:"3"``).
SCRIPT_PAGE_COUNT = re.compile(
    r"\b(?:page_?count|total_?pages?|count_?pages?|max_?page|page_?total)\s*[=:]\s*['\"]?(\d{1,3})\b", re.I)
# A quoted path or URL of a page inside a script.
QUOTED_PAGE = re.compile(r"""["']([^"'\s<>]+?\.s?html?)["']""")
FEED_TYPES = (b"application/rss", b"application/xml", b"text/xml")

# The queries the spider runs on every page, compiled once and run on the page's lxml tree
# (``response.selector.root``): the same XPath parsel makes of ``a::attr(href)``, ``a[href]``,
# ``a``, ``::text`` and ``//script/text()``, without a Selector object per node found.
_XPATH = {
    "hrefs": "descendant-or-self::a/@href",
    "links": "descendant-or-self::a[@href]",
    "anchors": "descendant-or-self::a",
    "text": "descendant-or-self::text()",
    "scripts": "//script/text()",
    "feed_links": "//*[local-name()='link' or local-name()='guid']/text()",
    "feed_hrefs": "//*[local-name()='link']/@href",
}
XPATHS = {name: etree.XPath(query, smart_strings=False) for name, query in _XPATH.items()}
HREFS, LINKS, ANCHORS, TEXT, SCRIPTS = (XPATHS[k] for k in ("hrefs", "links", "anchors", "text", "scripts"))
FEED_LINKS, FEED_HREFS = XPATHS["feed_links"], XPATHS["feed_hrefs"]
_NORMALISED_MAX = 1 << 14  # URLs a scan remembers the normalised form of (nav links repeat on every page)


def absolute_url(base: str, href: str) -> str:
    """*href* (stripped) read on the page *base*, without its fragment. A page is read by several
    scans (its links, its pager, its attachments) and a site's menus repeat on every page: each
    is joined once. A root-relative href (``/x``) or an absolute one (``https://host/x``) reads
    the same on every page of the host, so it is remembered by the page's origin, not its URL."""
    if href[:1] == "/":
        if href[1:2] != "/":  # /path: only the base's scheme and host count
            return _joined(_origin(base), href)
    elif href.startswith(("http://", "https://")) and href[href.index("//") + 2:][:1] not in ("", "/", "?", "#"):
        return _joined(_origin(base), href)  # scheme://host…: only the base's scheme counts
    return _joined(base, href)


@lru_cache(maxsize=1 << 14)
def _joined(base: str, href: str) -> str:
    return urldefrag(urljoin(base, href))[0]


@lru_cache(maxsize=1 << 12)
def _origin(base: str) -> str:
    """``scheme://host/`` of *base* (joining a root-relative or absolute href reads nothing else of it)."""
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return base  # not a web page's URL: joined on the whole of it
    return f"{parts.scheme}://{parts.netloc}/"


@lru_cache(maxsize=1 << 14)
def is_file(url: str) -> bool:
    """Whether *url*'s path ends in an attachment's extension."""
    return ATTACHMENT_EXT.search(urlsplit(url).path) is not None


def page_count(text, scripts: str) -> int:
    """The number of pages an article page says the article has (1 when it says nothing): its
    scripts' count, else its pager's in its *text* (or a function giving the text, called only then)."""
    m = SCRIPT_PAGE_COUNT.search(scripts)
    if m:
        return int(m.group(1))
    m = PAGE_COUNT.search(text() if callable(text) else text)
    return int(m.group(1) or m.group(2)) if m else 1


class ArticleScan:
    """A site's reading of its URLs and article pages (the spider class's declarations as data).

    Pickled, it is its declarations only; unpickled (in a worker), one instance per site is kept,
    with its memo of normalised URLs."""

    def __init__(self, continuation: str | None, continuation_page: tuple[str, str] | None,
                 host_aliases: dict[str, str], max_attachments: int):
        self.key = (continuation, tuple(continuation_page) if continuation_page else None,
                    tuple(sorted(host_aliases.items())), max_attachments)
        self.continuation_re = re.compile(continuation) if continuation else None
        self.continuation_page = continuation_page
        self.host_aliases = dict(host_aliases)
        self.max_attachments = max_attachments
        self._normalised: dict[str, str] = {}  # URL → normalised_url(URL)

    def __reduce__(self):
        return _scan_for, (self.key,)

    # ------------------------------------------------------------------ URLs

    def normalised_url(self, url: str) -> str:
        """https, canonical host, no fragment; unlike :meth:`canonical_url`, keeps ``-N`` pages."""
        cache = self._normalised
        out = cache.get(url)
        if out is None:
            parts = urlsplit(urldefrag(url)[0])
            host = (parts.hostname or "").lower()
            scheme = "https" if parts.scheme in ("http", "https") else parts.scheme
            out = urlunsplit((scheme, self.host_aliases.get(host, host), parts.path or "/", parts.query, ""))
            if len(cache) >= _NORMALISED_MAX:
                cache.clear()
            cache[url] = out
        return out

    def canonical_url(self, url: str) -> str:
        """The one URL an article is archived under: its first page on the canonical host."""
        url = self.normalised_url(url)
        m = self.continuation_re.fullmatch(url) if self.continuation_re else None
        if m:
            url = url[: m.start("n") - 1] + url[m.end("n"):]
        return url

    def article_page_url(self, canonical: str, n: int) -> str | None:
        """Page *n* of the article *canonical*, by ``continuation_page``."""
        if n == 1:
            return canonical
        pattern, repl = self.continuation_page
        url, count = re.subn(pattern, repl.replace("{n}", str(n)), canonical, count=1)
        return url if count and self.continuation_re.fullmatch(url) else None

    # ----------------------------------------------------------------- pages

    def continuation_pages(self, root, url: str, text, canonical: str) -> list[str]:
        """URLs of the further pages of a multi-page article, in order: the pager's links, page
        paths quoted in the page's scripts and, for a site with ``continuation_page``, every page up
        to the page count the page states (a pager its script writes is never seen as links).
        *root* is the page's lxml tree, *text* its text (or a function giving it: read only when
        the scripts state no page count)."""
        if not self.continuation_re:
            return []
        found = {}
        hrefs = HREFS(root)
        scripts = "\n".join(SCRIPTS(root))
        hrefs += QUOTED_PAGE.findall(scripts)
        for href in hrefs:
            page = absolute_url(url, href.strip())
            m = self.continuation_re.fullmatch(self.normalised_url(page))
            if m and self.canonical_url(page) == canonical:
                n = int(m.group("n"))
                if n >= 2:
                    found.setdefault(n, page)
        if self.continuation_page and not self.continuation_re.fullmatch(self.normalised_url(url)):
            count = page_count(text, scripts)
            for n in range(2, count + 1):
                page = self.article_page_url(canonical, n)
                if page:
                    found.setdefault(n, page)
        return [found[n] for n in sorted(found)]

    def links(self, root, url: str, feed: bool) -> list[str]:
        """The page's links, absolute, in order (a feed's ``link``/``guid`` where *feed*)."""
        hrefs = FEED_LINKS(root) + FEED_HREFS(root) if feed else HREFS(root)
        out = []
        for href in hrefs:
            href = href.strip()
            if not href or href.startswith(("javascript:", "mailto:", "#")):
                continue
            out.append(absolute_url(url, href))
        return out

    def attachment_links(self, root, url: str, feed: bool) -> list[tuple[str, str]]:
        """``(url, name)`` of the files the page links to (by extension), the name being the
        link's text (else the file name), at most ``max_attachments``."""
        out = []
        for link in self.links(root, url, feed):
            if is_file(link) and link not in out:
                out.append(link)
        if not out:
            return []  # no file: the links' texts are not read
        names = {}
        for a in LINKS(root):
            href = (a.get("href") or "").strip()
            if href and not href.startswith(("javascript:", "mailto:", "#")):
                link = absolute_url(url, href)
                if names.get(link) or not is_file(link):
                    continue  # only a file's link needs its text
                text = " ".join("".join(TEXT(a)).split())
                if text:
                    names[link] = text
        return [(link, names.get(link) or urlsplit(link).path.rsplit("/", 1)[-1])
                for link in out[: self.max_attachments]]


@lru_cache(maxsize=256)
def _scan_for(key) -> ArticleScan:
    continuation, continuation_page, aliases, max_attachments = key
    return ArticleScan(continuation, continuation_page, dict(aliases), max_attachments)


def is_feed(content_type: bytes, body: bytes) -> bool:
    """Whether a page is read as a feed: its Content-Type says XML, or its body starts as XML."""
    return content_type.startswith(FEED_TYPES) or body.lstrip()[:5] == b"<?xml"


def scrapy_text(utf8: bytes) -> str:
    """What Scrapy's ``response.text`` reads of a response whose body is *utf8*, declared UTF-8
    (the spider's decoded response, ``SiteSpider.decoded``): the text, less a leading byte-order
    mark (w3lib's reading, as Scrapy does it)."""
    from w3lib.encoding import html_to_unicode

    return html_to_unicode("charset=utf-8", utf8)[1]


def page_root(text: str):
    """The lxml tree Scrapy's selector makes of a response whose ``text`` is *text* (parsel's
    HTML reading; the base URL it also records changes no result of the scans)."""
    from lxml.html import HTMLParser
    from parsel.selector import create_root_node

    return create_root_node(text, HTMLParser)


def read_page(body: bytes, url: str, charset: str | None, scan: ArticleScan, canonical: str,
              content_type: bytes) -> tuple:
    """Decode an article's first page once, then what the spider reads of it: the soft-error
    check (the byte-level checks are the spider's, before), its further pages and its attachments,
    exactly as ``SiteSpider`` reads its decoded response. Plain data out, for a worker process:

    * ``("fallback",)`` the page does not decode (or a scan failed): the spider reads it itself,
      with Scrapy's own decoding, as it always did;
    * ``("problem", kind, reason)`` an error page served with HTTP 200;
    * ``("page", further pages, attachment links, (text, encoding, replaced))`` the last being
      the decoding, for extraction to reuse.

    *content_type*: the response's, which with the decoded body says whether its links are read as a
    feed's (:func:`is_feed`, as the spider reads them)."""
    from archive.extract.decode import decode_counted
    from crawler.softerror import soft_error_phrase

    try:
        decoded = decode_counted(body, charset)
        utf8 = decoded[0].encode("utf-8")  # the body of the spider's decoded response
        text = scrapy_text(utf8)
        if soft_error_phrase(text):
            return ("problem", "soft_error", "an error page served with HTTP 200")
        root = page_root(text)
        pages = scan.continuation_pages(root, url, text, canonical)
        files = scan.attachment_links(root, url, is_feed(content_type, utf8))
    except Exception:  # noqa: BLE001 - the spider's own reading decides (and records) it
        return ("fallback",)
    return ("page", pages, files, decoded)
