"""Chinese full-text search over the archive: the index, query translation and ``search()``.

Why not plain FTS5: its default tokenizer (unicode61) reads a run of Chinese
characters as one token, so 储能 inside a sentence is never a token of its own;
the trigram tokenizer cannot match anything shorter than three characters, and
most Chinese words people search for (储能, 氢能, 中试) have two.

How it works:

* ``articles_fts`` is a *contentless* FTS5 table (unicode61 tokenizer) over a
  *shadow form* of each article's title and text. In the shadow form every
  Chinese/Japanese/Korean character becomes an overlapping bigram with the
  character after it (``储能产业`` -> `` 储能  能产  产业  业 ``: the last
  character of a run stands alone), and everything else (Latin words, numbers,
  ``100kW``) is kept as it is, so unicode61 makes whole-word tokens of it.
* The shadow form is computed by SQL triggers on ``articles`` (insert, delete,
  update of ``title``/``text``) in plain SQL — ``substr``/``unicode`` over a
  table of integers, no application function — so any writer (the crawler,
  the sqlite3 shell, another program) keeps the index in sync.
* The work is linear in the text's length (:func:`shadow_sql`): ``substr`` on
  TEXT counts characters from the start of the string at every call, so
  cutting a long text by character offsets costs its length squared (an
  800 k-character text took 14 s to index). The text is cut instead as a BLOB
  (its UTF-8 bytes, where ``substr`` jumps straight to a byte offset) into
  chunks of ``BYTE_CHUNK`` bytes moved to character boundaries; only a chunk
  is ever read character by character. Schema version 6 put these triggers
  in place of the first ones (the index they write is the same).
* A query is translated to an FTS5 expression with the same rules
  (:func:`fts_query`): each word or "quoted phrase" becomes an FTS5 phrase of
  its bigrams; words are ANDed, and a capital ``OR`` between words joins two
  alternatives (``储能 电池 OR 氢能``: AND binds tighter; a quoted "OR" is a
  word; there is no NOT). A two-character word is one token; a longer
  one is a phrase of consecutive bigrams, which matches exactly where the
  characters appear in that order.
* The ``title`` column of the index holds the title followed by the article's
  keywords (the site's own tags; schema version 10), so a keyword finds its
  articles even where the text never uses it.
* Attachments (schema version 11): ``attachments_fts`` indexes each attachment's name and
  extracted text (``archive/attachments.py``) in the same shadow form, kept by triggers on
  ``attachments``; :func:`search_attachments` / :func:`count_attachments` find the files
  (and their articles) with the same query syntax and filters.
* Order: newest first by default (the most recently archived matches; the work is the page
  asked for, however common the words), or ranked by relevance (``rank="relevance"``: FTS5's
  bm25 with the title weighted 5 to 1 over the text, over the newest ``RELEVANCE_WINDOW``
  matches; see ``RANKS`` below and bench/search_bench.py); the
  snippet (:func:`snippet`) is cut from the original text around the hits,
  which are wrapped in ``<mark>`` … ``</mark>`` (the rest is HTML-escaped).

The same :func:`fts_query` and :func:`snippet` are registered as the SQL
functions ``archive_fts_query(q)`` and ``archive_snippet(text, q)`` by the
Datasette plugin (``archive/faces/datasette_plugin.py``), so the CLI, Datasette's
search box and its JSON API agree.

The change counter used by ``archive export`` comes with the index (schema version 2):
``article_changes`` holds, per article, the sequence number of its last write. The
tables and triggers themselves are created in :mod:`archive.schema`; this module
holds the SQL expression they use (:func:`shadow_sql`) and the names.
"""
from __future__ import annotations

import html
import json
import operator
import re
from dataclasses import dataclass

