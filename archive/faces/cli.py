"""The ``archive`` command line. Every command documents itself: ``archive COMMAND --help``."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from archive import termsafe
from archive.db import DB_ENV, DEFAULT_DB
from archive.settings import check_value




def _replica_root() -> Path:
    """The replica's HOST/PATH tree in a source checkout, or a usage error saying what to pass instead."""
    from archive.tooling.checkout import REPLICA_SITE, NotInCheckout, require

    try:
        return require(REPLICA_SITE, "the replica", "pass --root DIR with a HOST/PATH tree to serve")
    except NotInCheckout as exc:
        raise click.UsageError(str(exc))


_ROOT_OPTION = click.option(
    "--root", type=click.Path(exists=True, file_okay=False), default=None,
    show_default="the replica of a source checkout", help="HOST/PATH tree to serve.")


def _require_archive(db_path) -> None:
    """An existing archive file at --db, or exit 2 (creating nothing)."""
    from archive.db import ArchiveOpenError, check_archive_file

    try:
        check_archive_file(db_path)
    except ArchiveOpenError as exc:
        raise click.BadParameter(str(exc), param_hint="--db")


def _require_writable(db_path) -> None:
    """An existing archive this user may write (a command that changes it), or exit 2."""
    from archive.db import writable

    _require_archive(db_path)
    if not writable(db_path):
        raise click.BadParameter(f"{db_path} (or its folder) is not writable by this user, and this command "
                                 "changes the archive: run it as the archive's owner", param_hint="--db")


def _writing_db(db_path) -> None:
    """--db for a command that writes the archive, creating it if needed, or exit 2 (creating nothing)."""
    from archive.db import ArchiveOpenError, check_archive_to_write

    try:
        check_archive_to_write(db_path)
    except ArchiveOpenError as exc:
        raise click.BadParameter(str(exc), param_hint="--db")


def _reading_db(db_path):
    """The archive for a command that only reads: migrated when this user may write it, else opened
    read-only (nothing written or created; see :func:`archive.db.open_readonly`)."""
    from archive.db import open_for_reading

    _require_archive(db_path)
    return open_for_reading(db_path)


def _date_arg(value: str | None, hint: str, *, utc: bool = False) -> str | None:
    """A --since/--until DATE (YYYY-MM-DD, or an ISO time such as 2026-01-31T08:00 or with +08:00):
    the date as YYYY-MM-DD, a time in ISO form (in UTC with *utc*), or exit 2 naming the argument."""
    if value is None:
        return None
    from datetime import date, datetime, timezone

    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return (datetime(day.year, day.month, day.day, tzinfo=timezone.utc).isoformat() if utc
                    else day.isoformat())
        when = datetime.fromisoformat(text)
        if len(text) < 16 or text[10] not in "T ":  # YYYY-MM-DDTHH:MM at least, in the extended form
            raise ValueError(text)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date: give YYYY-MM-DD or an ISO time "
                                 "(YYYY-MM-DDTHH:MM[:SS][+08:00])", param_hint=hint)
    if utc:
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return when.astimezone(timezone.utc).isoformat()
    return when.isoformat()


def _mirror_url(url: str | None) -> None:
    """--mirror URL: http(s)://HOST[:PORT][/PATH], else exit 2."""
    if url is None:
        return
    from archive.settings import check_mirror_url

    try:
        check_mirror_url(url)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--mirror")


def _output_path(output: str | None, hint: str = "--output") -> None:
    """A file to write: its folder must exist and it must not be a folder (checked before anything is written)."""
    if output is None or output == "-":
        return
    out = Path(output)
    if out.is_dir():
        raise click.BadParameter(f"{output} is a folder; give a file name", param_hint=hint)
    if not out.parent.is_dir():
        raise click.BadParameter(f"no folder {out.parent} to write {out.name} in; create it first", param_hint=hint)


def _port_free(host: str, port: int) -> None:
    """Exit 2 when *port* cannot be listened on (busy, or a bad address), before anything says it is served."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise click.BadParameter(f"cannot listen on {host!r}: {exc.strerror}", param_hint="--host")
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do
        try:
            sock.bind(address)
        except OSError as exc:
            raise click.BadParameter(f"cannot listen on {host}:{port}: {exc.strerror or exc} "
                                     "(another server is there? choose another --port)", param_hint="--port")


def _settings_option(values: tuple[str, ...]) -> dict:
    out = {}
    for value in values:
        name, sep, val = value.partition("=")
        if not sep:
            raise click.BadParameter(f"expected NAME=VALUE, got {value!r}", param_hint="--set")
        try:
            check_value(name.strip(), val)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--set") from None
        out[name.strip()] = val
    return out


class _Cli(click.Group):
    """Every usage error (a bad argument or option, a missing or unreadable archive) is one line
    on stderr and exit status 2, never a traceback or a usage screen."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:  # the group's own options (--sites)
            click.echo(termsafe.clean(f"Error: {exc.format_message()} (see `{info_name} --help`)", one_line=True),
                       err=True)
            sys.exit(2)

    def invoke(self, ctx):
        from archive.db import ArchiveOpenError
        from crawler.registry import SiteFileError

        try:
            return super().invoke(ctx)
        except SiteFileError as exc:  # a bad site file: one line naming the file and the field
            click.echo(f"error: site file {exc}", err=True)
            sys.exit(2)
        except click.UsageError as exc:
            see = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
            click.echo(termsafe.clean(f"Error: {exc.format_message()}{see}", one_line=True), err=True)
            sys.exit(2)
        except ArchiveOpenError as exc:
            click.echo(termsafe.clean(f"Error: {exc}", one_line=True), err=True)
            sys.exit(2)


