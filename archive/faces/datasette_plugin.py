"""Datasette plugin: Chinese full-text search and readable articles in the archive.

Registered through the ``datasette`` entry point in pyproject.toml, so it is
active whenever Datasette runs in this environment (``archive serve`` or plain
``datasette archive.db``). It acts only on databases that have the archive's
search index (``articles_fts``); any other database is left alone.

* SQL functions ``archive_fts_query(q)`` (user query -> FTS5 expression) and
  ``archive_snippet(text, q)`` (hits wrapped in <mark>), the same code as
  ``archive search`` (archive/search.py).
* ``?_search=`` on the ``articles`` table (the search box and the JSON API):
  Datasette's built-in search would pass the words to FTS5 as they are, which
  cannot match the index's bigram tokens; this filter translates them.
* The ``text`` column is shown as paragraphs; search snippets show their marks,
  and only those: no value of a query result is ever HTML (``marked_html``).
* Read as an archive (templates in ``archive/faces/datasette/templates``, which
  ``archive serve`` passes to Datasette): the ``articles`` table opens with
  title, site name, date, source and an excerpt; site keys show as the sites'
  own names (from the spiders' ``label``, through the crawl runner); keywords
  as tags; an article page shows its attachments, the other copies of its story
  and its revisions.
* ``/DB/-/search``: a search page for people (query box, site, dates,
  originals only, result cards with marked snippets, hit count, paging), and
  ``/DB/-/feed.atom`` (``?q=`` ``&site=`` ``&originals=1``): an Atom feed of
  the newest matching articles.
* JSON: ``keywords`` comes as a JSON array (``_json=keywords`` is implied), as
  in ``archive export``.
"""
from __future__ import annotations

import html
import json
import re
from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import parse_qsl, quote, urlencode
from xml.etree import ElementTree as ET

from datasette import hookimpl
from datasette.filters import FilterArguments
from markupsafe import Markup

from archive.search import ATTACHMENTS_FTS, FTS_TABLE, count as search_count, fts_query, search as run_search, snippet

_ARCHIVE_DBS: set[str] = set()


def _snippet_sql(text, query, width=80):
    return snippet(text, query or "", width=max(1, min(int(width or 80), 2000)))


@hookimpl
def prepare_connection(conn, database):
    # An empty query matches nothing ('""' is FTS5's empty phrase) rather than failing.
    conn.create_function("archive_fts_query", 1, lambda q: fts_query(q or "") or '""', deterministic=True)
    conn.create_function("archive_snippet", 2, _snippet_sql, deterministic=True)
    conn.create_function("archive_snippet", 3, _snippet_sql, deterministic=True)
    try:
        found = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [FTS_TABLE]
        ).fetchone()
    except Exception:
        found = None
    if found:
        _ARCHIVE_DBS.add(database)


async def _is_archive(datasette, database: str) -> bool:
    if database in _ARCHIVE_DBS:
        return True
    db = datasette.get_database(database)
    rows = await db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [FTS_TABLE]
    )
    if rows.first():
        _ARCHIVE_DBS.add(database)
        return True
    return False


@hookimpl(trylast=True)
def filters_from_request(request, database, table, datasette):
    # trylast: runs after Datasette's own search filter, so its
    # "supports_search" (false: the index is not an FTS table of `articles`
    # that Datasette can use as it is) is replaced by ours.
    async def inner():
        if table not in ("articles", "attachments") or not await _is_archive(datasette, database):
            return None
        index = FTS_TABLE if table == "articles" else ATTACHMENTS_FTS  # attachments: their names and texts
        query = request.args.get("_search", "")
        extra = {"supports_search": True, "search": query}
        if not query.strip():
            return FilterArguments([], extra_context=extra)
        return FilterArguments(
            [f"id IN (SELECT rowid FROM {index} WHERE {index} MATCH archive_fts_query(:archive_search))"],
            {"archive_search": query},
            [f'search matches "{query}"'],
            extra,
        )

    return inner


_MARK = ("<mark>", "</mark>")
_MARK_SPLIT = re.compile("(" + "|".join(re.escape(m) for m in _MARK) + ")")


