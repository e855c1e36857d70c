"""Page templates of the replica: one render function per site and page kind.

Every function is pure: record dicts (the ``replica/expected/*.json`` schema)
in, an HTML (or XML, text, PDF) string or bytes out, with no clock, no random
numbers and no file access, so a build is byte-for-byte reproducible.

The templates follow what is known of the real sites (see the project notes on
site structure): the exact CSS classes and ids of their article and list
pages, and the furniture a real page carries around and inside the article
body (navigation, breadcrumbs, the date/来源/关键词 line, share widgets, 投稿
and disclaimer blocks, ads inside the body, editor lines, related-news lists,
ICP and copyright footers, image file names next to captions).  A record's
``text`` is rendered as one ``<p>`` per line, so the clean article text is
exactly the text of the body paragraphs.
"""
from __future__ import annotations

import hashlib
import html
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, urlsplit

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
    "shanghai_article",
    "shanghai_list",
    "jiangmen_article",
    "jiangmen_list",
    "robots_txt",
    "attachment_pdf",
    "attachment_name",
    "chinanews_encoding",
    "CHINANEWS_LEGACY_BEFORE",
]

CST = timezone(timedelta(hours=8))


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


def _paras(lines, style: str = "text-indent: 2em;", prefix: str = "") -> str:
    out = []
    for ln in lines:
        if _RIGHT_ALIGNED.match(ln):
            out.append(f'<p style="text-align: right;">{esc(ln)}</p>')
        else:
            st = f' style="{style}"' if style else ""
            out.append(f"<p{st}>{prefix}{esc(ln)}</p>")
    return "\n".join(out)


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

_BJX_HEAD_CSS = (
    '<link rel="stylesheet" href="https://static.bjx.com.cn/www/css/common.min.css">\n'
    '<link rel="stylesheet" href="https://static.bjx.com.cn/news/css/detail.min.css">'
)


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


_ACTIVE = ' class="active"'
_CURRENT = ' class="current"'


def _bjx_header(active: str = "") -> str:
    nav = "".join(
        f'<li{_ACTIVE if col == active else ""}><a href="https://news.bjx.com.cn/{col}/">{name}</a></li>'
        for col, name in BJX_COLUMNS.items()
    )
    return f"""<div class="cc-top"><div class="box">
<ul class="cc-top-nav"><li><a href="https://www.bjx.com.cn/">北极星电力网</a></li><li><a href="https://guangfu.bjx.com.cn/">光伏</a></li><li><a href="https://fd.bjx.com.cn/">风电</a></li><li><a href="https://chuneng.bjx.com.cn/">储能</a></li><li><a href="https://qn.bjx.com.cn/">氢能</a></li><li><a href="https://huanbao.bjx.com.cn/">环保</a></li><li><a href="https://shoudian.bjx.com.cn/">售电</a></li><li><a href="https://www.bjx.com.cn/zhaopin/">招聘</a></li></ul>
<div class="cc-top-user"><a href="https://passport.bjx.com.cn/login/">登录</a><a href="https://passport.bjx.com.cn/register/">注册</a></div>
</div></div>
<div class="cc-header"><div class="box">
<a class="cc-logo" href="https://www.bjx.com.cn/"><img src="https://img01.mybjx.net/static/logo/bjx-logo.png" alt="北极星"></a><span class="cc-logo-text">北极星</span>
<div class="cc-search"><form action="https://www.bjx.com.cn/search/" method="get"><input type="text" name="kw" placeholder="请输入关键词" autocomplete="off"><button type="submit">搜索</button></form>
<div class="cc-search-history" style="display:none"><p><span>搜索历史</span><a class="clear" href="javascript:;">清空</a></p>
<ul><li><a href="https://www.bjx.com.cn/search/?kw=%E6%B0%B4%E5%A4%84%E7%90%86">水处理</a></li></ul></div></div>
</div></div>
<div class="cc-nav"><div class="box"><ul><li><a href="https://news.bjx.com.cn/">首页</a></li>{nav}</ul></div></div>"""


def _bjx_footer() -> str:
    return """<div class="cc-footer"><div class="box">
<p class="cc-footer-links"><a href="https://www.bjx.com.cn/about/">关于北极星</a> | <a href="https://www.bjx.com.cn/about/contact.html">联系我们</a> | <a href="https://www.bjx.com.cn/about/ad.html">广告服务</a> | <a href="https://news.bjx.com.cn/tougao/">投稿</a> | <a href="https://www.bjx.com.cn/about/law.html">法律声明</a> | <a href="https://www.bjx.com.cn/sitemap.html">网站地图</a></p>
<p>北极星电力网 版权所有 Copyright &copy; 2000-2025 www.bjx.com.cn All rights reserved.</p>
<p>京ICP证080169号 京ICP备09003304号-2 京公网安备11010502034458号 增值电信业务经营许可证：京B2-20150304</p>
<p>北京火山动力网络技术有限公司 地址：北京市丰台区汽车博物馆东路8号院 电话：400-116-1166</p>
</div></div>"""


def _bjx_related(related) -> str:
    items = "\n".join(
        f'<li><a href="{esc(r["url"])}" title="{esc(r["title"])}" target="_blank">{esc(r["title"])}</a><span>{_ymd(r)}</span></li>'
        for r in related
    )
    return f"""<div class="cc-related"><div class="cc-related-title"><span>相关推荐</span></div>
<ul>
{items}
</ul></div>"""


