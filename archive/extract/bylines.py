"""Bylines: the article's source (outlet), author and editor, from selectors, header lines, hidden
CMS fields, <meta>, JSON-LD and credit lines.
"""
from __future__ import annotations

import re

from lxml import etree

from .dates import parse_datetime
from .lines import _AUTHOR_RX, _EDITOR_RX, _POSTED_BY, _SOURCE_RX, _WS, _by_id, _jsonld, _merge_labels, _meta, _page_text, _squash, _text
from .render import select
from .title import _NOT_TITLE, _RELATED_RX, _page_titles, _site_names
from .vocab import BYLINE_AUTHOR_LABELS, COLON as C, COMMON_SURNAMES, COMPOUND_SURNAMES, COLON_CHARS, EDITOR_NAME_LABELS, CREDIT_LINE_RX, META_SOURCE_LABELS, POSTED_LABELS, SOURCE_PLACEHOLDERS

# XPath expressions compiled once (tree.xpath(expr) compiles expr on every call)
_EDITOR_TEXT_XPATH = etree.XPath("//body//*[text()[contains(., '编辑') or contains(., '责编')]]")
_FIRST_PARAS_XPATH = etree.XPath("//body//p[1]|//body//p[2]|//body//p[3]")


_TRAILING_DATE = re.compile(r"\s*(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}.*$")


def _value(rx: re.Pattern, text: str) -> str | None:
    m = rx.search(text or "")
    if not m:
        return None
    v = _TRAILING_DATE.sub("", m.group("v")).strip(" " + COLON_CHARS + "|｜，,。、[]【】")
    # brackets: trim the unbalanced ones only ("周思博 (Joel Spolsky)" keeps its pair)
    while v and v[-1] in ")）" and v.count("(") + v.count("（") < v.count(")") + v.count("）"):
        v = v[:-1].rstrip()
    while v and v[0] in "(（" and v.count("(") + v.count("（") > v.count(")") + v.count("）"):
        v = v[1:].lstrip()
    if v.endswith(("()", "（）")):
        v = v[:-2].rstrip()
    if re.match(r"[\w-]+\s*=\s*[\"']", v or ""):  # an attribute dump printed by broken markup
        return None
    return v or None


def _strip_label(text: str, labels: str) -> str:
    return re.sub(r"^\s*[【\[(（]?\s*(?:" + labels + r")\s*" + C + r"?\s*", "", text).strip(" 】]）)")


def _selected_value(text: str, rx: re.Pattern, labels: str) -> str | None:
    """The value in a selected element: "来源：X" inside a longer line, or the
    whole (short, label-free) text of an element that holds just the value."""
    v = _value(rx, text)
    if v:
        return v
    bare = _strip_label(text, labels)
    if bare and len(bare) <= 30 and not re.search(C + r"|\d{4}", bare):
        return bare
    return None


# an outlet's name standing alone: "证券时报网", "新京报", "第一财经日报"
_OUTLET = re.compile(r"[\u4e00-\u9fff]{1,12}(?:网|报|社|台|刊|杂志|周刊|日报|晚报|晨报|新闻|客户端|发布)")
_INFO_LINE = re.compile(
    r"(?:(?:https?://)?[A-Za-z0-9.-]+\.[A-Za-z]{2,}/?\s+)?"
    r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}日?(?:\s*\d{1,2}[:：∶]\d{2}(?:[:：∶]\d{2})?)?\s*"
    r"(?:《(?P<q>[^》]{2,20})》|(?P<n>[\u4e00-\u9fff·—]{2,16}))"
)