FTS_TABLE = "articles_fts"
ATTACHMENTS_FTS = "attachments_fts"  # attachments' names and texts (schema version 11)
SEQ_TABLE = "archive_seq"
CHANGES_TABLE = "article_changes"
# The shadow-form SQL cuts the text's UTF-8 bytes into chunks of BYTE_CHUNK
# bytes (moved forward to the next character boundary) and reads each chunk
# character by character, positions taken from SEQ_TABLE (1..SEQ_ROWS, more
# than any chunk holds). Chunk numbers come from a recursive CTE: no limit on
# the text's length.
BYTE_CHUNK = 192
SEQ_ROWS = 65536
TITLE_WEIGHT, TEXT_WEIGHT = 5.0, 1.0

# Code point ranges treated as CJK (bigrammed); keep _is_cjk and _CJK_SQL in step.
_CJK_RANGES = (
    (0x3040, 0x9FFF),    # kana, bopomofo, CJK extension A, unified ideographs
    (0xAC00, 0xD7AF),    # hangul syllables
    (0xF900, 0xFAFF),    # CJK compatibility ideographs
    (0x20000, 0x3134F),  # CJK extensions B-G
)


_CJK_CLASS = "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in _CJK_RANGES)
_CJK_RUN = re.compile(f"[{_CJK_CLASS}]+")
_CJK_CHAR = re.compile(f"[{_CJK_CLASS}]")


def _is_cjk(ch: str) -> bool:
    return bool(_CJK_CHAR.match(ch))


def _cjk_sql(cp: str) -> str:
    return "(" + " OR ".join(f"{cp} BETWEEN {lo} AND {hi}" for lo, hi in _CJK_RANGES) + ")"


def shadow_sql(expr: str) -> str:
    """SQL expression giving the shadow form of the text expression ``expr``.

    Must produce exactly what :func:`shadow` produces (a test checks it), in
    work linear in the length of the text (a test counts it).

    ``b`` below is the text as a BLOB: ``substr`` on a BLOB takes byte
    offsets, found in constant time, where ``substr`` on TEXT walks the
    string from its start. Chunk ``k`` nominally starts at byte
    ``(k - 1) * BYTE_CHUNK + 1``; its real start ``a`` skips the UTF-8
    continuation bytes (0x80-0xBF, at most three) found there, and it ends
    where chunk ``k + 1`` really starts (``z``). Each chunk is cast back to
    TEXT together with the first character of the next chunk (``char_len``
    bytes at ``z``), so the bigram of a chunk's last character is whole.
    """
    b = f"CAST({expr} AS BLOB)"

    def byte(pos: str) -> str:
        return f"hex(substr({b}, {pos}, 1))"

    def char_start(pos: str) -> str:  # first byte at or after pos that is not a continuation byte
        cont = [f"{byte(f'{pos} + {i}')} BETWEEN '80' AND 'BF'" for i in range(3)]
        return (f"({pos} + CASE WHEN NOT {cont[0]} THEN 0 WHEN NOT {cont[1]} THEN 1 "
                f"WHEN NOT {cont[2]} THEN 2 ELSE 3 END)")

    def char_len(pos: str) -> str:  # bytes of the UTF-8 character starting at pos (1 past the end)
        lead = byte(pos)
        return f"CASE WHEN {lead} < '80' THEN 1 WHEN {lead} < 'E0' THEN 2 WHEN {lead} < 'F0' THEN 3 ELSE 4 END"

    return f"""(SELECT coalesce(group_concat(p, ''), '') FROM (
  SELECT CASE WHEN {_cjk_sql('uc')}
              THEN ' ' || char(uc) || CASE WHEN {_cjk_sql('ud')} THEN char(ud) ELSE '' END || ' '
              ELSE char(uc) END AS p
  FROM (SELECT unicode(substr(ch.s, i.n, 1)) AS uc, unicode(substr(ch.s, i.n + 1, 1)) AS ud
        FROM (SELECT bo.k AS k,
                     CAST(substr({b}, bo.a, bo.z - bo.a + {char_len('bo.z')}) AS TEXT) AS s,
                     length(CAST(substr({b}, bo.a, bo.z - bo.a) AS TEXT)) AS m
              FROM (WITH RECURSIVE c(k) AS (
                      SELECT 1 WHERE length({b}) > 0
                      UNION ALL SELECT k + 1 FROM c WHERE k * {BYTE_CHUNK} < length({b}))
                    SELECT c.k AS k, {char_start(f'(c.k - 1) * {BYTE_CHUNK} + 1')} AS a,
                           {char_start(f'c.k * {BYTE_CHUNK} + 1')} AS z
                    FROM c LIMIT -1) bo
              LIMIT -1) ch
        JOIN {SEQ_TABLE} i ON i.n <= ch.m
        ORDER BY ch.k, i.n LIMIT -1)))"""