def bjx_article(record, page: int = 1, related=()) -> str:
    """A bjx article page (current template).  Multi-page articles (``pages``)
    have one page per entry, ``N.shtml`` then ``N-2.shtml`` …, linked from
    ``#article_cont .cc-paging``."""
    url = record["url"]
    sub, chname, sitename = _bjx_channel(url)
    npages = len(record.get("pages") or [None])
    base = url[: -len(".shtml")]
    page_url = url if page == 1 else f"{base}-{page}.shtml"
    col = bjx_column(record)
    kws = record.get("keywords") or []
    kw_links = "".join(
        f'<a href="https://www.bjx.com.cn/topics/{quote(k)}/" target="_blank">{esc(k)}</a>' for k in kws
    )
    author = f"<span>作者：{esc(record['author'])}</span>" if record.get("author") else ""
    source = f"<span>来源：{esc(record['source'])}</span>" if record.get("source") else ""
    paging = ""
    if npages > 1:
        links = []
        prev_url = base + ".shtml" if page == 2 else f"{base}-{page - 1}.shtml"
        if page == 1:
            links.append('<a class="prev disable" href="javascript:;">上一页</a>')
        else:
            links.append(f'<a class="prev" href="{esc(prev_url)}">上一页</a>')
        for n in range(1, npages + 1):
            u = base + ".shtml" if n == 1 else f"{base}-{n}.shtml"
            if n == page:
                links.append(f'<a class="cur" href="{esc(u)}">{n}</a>')
            else:
                links.append(f'<a href="{esc(u)}">{n}</a>')
        if page == npages:
            links.append('<a class="next disable" href="javascript:;">下一页</a>')
        else:
            links.append(f'<a class="next" href="{esc(base)}-{page + 1}.shtml">下一页</a>')
        paging = '\n<div class="cc-paging">' + "".join(links) + "</div>"
    tags = "".join(
        f'<a href="https://www.bjx.com.cn/topics/{quote(k)}/" target="_blank"><span>{esc(k)}</span><em>查看更多&gt;</em></a>'
        for k in kws
    )
    title = record["title"]
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}-{esc(sitename)}</title>
<meta name="keywords" content="{esc(",".join(kws))}">
<meta name="description" content="{esc(_summary(record))}">
<link rel="canonical" href="{esc(page_url)}">
{_BJX_HEAD_CSS}
</head>
<body>
{_bjx_header(col)}
<div class="cc-crumbs"><div class="box"><span>您的位置：</span><em><a href="https://www.bjx.com.cn/">电力</a></em><em><a href="https://{esc(sub)}.bjx.com.cn/">{esc(chname)}</a></em><em><a href="https://{esc(sub)}.bjx.com.cn/{col}/">{BJX_COLUMNS[col]}</a></em><em>正文</em></div></div>
<div class="cc-headline"><div class="box">
<h1>{esc(title)}</h1>
<p><span>{_ymdhm(record)}</span>{source}{author}<span id="key_word">关键词：{kw_links}</span><span class="cc-collect"><i></i>收藏</span><span class="cc-like"><i></i>点赞</span></p>
</div></div>
<div class="cc-layout-3"><div class="box">
<div class="left js-detail-left"><div class="cc-share"><a class="wx" href="javascript:;" title="分享到微信"></a><a class="wb" href="javascript:;" title="分享到微博"></a><a class="qq" href="javascript:;" title="分享到QQ"></a></div></div>
<div class="center js-detail-center">
<div class="cc-contribute"><a class="cc-contribute-btn" href="https://news.bjx.com.cn/tougao/">投稿</a><div class="cc-contribute-pop"><a href="https://news.bjx.com.cn/tougao/">我要投稿</a></div></div>
<div id="article_cont">
<div class="cc-article">
{_paras(_page_lines(record, page))}
</div>{paging}
</div>
<div class="cc-article-source-title"><span>北极星{esc(chname)}网</span></div>
<div class="cc-detail-contact">
<p>投稿与新闻线索：陈女士 微信/手机：13693626116 邮箱：chenchen#bjxmail.com（请将#改成@）</p>
<p>特别声明：北极星转载其他网站内容，出于传递更多信息而非盈利之目的，同时并不代表赞成其观点或证实其描述，内容仅供参考。版权归原作者所有，若有侵权，请联系我们删除。</p>
<p>凡来源注明北极星*网的内容为北极星原创，转载需获授权。</p>
</div>
<div class="cc-tag" data-expose="detail_tag">{tags}</div>
{_bjx_related(related)}
</div>
<div class="right"><div class="cc-hot"><div class="cc-hot-title">热点专题</div><ul><li><a href="https://news.bjx.com.cn/zc/">政策</a></li><li><a href="https://news.bjx.com.cn/yw/">要闻</a></li><li><a href="https://chuneng.bjx.com.cn/">储能</a></li><li><a href="https://qn.bjx.com.cn/">氢能</a></li></ul></div></div>
</div></div>
{_bjx_footer()}
<script src="https://static.bjx.com.cn/www/js/jquery.min.js"></script>
<script src="https://static.bjx.com.cn/news/js/detail.min.js"></script>
</body>
</html>
"""


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
    url = record["url"]
    sub, chname, sitename = _bjx_channel(url)
    title = record["title"]
    d = _dt(record)
    info = [f"发布日期：{d:%Y-%m-%d %H:%M}"]
    if record.get("source"):
        info.append(f"来源：{esc(record['source'])}")
    if record.get("author"):
        info.append(f"作者：{esc(record['author'])}")
    editor = f'<tr><td align="right" class="editor">责任编辑：{esc(record["editor"])}</td></tr>' if record.get("editor") else ""
    paras = "<br>\n".join(f"\u3000\u3000{esc(ln)}" for ln in _lines(record["text"]))
    rel = "\n".join(
        f'<tr><td class="rel">·<a href="{esc(r["url"])}" target="_blank">{esc(r["title"])}</a></td><td class="reldate">{_ymd(r)}</td></tr>'
        for r in related
    )
    nav = " | ".join(
        f'<a href="{u}">{n}</a>' for n, u in (("首页", "http://www.bjx.com.cn/"), ("电力新闻", "http://news.bjx.com.cn/"),
                                              ("政策法规", "http://news.bjx.com.cn/zc/"), ("要闻", "http://news.bjx.com.cn/yw/"),
                                              ("招聘", "http://hr.bjx.com.cn/"), ("论坛", "http://bbs.bjx.com.cn/"))
    )
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gbk">
<title>{esc(title)}_{esc(sitename)}</title>
<meta name="keywords" content="{esc(",".join(record.get("keywords") or []))}">
<link href="http://www.bjx.com.cn/css/style.css" rel="stylesheet" type="text/css">
</head>
<body leftmargin="0" topmargin="0">
<table width="778" border="0" align="center" cellpadding="0" cellspacing="0">
<tr><td height="60"><a href="http://www.bjx.com.cn/"><img src="http://www.bjx.com.cn/images/logo.gif" width="180" height="60" border="0" alt="{esc(sitename)}"></a></td>
<td align="right" class="top">{nav}</td></tr>
</table>
<table width="778" border="0" align="center" cellpadding="0" cellspacing="0" class="weizhi">
<tr><td>您现在的位置：<a href="http://www.bjx.com.cn/">北极星电力网</a> &gt;&gt; <a href="http://news.bjx.com.cn/">{esc(chname)}</a> &gt;&gt; 正文</td></tr>
</table>
<table width="778" border="0" align="center" cellpadding="0" cellspacing="0">
<tr>
<td width="580" valign="top">
<table width="100%" border="0" cellpadding="6" cellspacing="0">
<tr><td align="center" class="title"><b><font size="4">{esc(title)}</font></b></td></tr>
<tr><td align="center" class="info">{"&nbsp;&nbsp;".join(info)}&nbsp;&nbsp;【字体：<a href="javascript:;">大</a> <a href="javascript:;">中</a> <a href="javascript:;">小</a>】</td></tr>
<tr><td class="content">
{paras}
</td></tr>
{editor}
<tr><td align="center" class="tools">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</td></tr>
</table>
<table width="100%" border="0" cellpadding="3" cellspacing="0" class="related">
<tr><td colspan="2" class="reltitle">相关新闻</td></tr>
{rel}
</table>
</td>
<td width="10"></td>
<td width="188" valign="top">
<table width="100%" border="0" cellpadding="3" cellspacing="0" class="side">
<tr><td class="sidetitle">热点排行</td></tr>
<tr><td><a href="http://news.bjx.com.cn/zc/">电力政策法规汇编</a></td></tr>
<tr><td><a href="http://hr.bjx.com.cn/">北极星电力招聘网</a></td></tr>
<tr><td><a href="http://bbs.bjx.com.cn/">北极星电力论坛</a></td></tr>
</table>
</td>
</tr>
</table>
<table width="778" border="0" align="center" cellpadding="0" cellspacing="0" class="footer">
<tr><td align="center"><a href="http://www.bjx.com.cn/about/">关于我们</a> | <a href="http://www.bjx.com.cn/contact/">联系我们</a> | <a href="http://www.bjx.com.cn/law/">法律声明</a></td></tr>
<tr><td align="center">版权所有 &copy; 北极星电力网 京ICP证080169号</td></tr>
</table>
</body>
</html>
"""