def _header_source(tree, rules, head) -> str | None:
    for el in select(tree, getattr(rules, "source", None)):
        t = _text(el)
        v = _selected_value(t, _SOURCE_RX, META_SOURCE_LABELS)
        if v:
            return v
    for line in head or ():
        v = _value(_SOURCE_RX, line)
        if v:
            return v.strip("《》")
    # an unlabeled info line: "2024-10-22 13:35 自贡网", "site.com 2005年03月21日 11:21 《刊名》"
    for line in head or ():
        m = _INFO_LINE.fullmatch(line.strip())
        if m:
            return m.group("q") or m.group("n")
    v = _by_id(tree, "source_baidu")
    if v:
        v = _value(_SOURCE_RX, v) or _TRAILING_DATE.sub("", _strip_label(v, META_SOURCE_LABELS)).strip()
        if v:
            return v
    v = _meta(tree, "ContentSource", "source", "og:article:source", "article:source")
    if v:
        v = _value(_SOURCE_RX, v) or _strip_label(v, META_SOURCE_LABELS)
        v = _TRAILING_DATE.sub("", v).strip() if v else v
    return v or None


def find_source(tree, rules=None, head: list[str] | None = None, lines: list[str] | None = None) -> str | None:
    """The outlet the page credits: the 来源 of the header area (or a site
    selector, or a machine field); when that only says "转载文章", or there
    is none, a later "来源：X" line or a closing credit ("——《刊名》")."""
    v = _header_source(tree, rules, head)
    if v and v not in SOURCE_PLACEHOLDERS:
        return v
    if not v:
        # the info line's outlet on a line of its own: "2019-09-26 10:56:28" / "证券时报网"
        for prev, line in zip(head or (), (head or [])[1:]):
            if parse_datetime(prev) and len(_squash(prev)) <= 20 and _OUTLET.fullmatch(line.strip()):
                return line.strip()
    merged = _merge_labels(list(lines or ()))
    if not v:
        # a short "来源：X" line anywhere (after the article, in a closing info line)
        for line in merged:
            if len(line) <= 60 and _SOURCE_RX.search(line) and re.match(
                    r"^\s*[【\[（(]?\s*(?:版权声明\s*)?(?:" + META_SOURCE_LABELS + r")\s*" + C, line):
                named = _value(_SOURCE_RX, line)
                if named and named not in SOURCE_PLACEHOLDERS and not _NOT_TITLE.search(named):
                    return named.strip("《》")
    for line in merged:
        if v and len(line) <= 40:  # a placeholder in the header: the outlet named further down
            named = _value(_SOURCE_RX, line)
            if named and named not in SOURCE_PLACEHOLDERS and _SOURCE_RX.match(line.strip(" 【[（(")):
                return named.strip("《》")
        m = CREDIT_LINE_RX.search(line)
        if m:
            return m.group("v")
    return v


def find_author(tree, rules=None, head: list[str] | None = None, lines: list[str] | None = None,
                title: str | None = None) -> str | None:
    for el in select(tree, getattr(rules, "author", None)):
        t = _text(el)
        v = _selected_value(t, _AUTHOR_RX, "作者|撰文|撰稿")
        if v:
            return v
    for line in head or ():
        v = _value(_AUTHOR_RX, line)
        if v:
            return v
    v = _by_id(tree, "author_baidu")
    if v:
        return _strip_label(v, "作者") or None
    v = _byline_author(tree, head) or _title_byline(lines, title)
    if v:
        return v
    for item in _jsonld(tree):
        a = item.get("author")
        if isinstance(a, dict) and a.get("name"):
            return str(a["name"]).strip()
        if isinstance(a, list) and a and isinstance(a[0], dict) and a[0].get("name"):
            return str(a[0]["name"]).strip()
        if isinstance(a, str) and a.strip():
            return a.strip()
    v = _lines_author(lines) or _forum_poster(lines) or _marked_author(tree)
    if v:
        return v
    v = (_meta(tree, "author", "article:author") or "").strip()
    # meta author is often a CMS account ("103553", "sina_mobile"), a URL,
    # or the publisher, the site or its web editor ("大汉网络", "网易", "X出版社,Y")
    if not v or len(v) > 30 or re.fullmatch(r"[\w.@:/-]+", v, re.ASCII) and not re.search(r"[A-Za-z]{2,}\s", v):
        return None
    sites = _site_names(_page_titles(tree, None)) | {_squash(_meta(tree, "og:site_name", "SiteName", "application-name"))}
    if _PUBLISHER.search(v) or any(_squash(v) and name.startswith(_squash(v)) for name in sites if name):
        return None
    return v