def shadow(text: str | None) -> str:
    """The shadow form of ``text`` (see the module docstring)."""
    if not text:
        return ""
    return _CJK_RUN.sub(_bigrams, text)


def _bigrams(m: re.Match) -> str:
    run = m.group(0)  # each character with the next (the last alone), each pair between spaces
    return " " + "  ".join([*map(operator.add, run, run[1:]), run[-1]]) + " "


def title_and_keywords_sql(prefix: str = "") -> str:
    """SQL: what the index's ``title`` column holds for a row: the title, then the keywords
    (the page's own tags, a JSON array; anything else counts as none), separated by spaces.

    ``prefix`` names the row (``new.``, ``old.`` in a trigger). Schema version 10."""
    t, k = f"{prefix}title", f"{prefix}keywords"
    return (f"(coalesce({t}, '') || coalesce(' ' || (SELECT group_concat(value, ' ') FROM json_each("
            f"CASE WHEN json_valid({k}) AND json_type({k}) = 'array' THEN {k} ELSE '[]' END)), ''))")


def title_and_keywords(title: str | None, keywords) -> str:
    """Python form of :func:`title_and_keywords_sql` for a list of string keywords."""
    words = [str(w) for w in keywords or []] if isinstance(keywords, list) else []
    return (title or "") + (" " + " ".join(words) if words else "")


def _title_shadow(title: str | None, keywords) -> str | None:
    """The shadow of the index's title column for *title* and *keywords* (a list, or its JSON as stored);
    None where only the SQL form knows it (keywords that are not a JSON list of strings)."""
    if isinstance(keywords, str):
        if "\\u" in keywords:  # an escape (a lone surrogate?): the SQL form reads it as SQLite does
            return None
        try:
            keywords = json.loads(keywords)
        except ValueError:
            return None
    if keywords is None:
        keywords = []
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        return None
    return shadow(title_and_keywords(title, keywords))


def give_index_input(db, url: str, title: str | None, keywords, text: str) -> None:
    """Hand the insert trigger the shadow forms of a new article (schema version 14:
    ``articles_fts_input``), computed here instead of in SQL; call just before the INSERT, in its
    transaction. Keywords of any kind but a list of strings are left to the trigger's own SQL."""
    title_shadow = _title_shadow(title, keywords) if isinstance(keywords, list) else None
    if title_shadow is not None:
        db.execute("INSERT OR REPLACE INTO articles_fts_input (url, title, text) VALUES (?, ?, ?)",
                   [url, title_shadow, shadow(text)])


def give_index_change(db, article_id: int, old: tuple, new: tuple) -> None:
    """Hand the update trigger the shadow forms of a change of article *article_id* (schema version 15:
    ``articles_fts_change``), computed here instead of in SQL; call just before the UPDATE, in its
    transaction. *old*, *new*: ``(title, keywords, text)`` as the row holds them before and after (the
    keywords as stored, JSON). Nothing is handed when the trigger will not fire (nothing of them
    changed) or when a shadow only the SQL form knows is needed: the trigger computes it then."""
    if old == new:
        return
    old_title, new_title = _title_shadow(old[0], old[1]), _title_shadow(new[0], new[1])
    if old_title is None or new_title is None:
        return
    db.execute("INSERT OR REPLACE INTO articles_fts_change (id, old_title, old_text, new_title, new_text) "
               "VALUES (?, ?, ?, ?, ?)", [article_id, old_title, shadow(old[2]), new_title, shadow(new[2])])