@click.group(cls=_Cli)
@click.version_option(package_name="cn-news-archive")
@click.option("--sites", "sites_dir", type=click.Path(exists=True), default=None,
              help="Directory of declarative site files (*.toml), or one such file, to use beside the "
                   "Python ones (default: the SITES_DIR setting, ./sites).")
@click.pass_context
def cli(ctx, sites_dir):
    """Crawl Chinese news and policy sites into a clean SQLite archive.

    Every --db defaults to the ARCHIVE_DB environment variable when it is set
    (e.g. /var/lib/cn-news-archive/archive.db), else ./archive.db.
    """
    import os

    if os.environ.get(DB_ENV):
        # the default of every command's --db (an explicit --db still wins)
        ctx.default_map = {name: {"db_path": os.environ[DB_ENV]} for name, cmd in ctx.command.commands.items()
                           if any(p.name == "db_path" for p in cmd.params)}
    if sites_dir:
        import os

        from crawler.registry import SITES_DIR_ENV

        os.environ[SITES_DIR_ENV] = sites_dir  # read by every registry look-up, in this process and its children


@cli.command()
@click.argument("sites", nargs=-1)
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Archive file.")
@click.option("--mirror", metavar="URL", help="Fetch https://HOST/PATH from URL/HOST/PATH (a replica or mirror).")
@click.option("--max-pages", type=click.IntRange(min=1), help="List pages to follow per start URL (default 5).")
@click.option("--set", "settings", multiple=True, metavar="NAME=VALUE", help="Any Scrapy setting.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--backfill", is_flag=True,
              help="Walk every list to its end (past pages of known articles), up to BACKFILL_MAX_PAGES.")
@click.option("--redis", "redis_url", metavar="URL",
              help="Be one worker of a distributed crawl: share the frontier in Redis (redis://HOST:PORT) and "
                   "hand finished items to `archive ingest` through it.")
@click.option("--quiet", "-q", is_flag=True,
              help="Print only problems (a site not ok), no summary; the exit status tells the rest.")
@click.option("--verbose", "-v", is_flag=True, help="Print Scrapy's whole log (LOG_LEVEL, INFO by default).")
@click.option("--log-file", type=click.Path(dir_okay=False), metavar="PATH",
              help="Append the whole log (LOG_LEVEL, with tracebacks) to PATH, whatever is printed.")
def crawl(sites, db_path, mirror, max_pages, settings, as_json, backfill, redis_url=None,
          quiet=False, verbose=False, log_file=None):
    """Crawl SITES (all when none given) into the archive.

    While it runs: on a terminal a live line per site (pages, articles, errors,
    rate); elsewhere one line per site when it ends; Scrapy's own log from
    WARNING up, an expected failure (DNS, refused, HTTP error) in one line.
    Then, per site, the articles new / duplicate / known (already archived,
    not fetched again) / blocked / errors.

    Exit status: 0 when every site is ok or partial; 1, with one line per
    site, when a site gave nothing because it was unreachable or blocked (what
    the other sites gave is stored all the same); 75 when a site was skipped
    because another crawl of it is running; 130 / 143 when stopped by Ctrl-C /
    SIGTERM (the run is recorded as interrupted; the next run goes on).
    """
    from archive.faces.crawl import exit_status, format_summary, problem_lines, run_crawl

    if quiet and verbose:
        raise click.UsageError("--quiet and --verbose do not go together; choose one")
    if log_file and not Path(log_file).resolve().parent.is_dir():
        raise click.BadParameter(f"no folder to write {log_file} in; create it first", param_hint="--log-file")
    _writing_db(db_path)
    _mirror_url(mirror)
    extra = _settings_option(settings)
    if max_pages:
        extra["MAX_LIST_PAGES"] = max_pages
    if backfill:
        extra["BACKFILL"] = True
    if redis_url:
        extra["REDIS_URL"] = _redis_url(redis_url)
    loudness = "quiet" if quiet else "verbose" if verbose else "normal"
    try:
        results = run_crawl(sites, db_path=db_path, mirror=mirror, extra_settings=extra,
                            loudness=loudness, log_file=log_file)
    except ValueError as exc:
        raise click.UsageError(str(exc))
    if as_json:
        click.echo(termsafe.json_dumps([r.as_dict() for r in results], indent=2))
    elif not quiet:
        click.echo(termsafe.clean(format_summary(results)))
    for line in problem_lines(results, loudness):
        click.echo(termsafe.clean(line, one_line=True), err=True)
    sys.exit(exit_status(results))