# a forum's user panel beside a post: the poster's name, then lines of their stats
_PANEL_STAT = re.compile(r"^(?:级别|等级|积分|帖子|发帖|发帖数|精华|注册时间|注册日期|头衔|威望|金钱|UID)\s*" + C)
_POSTER = re.compile(r"[\u4e00-\u9fff·]{2,8}|[A-Za-z][\w.-]{1,19}")


def _forum_poster(lines: list[str] | None) -> str | None:
    """The first post's author in a forum thread: the name line over the
    first user panel (at least two stats lines: 级别：…, 积分：…)."""
    lines = lines or []
    for i in range(1, len(lines) - 1):
        if _PANEL_STAT.match(lines[i]) and sum(1 for ln in lines[i: i + 4] if _PANEL_STAT.match(ln)) >= 2:
            name = lines[i - 1].strip()
            if _POSTER.fullmatch(name) and not _NOT_BYLINE.match(name) and not _NAV_WORD.search(name):
                return name
            return None
    return None


# a name that is an organisation, a site or a desk, not a person
_PUBLISHER = re.compile(
    r"[,，;；|]|网络|网站|网$|新闻网|在线|出版|杂志|期刊|报社|日报|晚报|传媒|媒体|公司|集团|科技|信息|中心|工作室|编辑部|"
    r"编辑|小编|管理员|admin|webmaster|editor|www\.|\.com|\.cn|Publisher", re.I)
# "（袁源）" closing a news article: the reporter's sign-off
_SIGN_OFF = re.compile(r"^[（(]\s*(?P<v>[\u4e00-\u9fff]{2,4}(?:\s[\u4e00-\u9fff]{2,4}){0,2})\s*[)）]$")
_NOT_NAMES = {"完", "组图", "图", "待续", "未完待续", "续", "上", "中", "下", "全文完", "本报讯", "新华社", "注", "附件"}


def _clean_name(v: str | None) -> str | None:
    """A byline value without an affiliation after a colon ("赵 培：北京物资学院"),
    a two-character name spaced out for typography joined ("赵 培" -> "赵培")."""
    if not v:
        return v
    v = re.split(r"\s*[：:]\s*", v)[0].strip()
    v = re.sub(r"^([\u4e00-\u9fff])\s+([\u4e00-\u9fff])$", r"\1\2", v)
    return v or None


_AUTHOR_LINE = re.compile(r"^\s*[\[【]?\s*(?:" + BYLINE_AUTHOR_LABELS + r")\s*" + C)
_AUTHOR_MID = re.compile(r"(?:^|\s)(?:作者|撰文)\s*" + C + r"\s*\S")
_AUTHOR_DESK = re.compile(r"^(\s*[\[【]?\s*(?:" + BYLINE_AUTHOR_LABELS + r")\s*" + C + r")\s*[\u4e00-\u9fff]{0,6}记者\s*")


def _lines_author(lines: list[str] | None) -> str | None:
    """An author named in the page's lines: a short "作者：X" line (or "作者："
    with the name on the next line), a forum's "由X于<date>发表" line, a
    sign-off "（姓名）" line."""
    for line in _merge_labels(list(lines or ())):
        if len(line) <= 60 and _AUTHOR_LINE.match(line) or (len(line) <= 40 and _AUTHOR_MID.search(line)):
            # "采写：南都记者 余某 向某": the desk before 记者 is not a name
            line = _AUTHOR_DESK.sub(r"\1", line)
            v = _value(_AUTHOR_RX, line)
            v = _clean_name(v)
            if v and not _PUBLISHER.search(v):
                return v
    for line in lines or ():
        m = _DISPATCH.match(line.strip())
        if m and len(line) <= 40:
            v = _run_names(m.group("v"))
            if v:
                return v
    for line in lines or ():
        m = _POSTED_BY.search(line) or _NAME_POSTED.match(line)
        if m and len(line) <= 120:
            return m.group("v")
    lines = list(lines or ())
    for i, line in enumerate(lines):
        m = _SIGN_OFF.match(line.strip())
        # a sign-off closes a paragraph of prose
        if m and m.group("v") not in _NOT_NAMES and i and len(lines[i - 1]) >= 8 \
                and re.search(r"[。！？”」]$", lines[i - 1]):
            return m.group("v")
        m = _REPORTED.search(line) or _CREDIT_END.search(line)
        if m and len(line) >= 20:
            return m.group("v")
    return None