def marked_html(value: str) -> Markup:
    """A snippet as HTML in which nothing but ``<mark>``/``</mark>`` can be markup.

    Any SQL query may name a column ``snippet`` (``?sql=select '<script>…' as
    snippet``), so a value is never trusted as HTML for its name: it is read
    as :func:`archive.search.snippet` writes it (escaped text between literal
    mark tags), each piece between the tags unescaped and escaped again. The
    function's own output comes out unchanged; anything else shows as text.
    """
    out = []
    for piece in _MARK_SPLIT.split(value):
        out.append(piece if piece in _MARK else html.escape(html.unescape(piece)))
    return Markup("".join(out))


def _paragraphs(text: str) -> Markup:
    paras = [p.strip() for p in (text or "").split("\n") if p.strip()]
    return Markup('<div class="archive-text">' + "".join(f"<p>{html.escape(p)}</p>" for p in paras) + "</div>")


@lru_cache(maxsize=1)
def site_labels() -> dict[str, str]:
    """{site key: the site's own name}, from the spiders (the crawl runner's registry)."""
    try:
        from archive.faces.crawl import site_labels as labels

        return {k: v for k, v in labels().items() if v}
    except Exception:  # a broken site file must not take the archive offline
        return {}


def site_label(key) -> str:
    return site_labels().get(key, key) if isinstance(key, str) else ("" if key is None else str(key))


def _keyword_tags(value: str, datasette, database) -> Markup | None:
    try:
        words = json.loads(value)
    except ValueError:
        return None
    if not isinstance(words, list):
        return None
    base = datasette.urls.table(database, "articles")
    tags = "".join(
        f'<a class="archive-tag" href="{html.escape(base)}?keywords__arraycontains={quote(str(w))}">'
        f"{html.escape(str(w))}</a>"
        for w in words if str(w).strip()
    )
    return Markup(f'<span class="archive-tags">{tags}</span>')


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if database not in _ARCHIVE_DBS or not isinstance(value, str):
        return None
    if table == "articles" and column == "text":
        return _paragraphs(value)
    if table in ("articles", "failures", "crawl_runs", "run_quality") and column == "site":
        return Markup(f'<span title="{html.escape(value)}">{html.escape(site_label(value))}</span>')
    if table == "articles" and column == "keywords":
        return _keyword_tags(value, datasette, database)
    if table is None and (column == "snippet" or _MARK[0] in value):
        return marked_html(value)
    if table is None and column == "title" and "snippet" in row.keys() and "id" in row.keys():
        url = datasette.urls.table(database, "articles") + "/" + quote(str(row["id"]))
        return Markup(f'<a href="{html.escape(url)}">{html.escape(value)}</a>')
    return None


_ROW_COLUMNS = ("id", "url", "site", "title", "published_at", "source", "author", "editor", "keywords",
                "text", "text_hash", "pages", "first_seen", "last_seen", "published_month",
                "duplicate_of", "duplicate_score", "etag", "last_modified", "checked_at", "gone_at",
                "revision_count")

