"""Build the replica's static tree from its records.

The tree is laid out ``HOST/PATH``: ``https://HOST/PATH?QUERY`` is served from
``HOST/PATH`` (queries ignored) and a path ending in ``/`` is that folder's
``index.html``.  A file without an extension is HTML.

    python -m archive.tooling.replica.build            # rebuild replica/site/ from replica/expected/
    python -m archive.tooling.replica.build --check    # exit 1 when replica/site/ is not a fresh build

The build is deterministic: the same records give byte-identical files.
:func:`render_site_tree` is the generic part (any number of records, e.g.
generated ones for a benchmark); :func:`build` adds the committed replica's
special pages (the bot-challenge page, the dangling link) read from
``replica/not_articles.json``.
"""
from __future__ import annotations

import argparse
import filecmp
import json
import shutil
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

from . import templates as T
from .attachments import attachment_bytes

__all__ = [
    "build",
    "render_site_tree",
    "write_tree",
    "url_to_path",
    "load_records",
    "load_not_articles",
    "SPECIAL_LINKS",
    "COMMITTED_PER_PAGE",
    "LIST_PAGE_SIZE",
]

from archive.tooling.checkout import REPLICA_DIR, REPLICA_EXPECTED as EXPECTED_DIR, REPLICA_SITE as SITE_DIR

LIST_PAGE_SIZE = 20  # items per list page on the real sites
# the committed replica has only a handful of articles per site; small list
# pages give every paginated site at least two list pages
COMMITTED_PER_PAGE = 3

# list entries of the committed replica that point at URLs which are not
# articles (their kind comes from replica/not_articles.json)
SPECIAL_LINKS = {
    "https://news.bjx.com.cn/html/20250310/1431207.shtml": {
        "site": "bjx",
        "title": "国家能源局：2025年新型储能装机规模有望继续保持快速增长",
        "published_at": "2025-03-10T16:02:00+08:00",
        "lists": ["zc", "yw"],
    },
    "https://news.bjx.com.cn/html/20250308/1430666.shtml": {
        "site": "bjx",
        "title": "《氢能产业标准体系建设指南（2025版）》公开征求意见",
        "published_at": "2025-03-08T11:18:00+08:00",
        "lists": ["yw"],
    },
}

RSS_ITEMS = 100  # the feed carries the newest items only
RELATED = 4  # related-news items on an article page