def bjx_list(column: str, items, page: int, total_pages: int, host: str = "news.bjx.com.cn") -> str:
    """Column list page ``/{column}/`` (page 1) or ``/{column}/{page}/``.

    ``items`` are dicts with url, title and published_at.  A page past the
    last (``page > total_pages``) renders with an empty list."""
    name = BJX_COLUMNS.get(column, column)

    def purl(n):
        return f"https://{host}/{column}/" if n == 1 else f"https://{host}/{column}/{n}/"

    lis = "\n".join(
        f'<li><a href="{esc(it["url"])}" title="{esc(it["title"])}" target="_blank">{esc(it["title"])}</a><span>{_ymd(it)}</span></li>'
        for it in items
    )
    if not items:
        lis = '<li class="cc-list-empty">暂无数据</li>'
    links = []
    last = max(total_pages, 1)
    if page > 1:
        links.append(f'<a class="prev" href="{purl(min(page - 1, last))}">上一页</a>')
    for n in range(1, last + 1):
        cls = ' class="cur"' if n == page else ""
        links.append(f'<a{cls} href="{purl(n)}">{n}</a>')
    if page >= last:
        links.append('<a class="next disable" href="javascript:;">下一页</a>')
    else:
        links.append(f'<a class="next" href="{purl(page + 1)}">下一页</a>')
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{name}-北极星电力新闻网</title>
<meta name="keywords" content="电力{name},电力新闻,北极星电力新闻网">
<link rel="canonical" href="{purl(page)}">
{_BJX_HEAD_CSS}
</head>
<body>
{_bjx_header(column)}
<div class="cc-crumbs"><div class="box"><span>您的位置：</span><em><a href="https://www.bjx.com.cn/">电力</a></em><em><a href="https://news.bjx.com.cn/">电力新闻</a></em><em>{name}</em></div></div>
<div class="cc-layout-2"><div class="box">
<div class="left">
<div class="cc-list-title"><h2>{name}</h2></div>
<div class="cc-list-content">
<ul>
{lis}
</ul>
</div>
<div class="cc-paging">{"".join(links)}</div>
</div>
<div class="right"><div class="cc-hot"><div class="cc-hot-title">热门栏目</div><ul><li><a href="https://news.bjx.com.cn/zc/">政策</a></li><li><a href="https://news.bjx.com.cn/yw/">要闻</a></li><li><a href="https://news.bjx.com.cn/sc/">市场</a></li></ul></div></div>
</div></div>
{_bjx_footer()}
</body>
</html>
"""


def bjx_challenge(url: str) -> str:
    """The Aliyun WAF JavaScript challenge bjx serves instead of a page (~11 KB,
    status 200): not an article."""
    seed = hashlib.sha256(url.encode("utf-8")).hexdigest()
    req_id = seed[:32]
    chunks = []
    h = seed
    # an obfuscated string table, as the real challenge script carries
    while sum(len(c) for c in chunks) < 9500:
        h = hashlib.sha256(h.encode("ascii")).hexdigest()
        chunks.append("'\\x" + "\\x".join(h[i : i + 2] for i in range(0, 48, 2)) + "'")
    table = ",".join(chunks)
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Verification</title>
<style>html,body{{margin:0;padding:0;height:100%;font-family:Arial,"Microsoft YaHei",sans-serif;background:#f5f6f7}}#aliyun_waf_box{{position:absolute;top:40%;left:50%;transform:translate(-50%,-50%);text-align:center;color:#333}}#aliyun_waf_box .tip{{font-size:14px;color:#999;margin-top:12px}}</style>
</head>
<body>
<div id="aliyun_waf_box"><div class="loading"></div><p>Verifying your browser, please wait...</p><p class="tip">Security verification by aliyun_waf</p></div>
<script>
var requestInfo = {{"requestId":"{req_id}","traceId":"{seed[32:64]}","url":"{esc(url)}","scene":"js_challenge","code":200}};
window.CF_APP_WAF = {{"version":"3.2.7","token":"{seed[:40]}","renderTo":"#aliyun_waf_box","timeout":8000}};
var aliyun_waf_tbl = [{table}];
(function(t,e){{var n=function(r){{while(--r){{t.push(t.shift())}}}};n(++e)}})(aliyun_waf_tbl,0x1a3);
var aliyun_waf_fn=function(i){{return aliyun_waf_tbl[i-0x0]}};
(function(){{var s=document.createElement('script');s.src='/aliyun_waf/challenge.js?rid='+requestInfo.requestId;document.body.appendChild(s)}})();
</script>
<noscript>Please enable JavaScript to continue. (aliyun_waf)</noscript>
</body>
</html>
"""


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


_CN_FOOTER = """<div class="pagebottom">
<div class="bottom_nav"><a href="https://www.chinanews.com.cn/common/footer/intro.shtml">关于我们</a> | <a href="https://www.chinanews.com.cn/common/footer/aboutus.shtml">About us</a> | <a href="https://www.chinanews.com.cn/common/footer/contact.shtml">联系我们</a> | <a href="https://www.chinanews.com.cn/common/footer/news-service.shtml">广告服务</a> | <a href="https://www.chinanews.com.cn/common/footer/law.shtml">法律声明</a> | <a href="https://www.chinanews.com.cn/common/footer/job.shtml">招聘信息</a> | <a href="https://www.chinanews.com.cn/common/footer/sitemap.shtml">网站地图</a></div>
<p>本网站所刊载信息，不代表中新社和中新网观点。 刊用本网站稿件，务经书面授权。</p>
<p>未经授权禁止转载、摘编、复制及建立镜像，违者将依法追究法律责任。</p>
<p>[<a href="https://www.chinanews.com.cn/common/footer/license.shtml">网上传播视听节目许可证（0106168)</a>] [京ICP证040655号] [京公网安备：11000002003042号] [京ICP备05004340号-1] 总机：86-10-87826688</p>
<p>违法和不良信息举报电话：15699788000 举报邮箱：jubao@chinanews.com.cn 举报受理和处置管理办法</p>
<p>Copyright &copy;1999-2025 chinanews.com. All Rights Reserved</p>
</div>"""

_CN_AD = """<table class="adInContent" border="0" align="left" cellpadding="0" cellspacing="0"><tr><td>
<script type="text/javascript">var ad_cn_zw_{aid} = {{"pos":"zw_pc_{aid}","w":300,"h":250}};</script>
<div class="ad_cn_zw"><a href="https://www.chinanews.com.cn/app/" target="_blank"><img src="https://i2.chinanews.com.cn/simg/ad/2025/app_300x250.jpg" width="300" height="250" alt="中新网客户端"></a>
<p>下载中新网客户端 看更多精彩新闻</p></div>
</td></tr></table>"""


def _cn_body(lines, aid: str) -> str:
    """Body paragraphs, indented with two U+3000 as on the real site, with an
    ad table after the second paragraph."""
    out = []
    for i, ln in enumerate(lines):
        out.append(f"<p>\u3000\u3000{esc(ln)}</p>")
        if i == 1 and len(lines) > 3:
            out.append(_CN_AD.format(aid=aid))
    return "\n".join(out)


