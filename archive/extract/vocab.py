"""The Chinese page vocabulary every extraction rule is keyed to, in one place.

Label vocabularies (来源, 责任编辑, 作者 …), the colon and whitespace classes,
page-furniture patterns (print/close/share widgets, copyright and
反侵权公告 notices, navigation), the facts-table labels of government
document pages, the "too little text" thresholds and the characters removed
from decoded text; the near-duplicate normalisation's own furniture lists.  Patterns are plain regular-expression source strings
(``*_LABELS`` are alternations without a group) so that callers can combine
them; compiled forms end in ``_RX``.

The evaluation (:mod:`archive.tooling.evaluate`) deliberately shares nothing with this
module: the judge keeps its own boilerplate patterns.
"""
from __future__ import annotations

import re

# --- character classes ------------------------------------------------------
COLON_CHARS = ":：∶"  # colon, full-width colon, U+2236 RATIO
COLON = "[" + COLON_CHARS + "]"
# horizontal whitespace as it appears in Chinese pages: nbsp, en/em/thin
# spaces, zero-width space, ideographic space, BOM
WS_CHARS = " \t\r\f\v\u00a0\u2002\u2003\u2009\u200b\u3000\ufeff"
WS = re.compile("[" + WS_CHARS + "]+")
# every kind of space, line breaks included (label normalisation)
ANY_SPACE = re.compile(r"[\s\u00a0\u2000-\u200b\u3000\ufeff]+")
# any Unicode whitespace, line breaks included: Python's \s already covers nbsp
# (U+00A0), the en/em/thin spaces and the ideographic space (U+3000), not the
# zero-width space or the BOM.  Text hashes, squashed titles and labels, the
# metadata lines and the soft-error page text collapse or drop runs of it.
SPACE = r"\s"
SPACE_RUN = re.compile(SPACE + "+")
# the spaces that may stand between the characters of a facts-table label
# ("索 &nbsp;引 号", "标    题")
INLINE_SPACE = r"[ \t\u00a0\u2002\u2003\u2009\u3000]"
# the spaces whose runs become one in a stored line (archive.extract.article)
LINE_SPACE = re.compile(r"[ \t\u00a0\u3000\u2002\u2003\u200b]+")
CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
# characters that carry no text: replacement char, soft hyphen, zero-width
# marks, word joiner, BOM
INVISIBLE = re.compile(r"[\ufffd\u00ad\u200b-\u200f\u2060\ufeff]")
# what a title drops: private-use code points, U+FFFD, zero-width marks, BOM
TITLE_INVISIBLE = re.compile(r"[\ue000-\uf8ff\ufffd\u200b-\u200f\ufeff]")
# the replacement character a decoder puts for an undecodable byte sequence;
# it is never text of a page (decode counts it, then every stage drops it)
REPLACEMENT = "\ufffd"
# C0 and C1 control characters except tab and newline (and CR, normalised by
# the parser), DEL, and private-use code points: never text of a page
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue000-\uf8ff]")
# numeric character references to the same control characters (&#27; &#x1b;)
CONTROL_REF = re.compile(
    r"&#(?:0*(?:[0-8]|1[1-2]|1[4-9]|2\d|3[01]|12[7-9]|1[3-5]\d)|[xX]0*(?:[0-8]|[bBcC]|[eEfF]|1[0-9a-fA-F]|7[fF]|[89][0-9a-fA-F]));"
)


def strip_controls(text: str) -> str:
    """``text`` without control characters, their character references and
    U+FFFD (a stray ``\\x1b`` or ``&#27;`` must never break an article)."""
    if "&#" in text:
        text = CONTROL_REF.sub("", text)
    return drop_replacement(CONTROL.sub("", text))


def drop_replacement(text: str) -> str:
    """``text`` without U+FFFD."""
    return text.replace(REPLACEMENT, "")


def squash(label: str) -> str:
    """A label with every space removed: "索 &nbsp;引 号" -> "索引号"."""
    return ANY_SPACE.sub("", label)