# a dispatch byline on a line of its own: "本报记者 张三 李四 发自北京", "本报记者罗科苏盈发自北京"
_DISPATCH = re.compile(
    r"^[\u4e00-\u9fff]{0,10}?(?:记者|通讯员|实习生)\s*[:：]?\s*"
    r"(?P<v>[\u4e00-\u9fff·]{2,6}(?:[ 、，,]+[\u4e00-\u9fff·]{2,4}){0,3})\s*发自\s*[\u4e00-\u9fff]{2,8}$"
)


def _run_names(v: str) -> str | None:
    """The names of a byline: as written when separated; a run of two to three characters is one
    name; a run of four is two names ("罗科苏盈" -> "罗科、苏盈") only when both halves start with a
    common surname and the first two characters are not a compound surname; anything else is
    ambiguous (None)."""
    if re.search(r"[ 、，,]", v):
        return v
    if len(v) <= 3:
        return v
    if len(v) == 4:
        if v[:2] in COMPOUND_SURNAMES:
            return v
        if v[0] in COMMON_SURNAMES and v[2] in COMMON_SURNAMES:
            return f"{v[:2]}、{v[2:]}"
    return None


# "…。(文/图 张三 李四)", "…。（文：张三）" closing a paragraph: the writer's credit
_CREDIT_END = re.compile(
    r"[。！？”][（(]\s*(?:文|文字|文/图|文／图|图/文|图／文|文图|图文)\s*[/／:：]?\s*"
    r"(?P<v>[\u4e00-\u9fff]{2,4}(?:[、 ][\u4e00-\u9fff]{2,4}){0,3})\s*[)）]$"
)


# "ggjjzhzz 发表于 2005-9-15 11:46:00": a blog or forum post's author and time
_NAME_POSTED = re.compile(r"^\s*(?P<v>[\w\u4e00-\u9fff.&·-]{2,16})\s+(?:" + POSTED_LABELS + r")\s*" + C + r"?\s*(?:19|20)\d{2}")
# "…。（姚峰 上海报道）" closing a paragraph
_REPORTED = re.compile(r"[。！？”][（(]\s*(?P<v>[\u4e00-\u9fff]{2,4}(?:[、 ][\u4e00-\u9fff]{2,4}){0,2})\s+[\u4e00-\u9fff]{2,4}报道\s*[)）]$")
# a byline alone under the title: "胡平", "赵延东、风笑天", "duscha"
_NAME_LINE = re.compile(
    r"(?:[\u4e00-\u9fff·]{2,4}(?:[、，, ][\u4e00-\u9fff·]{2,4}){0,4}|[A-Za-z][A-Za-z0-9_.-]{2,15})"
)
_NOT_BYLINE = re.compile(
    r"^(?:首页|正文|要闻|新闻|返回|发表评论|评论|分享|打印|关闭|收藏|推荐|相关|更多|上一页|下一页|上一篇|下一篇|"
    r"导读|摘要|简介|目录|专题|图片|视频|原创|转载|原文|本站|网友|游客|匿名|admin|Admin|null|none|home|Home|"
    r"Next|Previous|More|Print|Share)$"
)


_NAV_WORD = re.compile(r"返|目录|专题|栏目|频道|列表|导航|首页|主页|登录|注册|搜索|订阅|下载|论坛|社区|博客|留言")