def _cn_selected(related) -> str:
    items = "\n".join(
        f'<li><a href="//{_host(r["url"])}{esc(_path(r["url"]))}" target="_blank">{esc(r["title"])}</a></li>' for r in related
    )
    return f"""<div class="selected_news_wrapper"><div class="selected_news_title">精彩推荐</div>
<ul class="selected_news_list">
{items}
</ul></div>"""


def chinanews_article(record, related=()) -> str:
    """A chinanews article page in its current (2020–) template."""
    url = record["url"]
    code, chname = _cn_channel(url)
    aid = _path(url).rsplit("/", 1)[-1].split(".")[0]
    src = record.get("source") or "中国新闻网"
    editor = record.get("editor") or ""
    d = _dt(record)
    kws = record.get("keywords") or []
    author = f'<div id="author_baidu" style="display:none">作者：{esc(record["author"])}</div>\n' if record.get("author") else ""
    title = record["title"]
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{esc(title)}-中新网</title>
<meta name="keywords" content="{esc(",".join(kws))}">
<meta name="description" content="{esc(_summary(record))}">
<meta name="filetype" content="0">
<meta name="publishedtype" content="1">
<meta name="pagetype" content="1">
<meta name="catalogs" content="{esc(code)}">
<meta name="contentid" content="{esc(aid)}">
<meta name="publishdate" content="{d:%Y-%m-%d}">
<meta name="author" content="{esc(editor)}">
<meta name="source" content="来源：{esc(src)}">
<link rel="canonical" href="{esc(url)}">
<link rel="stylesheet" href="//www.chinanews.com.cn/part/static/2022/css/content.css">
</head>
<body>
<div class="top_nav"><div class="w1200"><a class="logo" href="//www.chinanews.com.cn/"><img src="//www.chinanews.com.cn/part/static/2022/img/logo.png" alt="中国新闻网"></a>
<ul><li><a href="//www.chinanews.com.cn/">首页</a></li><li><a href="//www.chinanews.com.cn/scroll-news/news1.html">滚动</a></li><li><a href="//www.chinanews.com.cn/china/">时政</a></li><li><a href="//www.chinanews.com.cn/world/">国际</a></li><li><a href="//www.chinanews.com.cn/society/">社会</a></li><li><a href="//www.chinanews.com.cn/finance/">财经</a></li><li><a href="//www.chinanews.com.cn/cul/">文化</a></li><li><a href="//www.chinanews.com.cn/gangao/">港澳</a></li></ul>
<div class="search"><form action="//sou.chinanews.com.cn/search.do" method="get"><input type="text" name="q"><button>搜索</button></form></div></div></div>
<div class="channel"><div class="w1200"><a href="//www.chinanews.com.cn/">中新网</a> &gt; <a href="//www.chinanews.com.cn/{esc(code)}/">{esc(chname)}</a> &gt; 正文</div></div>
<div class="content w1200"><div class="content_left">
<h1 class="content_left_title">{esc(title)}</h1>
<div class="content_left_time">{_cn_date(record)}\u3000来源：<a class="source" href="//www.chinanews.com.cn/" target="_blank">{esc(src)}</a></div>
<div id="function_code_page"><span>分享到：</span><a class="wx" href="javascript:;">微信</a><a class="wb" href="javascript:;">微博</a><a class="qq" href="javascript:;">QQ空间</a><span class="zh">字号：<a href="javascript:;">大</a><a href="javascript:;">中</a><a href="javascript:;">小</a></span></div>
<div class="content_maincontent_content">
<div class="left_zw" style="position:relative">
{_cn_body(_lines(record["text"]), aid)}
</div>
<div class="adEditor"><div class="left_name"><div class="left_name">【编辑:{esc(editor)}】</div></div></div>
</div>
<div id="pubtime_baidu" style="display:none">{d:%Y-%m-%d %H:%M:%S}</div>
<div id="source_baidu" style="display:none">来源：<a href="//www.chinanews.com.cn/" target="_blank">{esc(src)}</a></div>
{author}<div id="editor_baidu" style="display:none">责任编辑：{esc(editor)}</div>
{_cn_selected(related)}
<div class="comment_wrapper"><div class="comment_title">评论</div><div class="comment_box"><textarea placeholder="文明上网理性发言，请遵守新闻评论服务协议"></textarea><a class="comment_btn" href="javascript:;">发表评论</a></div><p class="comment_count">0条评论</p></div>
</div>
<div class="content_right"><div class="rank"><div class="rank_title">新闻排行</div><ul><li><a href="//www.chinanews.com.cn/scroll-news/news1.html">滚动新闻</a></li></ul></div></div>
</div>
{_CN_FOOTER}
</body>
</html>
"""


def chinanews_legacy_article(record, related=()) -> str:
    """A chinanews article in the legacy (before ~2020) template.  The string
    declares gb2312; :func:`chinanews_encoding` says which bytes to write."""
    url = record["url"]
    code, chname = _cn_channel(url)
    aid = _path(url).rsplit("/", 1)[-1].split(".")[0]
    src = record.get("source") or "中国新闻网"
    editor = record.get("editor") or ""
    kws = record.get("keywords") or []
    title = record["title"]
    rel = "\n".join(
        f'<li><a href="http://{_host(r["url"])}{esc(_path(r["url"]))}" target="_blank">{esc(r["title"])}</a></li>' for r in related
    )
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />
<title>{esc(title)}-中新网</title>
<meta name="keywords" content="{esc(",".join(kws))}" />
<meta name="description" content="{esc(_summary(record))}" />
<meta name="filetype" content="0" />
<meta name="publishedtype" content="1" />
<meta name="pagetype" content="1" />
<meta name="catalogs" content="{esc(code)}" />
<meta name="contentid" content="{esc(aid)}" />
<meta name="publishdate" content="{_ymd(record)}" />
<meta name="author" content="{esc(editor)}" />
<meta name="source" content="{esc(src)}" />
<link href="http://www.chinanews.com/common/css/2013_content.css" rel="stylesheet" type="text/css" />
</head>
<body>
<div id="top"><div class="top_nav"><a href="http://www.chinanews.com/">中国新闻网</a> | <a href="http://www.chinanews.com/scroll-news/news1.html">滚动新闻</a> | <a href="http://www.chinanews.com/china/">时政</a> | <a href="http://www.chinanews.com/world/">国际</a> | <a href="http://www.chinanews.com/finance/">财经</a> | <a href="http://www.chinanews.com/energy/">能源</a></div></div>
<div id="nav"><a href="http://www.chinanews.com/">首页</a> &gt; <a href="http://www.chinanews.com/{esc(code)}/">{esc(chname)}</a> &gt; 正文</div>
<div class="con_left">
<div id="cont_1_1_2">
<h1 style="display:block; position:relative; text-align:center; clear:both">{esc(title)}</h1>
<div class="left-time"><div class="left-t" style="float:left;">{_cn_date(record)}\u3000来源：{esc(src)}\u3000<a href="http://comments.chinanews.com/{esc(aid)}" target="_blank" id="comment_link">参与互动</a></div>
<div id="function_code_page"><span>分享到：</span><a href="javascript:;">微博</a><a href="javascript:;">QQ空间</a><a href="javascript:;">人人网</a></div></div>
<div class="left_zw" style="position:relative">
{_cn_body(_lines(record["text"]), aid)}
</div>
<div class="left_name"><div class="left_name" style="float:right; padding-right:60px">【编辑:{esc(editor)}】</div></div>
<div id="function_code_page2"><a href="javascript:window.print()">打印本页</a> <a href="javascript:window.close()">关闭窗口</a></div>
<div class="left_tjxw"><div class="left_tjxw_title">相关新闻</div><ul>
{rel}
</ul></div>
</div>
</div>
<div id="bottom"><div class="bottom_nav"><a href="http://www.chinanews.com/common/footer/intro.shtml">关于我们</a> | <a href="http://www.chinanews.com/common/footer/contact.shtml">联系我们</a> | <a href="http://www.chinanews.com/common/footer/law.shtml">法律声明</a></div>
<p>本网站所刊载信息，不代表中新社和中新网观点。 刊用本网站稿件，务经书面授权。</p>
<p>未经授权禁止转载、摘编、复制及建立镜像，违者将依法追究法律责任。</p>
<p>[京ICP证040655号] [京公网安备：11000002003042号] 总机：86-10-87826688</p>
<p>Copyright &copy;1999-2019 chinanews.com. All Rights Reserved</p></div>
</body>
</html>
"""