# The article page lays its one row out as a card: a field per line, the text
# as readable paragraphs; in the table the text is cut to a few lines.
_CSS = """
.archive-text p { margin: 0 0 0.8em 0; line-height: 1.8; max-width: 46em; font-size: 1.05rem; }
body.table td.col-text .archive-text { max-height: 5.4em; overflow: hidden; min-width: 20em; }
body.table td.col-text .archive-text p { margin: 0; font-size: inherit; line-height: 1.35; }
body.row.table-articles table.rows-and-columns thead { display: none; }
body.row.table-articles table.rows-and-columns,
body.row.table-articles table.rows-and-columns tbody,
body.row.table-articles table.rows-and-columns tr,
body.row.table-articles table.rows-and-columns td { display: block; border: none; width: auto; }
body.row.table-articles table.rows-and-columns td { padding: 0.15em 0; }
body.row.table-articles table.rows-and-columns td { white-space: normal; }
body.row.table-articles table.rows-and-columns td::before {
  display: inline-block; min-width: 9em; margin-left: 0; color: #666; font-size: 0.85em; }
body.row.table-articles td.col-title { font-size: 1.4em; font-weight: bold; margin: 0.4em 0; }
body.row.table-articles td.col-text { margin-top: 1em; }
mark { background: #ffe066; padding: 0 1px; }
.archive-tag { display: inline-block; background: #eef3fb; border: 1px solid #c9d7ee; border-radius: 3px;
  padding: 0 0.45em; margin: 0 0.3em 0.2em 0; font-size: 0.9em; text-decoration: none; }
body.table.table-articles dl.column-descriptions { display: none; }
table.archive-list { width: 100%; border-collapse: collapse; }
body.table-articles .facet-info ul { max-height: 7.5em; overflow-y: auto; padding-right: 1em; }
body.table-articles .facet-results { margin-bottom: 0.5em; }
table.archive-list th { text-align: left; white-space: nowrap; }
table.archive-list td, table.archive-list th { padding: 0.35em 0.6em; vertical-align: top; border-bottom: 1px solid #eee; }
table.archive-list td.col-title { min-width: 16em; max-width: 34em; font-weight: 600; }
table.archive-list td.col-published_at, table.archive-list td.col-site { white-space: nowrap; }
table.archive-list td.col-source { max-width: 12em; }
table.archive-list td.col-excerpt { color: #444; max-width: 40em; }
.archive-badge { font-size: 0.75em; font-weight: normal; color: #8a5300; background: #fff3d6;
  border-radius: 3px; padding: 0 0.4em; margin-left: 0.4em; white-space: nowrap; }
.archive-views a, .archive-views strong { margin-right: 0.9em; }
details.archive-columns { margin: 1em 0; color: #444; }
details.archive-columns dt { font-weight: bold; }
.archive-meta { color: #555; margin: 0.2em 0 1em 0; line-height: 1.7; }
.archive-meta span, .archive-meta a.archive-jump { margin-right: 1.2em; }
.archive-card { margin: 0 0 1.3em 0; max-width: 52em; }
.archive-card h3 { margin: 0 0 0.2em 0; font-size: 1.15em; }
.archive-card .archive-meta { margin: 0 0 0.2em 0; font-size: 0.9em; }
.archive-card .archive-snippet { margin: 0; line-height: 1.6; }
form.archive-search input[type=search] { width: 24em; font-size: 1.1em; padding: 0.25em; }
form.archive-search label { margin-right: 1.2em; white-space: nowrap; display: inline-block; width: auto; font-weight: normal; }
form.archive-search input[type=date], form.archive-search select { width: auto; margin-left: 0.3em; }
""" + "".join(
    f'body.row.table-articles td.col-{c}::before {{ content: "{c}"; }}\n'
    for c in _ROW_COLUMNS if c not in ("title", "text")
)


@hookimpl
def extra_css_urls(database):
    if database not in _ARCHIVE_DBS:
        return []
    return ["data:text/css;charset=utf-8," + quote(_CSS)]


@hookimpl
def extra_body_script(template, database, table, view_name, request, datasette):
    # On the articles table, searching offers the search page (ranked, with snippets).
    if view_name != "table" or table != "articles" or database not in _ARCHIVE_DBS:
        return ""
    q = request.args.get("_search", "") if request else ""
    if not q.strip():
        return ""
    url = search_url(datasette, database, q=q)
    return (
        "(function(){var row=document.querySelector('.search-row');if(!row)return;"
        "var a=document.createElement('a');a.className='archive-ranked';"
        f"a.href={json.dumps(url)};a.textContent='Ranked by relevance, with snippets';"
        "var p=document.createElement('p');p.appendChild(a);row.parentNode.insertBefore(p,row.nextSibling);})();"
    )


def search_url(datasette, database: str, **params) -> str:
    args = {k: v for k, v in params.items() if v not in (None, "", False)}
    return datasette.urls.database(database) + "/-/search" + ("?" + urlencode(args) if args else "")