# --- label vocabularies -----------------------------------------------------
SOURCE_LABELS = r"来源|稿源|信息来源|文章来源|新闻来源|消息来源"
EDITOR_LABELS = (
    r"责任编辑|编辑|编审|责编|审核|审校|校对|终审|复审|初审|值班编辑|监制|统筹|编校|美编|主编|总监制|制作|策划|"
    r"视频编辑|图片编辑|网络编辑"
)
# a title labelled on the page: the metadata takes the value ("标题：X"), the
# body drops the labelled line repeating the title (the two differ in their
# last label, kept as they are)
TITLE_LABELS = r"主题|标题|题目|文章标题|帖子主题"
BODY_TITLE_LABELS = r"主题|标题|题目|文章标题|帖子标题"
# what separates keywords in a keyword box or <meta name="keywords">
KEYWORD_SPLIT = re.compile(r"[,，;；、|｜\s]+")
# the labels that name the article's editor (metadata), a subset of the above
EDITOR_NAME_LABELS = r"责任编辑|责编|编辑"
AUTHOR_LABELS = r"作者|撰文|撰稿|文|记者|通讯员|摄影|供稿"
# the labels of an author byline ("作者：X", "执笔人：Y") in the metadata
BYLINE_AUTHOR_LABELS = r"作者|撰文|撰稿|采写|执笔人|执笔"
# the commonest single-character Chinese surnames, and the compound ones: a byline that runs two
# names together with no separator ("本报记者罗科苏盈发自北京") is split only where each part
# starts with one of these
COMMON_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
    "崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊"
    "葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆"
    "蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿"
    "桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝")
COMPOUND_SURNAMES = frozenset({"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
                               "司徒", "令狐", "夏侯", "端木", "宇文", "轩辕", "澹台", "濮阳", "呼延", "南宫"})
DATE_LABELS = r"发布时间|発表時間|発表日|发布日期|发表时间|发稿时间|时间|日期|更新时间"
# metadata fields (archive.extract.metadata): a source also comes labelled
# 来自/出处/出自; 转载文章 and the like name no outlet; a closing credit line
# "——《刊名》1998年3月号", "（摘自《刊名》…）"; a post's own time "发表于 …"
META_SOURCE_LABELS = SOURCE_LABELS + r"|来自|出处|出自|稿件来源|出版社"
SOURCE_PLACEHOLDERS = ("转载文章", "转载", "网络转载", "转自网络", "网络")
CREDIT_LINE_RX = re.compile(r"^\s*[（(【\[]?\s*(?:——|—|--|摘自|出自|转自|选自|原载|原载于|刊于|本文原载)\s*《(?P<v>[^》]{2,30})》")
POSTED_LABELS = r"发表于|发表时间|发帖时间|发布于|(?i:posted\s+(?:on|at|@)?)"
# labels that make a line a metadata line rather than prose
META_LABELS = (
    SOURCE_LABELS + r"|出所|出典|" + AUTHOR_LABELS + r"|" + DATE_LABELS
    + r"|发布者|发布机构|浏览次数|点击数|点击|阅读|浏览|字号|关键词|关键字|标签|责任编辑|编辑"
)

# --- government document facts table (信息公开) -----------------------------
# Labels compared after squash(): "索 &nbsp;引 号" and "标  题" match.
GOV_FACT_LABELS = (
    "索引号", "分类", "主题分类", "信息分类", "组配分类", "体裁分类", "服务对象分类", "发文机关", "发布机关", "发布机构",
    "成文日期", "发文日期", "标题", "名称", "发文字号", "文号", "发布日期", "公开日期", "生成日期", "有效性", "效力状态",
    "时效", "主题词", "关键词", "公开方式", "公开范围", "公开形式", "信息来源", "来源", "所属机构", "主题", "文种",
    "实施日期", "废止日期", "有效期", "信息公开目录", "内容分类", "公文种类", "发布单位", "所属主题",
)
# the fields parsed from a facts table (archive.extract.facts): field -> its
# labels, most specific first
GOV_DOC_FIELDS: dict[str, tuple[str, ...]] = {
    "index_no": ("索引号",),
    "category": ("主题分类", "分类", "信息分类", "内容分类", "组配分类"),
    "issuer": ("发文机关", "发布机构", "发布机关", "发文单位", "发布单位"),
    "doc_number": ("发文字号", "文号"),
    "written_at": ("成文日期", "发文日期"),
    "published_at": ("发布日期", "公开日期", "发布时间"),
    "validity": ("有效性", "是否有效", "效力状态", "时效性"),
    "subject_words": ("主题词",),
    "title": ("标题", "名称", "文件名称"),
}
# labels that end a value there but are not fields
GOV_OTHER_DOC_LABELS = ("公开方式", "公开范围", "公开形式", "公开时限", "体裁分类", "服务对象分类", "所属机构", "文种",
                        "信息来源", "来源", "实施日期", "废止日期", "有效期", "生成日期", "所属主题", "公文种类", "信息公开目录")
# a facts table has several of these; 索引号/发文字号/成文日期 alone are decisive
GOV_STRONG_LABELS = ("索引号", "发文字号", "成文日期", "发文机关", "主题分类", "有效性", "公开方式", "组配分类")
GOV_FACT_LABEL_RX = re.compile(
    r"^(?:" + "|".join(sorted(GOV_FACT_LABELS, key=len, reverse=True)) + r")" + COLON + r"?"
)