def rebuild_index(db) -> int:
    """Drop and re-create every row of the index (after a bulk load with triggers off)."""
    db.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('delete-all')")
    db.execute(f"INSERT INTO {FTS_TABLE} (rowid, title, text) "
               f"SELECT a.id, {shadow_sql('a.tk')}, {shadow_sql('a.text')} "
               f"FROM (SELECT id, {title_and_keywords_sql()} AS tk, text FROM articles) a")
    return db.execute("SELECT count(*) FROM articles").fetchone()[0]


# ------------------------------------------------------------ query syntax

@dataclass
class Term:
    text: str        # as written, whitespace collapsed
    phrase: bool     # written in double quotes
    prefix: bool     # ends with * (prefix match on a Latin word)


_TERM_RE = re.compile(r'"([^"]*)"?|(\S+)')


# Operators, written in capitals between words: OR (either side), AND (the default between words).
_OPERATORS = ("OR", "AND")


def parse_groups(query: str) -> list[list[Term]]:
    """The query as alternatives (separated by a bare ``OR``), each a list of terms that must all
    appear: words separated by spaces (ANDed; a bare ``AND`` says the same), "quoted phrases",
    word* for a prefix. ``储能 电池 OR 氢能`` is [[储能, 电池], [氢能]]."""
    groups: list[list[Term]] = [[]]
    for m in _TERM_RE.finditer(query or ""):
        phrase = m.group(1) is not None
        raw = m.group(1) if phrase else m.group(2)
        if not phrase and raw in _OPERATORS:
            if raw == "OR" and groups[-1]:
                groups.append([])
            continue
        prefix = raw.endswith("*")
        raw = " ".join(raw.rstrip("*").split())
        if not raw or not any(ch.isalnum() for ch in raw):
            continue
        groups[-1].append(Term(raw, phrase, prefix))
    return [g for g in groups if g]


def parse_query(query: str) -> list[Term]:
    """Every term of the query, in order (operators left out): see :func:`parse_groups`."""
    return [t for group in parse_groups(query) for t in group]


def _term_fts(term: Term) -> str:
    text = term.text
    pieces = shadow(text)
    prefix = term.prefix
    if _is_cjk(text[-1]):
        run_len = 1
        while run_len < len(text) and _is_cjk(text[-1 - run_len]):
            run_len += 1
        # shadow() ends with the lone last character; in an article the run may
        # go on, so it is either dropped (the bigrams before it suffice) or,
        # when the run is a single character, matched as a prefix.
        cut = pieces.rstrip()
        if run_len >= 2:
            pieces = cut[: -1]
        else:
            prefix = True
    body = " ".join(pieces.split())
    return '"' + body.replace('"', '""') + '"' + (" *" if prefix else "")


def fts_query(query: str) -> str | None:
    """Translate a user query into an FTS5 MATCH expression for ``articles_fts``.

    Returns None when the query has no searchable term.
    """
    groups = [" AND ".join(_term_fts(t) for t in group) for group in parse_groups(query)]
    if len(groups) > 1:
        return " OR ".join(f"({g})" for g in groups)
    return groups[0] if groups else None


# ------------------------------------------------------------------ snippet

def _term_pattern(term: Term) -> re.Pattern:
    words = term.text.split(" ")
    pat = r"\s*".join(re.escape(w) for w in words) if term.phrase else re.escape(term.text)
    # Latin words match whole words, as in the index.
    if term.text[0].isascii() and term.text[0].isalnum():
        pat = r"(?<![A-Za-z0-9])" + pat
    if term.text[-1].isascii() and term.text[-1].isalnum() and not term.prefix:
        pat = pat + r"(?![A-Za-z0-9])"
    return re.compile(pat, re.IGNORECASE)


