"""The outcome of crawling one site once: counts and a status, from the crawl's stats."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from archive import statkeys


@dataclass
class SiteResult:
    site: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicate: int = 0
    known: int = 0
    blocked: int = 0
    errors: int = 0
    pages_fetched: int = 0
    status: str = "ok"  # ok, partial, blocked, failed, interrupted; skipped: another crawl of the site ran
    reason: str = ""
    degraded: list = field(default_factory=list)  # measures of extraction quality that dropped (archive/quality.py)

    def as_dict(self) -> dict:
        return asdict(self)


def top_failures(db, site: str, since: str, limit: int) -> list[tuple[str, int]]:
    """(reason, URLs) of a site's commonest failures since *since* (none without a *db*)."""
    if db is None:
        return []
    return db.execute(
        "SELECT reason, count(*) n FROM failures WHERE site = ? AND last_seen >= ? "
        "GROUP BY reason ORDER BY n DESC, reason LIMIT ?",
        [site, since, limit],
    ).fetchall()


def error_summary(db, site: str, since: str, limit: int = 5) -> str:
    """The commonest failure reasons of a site since *since*: ``HTTP 404 ×2; …``."""
    return "; ".join(f"{reason} ×{n}" for reason, n in top_failures(db, site, since, limit))


def spider_errors(stats: dict) -> int:
    """Callbacks that raised (a page the spider could not read): errors too, never a silent ``ok``."""
    return sum(v for k, v in stats.items() if k.startswith("spider_exceptions/") and k != "spider_exceptions/count")


def summarise(site: str, stats: dict, db, since: str, finish_reason: str | None = None) -> SiteResult:
    """The outcome of one site's crawl from its stats (and its failure rows in *db* since *since*,
    for the reason). Computed once per run, by the run log (``crawler/runlog.py``)."""
    failed = statkeys.failed_counts(stats)
    res = SiteResult(
        site=site,
        new=stats.get(statkeys.NEW, 0),
        updated=stats.get(statkeys.UPDATED, 0),
        unchanged=stats.get(statkeys.UNCHANGED, 0),
        pages_fetched=stats.get("response_received_count", 0),
        duplicate=stats.get(statkeys.DUPLICATE, 0),
        known=stats.get(statkeys.KNOWN, 0),
        blocked=failed.get("blocked", 0),
        errors=sum(v for k, v in failed.items() if k != "blocked") + spider_errors(stats),
    )
    got = res.new + res.updated + res.unchanged + res.duplicate + res.known
    finish = finish_reason or stats.get("finish_reason", "finished")
    if stats.get(statkeys.STORE_ERROR):
        res.status, res.reason = "failed", f"archive write failed: {stats[statkeys.STORE_ERROR]}"
    elif finish == "shutdown":  # Ctrl-C or SIGTERM: what was stored stays, the next run goes on from it
        by = stats.get(statkeys.STOP_SIGNAL)
        res.status, res.reason = "interrupted", f"interrupted by {by}" if by else "interrupted (shut down)"
    elif got == 0 and (res.blocked or res.errors):
        top = top_failures(db, site, since, 1)
        why = f"{top[0][0]} ({top[0][1]} URL{'s' if top[0][1] > 1 else ''})" if top else "every request failed"
        if res.blocked and not res.errors:
            res.status, res.reason = "blocked", f"blocked: {why}"
        else:
            res.status, res.reason = "failed", f"unreachable: {why}"
    elif got == 0 and not stats.get(statkeys.LINKS_FOUND):
        res.status, res.reason = "failed", "no article links found on the list pages"
    elif finish not in ("finished",):
        res.status, res.reason = "failed", f"crawl stopped: {finish}"
    elif res.blocked or res.errors:
        res.status, res.reason = "partial", error_summary(db, site, since) or "spider errors (see the log)"
    return res
