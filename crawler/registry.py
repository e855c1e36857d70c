"""The site registry: every site the project knows, from two kinds of site file.

* a Python site file in a module of ``SPIDER_MODULES`` (``crawler/spiders/bjx.py``): a
  :class:`crawler.base.SiteSpider` subclass that only declares;
* a declarative site file ``*.toml`` in the directory of the ``SITES_DIR`` setting, for users
  who do not write Python. It holds the same fields as a site class::

      name = "mee"                         # the site key: letters, digits, _
      label = "生态环境部"
      hosts = ["www.mee.gov.cn"]
      start_urls = ["https://www.mee.gov.cn/zcwj/zyygwj/index.shtml"]
      feeds = []                           # optional: RSS/Atom feeds
      sitemaps = []                        # optional: sitemaps, or robots.txt whose Sitemap: lines count
      list_page = ['index\\.shtml$', "index_{n}.shtml"]   # optional: (regex, replacement)
      article_urls = ['https://www\\.mee\\.gov\\.cn/zcwj/\\w+/\\d{6}/t\\d{8}_\\d+\\.shtml']
      continuation = ''                    # optional: page N of a long article, group n
      continuation_page = []               # optional: [regex, replacement with {n}] → page N
      refresh_minutes = 360                # optional, default 60
      family = "trs_wcm"                   # optional: a publishing system (crawler.families) giving
                                           # article_urls and list_page when the file leaves them out
      [host_aliases]                       # optional
      "mee.gov.cn" = "www.mee.gov.cn"
      [selectors]                          # optional: archive.siterules.Selectors fields
      title = "h1"
      [quality_expect]                     # optional: usual extraction quality (archive/quality.py)
      published_at = 1.0                   # false turns a check off

  :func:`load_site_file` turns it into a ``SiteSpider`` subclass; a bad file raises
  :class:`SiteFileError`, whose message is one line naming the file and the field.

:class:`SiteLoader` is the project's ``SPIDER_LOADER_CLASS``: ``scrapy crawl``, ``archive crawl``,
``archive sites``, the scheduler and the tests all find the sites through it, so adding a site is
one file and nothing else.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import fields
from pathlib import Path

from scrapy.settings import SETTINGS_PRIORITIES, Settings
from scrapy.spiderloader import SpiderLoader, get_spider_loader

from archive.settings import value as setting
from archive.siterules import Selectors

NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
HOST = re.compile(r"(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")
_SELECTOR_FIELDS = {f.name: f.type for f in fields(Selectors)}
_TUPLE_SELECTORS = ("remove", "drop_lines")
FIELDS = ("name", "label", "hosts", "host_aliases", "start_urls", "feeds", "list_page", "article_urls",
          "continuation", "continuation_page", "selectors", "refresh_minutes", "quality_expect",
          "family", "sitemaps")


class SiteFileError(ValueError):
    """A site file that cannot be loaded; the message is one line naming the file and the field."""


def _where(path: Path, field: str | None, text: str | None = None) -> str:
    line = ""
    if field and text is not None:  # the line the field is declared on, when it is on one
        for i, raw in enumerate(text.splitlines(), 1):
            if re.match(rf"\s*{re.escape(field)}\s*=", raw):
                line = f":{i}"
                break
    return f"{path}{line}: {field}" if field else str(path)


def _regex(path, field, text, pattern, *, need_n=False) -> str:
    if not isinstance(pattern, str) or not pattern:
        raise SiteFileError(f"{_where(path, field, text)}: wants a non-empty string (a regular expression)")
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise SiteFileError(f"{_where(path, field, text)}: not a regular expression ({exc})") from None
    if need_n and "n" not in compiled.groupindex:
        raise SiteFileError(f"{_where(path, field, text)}: needs a group (?P<n>\\d+) for the page number")
    return pattern


def _strings(path, field, text, value, *, required=False) -> tuple[str, ...]:
    if value is None:
        value = []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SiteFileError(f"{_where(path, field, text)}: wants a list of strings")
    if required and not value:
        raise SiteFileError(f"{_where(path, field, text)}: must not be empty")
    return tuple(value)


def load_site_file(path: str | Path):
    """The SiteSpider subclass a TOML site file declares (SiteFileError: a bad file)."""
    from crawler.base import SiteSpider

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SiteFileError(f"{path}: cannot be read ({exc.__class__.__name__})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SiteFileError(f"{path}: not TOML ({exc})") from None
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise SiteFileError(f"{_where(path, unknown[0], text)}: unknown field (known: {', '.join(FIELDS)})")
    family = data.get("family")
    if family is not None:
        from crawler.families import FAMILIES

        if family not in FAMILIES:
            raise SiteFileError(f"{_where(path, 'family', text)}: unknown family {family!r} "
                                f"(known: {', '.join(FAMILIES)})")
    for required in ("name", "hosts") + (() if family else ("article_urls",)):
        if required not in data:
            raise SiteFileError(f"{path}: {required}: missing")
    name = data["name"]
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise SiteFileError(f"{_where(path, 'name', text)}: wants a key of lower-case letters, digits and _ "
                            f"(starting with a letter), got {name!r}")
    label = data.get("label", "")
    if not isinstance(label, str):
        raise SiteFileError(f"{_where(path, 'label', text)}: wants a string")
    hosts = _strings(path, "hosts", text, data["hosts"], required=True)
    for host in hosts:
        if not HOST.fullmatch(host):
            raise SiteFileError(f"{_where(path, 'hosts', text)}: not a host name: {host!r}")
    aliases = data.get("host_aliases", {})
    if not isinstance(aliases, dict) or not all(isinstance(v, str) for v in aliases.values()):
        raise SiteFileError(f"{_where(path, 'host_aliases', text)}: wants a table of host = canonical host")
    start_urls = _strings(path, "start_urls", text, data.get("start_urls"))
    feeds = _strings(path, "feeds", text, data.get("feeds"))
    sitemaps = _strings(path, "sitemaps", text, data.get("sitemaps"))
    if not start_urls and not feeds and not sitemaps:
        raise SiteFileError(f"{path}: start_urls: missing (give start_urls, feeds or sitemaps)")
    for field, urls in (("start_urls", start_urls), ("feeds", feeds), ("sitemaps", sitemaps)):
        for url in urls:
            if not re.match(r"https?://", url):
                raise SiteFileError(f"{_where(path, field, text)}: not an http(s) URL: {url!r}")
    list_page = data.get("list_page")
    if list_page is not None:
        if (not isinstance(list_page, list) or len(list_page) != 2 or not isinstance(list_page[1], str)
                or not ("{n}" in list_page[1] or "{n-1}" in list_page[1])):
            raise SiteFileError(f"{_where(path, 'list_page', text)}: wants [regex, replacement with {{n}}]")
        list_page = (_regex(path, "list_page", text, list_page[0]), list_page[1])
    article_urls = tuple(_regex(path, "article_urls", text, p)
                         for p in _strings(path, "article_urls", text, data.get("article_urls"), required=not family))
    continuation = data.get("continuation") or None
    if continuation is not None:
        continuation = _regex(path, "continuation", text, continuation, need_n=True)
    continuation_page = data.get("continuation_page")
    if continuation_page is not None:
        if (continuation is None or not isinstance(continuation_page, list) or len(continuation_page) != 2
                or not isinstance(continuation_page[1], str) or "{n}" not in continuation_page[1]):
            raise SiteFileError(f"{_where(path, 'continuation_page', text)}: wants [regex, replacement with {{n}}] "
                                f"and a continuation")
        continuation_page = (_regex(path, "continuation_page", text, continuation_page[0]), continuation_page[1])
    refresh = data.get("refresh_minutes", 60)
    if not isinstance(refresh, int) or isinstance(refresh, bool) or refresh < 1:
        raise SiteFileError(f"{_where(path, 'refresh_minutes', text)}: wants a whole number of minutes ≥ 1")
    raw_sel = data.get("selectors", {})
    if not isinstance(raw_sel, dict):
        raise SiteFileError(f"{_where(path, 'selectors', text)}: wants a table")
    sel = {}
    for key, val in raw_sel.items():
        if key not in _SELECTOR_FIELDS:
            raise SiteFileError(f"{_where(path, key, text)}: unknown selector "
                                f"(known: {', '.join(_SELECTOR_FIELDS)})")
        if key in _TUPLE_SELECTORS:
            sel[key] = _strings(path, key, text, val)
            if key == "drop_lines":
                for p in sel[key]:
                    _regex(path, key, text, p)
        elif not isinstance(val, str) or not val:
            raise SiteFileError(f"{_where(path, key, text)}: wants a CSS selector (a string)")
        else:
            sel[key] = val
    expect = data.get("quality_expect", {})
    if not isinstance(expect, dict):
        raise SiteFileError(f"{_where(path, 'quality_expect', text)}: wants a table of measure = usual value")
    from archive.quality import MEASURES

    for key, val in expect.items():
        if key not in MEASURES:
            raise SiteFileError(f"{_where(path, key, text)}: unknown quality measure (known: {', '.join(MEASURES)})")
        if val is not False and (isinstance(val, bool) or not isinstance(val, (int, float)) or val < 0):
            raise SiteFileError(f"{_where(path, key, text)}: wants a number ≥ 0 (the usual value) or false (off)")
    attrs = {
        "__module__": __name__,
        "__doc__": f"{label or name}: declared in {path.name}.",
        "name": name,
        "label": label,
        "hosts": hosts,
        "host_aliases": dict(aliases),
        "start_urls": start_urls,
        "feeds": feeds,
        "sitemaps": sitemaps,
        "list_page": list_page,
        "article_urls": article_urls,
        "continuation": continuation,
        "continuation_page": continuation_page,
        "selectors": Selectors(**sel),
        "refresh_minutes": refresh,
        "quality_expect": {k: (None if v is False else v) for k, v in expect.items()},
        "family": family,
        "site_file": str(path),
    }
    cls_name = "".join(part.title() for part in name.split("_")) + "Site"
    return type(cls_name, (SiteSpider,), attrs)


def site_files(directory) -> list[Path]:
    """The ``*.toml`` site files of *directory* (none when it is unset or absent); a file is itself."""
    if not directory:
        return []
    d = Path(directory)
    if d.is_file():
        return [d]
    return sorted(d.glob("*.toml")) if d.is_dir() else []


class SiteLoader(SpiderLoader):
    """Scrapy's spider loader, plus the TOML site files of ``SITES_DIR``.

    A TOML site may not take the key of a Python site (SiteFileError)."""

    def __init__(self, settings):
        super().__init__(settings)
        self.sites_dir = setting(settings, "SITES_DIR")
        if os.environ.get(SITES_DIR_ENV) and settings.getpriority("SITES_DIR") <= SETTINGS_PRIORITIES["project"]:
            self.sites_dir = os.environ[SITES_DIR_ENV]  # `scrapy crawl` reads no environment of ours itself
        for path in site_files(self.sites_dir):
            cls = load_site_file(path)
            if cls.name in self._spiders:
                other = self._spiders[cls.name]
                raise SiteFileError(f"{_where(path, 'name', path.read_text('utf-8'))}: {cls.name!r} is already a site "
                                    f"({getattr(other, 'site_file', None) or other.__module__})")
            self._spiders[cls.name] = cls


def kind(cls) -> str:
    """``toml`` for a site from a declarative file, ``python`` for a site class."""
    return "toml" if getattr(cls, "site_file", None) else "python"


SITES_DIR_ENV = "ARCHIVE_SITES_DIR"


def project_settings() -> Settings:
    """The project's settings (``crawler/settings.py``), with ``SITES_DIR`` from the environment
    variable ``ARCHIVE_SITES_DIR`` when set (``archive --sites DIR`` sets it for its crawls)."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    apply_env(settings)
    return settings


def apply_env(settings) -> None:
    if os.environ.get(SITES_DIR_ENV):
        settings.set("SITES_DIR", os.environ[SITES_DIR_ENV], priority="cmdline")


def sites(settings=None) -> dict:
    """{site key: spider class} of every registered site, sorted by key."""
    settings = settings if settings is not None else project_settings()
    loader = get_spider_loader(settings)
    return {name: loader.load(name) for name in sorted(loader.list())}


def markdown_table(registry: dict) -> str:
    """The sites as a Markdown table, for the README (tests/test_sites.py checks it is current)."""
    rows = ["| site | name | hosts | starts at | refreshed every | file |", "| --- | --- | --- | --- | --- | --- |"]
    for name, cls in registry.items():
        file = getattr(cls, "site_file", None) or cls.__module__.replace(".", "/") + ".py"
        starts = "<br>".join(f"`{u}`" for u in (*cls.start_urls, *cls.feeds, *cls.sitemaps))
        rows.append(f"| `{name}` | {cls.label} | {', '.join(f'`{h}`' for h in cls.hosts)} | {starts} "
                    f"| {cls.refresh_minutes} min | `{file}` |")
    return "\n".join(rows)