# --- page furniture -----------------------------------------------------------
_DATE0 = r"(?:\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s*\d{1,2}[:：∶]\d{2}(?:[:：∶]\d{2})?)?)"
PRINT_CLOSE = r"打印本页|打印此页|打印文章|打印本文|打印|关闭窗口|关闭本页|关闭|返回顶部|回到顶部|返回首页|返回|收藏本页|加入收藏|收藏|推荐给朋友|发表评论|我要评论|保存本页"

# whole lines that are furniture wherever they appear (searched per line)
FURNITURE_PATTERNS = [
    # registration numbers, copyright and legal footers
    r"ICP\s*(?:备|证|经营许可证|许可证)|[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]ICP|公网安备|网安备\s*\d",
    r"(?i)copyright|©|all\s+rights\s+reserved|版权所有|版权归.{0,12}所有",
    r"互联网新闻信息服务许可证|信息网络传播视听节目许可证|增值电信业务经营许可证|广播电视节目制作经营许可证",
    r"(?:违法和不良信息|网络内容从业人员违法违规行为|未成年人|算法推荐).{0,12}举报|举报电话|举报中心|举报邮箱|举报专区",
    r"^[“\"「【\[(（]?\s*(?:特别声明|免责声明|版权声明|郑重声明|反侵权公告|侵权公告|法律声明|声明)\s*(?:" + COLON + r"|[”\"」】\])）]?\s*$)",
    r"(?i)^(?:notice|disclaimer|statement)\s*:\s*(?:the|this|all|content)",
    r"^凡(?:来源|本网|注明).{0,30}(?:转载|原创|授权|版权)",
    r"^(?:本网站|本网|本站)(?:所刊载|刊载|所载|登载).{0,40}(?:观点|授权|转载)",
    r"未经.{0,20}(?:书面)?(?:授权|许可).{0,10}(?:不得|禁止)?.{0,6}(?:转载|复制|使用|镜像)",
    # an editor credit in brackets: "（本文编辑 张三）", "（记者 王五 编辑 李四）"
    r"^[（(【\[][^）)】\]]{0,20}(?:" + EDITOR_LABELS + r")\s*" + COLON + r"?\s*[^）)】\]]{1,24}[）)】\]]$",
    r"法律顾问\s*" + COLON + r"?.{0,20}律师|律师事务所.{0,20}(?:电话|" + COLON + r")",
    r"^(?:投稿与新闻线索|新闻线索|投稿邮箱|投稿信箱|投稿热线|报料热线|新闻热线|联系电话|联系我们)\s*" + COLON,
    r"^(?:我要投稿|投稿|我要纠错|纠错|我要评论|发表评论|网友评论|评论|查看评论|进入论坛)\s*$",
    r"查看更多\s*[>》›]|更多\s*[>》›]{1,2}\s*$|^(?:查看更多|点击查看更多|展开全文|阅读全文|点击加载更多|加载更多|查看原文|阅读原文)\s*$",
    r"^点击.{0,20}(?:分享|微信好友|朋友圈)|分享.{0,12}微信好友|^长按.{0,12}(?:二维码|识别|保存)",
    r"^(?:本文)?来源于?\s*" + COLON + r"?\s*$",
    # a closing "2005年8月25日（来源：上海证券报）" credit line
    r"^" + _DATE0 + r"?\s*[（(]\s*(?:" + SOURCE_LABELS + r")\s*" + COLON + r"[^）)]{1,30}[）)]\s*$",
    r"^搜索历史|搜索历史\s*清空|^热门搜索|^(?:搜\s?索|检索|站内搜索|高级搜索|登录|注册|登录\s*[|/]?\s*注册|无障碍|长者模式|繁体|简体|English)\s*$",
    # navigation
    r"^(?:上一篇|下一篇|上一条|下一条|上一页|下一页|上篇|下篇|前一篇|后一篇)\s*" + COLON + r"?",
    r"^(?:您的位置|你的位置|当前位置|您现在的位置|你现在的位置|您所在的位置|你所在的位置|您所在位置|所在的位置|所在位置|现在位置)\s*" + COLON + r"?",
    r"^首页\s*[>›»/]",
    r"^[【\[]?\s*(?:返回顶部|回到顶部|返回首页|关闭窗口|关闭本页|打印本页|打印此页|打印文章|打印本文|收藏本页|加入收藏)",
    # a row of bracketed widgets: "【打印本页】 【关闭窗口】", "[打印] [关闭]"
    r"^(?:[【\[]\s*(?:" + PRINT_CLOSE + r"|大|中|小|字体|字号)\s*[】\]]\s*){1,}$",
    r"^(?:分享到|分享至|分享给|一键分享|扫一扫|微信扫一扫|扫描二维码|用微信扫描|手机扫码|手机看)",
    r"^(?:字号|字体|文字大小)\s*" + COLON + r"?\s*[【\[]?\s*(?:大|小|默认|放大|缩小|A[+-]?)",
    r"^【\s*(?:大|中|小)\s*(?:大|中|小)\s*(?:大|中|小)?\s*】",
    r"^(?:超大|特大|大|中|小|标准|默认)(?:\s+(?:超大|特大|大|中|小|标准|默认)){2,}$",
    # comment counts and reading counts
    r"^\d+\s*(?:条评论|评论|人参与|人已参与|人评论|次阅读|阅读|人阅读|次浏览|浏览)\s*$",
    r"^(?:评论|参与|阅读|浏览|点击|阅读量|浏览量|点击数|浏览次数|点击量)\s*" + COLON + r"?\s*\d+\s*(?:次|人)?\s*$",
    r"^(?:扫描|扫码)?\s*(?:关注|下载).{0,12}(?:公众号|客户端|APP|App|app)\s*$",
    r"^(?:本文)?(?:原标题|原文标题)\s*" + COLON + r".{0,80}$",
    r"已被(?:阅读|浏览|点击|查看)\s*\d+\s*次",
    # dated link lists: "[2005-08-21] 另一篇文章", "·另一篇文章（2005-04-03 17:19PM）"
    r"^[·•]?\s*[\[【(（]\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\s*[\]】)）]\s*\S.{0,40}$",
    r"^[·•]\s*.{4,60}[（(]\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}[^）)]{0,14}[）)]\s*$",
    # account promotion under WeChat-style articles
    r"^(?:\d+\s*[、.．]\s*)?回复\s*[【「\[“\"].{1,12}[】」\]”\"]\s*(?:查看|获取|查询|了解|看看|即可)",
    r"^(?:扫描|长按|识别)(?:下方|上方|图中|文末)?二维码|点.{0,2}[【「\[]?在看[】」\]]?|^点击(?:菜单|底部菜单|上方|下方)",
    # bot-protection and script-required interstitials
    r"(?i)verifying (?:your|the) browser|security verification|checking your browser|please enable (?:javascript|cookies)"
    r"|aliyun_waf|^请(?:开启|启用|打开)\s*(?:javascript|js|cookie)|^(?:正在|安全)验证.{0,12}(?:请稍候|浏览器)|^访问验证",
]