def feed_url(datasette, database: str, **params) -> str:
    args = {k: v for k, v in params.items() if v not in (None, "", False)}
    return datasette.urls.database(database) + "/-/feed.atom" + ("?" + urlencode(args) if args else "")


# ------------------------------------------------------------- templates

_CURATED = ("title", "site", "published_at", "source", "excerpt")
# The list's "with attachments" switch (Datasette's ?_where=, shown as that switch, not as SQL).
WITH_ATTACHMENTS = "id in (select article_id from attachments)"


def newest_first(facet_values: list[dict]) -> list[dict]:
    """Facet values by value, highest first (months: newest first), no value last."""
    return sorted(facet_values, key=lambda v: (v["value"] is not None, str(v["value"] or "")), reverse=True)


def in_order(facet_results: list[dict], names) -> list[dict]:
    """Facets in the order the metadata lists them (Datasette: by number of values), others after."""
    names = list(names or [])
    return sorted(facet_results, key=lambda f: names.index(f["name"]) if f["name"] in names else len(names))


def excerpt(text, width: int = 70) -> str:
    flat = " ".join((text or "").split())
    return flat[:width] + ("…" if len(flat) > width else "")


@hookimpl
def extra_template_vars(template, database, table, columns, view_name, request, datasette):
    async def inner():
        if not database or not await _is_archive(datasette, database):
            return {}
        out = {"archive_db": True, "archive_site_label": site_label, "archive_excerpt": excerpt,
               "archive_newest_first": newest_first, "archive_in_order": in_order,
               "archive_search_url": search_url(datasette, database)}
        if table == "articles" and view_name == "table" and request is not None:
            args = request.args
            # the curated list, unless the reader asked for columns or the plain table
            out["archive_list"] = not any(k in args for k in ("_col", "_nocol", "_view"))
            out["archive_plain_url"] = _with_args(request, {"_view": "table"})
            out["archive_views"] = [
                ("All", _with_args(request, {"duplicate_of__isnull": None, "duplicate_of__notnull": None, "_next": None}),
                 "duplicate_of__isnull" not in args and "duplicate_of__notnull" not in args),
                ("Originals only", _with_args(request, {"duplicate_of__isnull": "1", "duplicate_of__notnull": None, "_next": None}),
                 "duplicate_of__isnull" in args),
                ("Reposts only", _with_args(request, {"duplicate_of__notnull": "1", "duplicate_of__isnull": None, "_next": None}),
                 "duplicate_of__notnull" in args),
            ]
            on = args.get("_where") == WITH_ATTACHMENTS
            out["archive_attachments"] = (
                _with_args(request, {"_where": None if on else WITH_ATTACHMENTS, "_next": None}), on)
        if table == "articles" and view_name == "row" and request is not None:
            out["archive_article"] = await _article_extras(datasette, database, request.url_vars.get("pks", ""))
        return out

    return inner


def web_href(url) -> str | None:
    """A crawled URL as a link target only when it is http(s): a ``javascript:`` or ``data:``
    URL from a hostile page must not become a link that runs."""
    if isinstance(url, str) and re.match(r"(?i)^https?://", url.strip()):
        return url.strip()
    return None


def _with_args(request, changes: dict) -> str:
    pairs = [(k, v) for k, v in parse_qsl(request.query_string, keep_blank_values=True) if k not in changes]
    pairs += [(k, v) for k, v in changes.items() if v is not None]
    return request.path + ("?" + urlencode(pairs) if pairs else "")


