"""The ``archive`` command line. Every command documents itself: ``archive COMMAND --help``."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from archive.db import DEFAULT_DB

REPLICA_ROOT = Path(__file__).resolve().parent.parent / "replica" / "site"


def _settings_option(values: tuple[str, ...]) -> dict:
    out = {}
    for value in values:
        name, sep, val = value.partition("=")
        if not sep:
            raise click.BadParameter(f"expected NAME=VALUE, got {value!r}", param_hint="--set")
        out[name.strip()] = val
    return out


@click.group()
@click.version_option(package_name="cn-news-archive")
def cli():
    """Crawl Chinese news and policy sites into a clean SQLite archive."""


@cli.command()
@click.argument("sites", nargs=-1)
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Archive file.")
@click.option("--mirror", metavar="URL", help="Fetch https://HOST/PATH from URL/HOST/PATH (a replica or mirror).")
@click.option("--max-pages", type=int, help="List pages to follow per start URL (default 5).")
@click.option("--set", "settings", multiple=True, metavar="NAME=VALUE", help="Any Scrapy setting.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def crawl(sites, db_path, mirror, max_pages, settings, as_json):
    """Crawl SITES (all when none given) into the archive.

    Prints, per site, the articles new / duplicate / known (already archived,
    not fetched again) / blocked / errors. Exits with status 1 and one line per
    site when a site gave nothing because it was unreachable or blocked; what
    the other sites gave is stored all the same.
    """
    from archive.crawl import format_summary, run_crawl

    extra = _settings_option(settings)
    if max_pages:
        extra["MAX_LIST_PAGES"] = max_pages
    try:
        results = run_crawl(sites, db_path=db_path, mirror=mirror, extra_settings=extra)
    except ValueError as exc:
        raise click.UsageError(str(exc))
    _report(results, as_json)


def _report(results, as_json: bool) -> None:
    from archive.crawl import format_summary

    if as_json:
        click.echo(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2))
    else:
        click.echo(format_summary(results))
    failed = [r for r in results if r.status in ("failed", "blocked")]
    for r in failed:
        click.echo(f"{r.site}: {r.reason}", err=True)
    if failed:
        sys.exit(1)


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Archive file.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def demo(db_path, as_json):
    """Serve the bundled replica on 127.0.0.1 and crawl every site from it.

    Works offline. Running it again adds nothing.
    """
    from archive.crawl import run_crawl
    from archive.mirror_server import serve_in_thread

    server, url = serve_in_thread(REPLICA_ROOT)
    click.echo(f"replica served at {url}; crawling every site into {db_path}")
    try:
        results = run_crawl(None, db_path=db_path, mirror=url)
    finally:
        server.shutdown()
    _report(results, as_json)


@cli.command()
@click.option("--root", type=click.Path(exists=True, file_okay=False), default=str(REPLICA_ROOT),
              show_default="the bundled replica", help="HOST/PATH tree to serve.")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
def mirror(root, port, host):
    """Serve a HOST/PATH tree (the bundled replica by default) for `crawl --mirror`."""
    from archive.mirror_server import make_server

    server = make_server(root, host, port)
    click.echo(f"serving {root} at http://{host}:{server.server_address[1]} (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def sites(as_json):
    """List the sites: key, name, start URLs and refresh interval."""
    from archive.crawl import site_spiders

    rows = []
    for name, cls in site_spiders().items():
        rows.append({
            "site": name,
            "label": cls.label,
            "hosts": list(cls.hosts),
            "start_urls": list(cls.start_urls) + list(cls.feeds),
            "refresh_minutes": cls.refresh_minutes,
        })
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{r['site']:<14}{r['label']}  every {r['refresh_minutes']} min")
        for url in r["start_urls"]:
            click.echo(f"{'':<14}{url}")


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Archive file.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def stats(db_path, as_json):
    """Articles, failures and last activity per site."""
    from archive.stats import archive_stats, format_stats

    if not Path(db_path).exists():
        raise click.ClickException(f"no archive at {db_path}; run `archive crawl` first")
    data = archive_stats(db_path)
    click.echo(json.dumps(data, ensure_ascii=False, indent=2) if as_json else format_stats(data))


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--url", help="The page's original URL (chooses the site's rules; fills `url`).")
@click.option("--charset", help="Charset from the HTTP header, if known.")
def extract(file, url, charset):
    """Extract one saved page and print a JSON object; touches no database.

    Fields: url, title, published_at, source, author, editor, keywords, text.
    """
    from archive.crawl import site_for_url
    from archive.extract import extract as run_extract

    body = Path(file).read_bytes()
    spider = site_for_url(url) if url else None
    result = run_extract(body, url, charset=charset, rules=spider.selectors if spider else None)
    fields = ("url", "title", "published_at", "source", "author", "editor", "keywords", "text")
    click.echo(json.dumps({k: result.get(k) for k in fields}, ensure_ascii=False, indent=2))


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                               "help_option_names": []})
@click.pass_context
def schedule(ctx):
    """Run periodic refreshes (APScheduler): the same as `python scheduler.py`.

    Options: [SITE...] [--db PATH] [--interval SITE=30m] [--config FILE] [--mirror URL]
    [--list] [--once] [--set NAME=VALUE]; `archive schedule --help` prints them all.
    """
    import scheduler

    sys.exit(scheduler.main(ctx.args))


@cli.command(name="eval")
@click.argument("pages_dir", type=click.Path(exists=True, file_okay=False))
@click.argument("gold_dir", type=click.Path(exists=True, file_okay=False))
def eval_(pages_dir, gold_dir):
    """Score extraction on PAGES_DIR/<id>.html against GOLD_DIR/<id>.txt, beside plain trafilatura."""
    from archive import evaluate

    sys.exit(evaluate.main([pages_dir, gold_dir]))


if __name__ == "__main__":
    cli()