def _top_branches(pattern: str) -> list[str]:
    """The top-level alternatives of a regular expression."""
    out, cur, depth, in_class, i = [], [], 0, False, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            cur.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            lead = "[^]" if pattern.startswith("[^]", i) else "[]" if pattern.startswith("[]", i) else ""
            if lead:  # "[]…]", "[^]…]": that bracket is a member
                cur.append(lead)
                i += len(lead)
                continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(ch)
        i += 1
    out.append("".join(cur))
    return out


_GLOBAL_FLAGS = re.compile(r"\(\?([aiLmsux]+)\)")


def _scoped(flags: str, branch: str) -> str:
    """``branch`` under a pattern's global ``flags``.  Ignoring case changes
    nothing for text without a cased character (Chinese, digits, marks)."""
    if not flags or flags == "i" and branch.lower() == branch.upper():
        return branch
    return f"(?{flags}:{branch})"


def _furniture_rx(patterns: list[str]) -> list[re.Pattern]:
    """The patterns as searched per line.  A line matches a pattern when it
    matches one of its top-level alternatives, so the alternatives anchored
    at the line start (of every pattern) become one regex, tried at position
    0 only, and a pattern's other alternatives stay together, where a literal
    start keeps its fast scan.  A pattern's global flags ("(?i)") go with
    each of its alternatives ("(?i:…)").  Any regex of the result matches a
    line exactly when one of the patterns does."""
    anchored, rest = [], []
    for p in patterns:
        m = _GLOBAL_FLAGS.match(p)
        flags, body = (m.group(1), p[m.end():]) if m else ("", p)
        branches = _top_branches(body)
        anchored += [_scoped(flags, b) for b in branches if b.startswith("^")]
        unanchored = [(b, _scoped(flags, b)) for b in branches if not b.startswith("^")]
        # the alternatives under flags apart: the others keep a fast scan
        for group in ([s for b, s in unanchored if s == b], [s for b, s in unanchored if s != b]):
            if group:
                rest.append(re.compile("|".join(group)))
    # (a leading "^" outside lets the engine try position 0 only: a flag group
    # around a branch's own "^" would hide it)
    return ([re.compile("^(?:" + "|".join("(?:" + b + ")" for b in anchored) + ")")] if anchored else []) + rest