def _report(results, as_json: bool, footer: str = "") -> None:
    """Print the per-site summary; exit 1 with one line per site that gave nothing."""
    from archive.faces.crawl import format_summary

    if as_json:
        click.echo(termsafe.json_dumps([r.as_dict() for r in results], indent=2))
    else:
        click.echo(termsafe.clean(format_summary(results)))
    if footer:
        click.echo(footer, err=as_json)
    failed = [r for r in results if r.status in ("failed", "blocked")]
    for r in failed:
        click.echo(termsafe.clean(f"{r.site}: {r.reason}", one_line=True), err=True)
    if failed:
        sys.exit(1)


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Archive file.")
@_ROOT_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def demo(db_path, root, as_json):
    """Serve the replica (of a source checkout, or --root DIR) on 127.0.0.1 and crawl every site from it.

    Works offline. Running it again adds nothing.
    """
    from archive.faces.crawl import run_crawl
    from archive.db import open_db
    from archive.db import ArchiveOpenError, check_archive_file
    from archive.tooling.mirror_server import serve_in_thread

    try:
        check_archive_file(db_path, must_exist=False)
    except ArchiveOpenError as exc:
        raise click.BadParameter(str(exc), param_hint="--db")
    server, url = serve_in_thread(root or _replica_root())
    click.echo(f"replica served at {url}; crawling every site into {db_path}", err=True)
    try:
        results = run_crawl(None, db_path=db_path, mirror=url, extra_settings={"LOG_LEVEL": "WARNING"})
    finally:
        server.shutdown()
    db = open_db(db_path)
    total = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    db.conn.close()
    _report(results, as_json, f"{db_path}: {total} articles. Browse them: .venv/bin/archive serve --db {db_path}")


@cli.command()
@_ROOT_OPTION
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="0: any free port (printed).")
@click.option("--host", default="127.0.0.1", show_default=True)
def mirror(root, port, host):
    """Serve a HOST/PATH tree (the bundled replica by default) for `crawl --mirror`."""
    from archive.tooling.mirror_server import make_server

    root = root or str(_replica_root())
    try:
        server = make_server(root, host, port)
    except OSError as exc:  # busy port, unknown address: before any "serving" line
        raise click.BadParameter(f"cannot listen on {host}:{port}: {exc.strerror or exc} "
                                 "(another server is there? choose another --port)", param_hint="--port")
    click.echo(f"serving {root} at http://{host}:{server.server_address[1]} (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def sites(ctx, as_json):
    """List the sites (Python site files and TOML ones): key, name, start URLs and refresh interval.

    `archive sites check KEY` tries one site before the scheduler runs it."""
    if ctx.invoked_subcommand is not None:
        return
    from archive.faces.crawl import site_spiders

    from crawler.registry import kind

    rows = []
    for name, cls in site_spiders().items():
        rows.append({
            "site": name,
            "kind": kind(cls),
            "file": getattr(cls, "site_file", None) or cls.__module__,
            "label": cls.label,
            "hosts": list(cls.hosts),
            "start_urls": list(cls.start_urls) + list(cls.feeds),
            "refresh_minutes": cls.refresh_minutes,
        })
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{r['site']:<14}{r['label']}  every {r['refresh_minutes']} min  ({r['kind']}: {r['file']})")
        for url in r["start_urls"]:
            click.echo(f"{'':<14}{url}")


@sites.command("check")
@click.argument("key")
@click.option("--mirror", metavar="URL", help="Fetch https://HOST/PATH from URL/HOST/PATH (a replica or mirror).")
@click.option("--max-pages", type=click.IntRange(1, 50), default=2, show_default=True,
              help="List pages to follow per start URL.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def sites_check(key, mirror, max_pages, as_json):
    """Crawl site KEY once into a throw-away archive and print what it found: article links per list
    page, the articles stored, a sample extraction, the failures. Exit 1 when it stored nothing."""
    from archive.faces.crawl import site_spiders
    from archive.faces.sitecheck import check_site, format_check

    if key not in site_spiders():
        raise click.BadParameter(f"no site {key!r}; known sites: {', '.join(sorted(site_spiders()))}",
                                 param_hint="KEY")
    _mirror_url(mirror)
    report = check_site(key, mirror=mirror, max_pages=max_pages)
    click.echo(termsafe.json_dumps(report, indent=2) if as_json else termsafe.clean(format_check(report)))
    if not report["articles"]:
        sys.exit(1)


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Archive file.")
@click.option("--quiet-days", type=click.FloatRange(min=0, min_open=True), default=7.0, show_default=True,
              help="Flag a site with no new article for longer than this.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option("--check", is_flag=True,
              help="Print only the problems, one line each (a degraded extraction, a failed or blocked last run); "
                   "exit 1 when there is one.")
def stats(db_path, quiet_days, as_json, check):
    """Articles, failures, the last run, its extraction quality and quiet sites, per site."""
    from archive.faces.stats import archive_stats, check_problems, format_stats

    _require_archive(db_path)  # never creates it; a file this user cannot write is read read-only
    data = archive_stats(db_path, quiet_days=quiet_days)
    if check:
        problems = check_problems(data)
        for line in problems:
            click.echo(termsafe.clean(line, one_line=True))
        sys.exit(1 if problems else 0)
    click.echo(termsafe.json_dumps(data, indent=2) if as_json else termsafe.clean(format_stats(data)))


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--url", help="The page's original URL (chooses the site's rules; fills `url`).")
@click.option("--charset", help="Charset from the HTTP header, if known.")
def extract(file, url, charset):
    """Extract one saved page and print a JSON object; touches no database.

    Fields: url, title, published_at, source, author, editor, keywords, document, text.
    """
    from archive.faces.crawl import site_for_url
    from archive.extract import extract as run_extract

    body = Path(file).read_bytes()
    problem = _not_a_page(body)
    if problem:
        raise click.BadParameter(f"{file} {problem}; extract takes a saved HTML page", param_hint="FILE")
    spider = site_for_url(url) if url else None
    result = run_extract(body, url, charset=charset, rules=spider.selectors if spider else None)
    fields = ("url", "title", "published_at", "source", "author", "editor", "keywords", "document", "text")
    click.echo(termsafe.json_dumps({k: result.get(k) for k in fields}, indent=2))


# Magic numbers of files that are no web page (the ones a crawl meets: documents, archives, images).
_BINARY_MAGIC = {b"%PDF": "is a PDF", b"PK\x03\x04": "is a ZIP file (or DOCX/XLSX)",
                 b"\xd0\xcf\x11\xe0": "is an Office (DOC/XLS) file", b"\x89PNG": "is a PNG image",
                 b"\xff\xd8\xff": "is a JPEG image", b"GIF8": "is a GIF image", b"\x1f\x8b": "is gzip-compressed",
                 b"Rar!": "is a RAR archive", b"7z\xbc\xaf": "is a 7-Zip archive"}


def _not_a_page(body: bytes) -> str | None:
    """Why *body* is not a web page (empty, a known binary format, binary bytes), or None."""
    if not body.strip():
        return "is empty"
    head = body.lstrip()[:8]
    for magic, what in _BINARY_MAGIC.items():
        if head.startswith(magic):
            return what
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its byte order mark: text
        return None
    sample = body[:8192]
    if b"\x00" in sample:
        return "is binary (NUL bytes), not text"
    return None


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                               "help_option_names": []})
@click.pass_context
def schedule(ctx):
    """Run periodic refreshes (APScheduler): the same as `python scheduler.py`.

    Options: [SITE...] [--db PATH] [--interval SITE=30m] [--config FILE] [--mirror URL]
    [--redis URL] [--on-failure CMD] [--list] [--once] [--set NAME=VALUE]; `archive schedule --help` prints them all.
    """
    import scheduler

    sys.exit(scheduler.main(ctx.args))