def _cn_time(record) -> str:
    d = _dt(record)
    return f"{d.month}-{d.day} {d:%H:%M}"


def chinanews_scroll(items, page: int, total_pages: int) -> str:
    """Rolling list ``/scroll-news/news{page}.html``.  A page past the last
    renders with an empty list."""
    lis = []
    for i, it in enumerate(items):
        code, chname = _cn_channel(it["url"])
        lis.append(
            f'<li><div class="dd_lm">[<a href="//www.chinanews.com.cn/{esc(code)}/">{esc(chname)}</a>]</div>'
            f'<div class="dd_bt"><a href="//{_host(it["url"])}{esc(_path(it["url"]))}">{esc(it["title"])}</a></div>'
            f'<div class="dd_time">{_cn_time(it)}</div></li>'
        )
        if i % 5 == 4:
            lis.append('<li class="nocontent"></li>')
    last = max(total_pages, 1)
    pager = []
    for n in range(1, last + 1):
        pager.append(f'<a href="news{n}.html"{_CURRENT if n == page else ""}>{n}</a>')
    if page < last:
        pager.append(f'<a href="news{page + 1}.html">下一页</a>')
    body = "\n".join(lis) if lis else '<li class="nocontent">暂无内容</li>'
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>滚动新闻-中国新闻网-梳理天下新闻</title>
<meta name="keywords" content="滚动新闻,即时新闻,中新网">
<link rel="stylesheet" href="//www.chinanews.com.cn/part/static/2022/css/scroll.css">
</head>
<body>
<div class="top_nav"><div class="w1200"><a href="//www.chinanews.com.cn/">首页</a> <a href="//www.chinanews.com.cn/scroll-news/news1.html">滚动</a> <a href="//www.chinanews.com.cn/importnews.html">要闻</a></div></div>
<div class="w1200"><div class="channel"><a href="//www.chinanews.com.cn/">中新网</a> &gt; 滚动新闻</div>
<div class="content_list">
<ul>
{body}
</ul>
</div>
<div class="pagebox" id="pageZone">{"".join(pager)}</div>
</div>
{_CN_FOOTER}
</body>
</html>
"""


def _rfc822(record) -> str:
    d = _dt(record)
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return f"{days[d.weekday()]}, {d.day:02d} {months[d.month - 1]} {d.year} {d:%H:%M:%S} +0800"


def chinanews_rss(items) -> str:
    """``/rss/scroll-news.xml``: RSS 2.0.  ``items`` are (link, record) pairs,
    newest first; the link may be on www.chinanews.com."""
    parts = []
    for link, r in items:
        parts.append(
            f"""<item>
<title>{esc(r["title"])}</title>
<link>{esc(link)}</link>
<description><![CDATA[{_summary(r, 120)}]]></description>
<pubDate>{_rfc822(r)}</pubDate>
<guid isPermaLink="true">{esc(link)}</guid>
</item>"""
        )
    last = _rfc822(items[0][1]) if items else "Thu, 01 Jan 2015 00:00:00 +0800"
    body = "\n".join(parts)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
<channel>
<title>中新网滚动新闻</title>
<link>https://www.chinanews.com.cn/scroll-news/news1.html</link>
<description>中新网滚动新闻</description>
<language>zh-cn</language>
<copyright>Copyright 1999-2025 chinanews.com. All Rights Reserved</copyright>
<lastBuildDate>{last}</lastBuildDate>
{body}
</channel>
</rss>
"""


# =========================================================================== zgm
ZGM_NAV = (("本地", "/list/bd"), ("天下", "/list/tx"), ("发现自贡", "/list/fxzg"), ("文化", "/list/wh"),
           ("健康", "/list/jk"), ("教育", "/list/jy"), ("商圈", "/list/sq"))
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

_ZGM_FOOTER = """<div class="footer"><div class="w1200">
<p class="footer-links"><a href="/about">关于我们</a> | <a href="/contact">联系我们</a> | <a href="/ad">广告服务</a> | <a href="/law">法律声明</a></p>
<p>Copyright &copy; 2006-2024 WWW.ZGM.CN 自贡网 All Rights Reserved. 自贡日报社 主办</p>
<p>地址：四川省自贡市汇川路1240号自贡报业大楼 电话：0813-8220769 8220773 邮箱：webmaster@zgm.cn</p>
<p>互联网新闻信息服务许可证编号：51120190016 <a href="https://beian.miit.gov.cn/">蜀ICP备11013724号</a> 川公网安备51030002000105号</p>
<p>涉本网站网络内容从业人员违法违规行为举报电话：0813-8220769 网络内容从业人员违法违规行为举报</p>
<p>涉未成年人投诉举报电话：0813-8220770 电子邮箱：wcn@zgm.cn | 涉互联网算法推荐专项举报渠道</p>
<p>中国互联网举报中心举报电话： 12377 | 涉本网站违法和不良信息举报电话：0813-8220770 | 涉企举报专区</p>
<p>食品安全投诉举报电话：0813-2988060 电子邮箱：zgsscjgjyjk@163.com</p>
</div></div>"""


def _zgm_header() -> str:
    nav = "".join(f'<li><a href="{u}">{n}</a></li>' for n, u in ZGM_NAV)
    return f"""<div class="header"><div class="w1200">
<a class="logo" href="/"><img src="/static/images/logo.png" alt="自贡网"></a>
<ul class="nav">{nav}</ul>
<div class="search"><a href="/search">搜索</a></div>
</div></div>"""


def _zgm_image_file(caption: str) -> str:
    if caption in ZGM_IMAGE_FILES:
        return ZGM_IMAGE_FILES[caption]
    n = _num(caption, 3000, 3999)
    return f"{n}{_num(caption + '#', 1700000000, 1799999999)}_.pic_hd.jpg"


def _zgm_body(record) -> str:
    d = _dt(record)
    out = []
    for ln in _lines(record["text"]):
        if _CAPTION.search(ln) and len(ln) <= 60:
            f = _zgm_image_file(ln)
            src = f"https://img.zgm.cn/uploads/{d:%Y%m%d}/{_h(f, 16)}.jpg"
            out.append(f'<p style="text-align: center;"><img src="{src}" alt="{esc(f)}" title="{esc(f)}"></p>')
            out.append(f'<p class="img-name" style="text-align: center;">{esc(f)}</p>')
            out.append(f'<p style="text-align: center;">{esc(ln)}</p>')
        else:
            out.append(f'<p style="text-indent: 2em;">{esc(ln)}</p>')
    return "\n".join(out)


