"""The crawl's own settings, declared once: name, default and help.

``crawler/settings.py`` takes its defaults from :data:`SETTINGS`; every
component reads them (through Scrapy's settings, in its ``from_crawler``) by
these names; the README's settings table is :func:`markdown_table`. A test
fails when a setting is read somewhere but not declared here, or when the
README and this table disagree. Scrapy's own settings (``DOWNLOAD_DELAY``,
``CONCURRENT_REQUESTS``…) are Scrapy's and documented there.
"""
from __future__ import annotations

from dataclasses import dataclass

from archive.db import MAX_TEXT_CHARS


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str
    kind: type | None = None  # the value's type where the default (None) does not say it

    @property
    def type(self) -> type | None:
        """bool, int, float, or None (a text, or anything)."""
        if self.kind is not None:
            return self.kind
        return type(self.default) if isinstance(self.default, (bool, int, float)) else None


SETTINGS: list[Setting] = [
    # --- the archive
    Setting("ARCHIVE_DB", "archive.db", "Path of the SQLite archive."),
    Setting("ARCHIVE_MAX_TEXT_CHARS", MAX_TEXT_CHARS,
            "Longest text stored in `articles.text`, in characters (0: no cap); the page is kept whole in `raw_pages`."),
    Setting("RUN_LOG_ENABLED", True, "Write one `crawl_runs` row per site per run."),
    # --- what a run fetches
    Setting("MAX_LIST_PAGES", 5,
            "List pages followed per start URL (stops earlier at a page without article links)."),
    Setting("MAX_ATTACHMENTS", 10, "Attachments downloaded per article (the first ones the page links to)."),
    Setting("ATTACHMENT_MAX_BYTES", 50 * 1024 * 1024,
            "Largest attachment downloaded, in bytes: a larger one is cancelled, not downloaded, and recorded "
            "with its reason (0: no cap)."),
    Setting("INCREMENTAL", True, "Skip archived URLs; re-check young ones with conditional requests."),
    Setting("RECHECK_DAYS", 3.0, "Known articles published less than this many days ago are re-checked."),
    Setting("REVISIT_INTERVALS", "1h,6h,1d,3d,7d,30d",
            "Revisit schedule of a known article, counted from when it was first seen or last found changed: "
            "re-checked (conditionally) at each of these ages, then every last interval (units m, h, d, w). "
            "A site file may set its own in `custom_settings`; empty: off."),
    Setting("REVISIT_MAX_PER_RUN", 500,
            "Most known articles re-checked by the revisit schedule in one run of a site, most overdue first (0: no cap)."),
    Setting("BACKFILL", False, "Walk every list to its end on purpose (`archive crawl --backfill`)."),
    Setting("BACKFILL_MAX_PAGES", 1000, "List pages per start URL in a backfill."),
    Setting("FAILURE_RETRY_LIMIT", 20,
            "Failed article URLs are fetched again on each run, up to this many attempts."),
    Setting("SITES_DIR", "sites",
            "Directory of declarative site files (`*.toml`), beside the Python site files; relative to the "
            "working directory, absent is fine; `archive --sites DIR` or the variable `ARCHIVE_SITES_DIR` set it."),
    Setting("JIANGMEN_KJJ_START", None,
            "Start URLs of the 江门 site, replacing the site file's own (a list, comma-separated on the command line)."),
    # --- judging what came back
    Setting("SOFT_ERROR_SHARED_URLS", 4,
            "One text served for this many URLs of a site within a run is an error page (0: off)."),
    Setting("INCOMPLETE_SHORTER_THAN", 0.5,
            "A close-delimited body under this share of the last good fetch is incomplete."),
    Setting("RETRY_AFTER_MAX", 60.0, "Seconds: the longest `Retry-After` honoured."),
    # --- mirror mode
    Setting("MIRROR_URL", None,
            "e.g. `http://127.0.0.1:8000`: fetch `https://HOST/PATH` from `MIRROR_URL/HOST/PATH`."),
    Setting("MIRROR_RETRY_AFTER_MAX", 1.0, "Seconds: the longest `Retry-After` honoured in mirror mode."),
    Setting("MIRROR_CONCURRENT_REQUESTS_PER_DOMAIN", 16,
            "Parallel requests per host in mirror mode (the throttle is lifted: the mirror is local)."),
    # --- all cores, many machines
    Setting("EXTRACT_WORKERS", None,
            "Worker processes that decode and extract pages beside the crawl (none: automatic, one per "
            "core but the one the crawl's own process keeps busy (one worker on 2 cores), none on one core; "
            "0: extraction runs in the crawl's process).", int),
    Setting("REDIS_URL", None,
            "e.g. `redis://127.0.0.1:6379/0`: this crawl is a worker of a distributed crawl (`archive crawl --redis`): "
            "the frontier is shared in Redis (scrapy-redis) and finished items go to Redis for `archive ingest`."),
    Setting("REDIS_WORKER_TTL", 30,
            "Seconds: a distributed worker's heartbeat lives this long; the in-flight requests of a worker "
            "silent for longer are queued again."),
    Setting("REDIS_WORKER_NICE", 5,
            "A distributed worker lowers its CPU priority to this niceness (0: leaves it): on a machine it "
            "shares with the one writer, the run's serial stage, the writer is never starved by the workers."),
]

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