@cli.command(name="eval")
@click.argument("pages_dir", type=click.Path(exists=True, file_okay=False))
@click.argument("gold_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--meta", "meta_dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="Gold metadata <id>.json (default: a meta/ directory beside GOLD_DIR, when there is one).")
def eval_(pages_dir, gold_dir, meta_dir):
    """Score extraction on PAGES_DIR/<id>.html against GOLD_DIR/<id>.txt, beside plain trafilatura;
    with gold metadata, also the accuracy of title, published_at, source, author and editor."""
    from archive.tooling import evaluate

    sys.exit(evaluate.main((["--meta", meta_dir] if meta_dir else []) + [pages_dir, gold_dir]))


# ---------------------------------------------------------- browse, search, export

@cli.command(name="serve")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Archive file.")
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--immutable", is_flag=True, help="The file will not change while served (faster counts).")
@click.option("--sql-time-limit-ms", type=click.IntRange(min=1), default=3000, show_default=True,
              help="Datasette stops any SQL statement running longer than this (one heavy query cannot "
                   "hold the server); the archive's own pages need far less.")
def serve_cmd(db_path, port, host, immutable, sql_time_limit_ms):
    """Browse the archive in Datasette (read-only), with Chinese full-text search.

    Works as a user who may only read the file (see docs/deployment.md).
    JSON API, search syntax and export fields: docs/datasette.md.
    """
    from archive.faces.serve import prepare, serve, serve_until_writer

    _require_archive(db_path)
    _port_free(host, port)
    mode = prepare(db_path, immutable=immutable)
    if mode.note:  # read-only for this user and no writer yet: as it is, live once a writer comes
        click.echo(f"note: {mode.note}", err=True)
        click.echo(f"serving {db_path} at http://{host}:{port}/ (Ctrl-C stops)", err=True)
        sys.exit(serve_until_writer(db_path, host=host, port=port, sql_time_limit_ms=sql_time_limit_ms))
    click.echo(f"serving {db_path} at http://{host}:{port}/ (Ctrl-C stops)", err=True)
    sys.exit(serve(db_path, host=host, port=port, immutable=mode.immutable, prepared=True,
                   sql_time_limit_ms=sql_time_limit_ms))


@cli.command(name="search")
@click.argument("query")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Archive file.")
@click.option("--site", help="Only this site.")
@click.option("--since", metavar="DATE", help="Only articles published on or after DATE (YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="Only articles published on or before DATE (YYYY-MM-DD).")
@click.option("--originals", is_flag=True, help="Leave out reposts (articles that duplicate another).")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--rank", type=click.Choice(["newest", "relevance"]), default="newest", show_default=True,
              help="Order: newest = most recently archived first (fast however common the words); "
                   "relevance = best match first (bm25, title 5:1 over text) among the newest 10,000 matches.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one array of results; each has its url).")
def search_cmd(query, db_path, site, since, until, originals, limit, rank, as_json):
    """Full-text search of titles, keywords and texts, newest first (--rank relevance: best match first).

    Words separated by spaces must all appear (储能 氢能); OR between words
    finds either (储能 OR 氢能; AND binds tighter: 储能 电池 OR 氢能); "quoted
    phrases" must appear as written; Latin words and numbers match whole words
    (100kW), word* matches a prefix. NOT is not supported. Each result shows
    its URL and a snippet with the hits marked; the last line says how many
    articles match.
    """
    from archive.search import count, count_attachments, search, search_attachments

    since, until = _date_arg(since, "--since"), _date_arg(until, "--until")
    _check_query(query)
    db = _reading_db(db_path)
    _known_site(site, db)
    kw = dict(site=site, since=since, until=until, originals=originals)
    results = search(db, query, limit=limit, rank=rank, **kw)
    in_files = search_attachments(db, query, limit=limit, **kw)  # hits inside attachments (their "attachment")
    if as_json:
        click.echo(termsafe.json_dumps(results + in_files, indent=2))
        return
    hits = count(db, query, **kw)
    import html

    # Crawled text reaches the terminal only through termsafe.clean: no escape
    # sequence or control character in a title or a text gets through.
    for r in results + in_files:
        parts = r["snippet"].replace("</mark>", "<mark>").split("<mark>")
        snip = "".join(click.style(termsafe.clean(html.unescape(p), one_line=True), bold=bool(i % 2))
                       for i, p in enumerate(parts))
        repost = f"  (repost of {r['duplicate_of']})" if r.get("duplicate_of") else ""
        line = (f"{r['id']:>7}  {termsafe.clean(r['published_at'] or '', one_line=True)[:10]:<10}  "
                f"{termsafe.clean(r['site'], one_line=True):<12} {termsafe.clean(r['title'], one_line=True)}")
        click.echo(line)
        click.echo(f"{'':>9}{termsafe.clean(r['url'] or '', one_line=True)}{repost}")
        click.echo(f"{'':>9}{snip}")
        if r.get("attachment"):
            att = r["attachment"]
            click.echo(f"{'':>9}in attachment: {termsafe.clean(att['name'] or '', one_line=True)}  "
                       f"{termsafe.clean(att['url'] or '', one_line=True)}")
    if in_files:
        found = count_attachments(db, query, **kw)
        shown = f"showing {len(in_files)}" if len(in_files) < found else "all shown"
        click.echo(f"{found} hit{'s' if found != 1 else ''} in attachments ({shown})")
    shown = f"showing {len(results)}" if len(results) < hits else "all shown"
    click.echo(f"{hits} hit{'s' if hits != 1 else ''} ({shown})" if hits
               else "no hits in articles" if in_files else "no results", err=not hits and not in_files)


@cli.command(name="export")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Archive file.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "warc"]), default="jsonl", show_default=True,
              help="warc: the stored raw pages as a WARC file (needs --output; see `archive export-warc`).")
