"""Publishing-system families: what sites built on one CMS share.

Most Chinese government sites run on a handful of publishing systems, whose URL shapes are fixed by
the system, not by the site. A site file may name its family (``family = "gd_gov"``) and leave out
what the family gives: article URL patterns (on each of the site's own hosts), list pagination and,
when the family has them, selectors. What the site file sets itself wins.

Each family's shape, and the public facts it rests on:

``trs_wcm``  TRS WCM (拓尔思), used by ministries and many provincial portals (国家能源局, 生态环境部…).
             Articles ``…/YYYYMM/tYYYYMMDD_N.html`` (or ``.shtml``), e.g. ``t20220211_2004628.html``;
             a list is ``index.html`` then ``index_1.html``, ``index_2.html``… (page N is
             ``index_{N-1}``), written by the ``createPageHTML(pages, current, "index", "html")``
             script on the page.
``gd_gov``   广东 government cloud (广东省政务服务网站集约化平台), used by the province's city and
             department portals (江门, 广州…). Articles ``…/content/post_N.html``; a list is
             ``index.html`` then ``index_2.html``…
``hanweb``   Hanweb / 大汉 JCMS, used by 浙江, 江苏 and other portals. Articles
             ``/art/YYYY/M/D/art_COLUMN_N.html``, e.g. ``art/2016/11/22/art_1621004_30332664.html``;
             lists ``/col/colCOLUMN/index.html`` page through a data script, so a site gives its
             list pages itself (or feeds).
"""
from __future__ import annotations

import re

FAMILIES: dict[str, dict] = {
    "trs_wcm": {
        "article_path": r"(?:[\w-]+/)*\d{6}/t\d{8}_\d+\.s?html?",
        "list_page": (r"index\.(s?html?)$", r"index_{n-1}.\1"),
    },
    "gd_gov": {
        "article_path": r"(?:[\w-]+/)*content/post_\d+\.html",
        "list_page": (r"index\.html$", "index_{n}.html"),
    },
    "hanweb": {
        "article_path": r"art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html",
        "list_page": None,
    },
}


def family_article_urls(family: str, hosts) -> tuple[str, ...]:
    """The family's article URL patterns on each of *hosts* (``*.x.cn`` covers its sub-hosts)."""
    path = FAMILIES[family]["article_path"]
    out = []
    for host in hosts:
        if host.startswith("*."):
            out.append(rf"https://[a-z0-9-]+\.{re.escape(host[2:])}/{path}")
        else:
            out.append(rf"https://{re.escape(host)}/{path}")
    return tuple(out)