def default(name: str):
    """The declared default of *name* (KeyError: not declared)."""
    return BY_NAME[name].default


def value(settings, name: str):
    """The setting *name* from Scrapy *settings*, typed and defaulted as declared here
    (KeyError: a setting nobody declared)."""
    declared = BY_NAME[name]
    default_, kind = declared.default, declared.type
    if kind is bool:
        return settings.getbool(name, default_)
    if kind is int and (default_ is not None or settings.get(name) not in (None, "")):
        return settings.getint(name, default_)
    if kind is float:
        return settings.getfloat(name, default_)
    return settings.get(name, default_)


BOOL_WORDS = ("0", "1", "true", "false", "True", "False")  # what Scrapy's getbool takes


def check_value(name: str, text: str) -> None:
    """``ValueError`` (one line) when *text* given for the declared setting *name* (``--set``) is
    not of its type; a name not declared here is Scrapy's own, passed on as it is."""
    declared = BY_NAME.get(name)
    kind = declared.type if declared else None
    if kind is None or (declared.default is None and text == ""):
        return
    try:
        if kind is bool:
            if text not in BOOL_WORDS:
                raise ValueError
        else:
            kind(text)
    except ValueError:
        words = {bool: "true or false", int: "a whole number", float: "a number"}[kind]
        raise ValueError(f"{name} wants {words}, got {text!r}") from None


def check_mirror_url(url: str) -> str:
    """A ``MIRROR_URL`` value as given (``http(s)://HOST[:PORT][/PATH]``); ValueError with a one-line
    message naming the accepted form otherwise."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise ValueError(f"{url!r}: {exc}; give http://HOST:PORT") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not a URL; give http://HOST:PORT (e.g. from `archive mirror`)")
    return url


def check_redis_url(url: str) -> str:
    """A Redis URL's form (``redis://``, ``rediss://`` or ``unix://``, a port that is a number), as
    given; ValueError with a one-line message otherwise. Only reads the text: whether a server
    answers there is for the client to find out."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - a port that is not a number raises ValueError
    except ValueError as exc:
        raise ValueError(f"not a Redis URL: {url!r} ({exc})") from None
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
        raise ValueError(f"not a Redis URL: {url!r} (use redis://HOST:PORT/DB)")
    return url


def defaults() -> dict:
    """{name: default} of every declared setting (``crawler/settings.py`` sets them)."""
    return {s.name: s.default for s in SETTINGS}


def markdown_table() -> str:
    """The settings as a Markdown table, for the README."""
    rows = ["| setting | default | what it does |", "| --- | --- | --- |"]
    for s in SETTINGS:
        shown = "none" if s.default is None else f"`{s.default}`"
        rows.append(f"| `{s.name}` | {shown} | {s.help} |")
    return "\n".join(rows)
