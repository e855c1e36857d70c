"""`archive import-warc`: articles re-extracted from a WARC file's captures into an archive.

The WARC is read by :func:`archive.warc.read_captures`; each article goes through the crawl's own
stages as a stored crawl would (the site's selectors, :func:`archive.extract.article.extract_article`,
and the store stage's ``insert_article``: raw pages, row, index), so an archive exported with
``archive export-warc`` and imported again holds the same article texts. An article whose URL the
archive already holds is left alone; pages that give no article text are counted, not stored.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from archive.db import now_iso, open_db, transaction
from archive.extract.article import charset_of, extract_article


@dataclass
class ImportResult:
    articles: int = 0  # articles in the file
    imported: int = 0
    already: int = 0  # URL already archived
    no_site: int = 0  # no site of this archive serves the URL
    no_text: int = 0  # the pages give no article text
    errors: list[str] = field(default_factory=list)


def import_warc(fileobj, db_path, *, max_text_chars=None) -> ImportResult:
    from archive.faces.crawl import site_for_url, site_spiders
    from crawler.items import ArticleItem, Page
    from pipelines.store import insert_article
    from archive.warc import read_captures

    spiders = site_spiders()
    result = ImportResult()
    captures = read_captures(fileobj)
    result.articles = len(captures)
    db = open_db(db_path)
    try:
        for art in captures:
            cls = spiders.get(art["site"]) if art["site"] else site_for_url(art["url"])
            if cls is None:
                result.no_site += 1
                continue
            url = art["url"] if art["site"] else cls().canonical_url(art["url"])
            if db.execute("SELECT 1 FROM articles WHERE url = ?", [url]).fetchone():
                result.already += 1
                continue
            pages = [Page(url=p["url"], status=p["status"] or 200, body=p["body"], fetched_at=p["fetched_at"] or now_iso(),
                          charset=charset_of(p["content_type"]), content_type=p["content_type"], etag=p["etag"],
                          last_modified=p["last_modified"]) for p in art["pages"]]
            try:
                new = extract_article([(p.body, p.url, p.charset) for p in pages], cls.selectors)
            except Exception as exc:  # noqa: BLE001 - one bad capture is reported, never stops the import
                result.errors.append(f"{url}: {type(exc).__name__}")
                continue
            if not new["text"]:
                result.no_text += 1
                continue
            item = ArticleItem(site=cls.name, url=url, pages=pages, title=new["title"],
                               published_at=new["published_at"], source=new["source"], author=new["author"],
                               editor=new["editor"], keywords=new["keywords"], text=new["text"],
                               text_hash=new["text_hash"], encoding=new["encoding"],
                               replaced_bytes=new["replaced_bytes"])
            with transaction(db):
                kwargs = {} if max_text_chars is None else {"max_text_chars": max_text_chars}
                insert_article(db, item, now_iso(), **kwargs)
            result.imported += 1
    finally:
        db.conn.close()
    return result