def zgm_article(record, related=()) -> str:
    """A zgm article page ``/content/{13 hex}`` (selectors of the real site are
    unknown; this template is the replica's own)."""
    title = record["title"]
    rel = "\n".join(
        f'<li><a href="{esc(_path(r["url"]))}" target="_blank">{esc(r["title"])}</a><span>{_ymd(r)}</span></li>'
        for r in related
    )
    editor = record.get("editor") or ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}_自贡网</title>
<meta name="keywords" content="{esc(",".join(record.get("keywords") or []))}">
<meta name="description" content="{esc(_summary(record))}">
<link rel="stylesheet" href="/static/css/article.css">
</head>
<body>
{_zgm_header()}
<div class="main w1200">
<div class="main-left">
<div class="article-head">
<h1 class="article-title">{esc(title)}</h1>
<div class="article-info"><span class="time">{_ymdhm(record)}</span> <span class="source">{esc(record.get("source") or "自贡网")}</span></div>
<div class="article-tools"><span class="views">0</span><a class="share" href="javascript:;">分享</a></div>
</div>
<div class="article-content" id="article-content">
{_zgm_body(record)}
</div>
<div class="article-editor">
<p>编辑:{esc(editor)}</p>
<p>责任编辑:欧阳宏梅</p>
<p>编审:吴山冠</p>
</div>
<div class="related"><div class="related-title">相关新闻</div>
<ul>
{rel}
</ul></div>
</div>
<div class="main-right"><div class="qrcode"><img src="/static/images/qrcode.png" alt="自贡网微信"><p>扫一扫 关注自贡网</p></div></div>
</div>
{_ZGM_FOOTER}
</body>
</html>
"""


def zgm_home(items) -> str:
    """The zgm home page: the only list page the crawler knows; it links the
    articles (``items``: records, newest first) as ``/content/{id}``."""
    focus = items[:3]
    rest = items
    fhtml = "\n".join(
        f'<li><a href="{esc(_path(r["url"]))}" target="_blank"><img src="https://img.zgm.cn/uploads/focus/{_h(r["url"], 12)}.jpg" alt=""><span>{esc(r["title"])}</span></a></li>'
        for r in focus
    )
    lhtml = "\n".join(
        f'<li><a href="{esc(_path(r["url"]))}" target="_blank">{esc(r["title"])}</a><span>{_dt(r):%m-%d}</span></li>' for r in rest
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>自贡网-自贡日报社主办的自贡综合门户网站</title>
<meta name="keywords" content="自贡网,自贡新闻,自贡日报">
<link rel="stylesheet" href="/static/css/index.css">
</head>
<body>
{_zgm_header()}
<div class="w1200 home">
<div class="focus"><ul>
{fhtml}
</ul></div>
<div class="news-block"><div class="block-title"><a href="/list/bd">本地</a></div>
<ul class="news-list">
{lhtml}
</ul></div>
</div>
{_ZGM_FOOTER}
</body>
</html>
"""


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


_SH_HEADER = """<div class="header"><div class="container">
<a class="logo" href="https://www.shanghai.gov.cn/"><img src="/assets/img/logo.png" alt="上海市人民政府"></a><span class="site-name">中国上海</span>
<div class="header-links"><a href="https://www.shanghai.gov.cn/wza/">无障碍</a> <a href="https://www.shanghai.gov.cn/elder/">长者版</a> <a href="https://english.shanghai.gov.cn/">English</a></div>
<form class="search" action="https://search.sh.gov.cn/" method="get"><input type="text" name="q" placeholder="请输入关键字"><button type="submit">搜索</button></form>
</div></div>
<div class="nav"><div class="container"><ul><li><a href="https://www.shanghai.gov.cn/">首页</a></li><li><a href="https://www.shanghai.gov.cn/nw4411/index.html">要闻动态</a></li><li><a href="https://www.shanghai.gov.cn/nw12344/index.html">政务公开</a></li><li><a href="https://zwdt.sh.gov.cn/">政务服务</a></li><li><a href="https://www.shanghai.gov.cn/hdjl/index.html">互动交流</a></li><li><a href="https://www.shanghai.gov.cn/nw2315/index.html">走进上海</a></li></ul></div></div>"""

_SH_FOOTER = """<div class="footer"><div class="container">
<p><a href="https://www.shanghai.gov.cn/nw2/nw2314/nw32419/index.html">网站地图</a> | <a href="https://www.shanghai.gov.cn/nw2/nw2314/nw3766/index.html">联系我们</a> | <a href="https://www.shanghai.gov.cn/nw2/nw2314/nw3124/index.html">使用帮助</a></p>
<p>上海市人民政府 | 地址：人民大道200号 | 邮编：200003 | 总机：021-23111111</p>
<p>主办：上海市人民政府办公厅 承办：上海市大数据中心 沪ICP备：12004267号-1 沪公网安备 31000002000012号 政府网站标识码：3100000062</p>
</div></div>"""


def _cn_day(iso_date: str | None) -> str:
    """"2025-01-08" -> "2025年1月8日"."""
    if not iso_date:
        return ""
    y, m, d = (int(x) for x in iso_date[:10].split("-"))
    return f"{y}年{m}月{d}日"


def _sh_document_facts(record) -> str:
    """The 信息公开 facts table of a policy document as the portal prints it:
    labels padded to four characters with spaces and ``&nbsp;`` ("索 &nbsp;引 号",
    "标 &nbsp; &nbsp; &nbsp;题"), full-width colons, value cells beside them.
    Values come from the record's ``document``."""
    doc = record["document"]

    def v(key):
        return esc(doc.get(key) or "")

    return f"""<div class="gkml-info"><table class="gkml-table" cellspacing="0" cellpadding="0">
<tbody>
<tr><td class="gkml-label">索 &nbsp;引 号：</td><td class="gkml-value">{v("index_no")}</td><td class="gkml-label">主题分类：</td><td class="gkml-value">{v("category")}</td></tr>
<tr><td class="gkml-label">发文机关：</td><td class="gkml-value">{v("issuer")}</td><td class="gkml-label">成文日期：</td><td class="gkml-value">{_cn_day(doc.get("written_at"))}</td></tr>
<tr><td class="gkml-label">标 &nbsp; &nbsp; &nbsp;题：</td><td class="gkml-value" colspan="3">{esc(doc.get("title") or record["title"])}</td></tr>
<tr><td class="gkml-label">发文字号：</td><td class="gkml-value">{v("doc_number")}</td><td class="gkml-label">发布日期：</td><td class="gkml-value">{_cn_day(doc.get("published_at"))}</td></tr>
<tr><td class="gkml-label">有 &nbsp;效 性：</td><td class="gkml-value">{v("validity")}</td><td class="gkml-label">主 &nbsp;题 词：</td><td class="gkml-value">{v("subject_words")}</td></tr>
</tbody>
</table></div>"""


