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
"""
from __future__ import annotations

import html
import re
from urllib.parse import quote

from datasette import hookimpl
from datasette.filters import FilterArguments
from markupsafe import Markup

from archive.search import FTS_TABLE, fts_query, snippet

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
        if table != "articles" or not await _is_archive(datasette, database):
            return None
        query = request.args.get("_search", "")
        extra = {"supports_search": True, "search": query}
        if not query.strip():
            return FilterArguments([], extra_context=extra)
        return FilterArguments(
            [f"id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH archive_fts_query(:archive_search))"],
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


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if database not in _ARCHIVE_DBS or not isinstance(value, str):
        return None
    if table == "articles" and column == "text":
        return _paragraphs(value)
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
    # On the articles table, searching offers the ranked results with snippets.
    if view_name != "table" or table != "articles" or database not in _ARCHIVE_DBS:
        return ""
    q = request.args.get("_search", "") if request else ""
    if not q.strip():
        return ""
    url = datasette.urls.database(database) + "/search?q=" + quote(q)
    return (
        "(function(){var row=document.querySelector('.search-row');if(!row)return;"
        "var a=document.createElement('a');a.className='archive-ranked';"
        f"a.href={url!r};a.textContent='Ranked by relevance, with snippets';"
        "var p=document.createElement('p');p.appendChild(a);row.parentNode.insertBefore(p,row.nextSibling);})();"
    )
