"""Government documents and the articles that cite them.

A government document page's facts table (``archive.extract.facts.find_document``) is stored in
``documents``, one row per article. An article's text (any site: news reports, other documents)
cites a document by its number (发文字号: 沪府发〔2021〕11号, written with 〔〕/[]/［］/()/（）,
half- or full-width digits, spaces) or by its title in 《》. Such a citation is a row of
``citations`` (citing article, cited document, how it matched, the string matched).

Linking works whatever order the two arrive in, through two small key tables, both indexed on
``(kind, key)``:

- ``citation_refs``: what an article's title and text cite (a number: ``key`` = the character
  before the bracket, the year and the number, 沪府发〔2021〕11号 → ``发2021-11``, the characters
  before the bracket in ``context``; a title: its normalised form);
- ``document_keys``: what a document is known by (its number: the same ``key``, its issuer
  prefix in ``prefix``; its title, and the titles a notice issues, "关于印发《X》的通知" → X).

Storing either side looks the other side up by key: a number matches when the year and the
number are equal and the citing text's characters before the bracket end with the document's
prefix (沪府发 in "根据沪府发〔2021〕11号", never 粤府发); a title matches only when equal after
normalisation (:func:`normalise_title`) and at least :data:`TITLE_MIN_CHARS` long, never as a
substring. An article does not cite itself.
"""
from __future__ import annotations

import re
import unicodedata

TITLE_MIN_CHARS = 8  # a title shorter than this (《通知》, 《实施方案》) is too generic to link by
NUMBER_CONTEXT = 12  # characters kept before a cited number's bracket
DOC_FIELDS = ("index_no", "category", "issuer", "doc_number", "written_at", "published_at", "validity",
              "subject_words", "title")

_DIGIT = "0-9０-９"
_OPEN = "〔［\\[（(【〖"
_CLOSE = "〕］\\]）)】〗"
# 沪府发〔2021〕11号: issuer characters, the year in brackets, the number, 号
NUMBER_RX = re.compile(
    r"(?P<prefix>[\u4e00-\u9fff]{1," + str(NUMBER_CONTEXT) + r"})\s*(?P<tail>[" + _OPEN + r"]\s*"
    r"(?P<year>[12１２][" + _DIGIT + r"]{3})\s*[" + _CLOSE + r"]\s*(?P<n>[" + _DIGIT + r"]{1,5})\s*号)")
# the part of NUMBER_RX after the issuer characters: a text without it cites no number, found in one
# pass (NUMBER_RX itself tries every Chinese character as the start of an issuer prefix)
_NUMBER_TAIL = re.compile(r"[" + _OPEN + r"]\s*[12１２][" + _DIGIT + r"]{3}\s*[" + _CLOSE + r"]\s*[" + _DIGIT
                          + r"]{1,5}\s*号")
_TITLE_RX = re.compile(r"《([^《》\n]{1,200})》")
# a notice that issues or forwards documents: the titles in 《》 after the verb are theirs
_ISSUING = re.compile(r"(?:印发|转发|发布|公布|颁布|出台|修订|修改)")
_SPACE = re.compile(r"\s+")
_DASHES = str.maketrans({c: "-" for c in "—–－‐‑‒―"})
_QUOTES = str.maketrans({c: "" for c in "“”‘’\"'「」『』"})
_INNER = str.maketrans({"〈": "《", "〉": "》", "<": "《", ">": "》"})  # a title inside a title: 《…〈…〉…》


# the links of one side just stored (``?``: its article id), each an index lookup per key:
# a document's keys against every article's references, an article's references against every
# document's keys (tests/test_documents.py checks the query plans)
_MATCH = """SELECT r.article_id, k.document_id, r.kind,
                  min(CASE WHEN k.kind = 'title' THEN r.matched ELSE k.prefix || r.matched END)
           FROM {first} JOIN {second} ON r.kind = k.kind AND r.key = k.key
           WHERE {side} = ? AND r.article_id != k.document_id
             AND (k.kind = 'title' OR substr(r.context, -length(k.prefix)) = k.prefix)
           GROUP BY r.article_id, k.document_id, r.kind"""
_INSERT = "INSERT OR IGNORE INTO citations (article_id, document_id, matched_by, matched) "
LINK_DOCUMENT = _INSERT + _MATCH.format(first="document_keys k", second="citation_refs r", side="k.document_id")
LINK_REFS = _INSERT + _MATCH.format(first="citation_refs r", second="document_keys k", side="r.article_id")