def _title_byline(head: list[str] | None, title: str | None) -> str | None:
    """The first line under the title when it is a name and nothing else."""
    if not head or not title:
        return None
    st = _squash(title)
    for i, line in enumerate(head):
        if _squash(line) == st:
            rest = [ln for ln in head[i + 1: i + 4] if _squash(ln) != st]  # a title printed twice
            nxt = rest[0].strip() if rest else ""
            if nxt and _NAME_LINE.fullmatch(nxt) and not _NOT_BYLINE.match(nxt) and not _OUTLET.fullmatch(nxt) \
                    and not _RELATED_RX.match(nxt) and not _NAV_WORD.search(nxt) and _squash(nxt) not in st:
                return nxt
            break
    # "作者名：标题" in the title slot, the article repeating the bare title
    # with the same name alone under it
    m = _NAME_PREFIXED_TITLE.match(title.strip())
    if m:
        name, bare = m.group(1).strip(), _squash(m.group(2))
        for i, line in enumerate(head[:-1]):
            if _squash(line) == bare and head[i + 1].strip() == name and _NAME_LINE.fullmatch(name):
                return name
    return None


_NAME_PREFIXED_TITLE = re.compile(r"^([^：:]{2,12})[：:](.{4,})$")


def find_editor(tree, rules=None, lines: list[str] | None = None) -> str | None:
    for el in select(tree, getattr(rules, "editor", None)):
        t = _text(el)
        v = _selected_value(t, _EDITOR_RX, EDITOR_NAME_LABELS)
        if v:
            return v
    v = _by_id(tree, "editor_baidu")
    if v:
        v = _value(_EDITOR_RX, v) or _strip_label(v, EDITOR_NAME_LABELS)
        if v:
            return v
    if lines is None:
        # only elements whose own text mentions an editor are rendered
        page = _page_text(tree)
        lines = [
            _WS.sub(" ", " ".join(el.itertext())).strip()
            for el in _EDITOR_TEXT_XPATH(tree)
            if el.tag not in ("script", "style")
        ] if "编辑" in page or "责编" in page else []
    # editor lines sit at the end of the article.  A plain 编辑 mark
    # (【编辑:X】, "编辑：X") names the article's editor; 责任编辑 is the fallback.
    plain = duty = None
    for line in reversed(lines or ()):
        if len(line) > 60:
            continue
        for m in _EDITOR_ANY.finditer(line):
            v = _TRAILING_DATE.sub("", m.group("v")).strip(" " + COLON_CHARS + "|｜，,。、")
            if not v:
                continue
            if m.group("label") == "编辑":
                plain = plain or v
            else:
                duty = duty or v
    return plain or duty


_EDITOR_ANY = re.compile(r"(?<![责任值班视频图片网络美])(?P<label>" + EDITOR_NAME_LABELS + r")\s*(?:" + C + r"|[|｜/／])\s*(?P<v>[^】\])）\s|｜]{1,30})")


def _byline_author(tree, head: list[str] | None) -> str | None:
    """The reporter named in a news byline: "（记者 张三）", "中新网北京5月23日电 （记者 刘文文）",
    a first line "自贡融媒记者 周馨钰 宋姿熠"."""
    names = r"([\u4e00-\u9fff·]{2,5}(?:[ 、，,][\u4e00-\u9fff·]{2,5}){0,3})"
    texts = []
    for el in _FIRST_PARAS_XPATH(tree)[:12]:
        texts.append(_WS.sub(" ", el.text_content()).strip())
    for t in (head or []) + texts:
        if not t:
            continue
        m = re.search(r"电\s*[（(]\s*(?:记者\s*)?" + names + r"\s*[）)]", t) or re.search(
            r"^(?:本报讯|本报|[^\s，。]{0,8}讯)\s*[（(]\s*记者\s*" + names + r"\s*[）)]", t)
        if m:
            return m.group(1)
        m = _DISPATCH.match(t)
        if m and len(t) <= 40:
            v = _run_names(m.group("v"))
            if v:
                return v
            continue
        m = _ROLE_BYLINE.fullmatch(t)
        if m and len(t) <= 40:
            # consecutive byline lines ("本报实习生 甲 乙" / "本报记者 丙"):
            # everyone, in page order, as one list
            group = [m.group("v")]
            if head and t in head:
                for nxt in head[head.index(t) + 1:]:
                    m2 = _ROLE_BYLINE.fullmatch(nxt)
                    if not m2 or len(nxt) > 40:
                        break
                    group.append(m2.group("v"))
            if len(group) == 1:
                return group[0]
            return "、".join(n for g in group for n in re.split(r"[ 、，,]+", g) if n)
    return None


