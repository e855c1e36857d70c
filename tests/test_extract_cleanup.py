"""The site-independent clean-up layer, one rule at a time, plus the body-selector path."""
import pytest

from archive.extract import extract
from archive.extract.cleanup import clean_lines, clean_text
from archive.siterules import Selectors

P1 = "近两年，高新区引育落地科技成果转化中试项目30个，计划总投资5亿元；13个项目进入产业化阶段。"
P2 = "建设中试基地本质是为科技成果产业化服务，只有真正嵌入本地产业链条中，才能最大限度发挥作用。"
P3 = "高新区用投资和补贴的方式帮助中试技术团队减少固定资产投入，每年设立3000万元资金池支持中试项目。"


def cleaned(*noise, title=None, where="end", extra=()):
    body = [P1, P2, P3]
    lines = list(noise) + body if where == "start" else body[:2] + list(noise) + body[2:] if where == "middle" else body + list(noise)
    return clean_lines(lines, title=title, extra_patterns=extra)


@pytest.mark.parametrize("line", [
    "编辑:张文瀚", "责任编辑:欧阳宏梅", "编审:吴山冠", "【编辑:李骏】", "（责任编辑：王頔）", "责编：张倩",
    "编辑∶张三", "审核：李四",
])
def test_editor_and_reviewer_lines(line):
    assert cleaned(line) == [P1, P2, P3]


def test_inline_editor_mark_removed_from_paragraph():
    out = clean_lines([P1, "推动实体经济发展。（完）【编辑:李骏】"])
    assert out == [P1, "推动实体经济发展。（完）"]


@pytest.mark.parametrize("line", [
    "互联网新闻信息服务许可证编号:51120190016 蜀ICP备11013724号 川公网安备51030002000105号",
    "京ICP证040655号", "沪ICP备：12004267",
    "Copyright © 2006-2024 WWW.ZGM.CN 自贡网 All Rights Reserved. 自贡日报社 主办",
    "Copyright ©1999-2025 chinanews.com. All Rights Reserved",
    "版权所有 上海市人民政府办公厅",
    "中国互联网举报中心举报电话: 12377 | 涉本网站违法和不良信息举报电话:0813-8220770",
])
def test_icp_and_copyright_lines(line):
    assert cleaned(line) == [P1, P2, P3]


@pytest.mark.parametrize("line", [
    "分享到：", "分享", "打印", "【打印】 【关闭】", "字号 大 中 小", "字号：大 中 小", "收藏", "点赞", "收藏 点赞",
    "分享到: 微信 微博 QQ空间", "【大 中 小】", "返回顶部", "关闭窗口",
])
def test_share_print_font_widgets(line):
    assert cleaned(line, where="middle") == [P1, P2, P3]


@pytest.mark.parametrize("line", ["上一篇：关于开展2023年度科技特派员工作的通知", "下一篇:江门市科学技术局2023年工作总结", "上一篇", "下一篇"])
def test_previous_next_links(line):
    assert cleaned(line) == [P1, P2, P3]


@pytest.mark.parametrize("heading", ["相关新闻", "相关阅读", "推荐阅读", "【相关新闻】", "相关文章：", "延伸阅读"])
def test_related_heading_and_what_follows_at_the_end(heading):
    out = cleaned(heading, "另一条新闻的标题", "再一条新闻的标题，还有一个逗号，和一个句号。")
    assert out == [P1, P2, P3]


def test_related_heading_at_the_top_is_not_a_cut():
    # a "相关新闻" word early in the page must not truncate the article
    out = clean_lines(["相关新闻", P1, P2, P3])
    assert out[-3:] == [P1, P2, P3]


@pytest.mark.parametrize("line", [
    "3221729503684_.pic_hd.jpg", "自贡先进碳材料产业技术研究院   记者   宋姿熠  摄.jpg",
    "哈尔滨工业大学(自贡)技术转移中心.png", "IMG_2024.JPEG",
])
def test_image_file_names(line):
    assert cleaned(line, where="middle") == [P1, P2, P3]


def test_photo_captions_stay():
    out = clean_lines([P1, "3221729503684_.pic_hd.jpg", "自贡高新工业园区 记者 宋姿熠 摄", P2])
    assert out == [P1, "自贡高新工业园区 记者 宋姿熠 摄", P2]


