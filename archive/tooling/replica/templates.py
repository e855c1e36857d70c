"""Page templates of the replica: which template renders a page, and with what.

The HTML lives in template files, ``templates/<site>/<page>.html`` (Jinja2),
one per site and page kind; this module picks the template and computes its
variables.  Every function is pure: record dicts (the ``replica/expected/*.json``
schema) in, an HTML (or XML, text, PDF) string or bytes out, with no clock, no
random numbers and no file access beyond reading the templates, so a build is
byte-for-byte reproducible.

The templates follow what is known of the real sites (see the project notes on
site structure): the exact CSS classes and ids of their article and list
pages, and the furniture a real page carries around and inside the article
body (navigation, breadcrumbs, the date/来源/关键词 line, share widgets, 投稿
and disclaimer blocks, ads inside the body, editor lines, related-news lists,
ICP and copyright footers, image file names next to captions).  A record's
``text`` is rendered as one ``<p>`` per line, so the clean article text is
exactly the text of the body paragraphs.

Template conventions: every value printed is HTML-escaped (``html.escape``
with quotes, ``None`` printing as nothing); the few places that insert markup
or script source as is say so with ``|safe``.  Whitespace is exact (the
committed replica is compared byte for byte), so blocks use Jinja's ``-``
whitespace control: a fragment that renders whole lines (``_footer.html``,
``shared/paras.html``…) ends each line with its newline and is included with
``-%}``; a list that may be empty keeps the blank line it always had through
``{% else %}``.
"""
from __future__ import annotations

import hashlib
import html
import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlsplit

import jinja2
from markupsafe import Markup

__all__ = [
    "bjx_article",
    "bjx_list",
    "bjx_challenge",
    "bjx_column",
    "chinanews_article",
    "chinanews_legacy_article",
    "chinanews_scroll",
    "chinanews_rss",
    "zgm_article",
    "zgm_home",
    "zgm_legacy_article",
    "zgm_encoding",
    "shanghai_article",
    "shanghai_list",
    "jiangmen_article",
    "jiangmen_list",
    "generic_article",
    "generic_list",
    "robots_txt",
    "attachment_pdf",
    "pdf_document",
    "attachment_name",
    "chinanews_encoding",
    "CHINANEWS_LEGACY_BEFORE",
]

CST = timezone(timedelta(hours=8))
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


# --------------------------------------------------------------------------- helpers
def esc(s) -> str:
    return html.escape("" if s is None else str(s), quote=True)


def _dt(record) -> datetime:
    return datetime.fromisoformat(record["published_at"]).astimezone(CST)


def _lines(text: str) -> list[str]:
    return [ln for ln in (text or "").split("\n") if ln]


def _page_lines(record, page: int = 1) -> list[str]:
    pages = record.get("pages")
    if pages:
        return _lines(pages[page - 1])
    return _lines(record["text"])


def _h(s: str, n: int = 8) -> str:
    """Short deterministic hex digest (ids, file names, tokens)."""
    return hashlib.sha256(s.encode("utf-8")).hexdigest()[:n]


def _num(s: str, lo: int, hi: int) -> int:
    return lo + int(_h(s, 12), 16) % (hi - lo + 1)


def _summary(record, n: int = 90) -> str:
    first = _lines(record["text"])
    s = "".join(first[:2])
    return s[:n]


_RIGHT_ALIGNED = re.compile(r"^(?:\d{4}年\d{1,2}月\d{1,2}日|[\u4e00-\u9fff（）()]{2,20}(?:局|政府|委员会|办公厅|办公室))$")


def _ymd(record) -> str:
    return _dt(record).strftime("%Y-%m-%d")


def _ymdhm(record) -> str:
    return _dt(record).strftime("%Y-%m-%d %H:%M")


def _cn_date(record) -> str:
    d = _dt(record)
    return f"{d.year}年{d.month:02d}月{d.day:02d}日 {d:%H:%M}"


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


def _path(url: str) -> str:
    return urlsplit(url).path


def _cn_day(iso_date: str | None) -> str:
    """"2025-01-08" -> "2025年1月8日"."""
    if not iso_date:
        return ""
    y, m, d = (int(x) for x in iso_date[:10].split("-"))
    return f"{y}年{m}月{d}日"


def _cn_time(record) -> str:
    d = _dt(record)
    return f"{d.month}-{d.day} {d:%H:%M}"


