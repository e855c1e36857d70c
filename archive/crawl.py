"""Run the spiders in one process and summarise what each site gave."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from archive.db import now_iso, open_db


def project_settings(**overrides) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for name, value in overrides.items():
        if value is not None:
            settings.set(name, value, priority="cmdline")
    return settings


def site_spiders(settings: Settings | None = None) -> dict:
    """{site key: spider class} for every site file in ``crawler/spiders``."""
    loader = SpiderLoader.from_settings(settings or project_settings())
    return {name: loader.load(name) for name in sorted(loader.list())}


def site_for_url(url: str):
    """The spider class whose site serves *url*, or None."""
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    for cls in site_spiders().values():
        if any(host == d or host.endswith("." + d) for d in cls.allowed_domains):
            return cls
    return None


@dataclass
class SiteResult:
    site: str
    new: int = 0
    duplicate: int = 0
    known: int = 0
    blocked: int = 0
    errors: int = 0
    status: str = "ok"  # ok, partial, blocked, failed
    reason: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def summarise(site: str, stats: dict, db, since: str) -> SiteResult:
    failed = {k.split("/", 2)[2]: v for k, v in stats.items() if k.startswith("archive/failed/")}
    res = SiteResult(
        site=site,
        new=stats.get("archive/new", 0),
        duplicate=stats.get("archive/duplicate", 0),
        known=stats.get("archive/known", 0),
        blocked=failed.get("blocked", 0),
        errors=sum(v for k, v in failed.items() if k != "blocked"),
    )
    got = res.new + res.duplicate + res.known
    finish = stats.get("finish_reason", "finished")
    if stats.get("archive/store_error"):
        res.status, res.reason = "failed", f"archive write failed: {stats['archive/store_error']}"
    elif got == 0 and (res.blocked or res.errors):
        row = db.execute(
            "SELECT kind, reason, count(*) n FROM failures WHERE site = ? AND last_seen >= ? "
            "GROUP BY kind, reason ORDER BY n DESC LIMIT 1",
            [site, since],
        ).fetchone()
        why = f"{row[1]} ({row[2]} URL{'s' if row[2] > 1 else ''})" if row else "every request failed"
        if res.blocked and not res.errors:
            res.status, res.reason = "blocked", f"blocked: {why}"
        else:
            res.status, res.reason = "failed", f"unreachable: {why}"
    elif got == 0 and not stats.get("archive/links_found"):
        res.status, res.reason = "failed", "no article links found on the list pages"
    elif finish not in ("finished",):
        res.status, res.reason = "failed", f"crawl stopped: {finish}"
    elif res.blocked or res.errors:
        res.status = "partial"
    return res


def run_crawl(sites=None, *, db_path="archive.db", mirror=None, extra_settings=None) -> list[SiteResult]:
    """Crawl *sites* (all when empty) into *db_path*; returns one result per site."""
    settings = project_settings(ARCHIVE_DB=str(db_path), MIRROR_URL=mirror, **(extra_settings or {}))
    spiders = site_spiders(settings)
    names = list(sites) if sites else list(spiders)
    unknown = [n for n in names if n not in spiders]
    if unknown:
        raise ValueError(f"unknown site(s): {', '.join(unknown)}; known: {', '.join(spiders)}")
    db = open_db(db_path)  # create and migrate once, before the spiders open it
    since = now_iso()
    process = CrawlerProcess(settings, install_root_handler=True)
    crawlers = []
    for name in names:
        crawler = process.create_crawler(spiders[name])
        crawlers.append((name, crawler))
        process.crawl(crawler)
    process.start()
    try:
        return [summarise(name, crawler.stats.get_stats(), db, since) for name, crawler in crawlers]
    finally:
        db.conn.close()


def format_summary(results: list[SiteResult]) -> str:
    head = f"{'site':<14}{'new':>6}{'dup':>6}{'known':>7}{'blocked':>9}{'errors':>8}  status"
    lines = [head]
    for r in results:
        lines.append(f"{r.site:<14}{r.new:>6}{r.duplicate:>6}{r.known:>7}{r.blocked:>9}{r.errors:>8}  {r.status}")
    total = SiteResult("total")
    for r in results:
        for f in ("new", "duplicate", "known", "blocked", "errors"):
            setattr(total, f, getattr(total, f) + getattr(r, f))
    lines.append(f"{'total':<14}{total.new:>6}{total.duplicate:>6}{total.known:>7}{total.blocked:>9}{total.errors:>8}")
    return "\n".join(lines)