async def _article_extras(datasette, database: str, pk: str) -> dict | None:
    try:
        aid = int(pk)
    except ValueError:
        return None
    db = datasette.get_database(database)
    row = (await db.execute("SELECT id, title, site, url, duplicate_of, revision_count FROM articles WHERE id = ?",
                            [aid])).first()
    if row is None:
        return None
    base = datasette.urls.table(database, "articles")
    attachments = [dict(r, href=web_href(r["url"]), row_href=f"{datasette.urls.table(database, 'attachments')}/{r['id']}")
                   for r in await db.execute("SELECT id, url, name, type, size, kind, pages, reason, text IS NOT NULL "
                                             "AS has_text FROM attachments WHERE article_id = ? ORDER BY id", [aid])]
    root = row["duplicate_of"] or aid
    copies = [dict(r, href=f"{base}/{r['id']}", label=site_label(r["site"]), canonical=r["id"] == root)
              for r in await db.execute(
                  "SELECT id, site, title, published_at, duplicate_score FROM articles "
                  "WHERE (id = :root OR duplicate_of = :root) AND id != :id "
                  "ORDER BY id != :root, published_at, id", {"root": root, "id": aid})]
    revisions = [dict(r) for r in await db.execute(
        "SELECT id, replaced_at, title FROM revisions WHERE article_id = ? ORDER BY replaced_at DESC, id DESC", [aid])]
    document, cited_by, cites = await _document_extras(db, base, aid)
    return {
        "id": aid, "title": row["title"], "site_label": site_label(row["site"]), "url": row["url"],
        "href": web_href(row["url"]),
        "repost_of": row["duplicate_of"], "attachments": attachments, "copies": copies, "revisions": revisions,
        "document": document, "cited_by": cited_by, "cites": cites,
        "documents_url": datasette.urls.table(database, "documents"),
        "revisions_url": datasette.urls.table(database, "revisions") + f"?article_id={aid}",
        "group_url": datasette.urls.database(database) + f"/article_group?id={aid}",
    }


# facts of a government document, as the article page lists them: (column, label)
DOCUMENT_FACTS = (("doc_number", "发文字号"), ("issuer", "发文机关"), ("index_no", "索引号"), ("category", "主题分类"),
                  ("written_at", "成文日期"), ("published_at", "发布日期"), ("validity", "有效性"),
                  ("subject_words", "主题词"))


async def _document_extras(db, base: str, aid: int) -> tuple[list | None, list, list]:
    """An article's government document facts (``[(label, value)]``, None when it is no document),
    the articles that cite it, and the documents it cites (archive/citations.py)."""
    tables = set(await db.table_names())
    if "documents" not in tables:  # an archive from before documents
        return None, [], []
    row = (await db.execute(f"SELECT {', '.join(c for c, _ in DOCUMENT_FACTS)} FROM documents WHERE article_id = ?",
                            [aid])).first()
    document = [(label, row[c]) for c, label in DOCUMENT_FACTS if row[c]] if row else None

    def links(rows):
        out = {}
        for r in rows:
            item = out.setdefault(r["id"], dict(r, href=f"{base}/{r['id']}", label=site_label(r["site"]), matched=[]))
            item["matched"].append(r["matched"])
        return list(out.values())

    cited_by = links(await db.execute(
        "SELECT a.id, a.site, a.title, a.published_at, c.matched FROM citations c JOIN articles a ON a.id = c.article_id "
        "WHERE c.document_id = ? ORDER BY a.published_at DESC, a.id, c.matched_by", [aid]))
    cites = links(await db.execute(
        "SELECT a.id, a.site, a.title, d.doc_number, a.published_at, c.matched FROM citations c "
        "JOIN articles a ON a.id = c.document_id JOIN documents d ON d.article_id = c.document_id "
        "WHERE c.article_id = ? ORDER BY a.published_at DESC, a.id, c.matched_by", [aid]))
    return document, cited_by, cites


# ------------------------------------------------------- search page, feeds

PAGE_SIZE = 20
FEED_SIZE = 50


def _search_args(request) -> dict:
    a = request.args
    return {"q": (a.get("q") or "").strip(), "site": a.get("site") or None, "since": a.get("since") or None,
            "until": a.get("until") or None, "originals": a.get("originals") in ("1", "on", "true")}


async def _sites(db) -> list[dict]:
    rows = await db.execute("SELECT site, count(*) AS n FROM articles GROUP BY site ORDER BY n DESC, site")
    return [{"key": r["site"], "label": site_label(r["site"]), "count": r["n"]} for r in rows]