def _rfc822(record) -> str:
    d = _dt(record)
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return f"{days[d.weekday()]}, {d.day:02d} {months[d.month - 1]} {d.year} {d:%H:%M:%S} +0800"


def _list_page(n: int) -> str:
    """File name of page ``n`` of a government list: index.html, index_2.html …"""
    return "index.html" if n == 1 else f"index_{n}.html"


# --------------------------------------------------------------------------- the loader
def _finalize(value):
    """Escape every printed value as ``html.escape`` does (the replica's bytes
    predate the templates); values marked safe pass unchanged."""
    if hasattr(value, "__html__"):
        return value
    return Markup(esc(value))


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(["html", "xml"], default=True),
        finalize=_finalize,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        ymd=_ymd,
        ymdhm=_ymdhm,
        ymdhms=lambda r: _dt(r).strftime("%Y-%m-%d %H:%M:%S"),
        month_day=lambda r: _dt(r).strftime("%m-%d"),
        cn_date=_cn_date,
        cn_day=_cn_day,
        cn_time=_cn_time,
        rfc822=_rfc822,
        summary=_summary,
        host=_host,
        path=_path,
        quote=quote,
        digest=lambda s, n=8: _h(s, n),
        list_page=_list_page,
    )
    env.tests["right_aligned"] = lambda ln: bool(_RIGHT_ALIGNED.match(ln))
    env.globals["bjx_columns"] = BJX_COLUMNS
    return env


def render(template: str, /, **context) -> str:
    """Render ``templates/<template>`` with ``context``."""
    return _env().get_template(template).render(**context)


def _article_vars(record, **more) -> dict:
    """Variables every article template uses, and ``more``."""
    return {
        "record": record,
        "url": record["url"],
        "title": record["title"],
        "keywords": record.get("keywords") or [],
        "summary": _summary(record),
        "source": record.get("source"),
        "author": record.get("author"),
        "editor": record.get("editor"),
        **more,
    }


# =========================================================================== bjx
BJX_CHANNELS = {
    # host prefix: (breadcrumb name, site name used in <title>)
    "news": ("电力新闻", "北极星电力新闻网"),
    "chuneng": ("储能", "北极星储能网"),
    "qn": ("氢能", "北极星氢能网"),
    "guangfu": ("光伏", "北极星太阳能光伏网"),
    "fd": ("风电", "北极星风力发电网"),
    "huanbao": ("环保", "北极星环保网"),
    "shoudian": ("售电", "北极星售电网"),
    "shupeidian": ("输配电", "北极星输配电网"),
    "huodian": ("火电", "北极星火力发电网"),
    "energy": ("能源", "北极星能源网"),
}
BJX_COLUMNS = {"yw": "要闻", "zc": "政策", "sc": "市场", "sj": "数据", "js": "技术", "mq": "企业", "zb": "招标", "bd": "观点"}


def bjx_column(record) -> str:
    """The news.bjx.com.cn column a record belongs to: reposted documents of
    other publishers are 政策 (``zc``), bjx's own stories 要闻 (``yw``).  Every
    record is listed in ``yw`` too."""
    src = record.get("source") or ""
    return "zc" if src and not src.startswith("北极星") else "yw"


def _bjx_channel(url: str) -> tuple[str, str, str]:
    sub = _host(url).split(".")[0]
    name, site = BJX_CHANNELS.get(sub, ("电力新闻", "北极星电力网"))
    return sub, name, site


def bjx_article(record, page: int = 1, related=()) -> str:
    """A bjx article page (current template).  Multi-page articles (``pages``)
    have one page per entry, ``N.shtml`` then ``N-2.shtml`` …, linked from
    ``#article_cont .cc-paging``."""
    url = record["url"]
    sub, chname, sitename = _bjx_channel(url)
    npages = len(record.get("pages") or [None])
    base = url[: -len(".shtml")]

    def purl(n):
        return f"{base}.shtml" if n == 1 else f"{base}-{n}.shtml"

    links = []  # the pager: (class, href, text)
    if npages > 1:
        links.append(("prev disable", "javascript:;", "上一页") if page == 1 else ("prev", purl(page - 1), "上一页"))
        links += [("cur" if n == page else "", purl(n), n) for n in range(1, npages + 1)]
        links.append(("next disable", "javascript:;", "下一页") if page == npages else ("next", purl(page + 1), "下一页"))
    return render(
        "bjx/article.html",
        **_article_vars(
            record,
            sitename=sitename,
            sub=sub,
            chname=chname,
            active=bjx_column(record),
            page_url=purl(page),
            lines=_page_lines(record, page),
            links=links,
            related=related,
        ),
    )