def shanghai_article(record, related=()) -> str:
    """A www.shanghai.gov.cn article: policy documents (``/nw12344/``) carry the
    document facts table; news stories end with the portal's teaser list."""
    title = record["title"]
    d = _dt(record)
    url = record["url"]
    is_doc = _sh_is_document(record)
    src = record.get("source") or "上海市人民政府"
    facts = ""
    if is_doc:
        year = d.year
        facts = f"""<div class="Article-title-zw"><table class="gkml-table"><tbody>
<tr><td><label>索引号：</label>31000{_num(url, 2000000, 2999999)}/{year}-{_num(url + "i", 100, 999):05d}</td><td><label>主题分类：</label>科技、教育\\科技</td></tr>
<tr><td><label>发文机关：</label>{esc(src)}</td><td><label>成文日期：</label>{d.year}年{d.month}月{d.day}日</td></tr>
<tr><td><label>发文字号：</label>沪府发〔{year}〕{_num(url + "n", 5, 30)}号</td><td><label>发布日期：</label>{d.year}年{d.month}月{d.day}日</td></tr>
</tbody></table></div>"""
    att_html = ""
    if record.get("document"):
        facts = _sh_document_facts(record)
        atts = record.get("attachments") or []
        if atts:
            lis = "\n".join(
                f'<li><a href="{esc(a["url"])}" target="_blank">{esc(attachment_name(record, i + 1))}</a></li>'
                for i, a in enumerate(atts)
            )
            att_html = f'<div class="xgfj"><p class="xgfj-title">相关附件：</p><ul>\n{lis}\n</ul></div>'
    kws = record.get("keywords") or []
    rel = "\n".join(
        f'<li><a href="{esc(_path(r["url"]))}" title="{esc(r["title"])}" target="_blank">{esc(r["title"])}</a></li>' for r in related
    )
    teasers = ""
    if not is_doc:
        ts = []
        for t, s in SHANGHAI_TEASERS:
            ts.append(
                f'<li><a class="pic" href="https://www.shanghai.gov.cn/nw4411/index.html" title="{esc(t)}"><span class="pic-title">{esc(t)}</span></a>'
                f'<h4><a href="https://www.shanghai.gov.cn/nw4411/index.html">{esc(t)}</a></h4><p>{esc(s)}</p></li>'
            )
        teasers = '<div class="recommend"><ul>\n' + "\n".join(ts) + "\n</ul></div>"
    column = "政策文件" if is_doc else "区情动态"
    column_url = "/nw12344/index.html" if is_doc else "/nw4411/index.html"
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{esc(title)}</title>
<meta name="SiteName" content="中国上海">
<meta name="SiteDomain" content="www.shanghai.gov.cn">
<meta name="SiteIDCode" content="3100000062">
<meta name="ColumnName" content="{column}">
<meta name="ArticleTitle" content="{esc(title)}">
<meta name="PubDate" content="{_sh_pubdate(record)}">
<meta name="ContentSource" content="{esc(src)}">
<meta name="Keywords" content="{esc(",".join(kws))}">
<meta name="Description" content="{esc(_summary(record))}">
<link rel="stylesheet" href="/assets/css/article.css">
</head>
<body>
{_SH_HEADER}
<div class="container main">
<ul class="breadcrumb"><li><a href="https://www.shanghai.gov.cn/">首页</a></li><li><a href="https://www.shanghai.gov.cn/nw12344/index.html">政务公开</a></li><li><a href="{column_url}">{column}</a></li></ul>
{facts}
<div class="Article">
<h2 id="ivs_title" class="Article-title">{esc(title)}</h2>
<div class="Article-time"><small class="PBtime">{d.year}年{d.month}月{d.day}日</small><span class="fontsize">字号：<a href="javascript:;">大</a> <a href="javascript:;">中</a> <a href="javascript:;">小</a></span><span class="print"><a href="javascript:window.print();">打印</a></span></div>
<div id="ivs_content" class="Article_content trout-region-content">
{_paras(_lines(record["text"]))}
</div>
{att_html}
</div>
<div class="newsbox"><div class="newsbox-title">相关文件</div>
<ul>
{rel}
</ul></div>
{teasers}
</div>
{_SH_FOOTER}
</body>
</html>
"""


def shanghai_list(items, page: int, total_pages: int) -> str:
    """Policy documents list ``/nw12344/index.html``, ``index_2.html`` …"""
    lis = "\n".join(
        f'<li><a href="{esc(_path(it["url"]))}" title="{esc(it["title"])}" target="_blank">{esc(it["title"])}</a><span class="time">{_ymd(it)}</span></li>'
        for it in items
    )

    def pname(n):
        return "index.html" if n == 1 else f"index_{n}.html"

    last = max(total_pages, 1)
    pager = [f'<a href="{pname(1)}">首页</a>']
    if page > 1:
        pager.append(f'<a href="{pname(page - 1)}">上一页</a>')
    for n in range(1, last + 1):
        pager.append(f'<span class="current">{n}</span>' if n == page else f'<a href="{pname(n)}">{n}</a>')
    if page < last:
        pager.append(f'<a href="{pname(page + 1)}">下一页</a>')
    pager.append(f'<a href="{pname(last)}">尾页</a>')
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>政策文件</title>
<meta name="SiteName" content="中国上海">
<meta name="ColumnName" content="政策文件">
<link rel="stylesheet" href="/assets/css/list.css">
</head>
<body>
{_SH_HEADER}
<div class="container main">
<ul class="breadcrumb"><li><a href="https://www.shanghai.gov.cn/">首页</a></li><li><a href="https://www.shanghai.gov.cn/nw12344/index.html">政务公开</a></li><li>政策文件</li></ul>
<div class="list-box"><div class="list-title"><h3>政策文件</h3></div>
<ul class="tadaty-list">
{lis}
</ul>
<div class="pagination" data-total="{last}" data-current="{page}">{"".join(pager)}</div>
</div>
</div>
{_SH_FOOTER}
</body>
</html>
"""


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


_JM_FOOTER = """<div class="footer"><div class="w1200">
<p><a href="https://www.jiangmen.gov.cn/wzdt/">网站地图</a> | <a href="https://www.jiangmen.gov.cn/lxwm/">联系我们</a> | <a href="https://www.jiangmen.gov.cn/wzsm/">网站声明</a></p>
<p>主办：江门市科学技术局 承办：江门市政务服务数据管理局 地址：广东省江门市蓬江区建设二路83号 电话：0750-3500681</p>
<p>网站标识码：4407000041 <a href="https://beian.miit.gov.cn/">粤ICP备05103532号</a> 粤公网安备 44070302000123号</p>
</div></div>"""


def _jm_header(base: str) -> str:
    return f"""<div class="header"><div class="w1200">
<a class="logo" href="https://www.jiangmen.gov.cn/"><img src="https://www.jiangmen.gov.cn/images/logo.png" alt="江门市人民政府"></a><span class="dept-name">{JIANGMEN_DEPT}</span>
<div class="header-tools"><a href="javascript:;">无障碍</a> <a href="javascript:;">长者模式</a></div>
</div></div>
<div class="nav"><div class="w1200"><ul><li><a href="https://www.jiangmen.gov.cn{base.rsplit('/zwgk', 1)[0]}/">首页</a></li><li><a href="https://www.jiangmen.gov.cn{base.rsplit('/zwgk', 1)[0]}/jgzn/">机构概况</a></li><li><a href="https://www.jiangmen.gov.cn{base.rsplit('/tzgg', 1)[0]}/">政务公开</a></li><li><a href="https://www.gdzwfw.gov.cn/">政务服务</a></li><li><a href="https://www.jiangmen.gov.cn/hdjl/">互动交流</a></li></ul></div></div>"""