# --------------------------------------------------------------------------- paths
def url_to_path(url: str) -> str:
    """Relative file path (``HOST/PATH``, POSIX separators) serving ``url``."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = parts.path or "/"
    if path.endswith("/"):
        path += "index.html"
    return host + path


def load_records(expected_dir) -> list[dict]:
    """The records of ``expected_dir/*.json``, in file-name order."""
    out = []
    for p in sorted(Path(expected_dir).glob("*.json")):
        with open(p, encoding="utf-8") as f:
            out.append(json.load(f))
    return out


def load_not_articles(path) -> list[dict]:
    p = Path(path)
    if not p.exists():
        return []
    with open(p, encoding="utf-8") as f:
        return json.load(f)


# --------------------------------------------------------------------------- helpers
def _newest_first(items):
    return sorted(items, key=lambda r: (r["published_at"], r["url"]), reverse=True)


def _chunks(items, n):
    n = max(1, int(n))
    return [items[i : i + n] for i in range(0, len(items), n)] or [[]]


def _related(ordered, i, n=RELATED):
    """Up to ``n`` neighbours of item ``i`` in a site's newest-first order."""
    if len(ordered) <= 1:
        return []
    out = []
    k = 1
    while len(out) < min(n, len(ordered) - 1):
        out.append(ordered[(i + k) % len(ordered)])
        k += 1
    return out


class _Tree:
    def __init__(self):
        self.files: dict[str, bytes] = {}

    def put(self, url_or_path: str, data, encoding: str = "utf-8") -> None:
        path = url_to_path(url_or_path) if "://" in url_or_path else url_or_path
        if isinstance(data, str):
            data = data.encode(encoding, errors="xmlcharrefreplace")
        old = self.files.get(path)
        if old is not None and old != data:
            raise ValueError(f"two different pages render to {path}")
        self.files[path] = data


# --------------------------------------------------------------------------- sites
def _bjx(tree: _Tree, records, specials, per_page):
    ordered = _newest_first(records)
    for i, r in enumerate(ordered):
        rel = _related(ordered, i)
        npages = len(r.get("pages") or [None])
        base = r["url"][: -len(".shtml")]
        kind, enc = T.bjx_encoding(r)
        if kind == "legacy":
            tree.put(r["url"], T.bjx_legacy_article(r, rel), enc)
            npages = 0
        for page in range(1, npages + 1):
            url = r["url"] if page == 1 else f"{base}-{page}.shtml"
            tree.put(url, T.bjx_article(r, page, rel))
        for alias in r.get("aliases") or ():
            tree.put(alias, tree.files[url_to_path(r["url"])])
    columns = defaultdict(list)
    for r in records:
        columns["yw"].append(r)
        if T.bjx_column(r) != "yw":
            columns[T.bjx_column(r)].append(r)
    for s in specials:
        for col in s.get("lists") or ("yw",):
            columns[col].append(s)
    for col in ("zc", "yw"):
        pages = _chunks(_newest_first(columns[col]), per_page)
        total = len(pages)
        for n, items in enumerate(pages, 1):
            url = f"https://news.bjx.com.cn/{col}/" if n == 1 else f"https://news.bjx.com.cn/{col}/{n}/"
            tree.put(url, T.bjx_list(col, items, n, total))
        # past the last page: an empty list, so a crawler stops
        tree.put(f"https://news.bjx.com.cn/{col}/{total + 1}/", T.bjx_list(col, [], total + 1, total))


def _chinanews(tree: _Tree, records, specials, per_page, extra_pages):
    ordered = _newest_first(records)
    for i, r in enumerate(ordered):
        rel = _related(ordered, i)
        kind, enc = T.chinanews_encoding(r)
        page = T.chinanews_article(r, rel) if kind == "current" else T.chinanews_legacy_article(r, rel)
        tree.put(r["url"], page, enc)
        for n in range(2, len(r.get("pages") or ()) + 1):  # a long article: ID_2.shtml … ID_N.shtml
            tree.put(r["url"].removesuffix(".shtml") + f"_{n}.shtml", T.chinanews_article(r, rel, page=n), enc)
        for alias in r.get("aliases") or ():
            tree.put(alias, tree.files[url_to_path(r["url"])])
    items = _newest_first(list(records) + [s for s in specials])
    pages = _chunks(items, per_page)
    total = len(pages)
    for n, chunk in enumerate(pages, 1):
        tree.put(f"https://www.chinanews.com.cn/scroll-news/news{n}.html", T.chinanews_scroll(chunk, n, total))
    tree.put(f"https://www.chinanews.com.cn/scroll-news/news{total + 1}.html", T.chinanews_scroll([], total + 1, total))
    if extra_pages:
        feed = []
        for r in ordered[:RSS_ITEMS]:
            link = next((a for a in r.get("aliases") or () if urlsplit(a).hostname == "www.chinanews.com"), r["url"])
            feed.append((link, r))
        tree.put("https://www.chinanews.com.cn/rss/scroll-news.xml", T.chinanews_rss(feed))


def _zgm(tree: _Tree, records, specials, per_page):
    ordered = _newest_first(records)
    for i, r in enumerate(ordered):
        kind, enc = T.zgm_encoding(r)
        if kind == "legacy":
            tree.put(r["url"], T.zgm_legacy_article(r), enc)
        else:
            tree.put(r["url"], T.zgm_article(r, _related(ordered, i)))
        for alias in r.get("aliases") or ():
            tree.put(alias, tree.files[url_to_path(r["url"])])
    tree.put("https://www.zgm.cn/", T.zgm_home(_newest_first(list(records) + list(specials))))


def _shanghai(tree: _Tree, records, specials, per_page):
    ordered = _newest_first(records)
    for i, r in enumerate(ordered):
        tree.put(r["url"], T.shanghai_article(r, _related(ordered, i, 3)))
        for alias in r.get("aliases") or ():
            tree.put(alias, tree.files[url_to_path(r["url"])])
        for k, att in enumerate(r.get("attachments") or (), 1):
            tree.put(att["url"], attachment_bytes(att, f"Shanghai Municipal People's Government, attachment {k}"))
    pages = _chunks(_newest_first(list(records) + list(specials)), per_page)
    total = len(pages)
    for n, chunk in enumerate(pages, 1):
        name = "index.html" if n == 1 else f"index_{n}.html"
        tree.put(f"https://www.shanghai.gov.cn/nw12344/{name}", T.shanghai_list(chunk, n, total))
    # index_{total+1}.html is deliberately absent (404): the crawler stops there


def _jiangmen(tree: _Tree, records, specials, per_page):
    by_base = defaultdict(list)
    for r in list(records) + list(specials):
        by_base[T._jm_base(r["url"])].append(r)
    for base in sorted(by_base):
        ordered = _newest_first(by_base[base])
        arts = [r for r in ordered if "text" in r]
        for i, r in enumerate(arts):
            newer = arts[i - 1] if i > 0 else None
            older = arts[i + 1] if i + 1 < len(arts) else None
            tree.put(r["url"], T.jiangmen_article(r, prev=newer, next_=older))
            for alias in r.get("aliases") or ():
                tree.put(alias, tree.files[url_to_path(r["url"])])
            for k, att in enumerate(r.get("attachments") or (), 1):
                tree.put(att["url"], _attachment_bytes(att, k))
        pages = _chunks(ordered, per_page)
        total = len(pages)
        for n, chunk in enumerate(pages, 1):
            name = "index.html" if n == 1 else f"index_{n}.html"
            tree.put(f"https://www.jiangmen.gov.cn{base}/{name}", T.jiangmen_list(chunk, n, total, base))
        # index_{total+1}.html is deliberately absent (404)


def _attachment_bytes(att, k: int) -> bytes:
    return attachment_bytes(att, f"Jiangmen Science and Technology Bureau, attachment {k}")


def _generic(tree: _Tree, records, specials, per_page, site_class):
    """A registered site the replica has no look of its own for: plain article pages, and list pages
    at the site's first start URL paginated by its own ``list_page`` (all on one page without)."""
    site = site_class()
    start = (site.start_urls or site.feeds)[0]
    items = _newest_first(list(records) + list(specials))
    pages = _chunks(items, per_page) if site.page_url(start, 2) else [items]
    total = len(pages)
    for n, chunk in enumerate(pages, 1):
        nxt = site.page_url(start, n + 1) if n < total else None
        tree.put(site.page_url(start, n), T.generic_list(chunk, label=site.label or site.name, page=n,
                                                         total_pages=total, next_url=nxt))
    for r in records:
        tree.put(r["url"], T.generic_article(r, label=site.label or site.name, list_url=start))
        for alias in r.get("aliases") or ():
            tree.put(alias, tree.files[url_to_path(r["url"])])


# The sites with a look of their own (templates/<site>/); any other registered site gets _generic.
RENDERERS = {
    "bjx": lambda tree, records, specials, per_page, extra_pages: _bjx(tree, records, specials, per_page),
    "chinanews": _chinanews,
    "zgm": lambda tree, records, specials, per_page, extra_pages: _zgm(tree, records, specials, per_page),
    "shanghai_gov": lambda tree, records, specials, per_page, extra_pages: _shanghai(tree, records, specials, per_page),
    "jiangmen_kjj": lambda tree, records, specials, per_page, extra_pages: _jiangmen(tree, records, specials, per_page),
}


def registered_sites() -> dict:
    """{site key: spider class} of the site registry (crawler.registry): the replica renders any of them."""
    from crawler.registry import sites

    return sites()


def render_site_tree(records, out_dir=None, *, per_page: int = LIST_PAGE_SIZE, specials=(), extra_pages: bool = True,
                     sites: dict | None = None):
    """Render every page of the replica for ``records``.

    ``specials``: list entries that are not articles, dicts with url, site,
    title, published_at, kind (``blocked`` pages get the bot-challenge page,
    ``http_404`` ones no file) and for bjx ``lists`` (columns).  ``extra_pages``
    adds robots.txt per host, the chinanews RSS feed and the special pages.
    ``sites``: {key: spider class}, the site registry by default; a record of
    any other site is an error.
    Returns ``{relative path: bytes}``; writes the files under ``out_dir``
    when given.
    """
    sites = registered_sites() if sites is None else sites
    records = list(records)
    by_site = defaultdict(list)
    for r in records:
        if r.get("site") not in sites:
            raise ValueError(f"unknown site {r.get('site')!r} in {r.get('url')}")
        by_site[r["site"]].append(r)
    spec_by_site = defaultdict(list)
    for s in specials or ():
        spec_by_site[s["site"]].append(s)
    tree = _Tree()
    present = set(by_site) | set(spec_by_site)
    for key in [k for k in RENDERERS if k in present] + sorted(present - set(RENDERERS)):
        if key in RENDERERS:
            RENDERERS[key](tree, by_site[key], spec_by_site[key], per_page, extra_pages)
        else:
            _generic(tree, by_site[key], spec_by_site[key], per_page, sites[key])
    if extra_pages:
        for s in specials or ():
            if s.get("kind") == "blocked":
                tree.put(s["url"], T.bjx_challenge(s["url"]))
        for host in sorted({p.split("/", 1)[0] for p in tree.files}):
            tree.put(f"{host}/robots.txt", T.robots_txt(host))
    if out_dir is not None:
        write_tree(tree.files, out_dir)
    return tree.files


def write_tree(files: dict, out_dir) -> None:
    out = Path(out_dir)
    for rel in sorted(files):
        p = out.joinpath(*rel.split("/"))
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(files[rel])


def _specials(not_articles) -> list[dict]:
    out = []
    for entry in not_articles:
        meta = SPECIAL_LINKS.get(entry["url"])
        if meta is None:
            raise ValueError(f"not_articles.json lists {entry['url']} but build.SPECIAL_LINKS has no list entry for it")
        out.append({**meta, "url": entry["url"], "kind": entry["kind"]})
    return out


def build(expected_dir=EXPECTED_DIR, out_dir=SITE_DIR, *, clean: bool = False, per_page: int = COMMITTED_PER_PAGE):
    """Render the committed replica: the records of ``expected_dir`` plus the
    not-article pages of ``not_articles.json`` (next to ``expected_dir``)
    into ``out_dir``.  ``clean`` empties ``out_dir`` first.  Returns the
    sorted list of relative paths written."""
    expected_dir = Path(expected_dir)
    records = load_records(expected_dir)
    specials = _specials(load_not_articles(expected_dir.parent / "not_articles.json"))
    out = Path(out_dir)
    if clean and out.exists():
        shutil.rmtree(out)
    files = render_site_tree(records, out, per_page=per_page, specials=specials, extra_pages=True)
    return sorted(files)


def _same_tree(a: Path, b: Path) -> list[str]:
    """Differences between two trees (relative paths)."""
    def listing(root):
        return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}

    la, lb = listing(a), listing(b)
    diffs = sorted(la ^ lb)
    for rel in sorted(la & lb):
        if not filecmp.cmp(a / rel, b / rel, shallow=False):
            diffs.append(rel)
    return diffs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m archive.tooling.replica.build", description=__doc__.split("\n\n")[0])
    ap.add_argument("--expected", default=str(EXPECTED_DIR), help="records directory (default: replica/expected)")
    ap.add_argument("--out", default=str(SITE_DIR), help="output tree (default: replica/site)")
    ap.add_argument("--check", action="store_true", help="only compare a fresh build with --out")
    args = ap.parse_args(argv)
    out = Path(args.out)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            build(args.expected, tmp)
            diffs = _same_tree(Path(tmp), out) if out.exists() else ["(missing tree)"]
        if diffs:
            print(f"replica tree is stale ({len(diffs)} files differ), run: python -m archive.tooling.replica.build")
            for d in diffs[:20]:
                print("  " + d)
            return 1
        print("replica tree is up to date")
        return 0
    paths = build(args.expected, out, clean=True)
    print(f"wrote {len(paths)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