# pages published before this date are in the old table-layout template, GBK bytes
BJX_LEGACY_BEFORE = "2010-01-01"


def bjx_encoding(record) -> tuple[str, str]:
    """(template, byte encoding) of a bjx record's page: ("current", "utf-8")
    or ("legacy", "gbk")."""
    return ("legacy", "gbk") if _ymd(record) < BJX_LEGACY_BEFORE else ("current", "utf-8")


def bjx_legacy_article(record, related=()) -> str:
    """A bjx article in the old (2000s) template: nested layout tables, the
    title in a bold cell, a "发布日期/来源/作者" cell, the body as ``<br>``-
    separated paragraphs in a table cell, then 责任编辑, 【打印本页】【关闭窗口】,
    a related-news table and the copyright footer.  The string declares gbk;
    :func:`bjx_encoding` says which bytes to write."""
    sub, chname, sitename = _bjx_channel(record["url"])
    return render(
        "bjx/legacy_article.html",
        **_article_vars(
            record,
            sitename=sitename,
            chname=chname,
            lines=_lines(record["text"]),
            related=related,
        ),
    )


def bjx_list(column: str, items, page: int, total_pages: int, host: str = "news.bjx.com.cn") -> str:
    """Column list page ``/{column}/`` (page 1) or ``/{column}/{page}/``.

    ``items`` are dicts with url, title and published_at.  A page past the
    last (``page > total_pages``) renders with an empty list."""

    def purl(n):
        return f"https://{host}/{column}/" if n == 1 else f"https://{host}/{column}/{n}/"

    last = max(total_pages, 1)
    links = []  # the pager: (class, href, text)
    if page > 1:
        links.append(("prev", purl(min(page - 1, last)), "上一页"))
    links += [("cur" if n == page else "", purl(n), n) for n in range(1, last + 1)]
    links.append(("next disable", "javascript:;", "下一页") if page >= last else ("next", purl(page + 1), "下一页"))
    return render(
        "bjx/list.html",
        name=BJX_COLUMNS.get(column, column),
        active=column,
        page_url=purl(page),
        items=items,
        links=links,
    )


def bjx_challenge(url: str) -> str:
    """The Aliyun WAF JavaScript challenge bjx serves instead of a page (~11 KB,
    status 200): not an article."""
    seed = hashlib.sha256(url.encode("utf-8")).hexdigest()
    chunks = []
    h = seed
    # an obfuscated string table, as the real challenge script carries
    while sum(len(c) for c in chunks) < 9500:
        h = hashlib.sha256(h.encode("ascii")).hexdigest()
        chunks.append("'\\x" + "\\x".join(h[i : i + 2] for i in range(0, 48, 2)) + "'")
    return render(
        "bjx/challenge.html",
        url=url,
        request_id=seed[:32],
        trace_id=seed[32:64],
        token=seed[:40],
        string_table=",".join(chunks),
    )


# =========================================================================== chinanews
CHINANEWS_CHANNELS = {
    "gn": "国内", "gj": "国际", "sh": "社会", "cj": "财经", "ny": "能源", "ga": "港澳", "tw": "台湾",
    "cul": "文化", "edu": "教育", "jk": "健康", "life": "生活", "ty": "体育", "auto": "汽车", "house": "房产",
    "it": "IT", "fz": "法治", "dwq": "地方",
}
# pages published before this date use the legacy template
CHINANEWS_LEGACY_BEFORE = "2020-01-01"
# legacy pages before this date are GB2312 bytes; later legacy pages are UTF-8
# bytes that still declare gb2312 in their <meta> (a real, transitional state)
CHINANEWS_GBK_BEFORE = "2019-01-01"


def chinanews_encoding(record) -> tuple[str, str]:
    """(template, byte encoding) of a chinanews record's page:
    ("current", "utf-8"), ("legacy", "gb2312") or ("legacy", "utf-8")."""
    day = _ymd(record)
    if day >= CHINANEWS_LEGACY_BEFORE:
        return "current", "utf-8"
    if day >= CHINANEWS_GBK_BEFORE:
        return "legacy", "utf-8"
    return "legacy", "gb2312"