def _jm_document_facts(record) -> str:
    """A document's facts block on the bureau's pages: a grid of divs, labels
    spaced out with spaces and ``&nbsp;`` and ASCII colons ("索 引 号:",
    "分&nbsp;&nbsp;&nbsp;&nbsp;类:"), at the top of the article box, above the
    title and its info line.  Empty for records without ``document``."""
    doc = record.get("document")
    if not doc:
        return ""

    def item(label, value):
        return f'<div class="xxgk-item"><span class="xxgk-label">{label}</span><span class="xxgk-value">{esc(value or "")}</span></div>'

    rows = [
        (item("索 引 号:", doc.get("index_no")), item("分&nbsp;&nbsp;&nbsp;&nbsp;类:", doc.get("category"))),
        (item("发布机构:", doc.get("issuer")), item("成文日期:", doc.get("written_at"))),
        (item("名&nbsp;&nbsp;&nbsp;&nbsp;称:", doc.get("title") or record["title"]),),
        (item("文&nbsp;&nbsp;&nbsp;&nbsp;号:", doc.get("doc_number")), item("发布日期:", doc.get("published_at"))),
        (item("主 题 词:", doc.get("subject_words")), item("是否有效:", doc.get("validity"))),
    ]
    body = "\n".join('<div class="xxgk-row">' + "".join(r) + "</div>" for r in rows)
    return f'<div class="xxgk-box"><div class="xxgk-table">\n{body}\n</div></div>\n'


def jiangmen_article(record, prev=None, next_=None) -> str:
    """A notice of the bureau, ``…/tzgg/content/post_N.html`` (the real article
    selectors are unknown; this template is the replica's own: title
    ``h1.article-title``, info line ``div.article-info``, body
    ``div.article-content``, attachments ``div.article-attachment``)."""
    url = record["url"]
    base = _jm_base(url)
    title = record["title"]
    src = record.get("source") or JIANGMEN_DEPT
    d = _dt(record)
    atts = record.get("attachments") or []
    att_html = ""
    if atts:
        lis = "\n".join(
            f'<li><a href="{esc(a["url"])}" target="_blank">{esc(attachment_name(record, i + 1))}</a></li>' for i, a in enumerate(atts)
        )
        att_html = f'<div class="article-attachment"><span class="label">附件：</span><ul>\n{lis}\n</ul></div>'
    pn = []
    pn.append(f'<p>上一篇：<a href="{esc(prev["url"])}">{esc(prev["title"])}</a></p>' if prev else "<p>上一篇：没有了</p>")
    pn.append(f'<p>下一篇：<a href="{esc(next_["url"])}">{esc(next_["title"])}</a></p>' if next_ else "<p>下一篇：没有了</p>")
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{esc(title)}_{JIANGMEN_DEPT}</title>
<meta name="SiteName" content="江门市人民政府门户网站">
<meta name="SiteDomain" content="www.jiangmen.gov.cn">
<meta name="SiteIDCode" content="4407000041">
<meta name="ColumnName" content="通知公告">
<meta name="ArticleTitle" content="{esc(title)}">
<meta name="PubDate" content="{d:%Y-%m-%d %H:%M}">
<meta name="ContentSource" content="{esc(src)}">
<meta name="Keywords" content="{esc(",".join(record.get("keywords") or []))}">
<link rel="stylesheet" href="https://www.jiangmen.gov.cn/css/article.css">
</head>
<body>
{_jm_header(base)}
<div class="w1200 main">
<div class="position">当前位置：<a href="https://www.jiangmen.gov.cn/">首页</a> &gt; <a href="https://www.jiangmen.gov.cn{base.rsplit('/zwgk', 1)[0]}/">{JIANGMEN_DEPT}</a> &gt; <a href="https://www.jiangmen.gov.cn{base.rsplit('/tzgg', 1)[0]}/">政务公开</a> &gt; <a href="https://www.jiangmen.gov.cn{base}/index.html">通知公告</a></div>
<div class="article">
{_jm_document_facts(record)}<h1 class="article-title">{esc(title)}</h1>
<div class="article-info"><span class="time">发布时间：{d:%Y-%m-%d %H:%M:%S}</span> <span class="source">来源：{esc(src)}</span> <span class="views">浏览次数：<em id="pv">--</em></span> <span class="fontsize">字号：<a href="javascript:;">大</a> <a href="javascript:;">中</a> <a href="javascript:;">小</a></span></div>
<div class="article-content" id="zoom">
{_paras(_lines(record["text"]))}
</div>
{att_html}
<div class="article-tools"><a href="javascript:window.print();">【打印本页】</a> <a href="javascript:window.close();">【关闭窗口】</a> <span class="share">分享到：<a href="javascript:;">微信</a> <a href="javascript:;">微博</a></span></div>
<div class="prev-next">
{chr(10).join(pn)}
</div>
</div>
</div>
{_JM_FOOTER}
</body>
</html>
"""


def jiangmen_list(items, page: int, total_pages: int, base: str = "/bmpd/jmskjj/zwgk/tzgg") -> str:
    """通知公告 list ``{base}/index.html``, ``index_2.html`` …"""
    lis = "\n".join(
        f'<li><a href="{esc(it["url"])}" title="{esc(it["title"])}" target="_blank">{esc(it["title"])}</a><span>{_ymd(it)}</span></li>'
        for it in items
    )

    def pname(n):
        return "index.html" if n == 1 else f"index_{n}.html"

    last = max(total_pages, 1)
    pager = [f'<a href="{pname(1)}">首页</a>']
    pager.append(f'<a href="{pname(page - 1)}">上一页</a>' if page > 1 else '<span class="disabled">上一页</span>')
    for n in range(1, last + 1):
        pager.append(f'<span class="cur">{n}</span>' if n == page else f'<a href="{pname(n)}">{n}</a>')
    pager.append(f'<a href="{pname(page + 1)}">下一页</a>' if page < last else '<span class="disabled">下一页</span>')
    pager.append(f'<a href="{pname(last)}">尾页</a><span class="total">共{last}页</span>')
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>通知公告_{JIANGMEN_DEPT}</title>
<meta name="SiteName" content="江门市人民政府门户网站">
<meta name="ColumnName" content="通知公告">
<link rel="stylesheet" href="https://www.jiangmen.gov.cn/css/list.css">
</head>
<body>
{_jm_header(base)}
<div class="w1200 main">
<div class="position">当前位置：<a href="https://www.jiangmen.gov.cn/">首页</a> &gt; <a href="https://www.jiangmen.gov.cn{base.rsplit('/zwgk', 1)[0]}/">{JIANGMEN_DEPT}</a> &gt; <a href="https://www.jiangmen.gov.cn{base.rsplit('/tzgg', 1)[0]}/">政务公开</a> &gt; 通知公告</div>
<div class="list-box"><div class="list-title">通知公告</div>
<ul class="infoList">
{lis}
</ul>
<div class="pagination">{"".join(pager)}</div>
</div>
</div>
{_JM_FOOTER}
</body>
</html>
"""


# =========================================================================== shared
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