async def _archive_database(datasette, request):
    """The route's archive database: (name, Database); NotFound when it is no archive."""
    from datasette.utils.asgi import NotFound

    database = request.url_vars["database"]
    if database not in datasette.databases or not await _is_archive(datasette, database):
        raise NotFound("no archive database of that name")
    return database, datasette.get_database(database)


async def search_page(datasette, request):
    from datasette.utils.asgi import Response

    database, db = await _archive_database(datasette, request)
    args = _search_args(request)
    try:
        page = max(1, int(request.args.get("page") or 1))
    except ValueError:
        page = 1
    filters = {k: args[k] for k in ("site", "since", "until", "originals")}
    results, hits = [], 0
    if args["q"]:
        results = await db.execute_fn(lambda conn: run_search(
            conn, args["q"], limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, width=160, **filters))
        hits = await db.execute_fn(lambda conn: search_count(conn, args["q"], **filters))
    base = datasette.urls.table(database, "articles")
    cards = [{
        "href": f"{base}/{r['id']}", "title": r["title"] or "(untitled)", "site": site_label(r["site"]),
        "date": (r["published_at"] or "")[:10], "source": r["source"], "url": r["url"],
        "snippet": marked_html(r["snippet"]),
        "repost_of": r["duplicate_of"] and f"{base}/{r['duplicate_of']}",
    } for r in results]
    common = dict(q=args["q"], site=args["site"], since=args["since"], until=args["until"],
                  originals="1" if args["originals"] else None)
    pages = (hits + PAGE_SIZE - 1) // PAGE_SIZE
    body = await datasette.render_template("archive_search.html", {
        "database": database, "args": args, "cards": cards, "hits": hits, "page": page, "pages": pages,
        "first": (page - 1) * PAGE_SIZE + 1, "last": (page - 1) * PAGE_SIZE + len(cards),
        "prev_url": search_url(datasette, database, **common, page=page - 1 if page > 2 else None) if page > 1 else None,
        "next_url": search_url(datasette, database, **common, page=page + 1) if page < pages else None,
        "feed_url": feed_url(datasette, database, **common),
        "sites": await _sites(db), "table_url": base,
    }, request=request)
    return Response.html(body)


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_text(value) -> str:
    return _XML_BAD.sub("", "" if value is None else str(value))