@pytest.mark.parametrize("line", [
    "2021-09-30 09:36来源:上海市人民政府关键词:燃料电池制氢氢能收藏点赞",
    "2024-10-22 13:35 自贡网", "来源：新华网", "发布时间：2023-11-21 09:59", "发布时间:Apr 14, 2024 02:15 AM",
    "2025年11月22日 22:26　来源：新华网",
])
def test_metadata_lines_at_the_top(line):
    assert cleaned(line, where="start") == [P1, P2, P3]


def test_signature_date_of_a_document_stays():
    out = clean_lines([P1, P2, "江门市科学技术局", "2023年11月10日"])
    assert out == [P1, P2, "江门市科学技术局", "2023年11月10日"]


@pytest.mark.parametrize("line", ["0", "12条评论", "评论 35", "阅读：1024"])
def test_comment_counts(line):
    assert cleaned(line, where="start") == [P1, P2, P3]


@pytest.mark.parametrize("line", [
    "投稿", "我要投稿",
    "投稿与新闻线索:陈女士 微信/手机:13693626116 邮箱:chenchen#bjxmail.com(请将#改成@)",
    "特别声明:北极星转载其他网站内容,出于传递更多信息而非盈利之目的,同时并不代表赞成其观点或证实其描述,内容仅供参考。版权归原作者所有,若有侵权,请联系我们删除。",
    "凡来源注明北极星*网的内容为北极星原创,转载需获授权。",
    "碳计量查看更多>绿色低碳查看更多>新能源查看更多>",
    "搜索历史清空",
    "本网站所刊载信息，不代表中新社和中新网观点。 刊用本网站稿件，务经书面授权。",
])
def test_contribution_and_disclaimer_lines(line):
    assert cleaned(line) == [P1, P2, P3]


@pytest.mark.parametrize("line", ["您的位置:电力电力新闻政策正文", "当前位置：首页 > 政务公开 > 通知公告", "首页 > 新闻 > 正文"])
def test_breadcrumbs(line):
    assert cleaned(line, where="start") == [P1, P2, P3]


def test_top_navigation_row():
    assert cleaned("本地 天下 发现自贡 文化 健康 教育 商圈", "搜索", where="start") == [P1, P2, P3]


def test_trailing_teaser_list_with_tags():
    teaser = "为何纷纷将上海郊区这个园区选为“梦开始的地方”?,留学生归国创业全域|创业|郊区"
    out = cleaned(teaser, teaser, "尽管只有28岁，但山东小伙薛云浩已是个“创业老兵”。从英国拉夫堡大学毕业回国后，他在外省市有过两次创业经历。",
                  "上海这一“工程”为何生生不息,30年方法|服务|上海")
    assert out == [P1, P2, P3]


def test_title_line_dropped():
    out = cleaned("上海市科技创新“十四五”规划发布", where="start", title="上海市科技创新“十四五”规划发布")
    assert out == [P1, P2, P3]


def test_byline_kept():
    out = clean_lines(["自贡融媒记者 周馨钰 宋姿熠", P1, P2])
    assert out == ["自贡融媒记者 周馨钰 宋姿熠", P1, P2]


def test_site_drop_lines_add_to_generic_rules():
    out = cleaned("扫码关注北极星公众号获取更多资讯", "编辑:张三", extra=(r"^扫码关注北极星",))
    assert out == [P1, P2, P3]


def test_no_blank_lines_and_no_replacement_char():
    out = clean_text(P1 + "\n\n\u3000\u3000" + P2 + "\ufffd\n \n" + P3)
    assert out == "\n".join([P1, P2, P3])


# --- the body selector path --------------------------------------------------
def _chinanews_page(body_class="left_zw") -> bytes:
    paras = "".join(f"<p>{p}</p>" for p in (P1, P2, P3, P1.replace("30", "31"), P2.replace("本质", "实质")))
    return (
        "<html><head><meta charset='utf-8'><title>中试基地建设加速_中国新闻网</title></head><body>"
        "<div class='nav'>首页 > 财经 > 正文</div>"
        "<h1 class='content_left_title'>中试基地建设加速</h1>"
        "<div class='content_left_time'>2024年01月09日 19:32　来源：中国新闻网</div>"
        "<div class='content_maincontent_content'><div class='" + body_class + "'>" + paras +
        "<table class='adInContent'><tr><td>广告：点击这里了解更多优惠活动信息，机会难得不要错过了哦。</td></tr></table>"
        "<p>（完）</p></div></div>"
        "<div class='adEditor'>【编辑:李骏】</div>"
        "<div class='pagebottom'>本网站所刊载信息，不代表中新社和中新网观点。京ICP证040655号 Copyright ©1999-2025 chinanews.com</div>"
        "</body></html>"
    ).encode("utf-8")


