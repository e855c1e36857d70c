"""Site-independent clean-up of extracted Chinese article text.

Input is the body as lines (one paragraph per line), output the same without
page furniture: editor and reviewer lines, ICP/公网安备 and copyright lines,
share/print/font-size widgets, 上一篇/下一篇, related-news lists at the end,
image file names, metadata lines (来源, dates) at the top, comment counts,
投稿 and disclaimer blocks, breadcrumbs and trailing teaser lists.

The rules are deliberately general (they describe page furniture, not any one
site); a site's ``drop_lines`` patterns are applied in addition.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["clean_lines", "clean_text", "is_noise_line"]

C = r"[:：∶]"  # colon, full-width colon, U+2236 RATIO
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
_WS = re.compile(r"[ \t\r\f\v\u00a0\u2002\u2003\u2009\u200b\u3000\ufeff]+")

# --- whole lines that are furniture wherever they appear ----------------------
_EDITOR_LABELS = (
    r"责任编辑|编辑|编审|责编|审核|审校|校对|终审|复审|初审|值班编辑|监制|统筹|编校|美编|主编|总监制|制作|策划|视频编辑|图片编辑|网络编辑"
)
_EDITOR_LINE = re.compile(
    r"^[\[【(（]?\s*(?:" + _EDITOR_LABELS + r")\s*" + C + r".{0,40}$"
)
_EDITOR_INLINE = re.compile(r"[\[【(（]\s*(?:责任编辑|编辑|责编)\s*" + C + r"[^】\])）]{0,30}[】\])）]")

_DATE0 = r"(?:\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s*\d{1,2}[:：∶]\d{2}(?:[:：∶]\d{2})?)?)"

_ALWAYS = [
    # registration numbers, copyright and legal footers
    r"ICP\s*(?:备|证|经营许可证|许可证)|[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]ICP|公网安备|网安备\s*\d",
    r"(?i)copyright|©|all\s+rights\s+reserved|版权所有|版权归.{0,12}所有",
    r"互联网新闻信息服务许可证|信息网络传播视听节目许可证|增值电信业务经营许可证|广播电视节目制作经营许可证",
    r"(?:违法和不良信息|网络内容从业人员违法违规行为|未成年人|算法推荐).{0,12}举报|举报电话|举报中心|举报邮箱|举报专区",
    r"^[“\"「【\[(（]?\s*(?:特别声明|免责声明|版权声明|郑重声明|声明)\s*" + C,
    r"(?i)^(?:notice|disclaimer|statement)\s*:\s*(?:the|this|all|content)",
    r"^凡(?:来源|本网|注明).{0,30}(?:转载|原创|授权|版权)",
    r"^(?:本网站|本网|本站)(?:所刊载|刊载|所载|登载).{0,40}(?:观点|授权|转载)",
    r"未经.{0,20}(?:书面)?(?:授权|许可).{0,10}(?:不得|禁止)?.{0,6}(?:转载|复制|使用|镜像)",
    r"^(?:投稿与新闻线索|新闻线索|投稿邮箱|投稿信箱|投稿热线|报料热线|新闻热线)\s*" + C,
    r"^(?:我要投稿|投稿|我要纠错|纠错|我要评论|发表评论|网友评论|评论|查看评论|进入论坛)\s*$",
    r"查看更多\s*[>》›]|更多\s*[>》›]{1,2}\s*$|^(?:查看更多|点击查看更多|展开全文|阅读全文|点击加载更多|加载更多|查看原文|阅读原文)\s*$",
    r"^点击.{0,20}(?:分享|微信好友|朋友圈)|分享.{0,12}微信好友|^长按.{0,12}(?:二维码|识别|保存)",
    r"^(?:本文)?来源于?\s*" + C + r"?\s*$",
    # a closing "2005年8月25日（来源：上海证券报）" credit line
    r"^" + _DATE0 + r"?\s*[（(]\s*(?:来源|稿源|信息来源|文章来源)\s*" + C + r"[^）)]{1,30}[）)]\s*$",
    r"^搜索历史|搜索历史\s*清空|^热门搜索|^(?:搜\s?索|检索|站内搜索|高级搜索|登录|注册|登录\s*[|/]?\s*注册|无障碍|长者模式|繁体|简体|English)\s*$",
    # navigation
    r"^(?:上一篇|下一篇|上一条|下一条|上一页|下一页|上篇|下篇|前一篇|后一篇)\s*" + C + r"?",
    r"^(?:您的位置|你的位置|当前位置|您现在的位置|你现在的位置|所在位置|现在位置)\s*" + C + r"?",
    r"^首页\s*[>›»/]",
    r"^(?:返回顶部|回到顶部|返回首页|关闭窗口|关闭本页|打印本页|打印此页|打印文章|收藏本页|加入收藏)",
    r"^(?:分享到|分享至|分享给|一键分享|扫一扫|微信扫一扫|扫描二维码|用微信扫描|手机扫码|手机看)",
    r"^(?:字号|字体|文字大小)\s*" + C + r"?\s*[【\[]?\s*(?:大|小|默认|放大|缩小|A[+-]?)",
    r"^【\s*(?:大|中|小)\s*(?:大|中|小)\s*(?:大|中|小)?\s*】",
    # comment counts and reading counts
    r"^\d+\s*(?:条评论|评论|人参与|人已参与|人评论|次阅读|阅读|人阅读|次浏览|浏览)\s*$",
    r"^(?:评论|参与|阅读|浏览|点击|阅读量|浏览量|点击数|浏览次数|点击量)\s*" + C + r"?\s*\d+\s*(?:次|人)?\s*$",
    r"^(?:扫描|扫码)?\s*(?:关注|下载).{0,12}(?:公众号|客户端|APP|App|app)\s*$",
    r"^(?:原标题|原文标题)\s*" + C + r".{0,80}$",
    # bot-protection and script-required interstitials
    r"(?i)verifying (?:your|the) browser|security verification|checking your browser|please enable (?:javascript|cookies)"
    r"|aliyun_waf|^请(?:开启|启用|打开)\s*(?:javascript|js|cookie)|^(?:正在|安全)验证.{0,12}(?:请稍候|浏览器)|^访问验证",
]
_ALWAYS_RX = [re.compile(p) for p in _ALWAYS]

# short furniture lines made only of widget words (分享 微信 微博 打印 收藏 …)
_WIDGET_WORDS = re.compile(
    r"分享到|分享至|分享|打印|字号|收藏|点赞|举报|关闭|纠错|评论|微信|朋友圈|微博|新浪微博|QQ空间|QQ好友|QQ|"
    r"复制链接|链接|扫一扫|手机|二维码|返回|顶部|推荐|转发|转载|大|中|小|默认|放大|缩小|A\+|A-|"
    r"在看|喜欢|赞|踩|好友|空间|豆瓣|人人网|腾讯微博|更多|[\s\d【】\[\]|/｜·•:：()（）<>《》+\-]"
)

# image file names ("3221729503684_.pic_hd.jpg", "… 摄.jpg")
_IMAGE_FILE = re.compile(r"(?i)^[^。！？；]{0,120}\.(?:jpe?g|png|gif|webp|bmp|tiff?|svg)\s*$")

# related-content headings: they and what follows them at the end are dropped
_RELATED_HEADING = re.compile(
    r"^[【\[■●◆▶>《]?\s*(?:相关新闻|相关阅读|相关文章|相关报道|相关链接|相关推荐|相关专题|相关稿件|相关资讯|推荐阅读|"
    r"延伸阅读|热点推荐|热门推荐|热门文章|热点新闻|热门新闻|更多推荐|精彩推荐|猜你喜欢|往期回顾|往期推荐|今日推荐|"
    r"最新新闻|最新文章|为你推荐|为您推荐|编辑推荐|大家都在看|热门阅读|阅读排行|排行榜|图片新闻|精彩图集|专题推荐|"
    r"更多新闻|更多精彩|扩展阅读|相关政策|相关解读|相关附件)\s*[】\]]?\s*" + C + r"?\s*$"
)

# a teaser title carrying its tag list: "…标题…创业|郊区", "…样板创新|低碳|样板"
_TAGGED_TITLE = re.compile(r"[" + _CJK + r"A-Za-z0-9]{1,8}(?:\s*[|｜]\s*[" + _CJK + r"A-Za-z0-9]{1,8}){2,}\s*$")

# metadata lines (only dropped in the header zone or when very short)
_DATE = (
    r"(?:\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|\d{1,2}\s*[-/月]\s*\d{1,2}\s*日?)"
    r"(?:\s*[T ]?\s*\d{1,2}\s*[:：∶时]\s*\d{1,2}(?:\s*[:：∶分]\s*\d{1,2}\s*秒?)?)?"
)
_DATE_RX = re.compile(_DATE)
_META_LABELS = (
    r"来源|稿源|信息来源|文章来源|出所|出典|作者|文|记者|撰稿|发布时间|発表時間|発表日|发布日期|发表时间|时间|日期|更新时间|发布者|发布机构|"
    r"浏览次数|点击数|阅读|浏览|字号|关键词|关键字|标签|责任编辑|编辑|摄影|通讯员|供稿"
)
_META_LABEL_RX = re.compile(r"(?:" + _META_LABELS + r")\s*" + C)
_SOURCE_START = re.compile(r"^[【\[(（]?\s*(?:来源|稿源|信息来源|文章来源|发布时间|发布日期|发表时间|时间|日期|更新时间)\s*" + C)
_EN_DATE = re.compile(
    r"(?i)^(?:发布时间|时间|日期)?\s*" + C + r"?\s*(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}"
)
_BREADCRUMB = re.compile(r"^(?:[^\s>›»]{1,12}\s*[>›»]\s*){2,}[^\s>›»]{0,14}$")
_SENT_END = re.compile(r"[。！？!?；;…]")


_INVISIBLE = re.compile(r"[\ufffd\u00ad\u200b-\u200f\u2060\ufeff]")


def _norm(line: str) -> str:
    return _WS.sub(" ", _INVISIBLE.sub("", line)).strip()


def _is_widget_line(line: str) -> bool:
    if len(line) > 40:
        return False
    rest = _WIDGET_WORDS.sub("", line)
    # require at least one real widget word, not just digits/punctuation
    return rest == "" and re.search(r"分享|打印|字号|收藏|点赞|举报|关闭|纠错|微信|微博|扫一扫|复制链接|返回|转发", line) is not None


def _is_nav_menu(line: str) -> bool:
    """A row of short menu words: "本地 天下 发现自贡 文化 健康 教育 商圈"."""
    toks = line.split(" ")
    if len(toks) < 5 or _SENT_END.search(line) or re.search(r"[，,、]", line):
        return False
    return all(1 <= len(t) <= 5 for t in toks) and sum(len(t) for t in toks) <= 40


def _is_meta_line(line: str) -> bool:
    """A header line of date/source/author facts rather than prose."""
    if len(line) > 120 or _SENT_END.search(line.rstrip("。")):
        return False
    if _SOURCE_START.match(line) or _EN_DATE.match(line):
        return True
    m = _DATE_RX.match(line)
    if m and re.search(r"\d{4}|\d\s*[:：∶时]\s*\d", m.group(0)) and not re.search(r"[，,。；;]", line):
        # a leading date followed by little else ("2024-10-22 13:35 自贡网")
        rest = _META_LABEL_RX.sub("", line[m.end():])
        rest = re.sub(r"收藏|点赞|分享|打印|字号|大|中|小|[\s|｜:：∶]", "", rest)
        return len(rest) <= 30
    return len(_META_LABEL_RX.findall(line)) >= 2


def is_noise_line(line: str, extra: Iterable[re.Pattern] = ()) -> bool:
    """True when ``line`` is page furniture wherever it appears."""
    if not line:
        return True
    if _EDITOR_LINE.match(line) and not _SENT_END.search(line[:-1] if line.endswith("。") else line):
        return True
    if _EDITOR_INLINE.fullmatch(line):
        return True
    for rx in _ALWAYS_RX:
        if rx.search(line):
            return True
    for rx in extra:
        if rx.search(line):
            return True
    if _IMAGE_FILE.match(line) or _BREADCRUMB.match(line):
        return True
    if _is_widget_line(line) or _is_nav_menu(line):
        return True
    return False


def _compile_extra(patterns: Iterable[str | re.Pattern]) -> list[re.Pattern]:
    out = []
    for p in patterns or ():
        try:
            out.append(p if isinstance(p, re.Pattern) else re.compile(p))
        except re.error:
            continue
    return out


def _is_prose(line: str) -> bool:
    """A sentence of body text (titles rarely end sentences or chain commas)."""
    if len(line) >= 80:
        return True
    if len(line) >= 12 and re.search(r"[。！；]|\.\s|\.$", line):
        return True
    return len(line) >= 30 and len(re.findall(r"[，,]", line)) >= 2


def _same_title(line: str, title: str | None) -> bool:
    if not title:
        return False
    a = re.sub(r"[\s\u3000]", "", line)
    b = re.sub(r"[\s\u3000]", "", title)
    if not a or not b:
        return False
    return a == b or (len(b) >= 8 and (a.startswith(b) and len(a) - len(b) <= 20 and not _SENT_END.search(a[len(b):])))


def clean_lines(
    lines: Iterable[str],
    *,
    title: str | None = None,
    extra_patterns: Iterable[str | re.Pattern] = (),
) -> list[str]:
    """Drop furniture from ``lines``; return the article's paragraphs."""
    extra = _compile_extra(extra_patterns)
    raw = [_norm(l) for l in lines]
    raw = [l for l in raw if l]

    # 1. header zone: everything before the first prose line.  Titles, date
    #    and source lines, lone counters and menus there are metadata.
    first_prose = next((i for i, l in enumerate(raw) if _is_prose(l) and not _is_meta_line(l)), len(raw))
    out: list[str] = []
    for i, line in enumerate(raw):
        if i < first_prose:
            if _same_title(line, title) or _is_meta_line(line) or re.fullmatch(r"\d{1,6}", line):
                continue
            if len(line) <= 6 and not _SENT_END.search(line) and i + 1 < first_prose:
                # lone short labels above the title ("北极星", "搜索")
                continue
            if _TAGGED_TITLE.search(line) and not _SENT_END.search(line):
                continue
        if is_noise_line(line, extra):
            continue
        if title and len(title) >= 8 and _same_title(line, title) and len(line) <= len(title) + 2:
            continue  # the title repeated in a share box or at the foot
        # inline editor marks at the end of a paragraph: "…（完）【编辑:张三】"
        line = _EDITOR_INLINE.sub("", line).strip()
        if not line:
            continue
        out.append(line)

    # 2. related lists / teasers at the end: cut from the heading on when
    #    most of the text lies before it.
    total = sum(len(l) for l in out) or 1
    seen = 0
    for i, line in enumerate(out):
        if i > 0 and (_RELATED_HEADING.match(line) or (_TAGGED_TITLE.search(line) and len(line) <= 80)):
            if seen >= 0.4 * total:
                out = out[:i]
                break
        seen += len(line)

    # 3. duplicates: consecutive repeats (teasers shown twice) and later
    #    copies of a long line (a caption repeated under a second photo)
    dedup: list[str] = []
    seen_long: set[str] = set()
    for line in out:
        if dedup and dedup[-1] == line:
            continue
        if len(line) >= 15:
            if line in seen_long:
                continue
            seen_long.add(line)
        dedup.append(line)
    # too little text left to be an article body ("" means "not an article")
    if sum(len(_WORD.findall(l)) for l in dedup) < MIN_WORD_CHARS:
        return []
    return dedup


MIN_WORD_CHARS = 15
_WORD = re.compile(r"[\u3400-\u9fffA-Za-z0-9]")


def clean_text(text: str, *, title: str | None = None, extra_patterns: Iterable[str] = ()) -> str:
    """:func:`clean_lines` over a text block; returns the cleaned text."""
    return "\n".join(clean_lines((text or "").splitlines(), title=title, extra_patterns=extra_patterns))
