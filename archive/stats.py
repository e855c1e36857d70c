"""What is in an archive: articles, failures and last activity per site."""
from __future__ import annotations

from archive.db import open_db


def archive_stats(db_path) -> dict:
    db = open_db(db_path)
    try:
        sites = {}
        for site, n, last_seen, newest in db.execute(
            "SELECT site, count(*), max(last_seen), max(published_at) FROM articles GROUP BY site"
        ):
            sites[site] = {"articles": n, "last_seen": last_seen, "newest_published": newest, "failures": {}}
        for site, kind, n in db.execute("SELECT site, kind, count(*) FROM failures GROUP BY site, kind"):
            sites.setdefault(site, {"articles": 0, "last_seen": None, "newest_published": None, "failures": {}})
            sites[site]["failures"][kind] = n
        totals = {
            "articles": db.execute("SELECT count(*) FROM articles").fetchone()[0],
            "raw_pages": db.execute("SELECT count(*) FROM raw_pages").fetchone()[0],
            "article_urls": db.execute("SELECT count(*) FROM article_urls").fetchone()[0],
            "attachments": db.execute("SELECT count(*) FROM attachments").fetchone()[0],
            "failures": db.execute("SELECT count(*) FROM failures").fetchone()[0],
        }
        return {"sites": sites, "totals": totals}
    finally:
        db.conn.close()


def format_stats(data: dict) -> str:
    lines = [f"{'site':<14}{'articles':>9}  {'newest published':<26}{'last seen':<26}failures"]
    for site, s in sorted(data["sites"].items()):
        fails = ", ".join(f"{k} {v}" for k, v in sorted(s["failures"].items())) or "-"
        lines.append(f"{site:<14}{s['articles']:>9}  {s['newest_published'] or '-':<26}{s['last_seen'] or '-':<26}{fails}")
    t = data["totals"]
    lines.append("")
    lines.append(", ".join(f"{k} {v}" for k, v in t.items()))
    return "\n".join(lines)