_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2})?(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$")


def rfc3339(value, default_offset: str = "+08:00") -> str | None:
    """An archive timestamp as Atom wants it; a time without offset is China time (the sites'),
    a bare date its midnight. None when the value is not a date."""
    m = _DATE.match((value or "").strip())
    if not m:
        return None
    day, hm, sec, off = m.groups()
    off = off or default_offset
    if off != "Z" and ":" not in off:
        off = off[:3] + ":" + off[3:]
    return f"{day}T{hm or '00:00'}{sec or ':00'}{off}"


FEED_SQL = """
SELECT a.id, a.url, a.site, a.title, a.published_at, a.source, a.first_seen, a.text, a.duplicate_of
FROM articles a
WHERE 1 {where}
ORDER BY coalesce(a.published_at, a.first_seen) DESC, a.id DESC
LIMIT :limit
"""


def feed_rows(conn, *, q="", site=None, since=None, until=None, originals=False, limit=FEED_SIZE) -> list[dict]:
    """The newest articles (publication date, then archive date) matching the search, newest first."""
    where, params = [], {"limit": limit, "site": site, "since": since, "until": until}
    if q:
        match = fts_query(q)
        if match is None:
            return []
        where.append(f"AND a.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :match)")
        params["match"] = match
    if site:
        where.append("AND a.site = :site")
    if since:
        where.append("AND a.published_at >= :since")
    if until:
        where.append("AND substr(a.published_at, 1, length(:until)) <= :until")
    if originals:
        where.append("AND a.duplicate_of IS NULL")
    cur = conn.execute(FEED_SQL.format(where=" ".join(where)), params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


ATOM = "http://www.w3.org/2005/Atom"


def atom_feed(rows: list[dict], *, title: str, feed_id: str, self_url: str, alternate: str, article_url) -> bytes:
    """An Atom 1.0 document of ``rows`` (feed_rows()); every text passes through _xml_text."""
    ET.register_namespace("", ATOM)

    def sub(parent, tag, text=None, **attrs):
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: _xml_text(v) for k, v in attrs.items()})
        if text is not None:
            el.text = _xml_text(text)
        return el

    feed = ET.Element(f"{{{ATOM}}}feed")
    sub(feed, "title", title)
    sub(feed, "id", feed_id)
    sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    sub(feed, "link", rel="alternate", type="text/html", href=alternate)
    entries = []
    for r in rows:
        updated = rfc3339(r["published_at"]) or rfc3339(r["first_seen"], "Z") or "1970-01-01T00:00:00Z"
        entries.append((r, updated))
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    sub(feed, "updated", max((u for _, u in entries), key=_utc_sort_key, default=now))
    author = sub(feed, "author")
    sub(author, "name", "Chinese news and policy archive")
    sub(feed, "generator", "cn-news-archive")
    for r, updated in entries:
        e = sub(feed, "entry")
        sub(e, "title", r["title"] or "(untitled)")
        href = article_url(r["id"])
        sub(e, "id", href)
        sub(e, "link", rel="alternate", type="text/html", href=href)
        if web_href(r["url"]):
            sub(e, "link", rel="via", href=web_href(r["url"]))
        sub(e, "updated", updated)
        if rfc3339(r["published_at"]):
            sub(e, "published", rfc3339(r["published_at"]))
        a = sub(e, "author")
        sub(a, "name", r["source"] or site_label(r["site"]))
        sub(e, "category", term=r["site"], label=site_label(r["site"]))
        sub(e, "summary", excerpt(r["text"], 200), type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _utc_sort_key(stamp: str):
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return datetime.min.replace(tzinfo=timezone.utc)


async def feed_view(datasette, request):
    from datasette.utils.asgi import Response

    database, db = await _archive_database(datasette, request)
    args = _search_args(request)
    rows = await db.execute_fn(lambda conn: feed_rows(conn, **args))
    base = datasette.urls.table(database, "articles")
    what = []
    if args["q"]:
        what.append(f"“{args['q']}”")
    if args["site"]:
        what.append(f"on {site_label(args['site'])}")
    if args["originals"]:
        what.append("(originals only)")
    title = "Newest articles" + (" " + " ".join(what) if what else "")
    common = dict(q=args["q"], site=args["site"], since=args["since"], until=args["until"],
                  originals="1" if args["originals"] else None)
    self_url = datasette.absolute_url(request, feed_url(datasette, database, **common))
    alternate = datasette.absolute_url(
        request, search_url(datasette, database, **common) if args["q"] else
        base + ("?" + urlencode({"site": args["site"]}) if args["site"] else ""))
    body = atom_feed(rows, title=title, feed_id=self_url, self_url=self_url, alternate=alternate,
                     article_url=lambda i: datasette.absolute_url(request, f"{base}/{i}"))
    return Response(body, content_type="application/atom+xml; charset=utf-8")


@hookimpl
def register_routes(datasette):
    return [
        (r"^/(?P<database>[^/]+)/-/search$", search_page),
        (r"^/(?P<database>[^/]+)/-/feed\.atom$", feed_view),
    ]


@hookimpl
def asgi_wrapper(datasette):
    """JSON of an archive database gives ``keywords`` as an array (``_json=keywords`` implied)."""

    def wrap(app):
        async def add_json_keywords(scope, receive, send):
            if scope.get("type") == "http" and scope.get("path", "").endswith(".json"):
                first = scope["path"].lstrip("/").split("/", 1)[0]
                name = first[:-len(".json")] if first.endswith(".json") else first
                qs = scope.get("query_string", b"")
                if (b"_json=" not in qs and name in datasette.databases
                        and await _is_archive(datasette, name)):
                    scope = dict(scope, query_string=qs + (b"&" if qs else b"") + b"_json=keywords")
            await app(scope, receive, send)

        return add_json_keywords

    return wrap
