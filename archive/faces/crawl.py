"""Run the spiders in one process and summarise what each site gave."""
from __future__ import annotations

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from archive import statkeys
from archive.db import Archive, now_iso
from archive.runs import SiteResult, summarise
from crawler.registry import apply_env, sites as registry_sites


def project_settings(**overrides) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    apply_env(settings)
    for name, value in overrides.items():
        if value is not None:
            settings.set(name, value, priority="cmdline")
    return settings


def site_spiders(settings: Settings | None = None) -> dict:
    """{site key: spider class} of every site: the Python site files of ``SPIDER_MODULES`` and the
    TOML site files of ``SITES_DIR`` (:mod:`crawler.registry`)."""
    return registry_sites(settings or project_settings())


def site_labels(settings: Settings | None = None) -> dict[str, str]:
    """{site key: the site's own name} (bjx → 北极星), for the library functions that credit sites by name."""
    return {name: cls.label or "" for name, cls in site_spiders(settings).items()}


def site_for_url(url: str):
    """The spider class whose site serves *url*, or None."""
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    for cls in site_spiders().values():
        if any(host == d or host.endswith("." + d) for d in cls.allowed_domains):
            return cls
    return None


def run_crawl(sites=None, *, db_path="archive.db", mirror=None, extra_settings=None) -> list[SiteResult]:
    """Crawl *sites* (all when empty) into *db_path*; returns one result per site."""
    settings = project_settings(ARCHIVE_DB=str(db_path), MIRROR_URL=mirror, **(extra_settings or {}))
    spiders = site_spiders(settings)
    names = list(sites) if sites else list(spiders)
    unknown = [n for n in names if n not in spiders]
    if unknown:
        raise ValueError(f"unknown site(s): {', '.join(unknown)}; known: {', '.join(spiders)}")
    archive = Archive(db_path).open()  # create and migrate the file once, before the spiders open it
    since = now_iso()
    process = CrawlerProcess(settings)
    crawlers = []
    for name in names:
        crawler = process.create_crawler(spiders[name])
        crawlers.append((name, crawler))
        process.crawl(crawler)
    process.start()
    try:
        return [outcome(name, crawler, archive, since) for name, crawler in crawlers]
    finally:
        archive.close()


def outcome(name: str, crawler, archive: Archive, since: str) -> SiteResult:
    """A site's outcome as its run log computed it (and wrote to ``crawl_runs``); computed here
    only when the run log is off (``RUN_LOG_ENABLED``)."""
    stats = crawler.stats.get_stats()
    if stats.get(statkeys.OUTCOME):
        return SiteResult(**stats[statkeys.OUTCOME])
    return summarise(name, stats, archive.db, since)


def format_summary(results: list[SiteResult]) -> str:
    fields = ("new", "updated", "unchanged", "duplicate", "known", "blocked", "errors")
    heads = ("new", "updated", "unchanged", "dup", "known", "blocked", "errors")
    lines = [f"{'site':<14}" + "".join(f"{h:>10}" for h in heads) + "  status"]
    total = SiteResult("total")
    for r in results:
        lines.append(f"{r.site:<14}" + "".join(f"{getattr(r, f):>10}" for f in fields) + f"  {r.status}")
        for f in fields:
            setattr(total, f, getattr(total, f) + getattr(r, f))
    lines.append(f"{'total':<14}" + "".join(f"{getattr(total, f):>10}" for f in fields))
    return "\n".join(lines)