# a byline line: the desk, the role, the names ("本报记者 张三 李四", "通讯员 王五")
_ROLE_BYLINE = re.compile(
    r"[\u4e00-\u9fff]{0,8}(?:记者|实习生|通讯员)\s*[:：]?\s*"
    r"(?P<v>[\u4e00-\u9fff·]{2,5}(?:[ 、，,][\u4e00-\u9fff·]{2,5}){0,3})"
)


# author markup: a link to an author's page ("?author=12", "/author/x/", rel="author",
# itemprop="author") or a box whose class/id names the author ("post-author", "byline")
# (the author as the only query parameter: "?pc=3&author=12" is one of their categories)
_AUTHOR_HREF = re.compile(r"\?author=[^&#]+$|/authors?/[^/?#]+/?$", re.I)
# ("authorized", "authority" are not)
_AUTHOR_CLASS = re.compile(r"author(?!i[tsz])|byline", re.I)
# a comment thread, a sidebar or a list of authors: names there are not the article's author
_NOT_ARTICLE_BOX = re.compile(r"comment|reply|respond|sidebar|aside|widget|recommend|related|footer|nav|menu|list", re.I)
# buttons inside an author box ("关注", "+ 订阅", "Follow")
_BOX_UI = {"关注", "已关注", "订阅", "加关注", "私信", "粉丝", "作者", "作者：", "Follow", "Subscribe", "By", "by"}


def _short_name(t: str) -> str | None:
    t = _WS.sub(" ", t or "").strip().strip("[]【】")
    t = re.sub(r"^(?:作者|By|by)\s*" + C + r"?\s*", "", t).strip()
    if not (2 <= len(t) <= 20) or not _NAME_LINE.fullmatch(t) and not re.fullmatch(r"[\u4e00-\u9fff·]{2,10}", t):
        return None
    if _NOT_BYLINE.match(t) or _NAV_WORD.search(t) or _PUBLISHER.search(t) or t.isdigit():
        return None
    return t


def _in_other_box(el) -> bool:
    """Inside a comment, sidebar, nav or list box, or one entry of a list (an <li>
    among three or more that holds more than the name: a comment, a post teaser)."""
    name = _squash(el.text_content())
    for anc in (el, *el.iterancestors()):
        if anc.tag == "li" and anc.getparent() is not None and len(anc.getparent().findall("li")) >= 3 \
                and len(_squash(anc.text_content())) > len(name) + 12:
            return True
        if anc.tag in ("nav", "aside", "footer") or _NOT_ARTICLE_BOX.search(
                (anc.get("class") or "") + " " + (anc.get("id") or "")):
            return True
    return False


_MARKS = etree.XPath("//body//a[@href]|//body//*[@rel='author' or @itemprop='author']|//body//*[@class or @id]")


def _marked_author(tree) -> str | None:
    """The author named by markup: an author link (rel="author", itemprop="author",
    an href "?author=N" or "/author/x") or a class/id "author"/"byline" box whose
    text, less its buttons, is one short name. Taken only when every such mark
    outside comments, sidebars and lists names the same person (a box of several
    authors is a recommendation list, not a byline)."""
    names = []
    for el in _MARKS(tree):  # elements only
        tag, get = el.tag, el.get
        rel = get("rel")
        marked = (tag == "a" and (rel == "author" or _AUTHOR_HREF.search(get("href") or ""))
                  or rel == "author" or get("itemprop") == "author")
        if not marked and (tag == "a" or not _AUTHOR_CLASS.search((get("class") or "") + " " + (get("id") or ""))):
            continue
        if _in_other_box(el):
            continue
        parts = [p for p in (_WS.sub(" ", t).strip() for t in el.itertext()) if p and p not in _BOX_UI]
        v = _short_name(" ".join(parts)) if parts else None
        if v:
            names.append(v)
    if names and len(set(names)) == 1:
        return names[0]
    return None