RULES = Selectors(title="h1.content_left_title", body="div.content_maincontent_content > div.left_zw",
                  date="div.content_left_time", source="div.content_left_time", editor="div.adEditor",
                  remove=("table.adInContent",))


def test_body_selector_used_and_remove_applied():
    r = extract(_chinanews_page(), "https://www.chinanews.com.cn/cj/2024/01-09/10143622.shtml", rules=RULES)
    lines = r["text"].splitlines()
    assert lines[0] == P1 and lines[-1] == "（完）"
    assert "广告" not in r["text"] and "ICP" not in r["text"]
    assert r["title"] == "中试基地建设加速"
    assert r["published_at"] == "2024-01-09T19:32:00+08:00"
    assert r["source"] == "中国新闻网" and r["editor"] == "李骏"


def test_selector_that_stops_matching_degrades_to_generic():
    r = extract(_chinanews_page(body_class="new_template_zw"), None, rules=RULES)
    assert P2 in r["text"]
    assert "ICP" not in r["text"] and "【编辑" not in r["text"]


def test_invalid_selector_degrades_to_generic():
    r = extract(_chinanews_page(), None, rules=Selectors(body="div[[[", remove=(":::",)))
    assert P2 in r["text"]


def test_not_an_article_gives_empty_text():
    waf = b"<html><head><title>Verification</title></head><body><script>var requestInfo={};aliyun_waf</script></body></html>"
    assert extract(waf)["text"] == ""


def test_bot_challenge_page_is_not_an_article():
    waf = (b"<html><head><title>Verification</title></head><body><div><p>Verifying your browser, please wait...</p>"
           b"<p>Security verification by aliyun_waf</p></div><script>var requestInfo={};CF_APP_WAF</script></body></html>")
    assert extract(waf, "https://news.bjx.com.cn/html/20250310/1431207.shtml")["text"] == ""


def test_too_little_text_is_not_an_article():
    assert clean_lines(["首页", "返回"]) == []
    assert clean_lines(["各单位：现将有关通知印发给你们，请遵照执行。"]) != []


@pytest.mark.parametrize("line", [
    "【打印本页】 【关闭窗口】", "[打印] [关闭]", "【打印本文】【关闭】", "【 收藏本页 】",
    "（本文编辑 赵六）", "（记者 王五 编辑 李四）", "【责编：张三】",
    "发布日期：2005-03-01 责任编辑：王五", "发布时间：2006年5月2日 10:20 来源：本站 点击数：35",
    "本网常年法律顾问：某某律师事务所 张律师 电话：0123-88886666",
])
def test_legacy_furniture_lines_anywhere(line):
    assert cleaned(line, where="middle") == [P1, P2, P3]
    assert cleaned(line) == [P1, P2, P3]


@pytest.mark.parametrize("heading", ["反侵权公告", "【版权声明】", "免责声明：", "法律声明"])
def test_footer_notice_block_cut_with_what_follows(heading):
    notice = ["本网站所刊登的各种新闻、信息，均为本网所有，未经协议授权，禁止下载使用。",
              "凡侵犯本网版权等知识产权的，本网必依法追究其法律责任。", "电话：0123-88886666"]
    assert cleaned(heading, *notice) == [P1, P2, P3]


@pytest.mark.parametrize("line", [
    "索 引 号：SY0000201001234567", "发文字号：沪府规〔2024〕5号", "成文日期：2024年05月10日", "有 效 性：有效",
])
def test_government_facts_rows_never_body(line):
    assert cleaned(line, where="start") == [P1, P2, P3]
    assert cleaned(line, where="middle") == [P1, P2, P3]


def test_prose_that_names_dates_or_editors_stays():
    para = "发布日期：2005年3月1日起，市民可凭身份证到各区办事大厅办理，责任编辑部门将全程跟踪，确保落实。"
    assert cleaned(para, where="middle") == [P1, P2, para, P3]


