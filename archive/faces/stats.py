"""What is in an archive: articles, failures, the last run, its extraction quality and quiet sites, per site."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from archive.db import open_for_reading
from archive.extract import EXTRACTOR_VERSION
from archive.revisit import due_at, parse_intervals
from archive.settings import default as setting_default
from archive.quality import coverage_line, last_quality


def archive_stats(db_path, quiet_days: float = 7.0, now: datetime | None = None) -> dict:
    """Per site: articles, newest, failures by kind, last run, and whether it went quiet
    (no new article for more than *quiet_days*)."""
    now = now or datetime.now(timezone.utc)
    quiet_before = (now - timedelta(days=quiet_days)).isoformat(timespec="seconds")
    db = open_for_reading(db_path)  # read-only when this user may not write the file
    try:
        sites: dict[str, dict] = {}

        def site(name):
            return sites.setdefault(name, {"articles": 0, "last_new": None, "newest_published": None,
                                           "gone": 0, "failures": {}, "last_run": None, "quiet": False,
                                           "quality": None})

        for name, n, last_new, newest, gone in db.execute(
            "SELECT site, count(*), max(first_seen), max(published_at), count(gone_at) FROM articles GROUP BY site"
        ):
            site(name).update(articles=n, last_new=last_new, newest_published=newest, gone=gone)
        for name, n in db.execute("SELECT site, count(*) FROM articles WHERE extractor_version IS NOT ? "
                                  "GROUP BY site", [EXTRACTOR_VERSION]):
            site(name)["older_extraction"] = n  # `archive reextract` brings them up to date
        ladder = parse_intervals(setting_default("REVISIT_INTERVALS"))  # the default schedule
        for name, first_seen, changed_at, checked_at in db.execute(
                "SELECT site, first_seen, changed_at, checked_at FROM articles"):
            at = due_at(first_seen, changed_at, checked_at, ladder)
            if at is not None and at <= now:
                s = site(name)
                s["revisit_due"] = s.get("revisit_due", 0) + 1  # re-checked by the next run (REVISIT_MAX_PER_RUN)
        for name, kind, n in db.execute("SELECT site, kind, count(*) FROM failures GROUP BY site, kind"):
            site(name)["failures"][kind] = n
        for row in db.execute(
            """SELECT site, started_at, ended_at, status, pages_fetched, new, updated, unchanged, duplicates,
                      errors, blocked, error_summary
               FROM crawl_runs WHERE id IN (SELECT max(id) FROM crawl_runs GROUP BY site)"""
        ):
            keys = ("started_at", "ended_at", "status", "pages_fetched", "new", "updated", "unchanged",
                    "duplicates", "errors", "blocked", "error_summary")
            site(row[0])["last_run"] = dict(zip(keys, row[1:]))
        for name, row in last_quality(db).items():  # the latest run that extracted articles
            site(name)["quality"] = row
        for s in sites.values():
            s["quiet"] = s["last_new"] is None or s["last_new"] < quiet_before
        totals = {
            table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("articles", "revisions", "raw_pages", "article_urls", "attachments", "failures", "crawl_runs")
        }
        version = db.execute("PRAGMA user_version").fetchone()[0]
        return {"sites": sites, "totals": totals, "quiet_days": quiet_days, "schema_version": version,
                "extractor_version": EXTRACTOR_VERSION}
    finally:
        db.conn.close()


def format_stats(data: dict) -> str:
    lines = [f"{'site':<14}{'articles':>9}  {'last new':<27}{'last run':<27}{'status':<13}failures"]
    for name, s in sorted(data["sites"].items()):
        run = s["last_run"] or {}
        fails = ", ".join(f"{k} {v}" for k, v in sorted(s["failures"].items())) or "-"
        lines.append(f"{name:<14}{s['articles']:>9}  {s['last_new'] or '-':<27}{run.get('started_at') or '-':<27}"
                     f"{run.get('status') or '-':<13}{fails}")
        if run.get("error_summary"):
            lines.append(f"{'':<16}last run: {run['error_summary']}")
        q = s.get("quality")
        if q and q["degraded"]:
            lines.append(f"{'':<16}DEGRADED extraction (run of {q['started_at']}): {q['problems']}")
            if q["examples"]:
                lines.append(f"{'':<16}  e.g. {' '.join(q['examples'])}")
        elif q:
            lines.append(f"{'':<16}extraction: {coverage_line(q)}")
        if s.get("revisit_due"):
            lines.append(f"{'':<16}revisit: {s['revisit_due']} known article(s) due for a re-check")
        if s["quiet"]:
            lines.append(f"{'':<16}QUIET: no new article for more than {data['quiet_days']:g} days")
    lines.append("")
    lines.append(", ".join(f"{k} {v}" for k, v in data["totals"].items()))
    older = sum(s.get("older_extraction", 0) for s in data["sites"].values())
    lines.append(f"schema version {data['schema_version']}, extractor {data['extractor_version']}"
                 + (f"; {older} article(s) from an older extractor: `archive reextract` updates them" if older else ""))
    return "\n".join(lines)


def check_problems(data: dict) -> list[str]:
    """One line per problem ``archive stats --check`` fails on: a site whose latest run that
    extracted articles is degraded, or whose last run failed or was blocked."""
    out = []
    for name, s in sorted(data["sites"].items()):
        q = s.get("quality")
        if q and q["degraded"]:
            out.append(f"{name}: extraction degraded ({', '.join(q['dropped'])}): {q['problems']}; "
                       f"e.g. {' '.join(q['examples'])}")
        run = s.get("last_run") or {}
        if run.get("status") in ("failed", "blocked"):
            out.append(f"{name}: last run {run['status']}: {run.get('error_summary') or 'no error summary'}")
    return out