FURNITURE_RX = _furniture_rx(FURNITURE_PATTERNS)

# headings of a notice block at the foot of a page: it and the lines after it go
NOTICE_HEADING_RX = re.compile(
    r"^[【\[(（“\"]?\s*(?:反侵权公告|侵权公告|版权声明|免责声明|法律声明|郑重声明|特别声明|版权说明|转载声明)\s*[】\])）”\"]?\s*" + COLON + r"?\s*$"
)

# words a share/print widget line is made of (分享 微信 微博 打印 收藏 …)
WIDGET_WORDS = re.compile(
    r"分享到|分享至|分享|打印|字号|收藏|点赞|举报|关闭|纠错|评论|微信|朋友圈|微博|新浪微博|QQ空间|QQ好友|QQ|"
    r"复制链接|链接|扫一扫|手机|二维码|返回|顶部|推荐|转发|转载|大|中|小|默认|放大|缩小|A\+|A-|"
    r"在看|喜欢|赞|踩|好友|空间|豆瓣|人人网|腾讯微博|更多|窗口|本页|此页|本文|关注|超大|标准|[\s\d【】\[\]|/｜·•:：()（）<>《》+\-]"
)
WIDGET_CORE = re.compile(r"分享|打印|字号|收藏|点赞|举报|关闭|纠错|微信|微博|扫一扫|复制链接|返回|转发|关注")

# related-content headings: they and what follows them at the end are dropped
RELATED_HEADINGS = (
    r"相关新闻|相关阅读|相关文章|相关报道|相关链接|相关推荐|相关专题|相关稿件|相关资讯|推荐阅读|"
    r"延伸阅读|热点推荐|热门推荐|热门文章|热点新闻|热门新闻|更多推荐|精彩推荐|猜你喜欢|往期回顾|往期推荐|今日推荐|"
    r"最新新闻|最新文章|为你推荐|为您推荐|编辑推荐|大家都在看|热门阅读|阅读排行|排行榜|图片新闻|精彩图集|专题推荐|"
    r"更多新闻|更多精彩|扩展阅读|相关政策|相关解读|相关附件|相关内容|相关信息|相关主题|相关搜索|其他新闻|本类最新|本栏目最新"
)

# --- near-duplicate normalisation (archive.dedup.text) ----------------------------
# Its own lists, on purpose not merged with the extractor's above: they define the
# stored near-duplicate index, so a change here needs NORMALISE_VERSION raised
# there (and the index rebuilt).  Matched at a line's start: a footer or notice
# line goes whatever its length, a credit or navigation line only when it is at
# most NEARDUP_CREDIT_MAX characters (a paragraph opening with "记者了解到" stays).
NEARDUP_FOOTER_LABELS = r"投稿与新闻线索|特别声明|凡来源注明|原文如下|版权所有|copyright|免责声明"
NEARDUP_CREDIT_LABELS = (
    r"相关新闻|相关阅读|相关链接|延伸阅读|推荐阅读|责任编辑|编辑|编审|校对|审核|来源|稿源|文章来源|信息来源|"
    r"本文来源|作者|记者|通讯员|原标题|分享到|扫一扫|打印本页|关闭窗口|上一页|下一页|上一篇|下一篇|"
    r"首页\s*上一页|【?字体|点击查看|查看更多|您的位置|当前位置"
)
NEARDUP_CREDIT_MAX = 40  # characters: a longer line is content

# --- thresholds ----------------------------------------------------------------
# Two on purpose, at two levels:
# one page's body (archive.extract.cleanup): fewer word characters (CJK,
# letters, digits) than this is not an article body
MIN_WORD_CHARS = 15
WORD_RX = re.compile(r"[" + CJK + r"A-Za-z0-9]")
# the whole article, its pages joined (the clean stage, re-extraction): fewer
# meaningful characters (any word character or CJK) than this is not an article
MIN_TEXT_CHARS = 20
MEANINGFUL_RX = re.compile(r"[\w\u4e00-\u9fff]")


def has_words(lines, n: int) -> bool:
    """True when ``lines`` hold at least ``n`` word characters (stops counting there)."""
    total = 0
    for line in lines:
        total += len(WORD_RX.findall(line))
        if total >= n:
            return True
    return False