@pytest.mark.parametrize("line", [
    "编辑|禤志杰", "责编｜陈梦莹", "校对|黄慧敏", "来源|广州参考、广州南沙发布、羊城晚报", "来源：新华社",
    "本文原标题：《定了！邮轮母港即将开通》", "(本文发表于首页批评与建议, 已被阅读178次)",
    "1、回复【公租房】查看最新消息", "扫描下方二维码解锁更多技能", "看都看完了，点【在看】试试",
    "2019-09-26 12:11来源：证券时报网作者：李在山",
])
def test_credit_and_promotion_lines_anywhere(line):
    assert cleaned(line) == [P1, P2, P3]
    assert cleaned(line, where="middle") == [P1, P2, P3]


def test_navigation_label_variants():
    assert cleaned("您所在的位置：", where="start") == [P1, P2, P3]
    assert cleaned("你所在的位置：首页 > 公司", where="start") == [P1, P2, P3]


def test_title_with_a_label_and_title_that_reads_as_prose():
    title = "午间公告：天奇股份中标广汽丰田项目；运达股份中标7亿元项目"
    out = clean_lines([title, "2019-09-26 12:11 来源：证券时报网", P1, P2], title=title)
    assert out == [P1, P2]
    out = clean_lines(["主题： 你知道导游为什么那么热衷于让你去商场购物吗？", P1, P2],
                      title="你知道导游为什么那么热衷于让你去商场购物吗？")
    assert out == [P1, P2]


def test_related_heading_ends_a_known_article_block():
    teasers = ["为你推荐", "金融委最新定调！鼓励境外资金进入境内金融市场，部署了一系列金融领域下一步的重点工作。",
               "黄金周后A股怎么走，从数据预知这9大行业胜率高的惊人，持股还是持币过节又成为投资者的问题。"]
    assert clean_lines([P1] + teasers) == [P1] + teasers  # could be a list the article itself introduces
    assert clean_lines([P1] + teasers, related_share=0.0) == [P1]


@pytest.mark.parametrize("line", [
    "[2005-08-17] 另一篇日志的标题", "·市区新增三条夜班公交线路（2005-04-01 17:19PM）", "关注", "超大 大 标准 小",
])
def test_dated_link_lists_and_follow_widgets(line):
    assert cleaned(line) == [P1, P2, P3]


def test_short_breadcrumb_in_the_header():
    assert cleaned("澎湃号 > 中国广州发布", where="start") == [P1, P2, P3]


def test_furniture_patterns_grouped_for_speed_match_as_the_single_patterns():
    import re

    from archive.extract.vocab import FURNITURE_PATTERNS, FURNITURE_RX, _top_branches

    assert _top_branches(r"^a|b(c|d)|[|]x|\|y|[^]|]q") == ["^a", "b(c|d)", "[|]x", r"\|y", "[^]|]q"]
    assert len(FURNITURE_RX) < len(FURNITURE_PATTERNS)  # the line-start patterns are one regex
    single = [re.compile(p) for p in FURNITURE_PATTERNS]
    lines = ["上一篇：某某", "网友评论", "版权所有 某报社", "正文里说到上一篇：的事情", "举报电话：12345", "首页 > 新闻",
             "分享到：微信", "12 条评论", "一段普通的正文，说的是今天的天气。", "Copyright 2024", "访问验证中",
             # every alternative of the flagged and mixed patterns, in both cases
             "COPYRIGHT © 2024", "本站版权归某报社所有", "ALL RIGHTS RESERVED.", "Notice: the content", "NOTICE: THIS",
             "Verifying your browser", "正在验证您的浏览器，请稍候", "请开启JavaScript", "请启用 COOKIE", "Please enable cookies",
             "ALIYUN_WAF", "checking YOUR browser", "本报常年法律顾问：某某律师", "法律顾问 张三律师", "某某律师事务所 电话 123",
             "搜索历史 清空", "搜索历史", "热门搜索：某某", "点击在看", "点[在看]", "扫描二维码关注", "点击菜单栏",
             "举报电话：12315", "违法和不良信息举报", "查看更多>>", "更多 >>", "已被阅读 12 次",
             "正文提到法律顾问的律师说", "他点了在看", "搜索历史清空了", "版权归作者所有"]
    for line in lines:
        assert any(rx.search(line) for rx in FURNITURE_RX) == any(rx.search(line) for rx in single), line