def _cn_channel(url: str) -> tuple[str, str]:
    code = _path(url).strip("/").split("/")[0]
    return code, CHINANEWS_CHANNELS.get(code, "滚动")


def _cn_article_vars(record, related) -> dict:
    url = record["url"]
    code, chname = _cn_channel(url)
    return {
        **_article_vars(record),
        "source": record.get("source") or "中国新闻网",
        "editor": record.get("editor") or "",
        "code": code,
        "chname": chname,
        "aid": _path(url).rsplit("/", 1)[-1].split(".")[0],
        "lines": _lines(record["text"]),
        "related": related,
    }


def chinanews_article(record, related=(), page: int = 1) -> str:
    """A chinanews article page in its current (2020–) template.  A long
    article (``pages``) is split as ``ID.shtml``, ``ID_2.shtml`` … ``ID_N.shtml``;
    its pager is not links but a script that writes them from the page count."""
    return render("chinanews/article.html", **{
        **_cn_article_vars(record, related),
        "lines": _page_lines(record, page),
        "page": page,
        "page_count": len(record.get("pages") or ()) or 1,
    })


def chinanews_legacy_article(record, related=()) -> str:
    """A chinanews article in the legacy (before ~2020) template.  The string
    declares gb2312; :func:`chinanews_encoding` says which bytes to write."""
    return render("chinanews/legacy_article.html", **_cn_article_vars(record, related))


def chinanews_scroll(items, page: int, total_pages: int) -> str:
    """Rolling list ``/scroll-news/news{page}.html``.  A page past the last
    renders with an empty list."""
    rows = []
    for it in items:
        code, chname = _cn_channel(it["url"])
        rows.append({**it, "code": code, "chname": chname})
    return render("chinanews/scroll.html", items=rows, page=page, last=max(total_pages, 1))


def chinanews_rss(items) -> str:
    """``/rss/scroll-news.xml``: RSS 2.0.  ``items`` are (link, record) pairs,
    newest first; the link may be on www.chinanews.com."""
    last = _rfc822(items[0][1]) if items else "Thu, 01 Jan 2015 00:00:00 +0800"
    return render("chinanews/rss.xml", items=items, last_build=last)


# =========================================================================== zgm
# image file names as the CMS shows them next to a caption (keyed by caption);
# other captions get a deterministic name of the same shape
ZGM_IMAGE_FILES = {
    "自贡高新工业园区 记者 宋姿熠 摄": "3221729503684_.pic_hd.jpg",
    "自贡先进碳材料产业技术研究院 记者 宋姿熠 摄": "自贡先进碳材料产业技术研究院   记者   宋姿熠  摄.jpg",
    "自贡高新综合保税区 记者 宋姿熠 摄": "3271729503939_.pic_hd.jpg",
    "哈尔滨工业大学(自贡)技术转移中心(资料图片)": "哈尔滨工业大学(自贡)技术转移中心.png",
    "自贡高新工业园区一角 记者 宋姿熠 摄": "3471729504843_.pic_hd.jpg",
}
_CAPTION = re.compile(r"(?:\s摄|[(（]资料图片[)）])$")


def _zgm_image_file(caption: str) -> str:
    if caption in ZGM_IMAGE_FILES:
        return ZGM_IMAGE_FILES[caption]
    n = _num(caption, 3000, 3999)
    return f"{n}{_num(caption + '#', 1700000000, 1799999999)}_.pic_hd.jpg"


def _zgm_body(record) -> list[dict]:
    """The body's blocks: a paragraph of text, or a caption line with the
    image above it and the image's file name between them."""
    d = _dt(record)
    out = []
    for ln in _lines(record["text"]):
        if _CAPTION.search(ln) and len(ln) <= 60:
            f = _zgm_image_file(ln)
            out.append({"text": ln, "file": f, "image": f"https://img.zgm.cn/uploads/{d:%Y%m%d}/{_h(f, 16)}.jpg"})
        else:
            out.append({"text": ln, "image": None})
    return out


def zgm_article(record, related=()) -> str:
    """A zgm article page ``/content/{13 hex}`` (selectors of the real site are
    unknown; this template is the replica's own)."""
    return render(
        "zgm/article.html",
        **_article_vars(
            record,
            source=record.get("source") or "自贡网",
            body=_zgm_body(record),
            related=related,
        ),
    )