def snippet(text: str | None, query: str, width: int = 80,
            mark: tuple[str, str] = ("<mark>", "</mark>")) -> str:
    """About ``width`` characters of ``text`` around the query's hits, hits marked.

    Everything outside the marks is HTML-escaped, so the result can be shown as HTML.
    """
    text = text or ""
    spans = []
    for n, term in enumerate(parse_query(query)):
        for m in _term_pattern(term).finditer(text):
            if m.end() > m.start():
                spans.append((m.start(), m.end(), n))
            if len(spans) > 500:
                break
    spans.sort()
    flat = " ".join(text.split())
    if not spans:
        cut = flat[:width]
        return html.escape(cut) + ("…" if len(flat) > width else "")
    # Window: the start that covers the most distinct terms, then the most hits.
    best = None
    for i, (s, _, _) in enumerate(spans):
        start = max(0, s - width // 4)
        inside = [sp for sp in spans[i:] if sp[1] <= start + width]
        key = (len({sp[2] for sp in inside}), len(inside), -s)
        if best is None or key > best[0]:
            best = (key, start)
    start = best[1]
    end = min(len(text), start + width)
    out, pos = [], start
    for s, e, _ in spans:
        if s < pos or e > end:
            continue
        out.append(html.escape(text[pos:s]))
        out.append(mark[0] + html.escape(text[s:e]) + mark[1])
        pos = e
    out.append(html.escape(text[pos:end]))
    body = " ".join("".join(out).split())
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")


# ------------------------------------------------------------------- search

# Two orders (``rank``):
#
# * ``newest`` (the default): the most recently archived matches first, i.e. the highest article
#   ids. FTS5 walks a term's list of articles in rowid order, so with ``ORDER BY rowid DESC LIMIT n``
#   it stops after n matches: the work is the page asked for, however common the word (a two-character
#   word such as 中国 matches most of a large archive, and ranking all of those by bm25 reads every one:
#   1.7 s per query for 创新 at a million articles, against 2 ms newest first; bench/search_bench.py). Article ids grow as the
#   archive grows, so this is the order news arrives in; it is not the order of ``published_at``.
# * ``relevance``: bm25 with the title weighted 5 to 1 over the text, best first, among the newest
#   ``RELEVANCE_WINDOW`` matches (all matches when there are fewer, the usual case for a specific
#   query). The window bounds the bm25 work for very common words; bm25's word weights still come
#   from the whole archive. The inner query lets FTS5 sort by its own ``rank`` and keep only the top
#   rows, so the article texts are read for those rows alone.
RANKS = ("newest", "relevance")
RELEVANCE_WINDOW = 10_000

SEARCH_SQL = f"""
SELECT a.id, a.url, a.site, a.title, a.published_at, a.source, a.duplicate_of, a.duplicate_score,
       a.text, hits.rank
FROM (SELECT {FTS_TABLE}.rowid AS id, {FTS_TABLE}.rank AS rank
      FROM {FTS_TABLE} {{join}}
      WHERE {FTS_TABLE} MATCH :match {{where}} AND {FTS_TABLE}.rowid >= :floor
      ORDER BY {FTS_TABLE}.rank LIMIT :limit OFFSET :offset) hits
JOIN articles a ON a.id = hits.id
ORDER BY hits.rank, a.id
"""

# No bm25 here: FTS5 computes a word's weight by walking its whole list of articles, work in
# proportion to the matches (10 ms of the 11 ms of a common word's search at 330,000 articles).
NEWEST_SQL = f"""
SELECT a.id, a.url, a.site, a.title, a.published_at, a.source, a.duplicate_of, a.duplicate_score,
       a.text, NULL AS rank
FROM (SELECT {FTS_TABLE}.rowid AS id
      FROM {FTS_TABLE} {{join}}
      WHERE {FTS_TABLE} MATCH :match {{where}}
      ORDER BY {FTS_TABLE}.rowid DESC LIMIT :limit OFFSET :offset) hits
JOIN articles a ON a.id = hits.id
ORDER BY a.id DESC
"""

# The lowest article id among the newest RELEVANCE_WINDOW matches (no row: fewer matches than that).
FLOOR_SQL = f"""
SELECT {FTS_TABLE}.rowid FROM {FTS_TABLE} {{join}} WHERE {FTS_TABLE} MATCH :match {{where}}
ORDER BY {FTS_TABLE}.rowid DESC LIMIT 1 OFFSET :window
"""


def _filters(site: bool, since: bool, until: bool, originals: bool) -> str:
    where = ""
    if site:
        where += " AND a.site = :site"
    if since:
        where += " AND a.published_at >= :since"
    if until:
        # a date names the whole day: 2024-05-01 keeps 2024-05-01T18:00
        where += " AND substr(a.published_at, 1, length(:until)) <= :until"
    if originals:
        where += " AND a.duplicate_of IS NULL"
    return where


def search_sql(*, site: bool = False, since: bool = False, until: bool = False,
               originals: bool = False, rank: str = "relevance") -> str:
    """The search statement; parameters :match, :limit, :offset and, when asked for,
    :site, :since, :until (``originals`` adds no parameter: reposts are left out);
    ``rank="relevance"`` also takes :floor (the lowest article id considered; 0: all)."""
    where = _filters(site, since, until, originals)
    join = f"JOIN articles a ON a.id = {FTS_TABLE}.rowid" if where else ""
    return (NEWEST_SQL if rank == "newest" else SEARCH_SQL).format(join=join, where=where)


def _floor(conn, query, site, since, until, originals, window: int | None = None) -> int:
    """The lowest article id among the newest *window* (``RELEVANCE_WINDOW``) matches; 0 when fewer match."""
    window = window or RELEVANCE_WINDOW
    where = _filters(bool(site), bool(since), bool(until), originals)
    join = f"JOIN articles a ON a.id = {FTS_TABLE}.rowid" if where else ""
    row = conn.execute(FLOOR_SQL.format(join=join, where=where),
                       {**_params(query, site, since, until), "window": window - 1}).fetchone()
    return row[0] if row else 0


def count_sql(*, site: bool = False, since: bool = False, until: bool = False,
              originals: bool = False) -> str:
    """How many articles match (same parameters as :func:`search_sql`, no :limit)."""
    where = _filters(site, since, until, originals)
    join = f"JOIN articles a ON a.id = {FTS_TABLE}.rowid" if where else ""
    return f"SELECT count(*) FROM {FTS_TABLE} {join} WHERE {FTS_TABLE} MATCH :match {where}"


def _params(query, site, since, until, limit=None, offset=0):
    return {"match": fts_query(query), "site": site, "since": since, "until": until,
            "limit": int(limit) if limit is not None else -1, "offset": max(0, int(offset or 0))}


def count(db, query: str, *, site: str | None = None, since: str | None = None,
          until: str | None = None, originals: bool = False) -> int:
    """The number of articles :func:`search` can return for these arguments (without a limit)."""
    if fts_query(query) is None:
        return 0
    conn = getattr(db, "conn", db)
    sql = count_sql(site=bool(site), since=bool(since), until=bool(until), originals=originals)
    return conn.execute(sql, _params(query, site, since, until)).fetchone()[0]


def search(db, query: str, *, site: str | None = None, since: str | None = None,
           until: str | None = None, originals: bool = False, limit: int = 20, offset: int = 0,
           width: int = 80, rank: str = "newest") -> list[dict]:
    """Articles matching ``query``, newest first (``rank="newest"``, the default: most recently
    archived) or best first (``rank="relevance"``, see ``RELEVANCE_WINDOW``): id, url, site,
    title, published_at, source, duplicate_of, duplicate_score, snippet (hits in <mark>),
    rank (bm25, lower is better, with ``rank="relevance"``; None in the newest order).

    ``originals`` leaves out reposts (articles with a ``duplicate_of``); ``until``
    is the last publication date kept (inclusive); ``offset`` skips that many of
    the best matches (paging).

    ``db`` is a sqlite-utils Database or a sqlite3 connection.
    """
    if rank not in RANKS:
        raise ValueError(f"rank must be one of {', '.join(RANKS)}, not {rank!r}")
    if fts_query(query) is None:
        return []
    conn = getattr(db, "conn", db)
    sql = search_sql(site=bool(site), since=bool(since), until=bool(until), originals=originals, rank=rank)
    params = _params(query, site, since, until, limit, offset)
    if rank == "relevance":
        params["floor"] = _floor(conn, query, site, since, until, originals)
    cur = conn.execute(sql, params)
    cols = [d[0] for d in cur.description]
    out = []
    for row in cur.fetchall():
        rec = dict(zip(cols, row))
        rec["snippet"] = snippet(rec.pop("text"), query, width=width)
        out.append(rec)
    return out


# ----------------------------------------------------------- attachment hits

# The attachments whose name or extracted text match (``attachments_fts``, schema version 11),
# best first, each with the article it belongs to; same filters as the article search.
ATTACHMENT_SEARCH_SQL = f"""
SELECT a.id, a.url, a.site, a.title, a.published_at, a.source, a.duplicate_of, a.duplicate_score,
       t.id AS attachment_id, t.url AS attachment_url, t.name AS attachment_name, t.kind AS attachment_kind,
       coalesce(t.text, t.name) AS text, hits.rank
FROM (SELECT {ATTACHMENTS_FTS}.rowid AS id, {ATTACHMENTS_FTS}.rank AS rank
      FROM {ATTACHMENTS_FTS} JOIN attachments t ON t.id = {ATTACHMENTS_FTS}.rowid
      JOIN articles a ON a.id = t.article_id
      WHERE {ATTACHMENTS_FTS} MATCH :match {{where}}
      ORDER BY {ATTACHMENTS_FTS}.rank LIMIT :limit OFFSET :offset) hits
JOIN attachments t ON t.id = hits.id
JOIN articles a ON a.id = t.article_id
ORDER BY hits.rank, t.id
"""


def count_attachments(db, query: str, *, site: str | None = None, since: str | None = None,
                      until: str | None = None, originals: bool = False) -> int:
    """How many attachments match *query* (their name or text), with the article filters."""
    if fts_query(query) is None:
        return 0
    conn = getattr(db, "conn", db)
    where = _filters(bool(site), bool(since), bool(until), originals)
    sql = (f"SELECT count(*) FROM {ATTACHMENTS_FTS} JOIN attachments t ON t.id = {ATTACHMENTS_FTS}.rowid "
           f"JOIN articles a ON a.id = t.article_id WHERE {ATTACHMENTS_FTS} MATCH :match {where}")
    return conn.execute(sql, _params(query, site, since, until)).fetchone()[0]


def search_attachments(db, query: str, *, site: str | None = None, since: str | None = None,
                       until: str | None = None, originals: bool = False, limit: int = 20, offset: int = 0,
                       width: int = 80) -> list[dict]:
    """Attachments whose name or extracted text match ``query``, best first: the article's id, url,
    site, title, published_at, source, duplicate_of, duplicate_score, then ``attachment`` (``id``,
    ``url``, ``name``, ``kind``: where the hit is), snippet (of the attachment's text) and rank.
    The filters are the article search's (:func:`search`)."""
    if fts_query(query) is None:
        return []
    conn = getattr(db, "conn", db)
    where = _filters(bool(site), bool(since), bool(until), originals)
    cur = conn.execute(ATTACHMENT_SEARCH_SQL.format(where=where), _params(query, site, since, until, limit, offset))
    cols = [d[0] for d in cur.description]
    out = []
    for row in cur.fetchall():
        rec = dict(zip(cols, row))
        rec["attachment"] = {"id": rec.pop("attachment_id"), "url": rec.pop("attachment_url"),
                             "name": rec.pop("attachment_name"), "kind": rec.pop("attachment_kind")}
        rec["snippet"] = snippet(rec.pop("text"), query, width=width)
        out.append(rec)
    return out