def _digits(s: str) -> str:
    return unicodedata.normalize("NFKC", s)


def _number_key(m) -> str:
    """The last character before the bracket, the year and the number: a citing text's
    characters before the bracket end with the document's prefix, so they share that character,
    and the key stays selective (〔2021〕1号 alone is shared by every issuer)."""
    return f"{m['prefix'][-1]}{_digits(m['year'])}-{int(_digits(m['n']))}"


def parse_number(value: str | None) -> tuple[str, str] | None:
    """A document number's match key and issuer prefix: ``"沪府发〔2021〕11号"`` → ``("发2021-11", "沪府发")``;
    None when *value* holds no number of that form."""
    if not value:
        return None
    m = NUMBER_RX.search(value)
    if not m:
        return None
    return _number_key(m), m["prefix"]


def normalise_title(title: str | None) -> str:
    """The form titles are compared in: NFKC (full-width letters, digits and brackets as
    half-width), no whitespace, no quotation marks, one kind of dash, 〈〉 as 《》."""
    t = unicodedata.normalize("NFKC", title or "")
    return _SPACE.sub("", t).translate(_DASHES).translate(_QUOTES).translate(_INNER)


def title_keys(title: str | None) -> list[str]:
    """The normalised titles a document is known by: its own title, and the titles a notice
    issues ("…关于印发《X》的通知" → X); those shorter than ``TITLE_MIN_CHARS`` are dropped."""
    if not title:
        return []
    keys = [normalise_title(title)]
    verb = _ISSUING.search(title)
    if verb:
        keys += [normalise_title(t) for t in _TITLE_RX.findall(title[verb.end():])]
    out: list[str] = []
    for k in keys:
        if len(k) >= TITLE_MIN_CHARS and k not in out:
            out.append(k)
    return out


def find_refs(*texts: str | None) -> list[tuple[str, str, str | None, str]]:
    """What *texts* cite: ``[(kind, key, context, matched)]``, ``kind`` ``doc_number`` (``key``
    as :func:`parse_number`'s, ``context`` the characters before the bracket, ``matched`` the bracket on) or
    ``title`` (``key`` the normalised title inside 《》); each reference once."""
    out: list[tuple[str, str, str | None, str]] = []
    seen = set()
    for text in texts:
        if not text:
            continue
        for m in (NUMBER_RX.finditer(text) if _NUMBER_TAIL.search(text) else ()):
            ref = ("doc_number", _number_key(m), m["prefix"],
                   _SPACE.sub("", m["tail"]))
            if ref[:3] not in seen:
                seen.add(ref[:3])
                out.append(ref)
        for m in _TITLE_RX.finditer(text):
            key = normalise_title(m.group(1))
            if len(key) >= TITLE_MIN_CHARS and ("title", key, None) not in seen:
                seen.add(("title", key, None))
                out.append(("title", key, None, m.group(0)))
    return out


def year_of(doc: dict) -> int | None:
    """The year a document is faceted by: of its written date, else its publication date."""
    for f in ("written_at", "published_at"):
        v = doc.get(f) or ""
        if re.match(r"\d{4}", v):
            return int(v[:4])
    return None


def _doc_row(db, article_id: int) -> dict | None:
    row = db.execute(f"SELECT {', '.join(DOC_FIELDS)} FROM documents WHERE article_id = ?", [article_id]).fetchone()
    return dict(zip(DOC_FIELDS, row)) if row else None


def _forget_document(db, article_id: int) -> None:
    db.execute("DELETE FROM citations WHERE document_id = ?", [article_id])
    db.execute("DELETE FROM document_keys WHERE document_id = ?", [article_id])
    db.execute("DELETE FROM documents WHERE article_id = ?", [article_id])