def zgm_legacy_article(record) -> str:
    """A page of the legacy (~2016) site, ``/html/a/YYYY/MMDD/N.html``: GBK bytes
    (:func:`zgm_encoding`), title in ``div.a1 h1``, a 时间/来源 line ``div.a2``,
    body ``div.a3 p``."""
    return render("zgm/legacy_article.html", **_article_vars(
        record, source=record.get("source") or "自贡网", lines=_lines(record["text"]),
        aid=_path(record["url"]).rsplit("/", 1)[-1].split(".")[0]))


def zgm_encoding(record) -> tuple[str, str]:
    """(template, byte encoding) of a zgm record's page: ("legacy", "gbk") for
    ``/html/a/`` URLs, else ("current", "utf-8")."""
    return ("legacy", "gbk") if _path(record["url"]).startswith("/html/a/") else ("current", "utf-8")


def zgm_home(items) -> str:
    """The zgm home page: the only list page the crawler knows; it links the
    articles (``items``: records, newest first) as ``/content/{id}``; the
    first three are also in the focus strip."""
    return render("zgm/home.html", items=items)


# =========================================================================== shanghai_gov
SHANGHAI_RATIO_BEFORE = "2023-01-01"  # PubDate written with U+2236 RATIO before this date
# unrelated teasers the portal appends after news stories (seen: each title shown twice)
SHANGHAI_TEASERS = (
    ("为何纷纷将上海郊区这个园区选为“梦开始的地方”?,留学生归国创业全域|创业|郊区",
     "尽管只有28岁，但山东小伙薛云浩已是个“创业老兵”。从英国拉夫堡大学毕业回国后，他在外省市有过两次创业经历。"),
    ("预计投产后新增产值约50亿元,莘庄工业区7个重大产业项目集中开工产业|制造业|项目",
     "6月30日，上海市莘庄工业区举行2023年重大产业项目集中开工仪式，福斯特、军健君泽、澳华内镜等7个制造业项目同时开工。"),
    ("上海这一“工程”为何生生不息,30年方法|服务|上海",
     "夏季，来自云南临沧的外卖骑手杨权又迎来一年中最艰苦的送餐季节，但他的内心却很踏实。"),
    ("年轻人面临三种求职困境?上海金山举行高校毕业生就业创业主题日活动活动|创业|金山",
     "6月19日下午，“雁归金山·职在湾区”2023年金山区高校毕业生就业创业主题日活动在海阔·东岸文化创意产业园举行。"),
)


def _sh_pubdate(record) -> str:
    d = _dt(record)
    sep = "\u2236" if _ymd(record) < SHANGHAI_RATIO_BEFORE else ":"
    return f"{d:%Y-%m-%d %H}{sep}{d:%M}"


def _sh_is_document(record) -> bool:
    return _path(record["url"]).startswith("/nw12344/")


def _attachments(record) -> list[dict]:
    return [
        {"url": a["url"], "name": attachment_name(record, i + 1)} for i, a in enumerate(record.get("attachments") or [])
    ]


def shanghai_article(record, related=()) -> str:
    """A www.shanghai.gov.cn article: policy documents (``/nw12344/``) carry the
    document facts table (the record's ``document``, or one made up from the
    URL); news stories end with the portal's teaser list."""
    d = _dt(record)
    url = record["url"]
    is_doc = _sh_is_document(record)
    doc = record.get("document")
    facts = None  # the facts printed label and value in one cell ("cells" layout)
    if doc and record.get("facts_layout") == "cells":
        facts = doc
    elif is_doc and not doc:  # a policy document without recorded facts: a facts table made up from its URL
        facts = {
            "index_no": f"31000{_num(url, 2000000, 2999999)}/{d.year}-{_num(url + 'i', 100, 999):05d}",
            "category": "科技、教育\\科技",
            "issuer": record.get("source") or "上海市人民政府",
            "doc_number": f"沪府发〔{d.year}〕{_num(url + 'n', 5, 30)}号",
            "written_at": d.date().isoformat(),
            "published_at": d.date().isoformat(),
        }
    return render(
        "shanghai/article.html",
        **_article_vars(
            record,
            source=record.get("source") or "上海市人民政府",
            column="政策文件" if is_doc else "区情动态",
            column_url="/nw12344/index.html" if is_doc else "/nw4411/index.html",
            pubdate=_sh_pubdate(record),
            day=f"{d.year}年{d.month}月{d.day}日",
            doc=doc,
            facts=facts,
            attachments=_attachments(record),
            lines=_lines(record["text"]),
            related=related,
            teasers=() if is_doc else SHANGHAI_TEASERS,
        ),
    )