@click.option("--since", metavar="CURSOR|TIMESTAMP",
              help="A change_seq cursor (integer: only later changes) or an ISO timestamp (changed at or after); "
                   "with --format warc, a date or ISO time of the fetch.")
@click.option("--site", help="Only this site.")
@click.option("--cursor-file", type=click.Path(dir_okay=False),
              help="Read the cursor from this file (if it exists) and store the new one after the export.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@click.option("--originals", is_flag=True, help="Leave out reposts (articles with a duplicate_of).")
@click.option("--bom/--no-bom", default=True, show_default=True,
              help="CSV only: start with a UTF-8 byte order mark (Excel needs it to read Chinese).")
def export_cmd(db_path, fmt, since, site, cursor_file, output, originals, bom):
    """Stream articles inserted or changed since a cursor, oldest change first.

    Fields (stable): id url site title published_at source author editor
    keywords (a JSON array) text text_hash pages first_seen last_seen
    change_seq changed_at duplicate_of duplicate_score. duplicate_of names the
    original of a repost (empty for an original); --originals leaves reposts out.
    The cursor for the next run is printed to stderr as `cursor: N`.
    """
    if fmt == "warc":
        if not output:
            raise click.BadParameter("--format warc writes a file: give it with --output FILE.warc.gz",
                                     param_hint="--output")
        if cursor_file or originals:
            raise click.BadParameter("--cursor-file and --originals are for jsonl and csv", param_hint="--format")
        return _write_warc(output, db_path, site, since)
    from archive.export import export, write_cursor_file

    if since is not None:
        since = since.strip()
        if not since.isdigit():  # a cursor, else a time
            try:
                since = _date_arg(since, "--since", utc=True)
            except click.BadParameter:
                raise click.BadParameter(f"{since!r} is neither a cursor (a whole number, as printed by the "
                                         "last export) nor a date (YYYY-MM-DD or ISO time)", param_hint="--since")
    _output_path(output)
    _output_path(cursor_file, "--cursor-file")
    if cursor_file and since is None:
        since = _read_cursor(cursor_file)
    db = _reading_db(db_path)
    _known_site(site, db)
    if output:
        with open(output, "w", encoding="utf-8", newline="") as out:
            cursor = export(db, out, fmt=fmt, since=since, site=site, originals=originals, bom=bom)
    else:
        cursor = export(db, sys.stdout, fmt=fmt, since=since, site=site, originals=originals, bom=bom)
        sys.stdout.flush()
    if cursor_file:
        write_cursor_file(cursor_file, cursor)
    click.echo(f"cursor: {cursor}", err=True)


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Archive file.")
@click.option("--rebuild", is_flag=True, help="Drop the near-duplicate index and groups and rebuild them over the whole archive.")
@click.option("--eval", "eval_dir", is_flag=False, flag_value="", default=None, metavar="[DIR]",
              help="Score the detector on a labelled set (default: tests/neardup_eval of a source checkout); "
                   "touches no archive.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def dedup(db_path, rebuild, eval_dir, as_json):
    """Group near-duplicate articles (reposts, syndicated copies) under their canonical article.

    Without options, adds the articles the index does not have yet (the crawl
    does this as it stores them). Groups are in articles.duplicate_of (NULL for
    the canonical article) and articles.duplicate_score; nothing is deleted.
    With --eval, exits with status 1 when precision, recall or the canonical
    choice misses its target.
    """
    from archive import dedup as neardup
    from archive.faces.crawl import site_labels

    if eval_dir is not None:
        from archive.tooling import neardup_eval

        from archive.tooling.checkout import NEARDUP_EVAL, NotInCheckout, require

        try:
            path = Path(eval_dir) if eval_dir else require(NEARDUP_EVAL, "the labelled near-duplicate set",
                                                           "pass --eval DIR")
        except NotInCheckout as exc:
            raise click.UsageError(str(exc))
        if not (path / "docs.jsonl").is_file():
            raise click.BadParameter(f"{path} holds no docs.jsonl and pairs.csv", param_hint="--eval")
        result = neardup_eval.evaluate(path, labels=site_labels())
        click.echo(json.dumps(result, ensure_ascii=False, indent=2) if as_json
                   else neardup_eval.format_evaluation(result))
        sys.exit(0 if result["passed"] else 1)
    _require_writable(db_path)
    from archive.db import open_db

    db = open_db(db_path)
    progress = None if as_json else (lambda done, total: click.echo(f"  {done}/{total}", err=True))
    labels = site_labels()
    try:
        n = (neardup.rebuild(db, progress=progress, labels=labels) if rebuild
             else neardup.index_missing(db, progress=progress, labels=labels))
    except neardup.NeedsRebuild as exc:
        raise click.ClickException(str(exc))
    data = dict(neardup.summary(db), added=n, rebuilt=rebuild)
    db.conn.close()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(f"indexed {n} article(s){' (full rebuild)' if rebuild else ''}; {data['articles']} articles: "
                   f"{data['originals']} originals, {data['duplicates']} near-duplicates in {data['groups']} groups")


def _since_date(value: str | None) -> str | None:
    """--since DATE (YYYY-MM-DD or an ISO time) as a UTC ISO time comparable with stored times."""
    return _date_arg(value, "--since", utc=True)


def _read_cursor(cursor_file) -> int | None:
    """The cursor stored by the last export (None: no file yet, or an empty one); exit 2 on anything else."""
    p = Path(cursor_file)
    if not p.exists():
        return None
    try:
        value = p.read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise click.BadParameter(f"cannot read {cursor_file}: {exc}", param_hint="--cursor-file")
    if value and not value.isdigit():
        raise click.BadParameter(f"{cursor_file} holds {value[:40]!r}, not a cursor (a whole number written by "
                                 "the last export); fix or delete it", param_hint="--cursor-file")
    return int(value) if value else None


def _known_site(site: str | None, db=None) -> None:
    """--site names a site of the registry (or, given *db*, one that has articles there); else exit 2
    listing the known ones."""
    from archive.faces.crawl import site_spiders

    if site is None:
        return
    known = set(site_spiders())
    if site in known:
        return
    if db is not None:
        if db.execute("SELECT 1 FROM articles WHERE site = ? LIMIT 1", [site]).fetchone():
            return
        known |= {name for (name,) in db.execute("SELECT DISTINCT site FROM articles")}
    raise click.BadParameter(f"no site {site!r}; known sites: {', '.join(sorted(known))}", param_hint="--site")


def _check_query(query: str) -> None:
    """A search query with something to find, and no operator the search does not have."""
    from archive.search import fts_query, parse_query

    words = query.split()
    if "NOT" in words:
        raise click.BadParameter("NOT is not supported: words separated by spaces must all appear, "
                                 "OR between words finds either", param_hint="QUERY")
    if words and words[0] in ("OR", "AND") or words and words[-1] in ("OR", "AND"):
        raise click.BadParameter(f"{words[0] if words[0] in ('OR', 'AND') else words[-1]} needs a word on "
                                 "each side (储能 OR 氢能)", param_hint="QUERY")
    if not parse_query(query) or fts_query(query) is None:
        raise click.BadParameter(f"{query!r} has no word to search for", param_hint="QUERY")


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Archive file.")
@click.option("--site", help="Only this site's articles.")
@click.option("--since", metavar="DATE", help="Only articles last fetched on or after DATE (YYYY-MM-DD or ISO time).")
@click.option("--dry-run", is_flag=True, help="Count what would change and show a sample diff; write nothing.")
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="Extraction processes (default: one per core; 0: in this process).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def reextract(db_path, site, since, dry_run, workers, as_json):
    """Re-run the current extractor over the stored raw pages.

    Articles whose text or metadata come out different are updated; the stored
    version is kept in `revisions` with reason `reextract`. The full-text index,
    the export change counter and the near-duplicate groups follow, and so do the
    government documents (their facts tables) and the citations of them: this is how
    an archive stored before documents existed gets them. Progress goes to stderr.
    """
    _require_archive(db_path)
    since = _since_date(since)
    _known_site(site)
    from archive.db import open_db, open_readonly, writable
    from archive.faces.crawl import site_labels, site_spiders
    from archive.reextract import reextract as run

    if dry_run and not writable(db_path):
        db = open_readonly(db_path)  # a look needs no write access
    elif not writable(db_path):
        raise click.BadParameter(f"{db_path} is not writable by this user; --dry-run only looks",
                                 param_hint="--db")
    else:
        db = open_db(db_path, migrate_schema=not dry_run)
    from archive.schema import SCHEMA_VERSION, schema_version

    if dry_run and schema_version(db) < SCHEMA_VERSION:
        db.conn.close()
        raise click.ClickException("the archive's schema is older than this program's: "
                                   "run `archive reextract` without --dry-run (or any command) to upgrade it first")
    rules = {name: cls.selectors for name, cls in site_spiders().items()}

    def progress(done, total):
        click.echo(f"\r  re-extracted {done}/{total}", err=True, nl=done >= total)

    try:
        result = run(db, rules_by_site=rules, site=site, since=since, dry_run=dry_run, workers=workers,
                     labels=site_labels(), progress=progress)
    finally:
        db.conn.close()
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    verb = "would change" if dry_run else "changed"
    fields = ", ".join(f"{k} {n}" for k, n in sorted(result.changed_fields.items())) or "none"
    click.echo(f"{result.selected} article(s) re-extracted: {result.changed} {verb} (fields: {fields}), "
               f"{result.unchanged} unchanged, {result.no_text} give no text now (kept), "
               f"{result.errors} cannot be extracted (kept)")
    click.echo(f"government documents: {result.documents}, rows {'to write' if dry_run else 'written'} or removed: "
               f"{result.documents_changed}")
    if result.sample_diff:
        click.echo("sample:\n" + termsafe.clean(result.sample_diff))


@cli.command(name="export-warc")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Archive file.")
@click.option("--site", help="Only this site's pages.")
@click.option("--since", metavar="DATE", help="Only pages fetched on or after DATE (YYYY-MM-DD or ISO time).")
def export_warc_cmd(file, db_path, site, since):
    """Write the stored raw pages as a WARC file (ISO 28500; gzip when FILE ends in .gz).

    One response record per stored fetch (original URL, fetch time, status line and
    the kept headers, payload digest) and a metadata record naming its article.
    The same as `archive export --format warc -o FILE`.
    """
    _write_warc(file, db_path, site, since)


def _write_warc(file, db_path, site, since) -> None:
    _require_archive(db_path)
    since = _since_date(since)
    _known_site(site)
    from archive.warc import export_warc

    out = Path(file)
    if out.exists():
        raise click.BadParameter(f"{file} exists; choose a new file", param_hint="FILE")
    _output_path(file, "FILE")
    db = _reading_db(db_path)
    part = out.with_name(out.name + ".part")
    try:
        with open(part, "wb") as fh:
            n = export_warc(db, fh, site=site, since=since, filename=out.name, gzip=out.suffix == ".gz",
                            progress=lambda k: click.echo(f"  {k} records", err=True))
        part.replace(out)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    finally:
        db.conn.close()
    click.echo(f"wrote {n} response record(s) with their metadata records to {file}")


@cli.command()
@click.argument("dest", type=click.Path())
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Archive file.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def backup(dest, db_path, as_json):
    """Copy the archive to DEST (a new file, or a directory) while crawls may write to it.

    Uses SQLite's online backup API, then checks the copy with PRAGMA integrity_check;
    a copy that fails is deleted and the command exits with status 1.
    """
    _require_archive(db_path)
    if not Path(dest).is_dir():
        _output_path(dest, "DEST")
    from archive.backup import BackupError, backup as run

    try:
        result = run(db_path, dest)
    except BackupError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        click.echo(f"backup {result['path']}: {result['bytes']} bytes, schema version {result['schema_version']}, "
                   f"{result['articles']} articles, integrity ok")


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Archive file.")
def migrate(db_path):
    """Bring the archive to this program's schema version (and print it).

    Any command that may write the archive does this when it opens it; run it
    after an upgrade (take a backup first: `archive backup`) so that users who
    may only read the file (`archive serve` as its own user) can open it.
    """
    _require_archive(db_path)
    from archive.db import open_db, writable
    from archive.schema import SCHEMA_VERSION, schema_version

    if not writable(db_path):
        raise click.BadParameter(f"{db_path} is not writable by this user; run it as the archive's owner",
                                 param_hint="--db")
    import sqlite3

    conn = sqlite3.connect(db_path)
    try:
        before = conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
    try:
        db = open_db(db_path)
    except RuntimeError as exc:  # newer than this program
        raise click.BadParameter(str(exc), param_hint="--db")
    after = schema_version(db)
    db.conn.close()
    click.echo(f"{db_path}: schema version {after}" + (f" (migrated from {before})" if before != after
                                                       else f", up to date (this program: {SCHEMA_VERSION})"))


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Archive file.")
@click.option("--site", help="Only this site's pages.")
@click.option("--retrain", is_flag=True,
              help="Train a new dictionary version for each site first (else only where one is due).")
@click.option("--level", type=click.IntRange(1, 22), default=None,
              help="zstd level: rewrite every page at it (19: about 5% smaller than the default 9, "
                   "ten times the CPU; see bench/storage_bench.py).")
def compact(db_path, site, retrain, level):
    """Recompress stored raw pages with their site's newest zstandard dictionary.

    Rewrites the zlib pages of older versions, the pages stored before their
    site had a dictionary and those of older dictionary versions; every page
    reads the same before and after (its size and SHA-1 are kept). Runs in
    small transactions beside a crawl. The file shrinks after a VACUUM (or
    reuses the freed space for new pages).
    """
    _require_archive(db_path)
    _known_site(site)
    from archive import rawstore
    from archive.db import open_db, writable

    if not writable(db_path):
        raise click.BadParameter(f"{db_path} is not writable by this user; run it as the archive's owner",
                                 param_hint="--db")
    db = open_db(db_path)

    def progress(s, out):
        click.echo(f"\r  {s}: {out['rewritten']} page(s) rewritten", err=True, nl=False)

    try:
        out = rawstore.compact(db, site=site, retrain=retrain, progress=progress, level=level)
    finally:
        db.conn.close()
    if out["rewritten"]:
        click.echo("", err=True)
    saved = out["bytes_before"] - out["bytes_after"]
    click.echo(f"{out['sites']} site(s), {out['trained']} dictionar{'y' if out['trained'] == 1 else 'ies'} trained, "
               f"{out['rewritten']} page(s) rewritten: {out['bytes_before']:,} -> {out['bytes_after']:,} bytes "
               f"({saved:,} saved)")


@cli.command(name="import-warc")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Archive file (created if needed).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def import_warc_cmd(file, db_path, as_json):
    """Re-extract the articles of a WARC file (e.g. from `archive export-warc`) into an archive.

    Captures are grouped into articles by the metadata records `export-warc` writes (other
    WARCs: one article per HTTP 200 response of a known site); URLs already archived are left alone.
    """
    from dataclasses import asdict

    from archive.db import ArchiveOpenError, check_archive_file
    from archive.faces.warc_import import import_warc

    try:
        check_archive_file(db_path, must_exist=False)
    except ArchiveOpenError as exc:
        raise click.BadParameter(str(exc), param_hint="--db")
    try:
        with open(file, "rb") as fh:
            result = import_warc(fh, db_path)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="FILE")
    if as_json:
        click.echo(json.dumps(asdict(result), ensure_ascii=False, indent=2))
    else:
        click.echo(f"{result.articles} article(s) in {file}: {result.imported} imported, {result.already} already "
                   f"archived, {result.no_site} of no known site, {result.no_text} without article text, "
                   f"{len(result.errors)} failed")
        for line in result.errors[:10]:
            click.echo(termsafe.clean(line, one_line=True), err=True)



def _redis_url(url: str) -> str:
    """*url* when a Redis server answers there; else a usage error (one line, exit 2)."""
    from crawler.distributed import connect

    try:
        connect(url).close()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--redis")
    return url


@cli.command(name="ingest")
@click.option("--redis", "redis_url", required=True, metavar="URL", help="The Redis of the distributed crawl.")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Archive file (created if needed).")
@click.option("--until-done", is_flag=True,
              help="Stop once every run it saw has finished and no item waits (default: run until stopped).")
@click.option("--json", "as_json", is_flag=True, help="Print each finished run's summary as one JSON line.")
def ingest_cmd(redis_url, db_path, until_done, as_json):
    """Store what the workers of a distributed crawl (`archive crawl --redis URL`) fetched.

    The one writer of the archive: pops finished items from Redis and stores them with the
    same dedup, store and near-duplicate stages as a single-process crawl; completes each
    site's crawl_runs row when its last worker stops. An item leaves Redis only once stored.
    """
    from archive.db import Archive, ArchiveOpenError, check_archive_file
    from archive.faces.crawl import project_settings, site_spiders
    from crawler.distributed import WriteFailed, Writer

    try:
        check_archive_file(db_path, must_exist=False)
    except ArchiveOpenError as exc:
        raise click.BadParameter(str(exc), param_hint="--db")
    url = _redis_url(redis_url)
    settings = project_settings(ARCHIVE_DB=str(db_path))
    Archive(db_path).open().close()  # created and migrated before the stages open it

    def report(outcome):
        if not outcome:
            return
        if as_json:
            click.echo(json.dumps(outcome, ensure_ascii=False))
        else:
            click.echo(f"{outcome['site']}: run finished: {outcome['new']} new, {outcome['updated']} updated, "
                       f"{outcome['unchanged']} unchanged, {outcome['duplicate']} duplicate, "
                       f"{outcome['errors']} errors ({outcome['status']})")

    writer = Writer(url, settings, site_spiders(settings), until_done=until_done, report=report)
    try:
        stored = writer.run()
    except KeyboardInterrupt:
        stored = writer.stored
    except WriteFailed as exc:  # the item stays in Redis for the next writer
        click.echo(f"{writer.stored} item(s) stored; stopped: {exc}", err=True)
        sys.exit(1)
    click.echo(f"{stored} item(s) stored", err=True)


if __name__ == "__main__":
    cli()