def store_document(db, article_id: int, doc: dict | None, title: str | None = None) -> bool:
    """Make the ``documents`` row of article *article_id* say *doc* (its facts table as
    ``find_document`` returns it; None: the page has none, any row goes), with its keys and the
    citations of it by articles already stored. *title*: the article's title, the document's
    own when the facts table names none. True when something changed."""
    doc = {f: doc.get(f) for f in DOC_FIELDS} if doc else None
    keys = _keys_of(doc, title) if doc else []
    stored_keys = [tuple(r) for r in db.execute(
        "SELECT kind, key, prefix FROM document_keys WHERE document_id = ? ORDER BY rowid", [article_id])]
    if _doc_row(db, article_id) == doc and stored_keys == keys:
        return False
    _forget_document(db, article_id)
    if doc is not None:
        _insert_document(db, article_id, doc, keys)
    return True


def _insert_document(db, article_id: int, doc: dict, keys: list[tuple[str, str, str | None]]) -> None:
    """The ``documents`` row of *article_id* (it has none), its keys, and the citations of it by the
    articles already stored."""
    db.execute(
        f"INSERT INTO documents (article_id, {', '.join(DOC_FIELDS)}, year) VALUES (?, {', '.join('?' * len(DOC_FIELDS))}, ?)",
        [article_id, *(doc[f] for f in DOC_FIELDS), year_of(doc)])
    for kind, key, prefix in keys:
        db.execute("INSERT OR IGNORE INTO document_keys (document_id, kind, key, prefix) VALUES (?, ?, ?, ?)",
                   [article_id, kind, key, prefix])
    db.execute(LINK_DOCUMENT, [article_id])


def _keys_of(doc: dict, title: str | None) -> list[tuple[str, str, str | None]]:
    keys: list[tuple[str, str, str | None]] = []
    number = parse_number(doc.get("doc_number"))
    if number:
        keys.append(("doc_number", number[0], number[1]))
    for t in (doc.get("title"), title):
        keys += [("title", k, None) for k in title_keys(t) if ("title", k, None) not in keys]
    return keys


def store_refs(db, article_id: int, title: str | None, text: str | None) -> int:
    """Record what article *article_id* cites (its *title* and *text*) and link it to the
    documents already stored that match; what it cited before is replaced. Returns the number
    of documents it cites."""
    db.execute("DELETE FROM citations WHERE article_id = ?", [article_id])
    db.execute("DELETE FROM citation_refs WHERE article_id = ?", [article_id])
    _insert_refs(db, article_id, find_refs(title, text))
    db.execute(LINK_REFS, [article_id])
    return db.execute("SELECT count(DISTINCT document_id) FROM citations WHERE article_id = ?",
                      [article_id]).fetchone()[0]


def store(db, article_id: int, doc: dict | None, title: str | None, text: str | None) -> None:
    """Both sides for one article just written: its document row (if any) and what it cites."""
    store_document(db, article_id, doc, title)
    store_refs(db, article_id, title, text)


def store_new(db, article_id: int, doc: dict | None, title: str | None, text: str | None) -> None:
    """:func:`store` for an article row inserted in this transaction: no row of ``documents``,
    ``document_keys``, ``citation_refs`` or ``citations`` can name its id yet (each references
    ``articles``, and foreign keys are enforced), so nothing is read or deleted first."""
    if doc:
        doc = {f: doc.get(f) for f in DOC_FIELDS}
        _insert_document(db, article_id, doc, _keys_of(doc, title))
    refs = find_refs(title, text)
    _insert_refs(db, article_id, refs)
    if refs:
        db.execute(LINK_REFS, [article_id])


def _insert_refs(db, article_id: int, refs: list[tuple[str, str, str | None, str]]) -> None:
    for kind, key, context, matched in refs:
        db.execute("INSERT INTO citation_refs (article_id, kind, key, context, matched) VALUES (?, ?, ?, ?, ?)",
                   [article_id, kind, key, context, matched])


def forget(db, article_id: int) -> None:
    """An article deleted from the archive: its document row, keys, references and citations go."""
    _forget_document(db, article_id)
    db.execute("DELETE FROM citations WHERE article_id = ?", [article_id])
    db.execute("DELETE FROM citation_refs WHERE article_id = ?", [article_id])


def relink(db) -> int:
    """Recompute every article's references from the stored titles and texts (after a change of
    the matching rules, or for an archive stored before citations existed); the documents rows
    come from re-extraction (``archive reextract``). Returns the number of citations."""
    for (aid, title, text) in db.execute("SELECT id, title, text FROM articles ORDER BY id").fetchall():
        store_refs(db, aid, title, text)
    return db.execute("SELECT count(*) FROM citations").fetchone()[0]