def shanghai_list(items, page: int, total_pages: int) -> str:
    """Policy documents list ``/nw12344/index.html``, ``index_2.html`` …"""
    return render("shanghai/list.html", items=items, page=page, last=max(total_pages, 1))


# =========================================================================== jiangmen_kjj
JIANGMEN_DEPT = "江门市科学技术局"


def attachment_name(record, index: int = 1) -> str:
    """Visible name of an attachment: the document named in the title's 《》,
    else the title, plus the extension of the attachment URL."""
    att = (record.get("attachments") or [])[index - 1]
    ext = att["url"].rsplit(".", 1)[-1].lower()
    m = re.search(r"《(.+?)》", record["title"])
    name = m.group(1) if m else record["title"]
    return f"附件{index}：{name}.{ext}"


def _jm_base(url: str) -> str:
    p = _path(url)
    i = p.find("/content/")
    return p[:i] if i >= 0 else p.rsplit("/", 1)[0]


def _jm_vars(base: str) -> dict:
    """The bureau's paths above a notices list ``base``: its home page and
    its 政务公开 section."""
    return {
        "dept": JIANGMEN_DEPT,
        "base": base,
        "dept_path": base.rsplit("/zwgk", 1)[0],
        "open_path": base.rsplit("/tzgg", 1)[0],
    }


def jiangmen_article(record, prev=None, next_=None) -> str:
    """A notice of the bureau, ``…/tzgg/content/post_N.html`` (the real article
    selectors are unknown; this template is the replica's own: title
    ``h1.article-title``, info line ``div.article-info``, body
    ``div.article-content``, attachments ``div.article-attachment``; a
    document's facts block above the title)."""
    return render(
        "jiangmen/article.html",
        **_article_vars(
            record,
            **_jm_vars(_jm_base(record["url"])),
            source=record.get("source") or JIANGMEN_DEPT,
            doc=record.get("document"),
            facts_layout=record.get("facts_layout") or "divs",
            attachments=_attachments(record),
            lines=_lines(record["text"]),
            prev=prev,
            next=next_,
        ),
    )


def jiangmen_list(items, page: int, total_pages: int, base: str = "/bmpd/jmskjj/zwgk/tzgg") -> str:
    """通知公告 list ``{base}/index.html``, ``index_2.html`` …"""
    return render("jiangmen/list.html", **_jm_vars(base), items=items, page=page, last=max(total_pages, 1))


# =========================================================================== shared
# =========================================================================== generic
def generic_article(record, *, label: str, list_url: str, page: int = 1, pager=()) -> str:
    """An article page of a site the replica has no look of its own for (a site file added by a
    user): a plain page with the usual furniture (navigation, breadcrumb, an info line, an editor
    line, a footer), page ``page`` of ``record["pages"]`` when the article has several; ``pager``
    is ``[(n, href)]``."""
    return render("generic/article.html", **_article_vars(
        record, label=label, list_url=list_url, lines=_page_lines(record, page), pager=list(pager)))


def generic_list(items, *, label: str, page: int, total_pages: int, next_url: str | None) -> str:
    """A list page of such a site: one link per article, a 下一页 link and 共N页."""
    return render("generic/list.html", label=label, items=items, page=page, last=max(total_pages, 1),
                  next_url=next_url)


def robots_txt(host: str) -> str:
    """Every replica host allows everything."""
    return "User-agent: *\nAllow: /\n"


def attachment_pdf(url: str, title: str = "Attachment") -> bytes:
    """A small, valid one-page PDF (a few hundred bytes), deterministic in
    ``url`` and ``title`` (ASCII text only)."""
    text = f"{title} - {urlsplit(url).path.rsplit('/', 1)[-1]}".encode("ascii", "replace").decode("ascii")
    text = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return pdf_document(objs)


def pdf_document(objs: list[bytes]) -> bytes:
    """A PDF file of *objs* (numbered from 1, the first the catalog) with its cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + o + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n".encode()
    out += b"0000000000 65535 f \n"
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
