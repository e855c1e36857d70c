"""Metadata: titles, publication times, source, author, editor, keywords."""
from archive.extract import extract, parse_html
from archive.extract.metadata import extract_metadata, parse_datetime, iso
from archive.siterules import Selectors

PARA = "<p>中新网北京5月23日电 （记者 刘文文）记者从23日在北京举行的发布会上获悉，氢燃料电池汽车产业加速布局。</p>" \
       "<p>与会代表认为，氢能产业链条长、带动作用强，需要在制氢、储运、加注等环节协同推进，多地已经出台扶持政策。</p>" * 3


def meta(html: str, rules=None) -> dict:
    return extract_metadata(parse_html(html), rules)


def test_parse_formats():
    assert iso(parse_datetime("2021-09-30 09:36")) == "2021-09-30T09:36:00+08:00"
    assert iso(parse_datetime("2025年11月22日 22:26")) == "2025-11-22T22:26:00+08:00"
    assert iso(parse_datetime("2021/09/30")) == "2021-09-30T00:00:00+08:00"
    assert iso(parse_datetime("发布时间：2023-11-21 09:59")) == "2023-11-21T09:59:00+08:00"
    assert iso(parse_datetime("2021-09-30T01:36:00Z")) == "2021-09-30T01:36:00+00:00"
    assert iso(parse_datetime("Apr 14, 2024 02:15 PM")) == "2024-04-14T14:15:00+08:00"
    assert parse_datetime("no date here") is None


def test_ratio_colon_in_meta_pubdate():
    html = '<html><head><meta name="PubDate" content="2021-09-29 14∶06"></head><body><h1>标题文字很长</h1>' + PARA + "</body></html>"
    assert meta(html)["published_at"] == "2021-09-29T14:06:00+08:00"


def test_fullwidth_colon_in_visible_date_line():
    html = ("<html><head><title>储能产业迎来发展窗口期_中国新闻网</title></head><body>"
            "<h1>储能产业迎来发展窗口期</h1><div>发布时间：2019-11-06 09：41　来源：中国新闻网</div>" + PARA + "</body></html>")
    m = meta(html)
    assert m["published_at"] == "2019-11-06T09:41:00+08:00"
    assert m["source"] == "中国新闻网"
    assert m["title"] == "储能产业迎来发展窗口期"


def test_nianyueri_date_line():
    html = ("<html><body><h1 class='content_left_title'>我国自主研制的燃料电池热电联供系统投运</h1>"
            "<div class='content_left_time'>2025年11月22日 22:26　来源：<a class='source'>新华网</a></div>"
            + PARA + "</body></html>")
    m = meta(html)
    assert m["published_at"] == "2025-11-22T22:26:00+08:00"
    assert m["source"] == "新华网"


def test_pubtime_baidu_adds_seconds_to_the_visible_minute():
    html = ("<html><body><h1>成都高新启动中试跨越行动计划</h1><div>2024年01月09日 19:32　来源：中国新闻网</div>"
            "<input type='hidden' id='pubtime_baidu' value='2024-01-09 19:32:08'>"
            "<div id='editor_baidu'>责任编辑：李骏</div>" + PARA + "</body></html>")
    m = meta(html)
    assert m["published_at"] == "2024-01-09T19:32:08+08:00"
    assert m["editor"] == "李骏"


def test_json_ld_date_published():
    html = ('<html><head><script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",'
            '"headline":"标题","datePublished":"2024-05-16T17:02:38+08:00"}</script></head>'
            "<body><h1>没有日期行的标题</h1>" + PARA + "</body></html>")
    assert meta(html)["published_at"] == "2024-05-16T17:02:38+08:00"


def test_related_news_dates_are_ignored():
    html = ("<html><body><h1>一篇没有日期的文章标题</h1>" + PARA +
            "<div class='related'><h3>相关新闻</h3><ul><li><a>另一条新闻</a><span>2020-01-02 10:00</span></li></ul></div>"
            "</body></html>")
    assert meta(html)["published_at"] is None


def test_site_selectors_first():
    html = ("<html><head><meta name='PubDate' content='2020-01-01 00:00'></head><body>"
            "<div id='t'>选择器给出的标题</div><h1>页面上的另一个标题</h1>"
            "<p class='d'>2021-09-30 09:36</p><span class='s'>来源：上海市人民政府</span>"
            "<span id='key_word'>关键词：<a>燃料电池</a><a>制氢</a><a>氢能</a></span>" + PARA + "</body></html>")
    rules = Selectors(title="#t", date="p.d", source="span.s", keywords="#key_word a")
    m = meta(html, rules)
    assert m["title"] == "选择器给出的标题"
    assert m["published_at"] == "2021-09-30T09:36:00+08:00"
    assert m["source"] == "上海市人民政府"
    assert m["keywords"] == ["燃料电池", "制氢", "氢能"]


def test_editor_mark_and_meta_keywords():
    html = ("<html><head><meta name='keywords' content='氢能,燃料电池，新能源汽车'></head><body>"
            "<h1>氢燃料电池汽车产业加速布局</h1>" + PARA + "<div class='adEditor'>【编辑:王禹】</div></body></html>")
    m = meta(html)
    assert m["editor"] == "王禹"
    assert m["keywords"] == ["氢能", "燃料电池", "新能源汽车"]
    assert m["author"] == "刘文文"


def test_title_strips_site_suffix():
    html = ("<html><head><title>5月LPR按兵不动_经济_宏观频道首页_财经网 - CAIJING.COM.CN</title></head><body>"
            "<h2 id='cont_title'>5月LPR按兵不动</h2>" + PARA + "</body></html>")
    assert meta(html)["title"] == "5月LPR按兵不动"


def test_extract_returns_all_keys():
    r = extract(("<html><body><h1>标题</h1>" + PARA + "</body></html>").encode("utf-8"), "https://example.cn/a.html")
    assert set(r) == {"url", "title", "published_at", "source", "author", "editor", "keywords", "text", "encoding", "replaced_bytes", "document", "fallback"}
    assert r["fallback"] == []  # no site selectors, none missed
    assert r["url"] == "https://example.cn/a.html" and r["encoding"] == "utf-8"
    assert isinstance(r["keywords"], list)


# --- government document facts tables --------------------------------------------
GOV_BODY = "<p>各区人民政府，市政府各委、办、局：现将本办法印发给你们，请认真按照执行。本办法自发布之日起施行。</p>" * 3


def test_facts_table_with_spaced_labels_in_a_table():
    html = ("<html><head><title>关于印发某某管理办法的通知_规范性文件_某某市人民政府</title></head><body>"
            "<table class='facts'><tr><td>索 &nbsp;引 号：</td><td>000013-2021-00123</td>"
            "<td>主题分类：</td><td>综合政务\\其他</td></tr>"
            "<tr><td>发文机关：</td><td>某某市人民政府</td><td>成文日期：</td><td>2021年5月20日</td></tr>"
            "<tr><td>标 &nbsp; &nbsp; &nbsp;题：</td><td colspan='3'>关于印发某某管理办法的通知</td></tr>"
            "<tr><td>发文字号：</td><td>某府规〔2021〕11号</td><td>发布日期：</td><td>2021-05-25</td></tr>"
            "<tr><td>有 效 性：</td><td>有效</td><td>主 题 词：</td><td></td></tr></table>"
            "<h1>关于印发某某管理办法的通知</h1>" + GOV_BODY + "</body></html>")
    m = meta(html)
    assert m["document"] == {
        "index_no": "000013-2021-00123", "category": "综合政务\\其他", "issuer": "某某市人民政府",
        "doc_number": "某府规〔2021〕11号", "written_at": "2021-05-20", "published_at": "2021-05-25",
        "validity": "有效", "subject_words": None, "title": "关于印发某某管理办法的通知",
    }
    # the empty 主题词 cell does not take the heading below the table as its value
    assert m["published_at"] == "2021-05-25T00:00:00+08:00"
    assert m["title"] == "关于印发某某管理办法的通知"


def test_facts_in_a_definition_list_with_ascii_colons():
    html = ("<html><body><dl class='xxgk'><dt>索引号:</dt><dd>11440700-2022-00056</dd><dt>分　类:</dt><dd>通知公告</dd>"
            "<dt>发布机构:</dt><dd>某某市科学技术局</dd><dt>发文日期:</dt><dd>2022-03-01</dd>"
            "<dt>文 号:</dt><dd>某科〔2022〕5号</dd><dt>是否有效:</dt><dd>是</dd></dl>"
            "<div class='title'>关于开展科技项目申报的通知</div>" + GOV_BODY + "</body></html>")
    d = meta(html)["document"]
    assert d["index_no"] == "11440700-2022-00056" and d["category"] == "通知公告"
    assert d["issuer"] == "某某市科学技术局" and d["doc_number"] == "某科〔2022〕5号"
    assert d["written_at"] == "2022-03-01" and d["validity"] == "是" and d["published_at"] is None


def test_facts_on_one_line_in_divs_and_the_facts_title_wins():
    html = ("<html><head><title>网站首页</title></head><body><h1 style='display:none'>某某区政府网</h1>"
            "<div class='info'><span>索引号：A-1</span> <span>发布机构：某某局</span>"
            "<span>发布日期：2020-01-02 10:11</span></div><div>标题：某某局关于做好防汛工作的通知</div>"
            + GOV_BODY + "</body></html>")
    m = meta(html)
    assert m["document"]["index_no"] == "A-1" and m["document"]["issuer"] == "某某局"
    assert m["published_at"] == "2020-01-02T10:11:00+08:00"
    assert m["title"] == "某某局关于做好防汛工作的通知"


def test_news_page_has_no_document():
    html = ("<html><body><h1>市政府召开常务会议研究部署重点工作</h1><p>发布日期：2020-01-02 来源：某市日报</p>"
            "<p>会上，发文机关：这一说法出现在正文里，不是事实表。</p>" + PARA + "</body></html>")
    assert meta(html)["document"] is None


# --- titles by agreement -----------------------------------------------------------
def test_hidden_logo_h1_is_never_the_title():
    html = ("<html><head><title>市区举办秋季招聘会 - 某某新闻网</title></head><body>"
            "<h1 style='display:none'>某某新闻网</h1><div class='article-title'>市区举办秋季招聘会</div>"
            + PARA + "</body></html>")
    assert meta(html)["title"] == "市区举办秋季招聘会"


def test_logo_h1_with_the_site_name_loses_to_the_agreeing_heading():
    html = ("<html><head><title>市区举办秋季招聘会_要闻_某某新闻网</title></head><body>"
            "<h1><a href='/'>某某新闻网</a></h1><h2>市区举办秋季招聘会</h2>" + PARA + "</body></html>")
    assert meta(html)["title"] == "市区举办秋季招聘会"


def test_site_suffixes_split_off_without_spaces():
    for title in ("市区举办秋季招聘会-某某网", "市区举办秋季招聘会 东区办事处", "市区举办秋季招聘会 · 某某网",
                  "某某网 » 市区举办秋季招聘会", "某某网--新闻--市区举办秋季招聘会"):
        html = f"<html><head><title>{title}</title></head><body>" + PARA + "</body></html>"
        assert meta(html)["title"] == "市区举办秋季招聘会", title


def test_no_markup_or_entities_in_titles():
    html = ("<html><head><meta property='og:title' content='&lt;b&gt;市区举办&amp;quot;秋季&amp;quot;招聘会&lt;/b&gt;'>"
            "<title>市区举办&quot;秋季&quot;招聘会&nbsp;| 某某网</title></head><body>" + PARA + "</body></html>")
    assert meta(html)["title"] == '市区举办"秋季"招聘会'


def test_bold_title_slot_of_a_table_layout_when_the_page_title_is_a_greeting():
    html = ("<html><head><title>欢迎访问本站</title></head><body><table><tr><td><b>栏目导航</b></td></tr>"
            "<tr><td><font size='5'><b>老城区改造的十年回顾</b></font></td></tr>"
            "<tr><td>2005-07-05 21:23</td></tr><tr><td>" + PARA + "</td></tr></table></body></html>")
    assert meta(html)["title"] == "老城区改造的十年回顾"


def test_wrapper_title_attribute_is_a_candidate():
    html = ("<html><body><text id='http://example.cn/a' title='老城区改造的十年回顾 某人的博客'>"
            "<div class='post'><a id='TitleUrl'>老城区改造的十年回顾</a>" + PARA + "</div></text></body></html>")
    assert meta(html)["title"] == "老城区改造的十年回顾"


# --- date / source / author lines anywhere in the header area --------------------
PLAIN = "<p>城市更新工作稳步推进，各方面进展顺利，市民普遍表示满意，相关部门将继续做好后续工作。</p>" * 4


def test_us_and_english_ordinal_dates():
    assert iso(parse_datetime("7/5/2005 9:23:57 PM")) == "2005-07-05T21:23:57+08:00"
    assert iso(parse_datetime("Saturday, September 10th, 2005 10:56 am")) == "2005-09-10T10:56:00+08:00"


def test_label_alone_on_its_line_takes_the_next_line():
    html = ("<html><head><title>老城区改造的十年回顾</title></head><body><h2>老城区改造的十年回顾</h2>"
            "<table><tr><td>发布日期：</td><td>7/5/2005 9:23:57 PM</td></tr>"
            "<tr><td>来源：</td><td>某某晚报</td></tr></table>" + PLAIN + "</body></html>")
    m = meta(html)
    assert m["published_at"] == "2005-07-05T21:23:57+08:00" and m["source"] == "某某晚报"


def test_unlabelled_info_line_with_site_and_quoted_outlet():
    html = ("<html><head><title>老城区改造的十年回顾_新闻_某网</title></head><body><h1>老城区改造的十年回顾</h1>"
            "<div>http://www.example.net 2005年03月21日 11:21 《理财周刊》</div>" + PLAIN + "</body></html>")
    m = meta(html)
    assert m["source"] == "理财周刊" and m["published_at"] == "2005-03-21T11:21:00+08:00"


def test_reprint_placeholder_gives_way_to_the_named_outlet():
    html = ("<html><head><title>老城区改造的十年回顾</title></head><body><h1>老城区改造的十年回顾</h1>"
            "<div>2005-02-06 13:26更新 来源：转载文章</div>" + PLAIN + "<p>来源：某某晨报</p></body></html>")
    assert meta(html)["source"] == "某某晨报"
    alone = html.replace("<p>来源：某某晨报</p>", "")
    assert meta(alone)["source"] == "转载文章"  # nothing better on the page: kept as shown


def test_closing_credit_line_names_the_source():
    html = ("<html><head><title>显示</title></head><body><p><font><strong>犬儒的病理</strong></font></p>"
            + PLAIN + "<p>——《某某之春》1998年3月号</p></body></html>")
    assert meta(html)["source"] == "某某之春"


def test_posted_line_and_forum_post_line():
    blog = ("<html><head><title>很高兴来到这里</title></head><body><h2>很高兴来到这里</h2>" + PLAIN +
            "<div>发表于 2004年12月27日 12:40 - (阅读:3727;评论:63)</div></body></html>")
    assert meta(blog)["published_at"] == "2004-12-27T12:40:00+08:00"
    forum = ("<html><head><title>关于亲子的演讲</title></head><body><h2>关于亲子的演讲</h2>" + PLAIN +
             "<p>本贴由大卫于2005年8月12日16:12:21在〖心灵体操〗发表.</p></body></html>")
    assert meta(forum)["author"] == "大卫"


def test_author_line_below_the_article_and_sign_off():
    html = ("<html><head><title>老城区改造的十年回顾</title></head><body><h1>老城区改造的十年回顾</h1>" + PLAIN +
            "<p>作者：宋某 杨某某</p></body></html>")
    assert meta(html)["author"] == "宋某 杨某某"
    signed = ("<html><head><title>老城区改造的十年回顾</title></head><body><h1>老城区改造的十年回顾</h1>" + PLAIN +
              "<p>（袁某某）</p><p>（完）</p></body></html>")
    assert meta(signed)["author"] == "袁某某"


def test_meta_author_that_is_a_publisher_or_the_site_is_not_the_author():
    for who in ("大汉网络", "某某出版社,Some Publishers", "某某网", "网络编辑"):
        html = (f"<html><head><meta name='author' content='{who}'><title>老城区改造的十年回顾 - 某某网</title></head>"
                "<body><h1>老城区改造的十年回顾</h1><p>城市更新工作稳步推进，各方面进展顺利，市民普遍表示满意。</p></body></html>")
        assert meta(html)["author"] is None, who
    html = ("<html><head><meta name='author' content='张三'><title>老城区改造的十年回顾 - 某某网</title></head>"
            "<body><h1>老城区改造的十年回顾</h1><p>城市更新工作稳步推进，各方面进展顺利，市民普遍表示满意。</p></body></html>")
    assert meta(html)["author"] == "张三"


def test_heading_above_the_date_line_wins_over_breadcrumb_and_subheads():
    html = ("<html><head><title>新闻动态--某某学会官网</title></head><body>"
            "<h3>首页 - 新闻动态</h3><div class='side'><p>学会秘书处提醒各位会员，请于本月底之前完成年度会费的缴纳工作，谢谢配合。</p></div>"
            "<h5>年度学术年会在某某大学成功举行！</h5><div>发布时间：2019-05-18 来源：某某学会</div>"
            "<p><span style='font-weight:bold'>大会开幕式</span></p>" + PLAIN + "</body></html>")
    m = meta(html)
    assert m["title"] == "年度学术年会在某某大学成功举行！"
    assert m["published_at"] == "2019-05-18T00:00:00+08:00" and m["source"] == "某某学会"


def test_visible_time_before_machine_fields_and_ambiguous_day_month():
    html = ("<html><head><meta property='article:published_time' content='2018-12-28T19:56:29+08:00'>"
            "<title>老城区改造的十年回顾_新闻</title></head><body><h1>老城区改造的十年回顾</h1>"
            "<div>2018-12-28 19:55 来源：某某报</div>" + PLAIN + "</body></html>")
    assert meta(html)["published_at"] == "2018-12-28T19:55:00+08:00"
    # "06/02/2022" could be June or February: the machine field decides
    html = ("<html><head><meta property='article:published_time' content='2022-02-06T12:48:06Z'>"
            "<title>老城区改造的十年回顾</title></head><body><h1>老城区改造的十年回顾</h1>"
            "<div>06/02/2022 - 13:48</div>" + PLAIN + "</body></html>")
    assert meta(html)["published_at"] == "2022-02-06T12:48:06+00:00"


def test_date_line_above_a_repeated_title():
    html = ("<html><head><title>某某法-纪检</title></head><body><div>■ 纪检监察</div>"
            "<div class='t'>某某法</div><div>来源:</div><div>| 发布时间: 2018-05-17 | 浏览次数: 2168</div>"
            "<div class='c'><p><strong>某某法</strong></p>" + PLAIN + "</div></body></html>")
    assert meta(html)["published_at"] == "2018-05-17T00:00:00+08:00"


def test_outlet_alone_below_the_date_line():
    html = ("<html><head><title>老城区改造的十年回顾_财经</title></head><body><h1>老城区改造的十年回顾</h1>"
            "<div>2019-09-26 10:56:28</div><div>某某时报网</div>" + PLAIN + "</body></html>")
    m = meta(html)
    assert m["source"] == "某某时报网" and m["published_at"] == "2019-09-26T10:56:28+08:00"


def test_source_and_date_in_an_info_line_below_the_article():
    html = ("<html><head><title>老城区改造的十年回顾</title></head><body><h1>老城区改造的十年回顾</h1>" + PLAIN +
            "<div>标签：</div><div>版权声明 来源：某某商报 时间：2019-09-23 14:34:05 作者：</div></body></html>")
    m = meta(html)
    assert m["source"] == "某某商报" and m["published_at"] == "2019-09-23T14:34:05+08:00"
    assert m["author"] is None  # an empty 作者 field invents nothing


def test_source_stops_before_comment_counter_and_author_desk_prefix():
    html = ("<html><head><title>老城区改造的十年回顾</title></head><body><h1>老城区改造的十年回顾</h1>"
            "<div>http://biz.example.com 2005-04-25 08:24:06 来源: 某某日报 网友评论 0 条</div>" + PLAIN +
            "<p>采写：南都记者 余某某 向某某</p></body></html>")
    m = meta(html)
    assert m["source"] == "某某日报" and m["author"] == "余某某 向某某"


def test_editor_with_bar_or_slash_separators():
    for line in ("责编|陈某某", "摄影/张某 编辑/苏某某"):
        html = ("<html><head><title>老城区改造的十年回顾</title></head><body><h1>老城区改造的十年回顾</h1>" + PLAIN +
                f"<p>{line}</p></body></html>")
        assert meta(html)["editor"] == line.rsplit("|", 1)[-1].rsplit("/", 1)[-1], line


def test_name_alone_under_the_title_is_the_byline():
    for name in ("胡某", "赵某东、风某天", "duscha"):
        html = ("<html><head><title>老城区改造的十年回顾</title></head><body><p><b>老城区改造的十年回顾</b></p>"
                f"<p>{name}</p>" + PLAIN + "</body></html>")
        assert meta(html)["author"] == name, name
    for not_a_name in ("相关专题", "返目录", "首页", "新华网"):
        html = ("<html><head><title>老城区改造的十年回顾</title></head><body><p><b>老城区改造的十年回顾</b></p>"
                f"<p>{not_a_name}</p>" + PLAIN + "</body></html>")
        assert meta(html)["author"] is None, not_a_name


def test_other_bylines():
    base = "<html><head><title>老城区改造的十年回顾</title></head><body><h1>老城区改造的十年回顾</h1>"
    assert meta(base + PLAIN + "<p>执笔人：闵某某 赵某某</p></body></html>")["author"] == "闵某某 赵某某"
    assert meta(base + "<p>ggjjzhzz 发表于 2005-9-15 11:46:00</p>" + PLAIN + "</body></html>")["author"] == "ggjjzhzz"
    assert meta(base + PLAIN.replace("工作。</p>", "工作。（姚某 上海报道）</p>", 1) + "</body></html>")["author"] == "姚某"


def test_post_time_line_without_colon_and_the_time_of_a_date_only_line():
    base = "<html><head><title>老城区改造的十年回顾</title></head><body><h1>老城区改造的十年回顾</h1>"
    forum = base + PLAIN + "<p>〓 某某论坛 发布时间 2005/05/17 22:11:42 by 某人 〓</p></body></html>"
    assert meta(forum)["published_at"] == "2005-05-17T22:11:42+08:00"
    day_only = base + "<div>2015-11-05</div>" + PLAIN + "<span>发布于：2015-11-05 11:34</span></body></html>"
    assert meta(day_only)["published_at"] == "2015-11-05T11:34:00+08:00"
    other_day = base + "<div>2015-11-05</div>" + PLAIN + "<span>发布于：2016-01-02 11:34</span></body></html>"
    assert meta(other_day)["published_at"] == "2015-11-05T00:00:00+08:00"


def test_forum_title_after_a_subject_label_and_author_mid_line():
    html = ("<html><head><title>某某论坛 :: null</title></head><body><div class='nav'>&gt; 某某论坛</div>"
            "<table><tr><td class='large'><b>主题：</b><br>导游为什么那么热衷于让你去购物？</td></tr>"
            "<tr><td>作者：某某凡凡 时间：2005-08-22 19:13:18</td></tr><tr><td>" + PLAIN + "</td></tr></table></body></html>")
    m = meta(html)
    assert m["title"] == "导游为什么那么热衷于让你去购物？"
    assert m["published_at"] == "2005-08-22T19:13:18+08:00" and m["author"] == "某某凡凡"
    html = ("<html><head><title>老城区改造的十年回顾</title></head><body><h1>老城区改造的十年回顾</h1>"
            "<div>02日14:25 作者： 赵某</div>" + PLAIN + "</body></html>")
    assert meta(html)["author"] == "赵某"


def test_author_label_alone_with_name_and_affiliation_on_the_next_line():
    html = ("<html><head><title>某某问题的对策研究</title></head><body><h1>某某问题的对策研究</h1>"
            "<div>作者:</div><div>赵 某：某某物资学院，北京</div><div>关键词:</div><div>物流</div>" + PLAIN + "</body></html>")
    assert meta(html)["author"] == "赵某"


def test_facts_rows_above_the_title_and_the_info_line_time():
    html = ("<html><head><title>关于开展科技项目申报的通知_某某市科学技术局</title></head><body><div class='article'>"
            "<div class='facts'><div><span>索 引 号:</span><span>A-2024-1</span></div>"
            "<div><span>成文日期:</span><span>2024-06-14</span></div>"
            "<div><span>名&nbsp;&nbsp;称:</span><span>关于开展科技项目申报的通知</span></div>"
            "<div><span>文&nbsp;&nbsp;号:</span><span>某科〔2024〕12号</span></div>"
            "<div><span>发布日期:</span><span>2024-06-20</span></div></div>"
            "<h1>关于开展科技项目申报的通知</h1><div>发布时间：2024-06-20 10:00:00 来源：某某市科学技术局</div>"
            + GOV_BODY + "</div></body></html>")
    m = meta(html)
    assert m["document"]["written_at"] == "2024-06-14" and m["document"]["published_at"] == "2024-06-20"
    assert m["published_at"] == "2024-06-20T10:00:00+08:00"  # never the written date
    assert m["source"] == "某某市科学技术局"


def test_one_pass_index_selects_what_the_heading_xpath_selects():
    from archive.extract.lines import _page_index
    from archive.extract.title import _HEAD_XPATH

    html = ("<html><head><title>t</title></head><body><div id='PageTitle'>a</div><h3>b</h3>"
            "<span class='news-HEADING'>c</span><p class='bt_x'>d</p><td class='biaoti'>e</td>"
            "<div class='Title2'><h1>f</h1></div><p class='subtitle'>g</p><p id='key_word'><a>k</a></p>"
            "<div class='keywords'>k2</div><span id='author_baidu'>张三</span><p>plain</p></body></html>")
    tree = parse_html(html)
    index = _page_index(tree)
    assert index["heads"] == tree.xpath(_HEAD_XPATH)
    assert [e.get("id") or e.get("class") for e in index["kw"]] == ["key_word", "keywords"]
    assert [e.text for e in index["cms"]["author_baidu"]] == ["张三"]


def test_element_lines_from_the_page_rendering_equal_rendering_alone():
    from archive.extract.render import _element_lines, element_lines, lines_memo

    html = ("<html><body><div>前言<p>第一段<b>加粗</b>尾巴</p>外部<table><tr><td>甲</td><td>乙</td></tr></table>"
            "<script>x()</script><ul><li>一</li><li>二<br>三</li></ul><span>\n<p>段\n中</p>\n</span><font>  </font></div>"
            "尾<select><option>选项</option></select><i>\n</i></body></html>")
    tree = parse_html(html)
    with lines_memo():
        for el in tree.iter():
            assert element_lines(el) == _element_lines(el)
        # a copy handed out is the caller's to change
        body = tree.find(".//body")
        element_lines(body).append("x")
        assert element_lines(body) == _element_lines(body)


def test_time_attribute_of_the_article_wrapper_refines_the_day_shown():
    body = ("<body><div class='post' data-ptime='2019-05-17 20:02:46'><h1>某地交通管制通告今日发布实施</h1>"
            "<p class='time'><span>2019-05-17</span> · <span>某某城市报道</span></p>" + PARA + "</div></body>")
    assert meta("<html>" + body + "</html>")["published_at"] == "2019-05-17T20:02:46+08:00"
    # a time of another day does not replace the day the page shows
    other = body.replace("2019-05-17 20:02:46", "2019-05-20 08:00:00")
    assert meta("<html>" + other + "</html>")["published_at"] == "2019-05-17T00:00:00+08:00"


def test_wechat_article_time_from_the_template_variable():
    page = ("<html><head><script>var nickname = \"某号\";\n var ct = \"1581517074\";</script></head><body>"
            "<h1 class='rich_media_title'>一篇公众号文章的标题</h1><span>昨天</span>"
            "<div class='rich_media_content ' id='js_content'>" + PARA + "</div></body></html>")
    assert meta(page)["published_at"] == "2020-02-12T22:17:54+08:00"
    # the same variable on a page that is not the WeChat template is nothing
    plain = page.replace("id='js_content'", "id='content'")
    assert meta(plain)["published_at"] is None


PROSE = ("<p>与会代表认为，氢能产业链条长、带动作用强，需要在制氢、储运、加注等环节协同推进，多地已经出台扶持政策。</p>"
         "<p>业内人士表示，今年以来相关项目陆续落地，产业规模持续扩大，配套设施建设也在加快推进之中。</p>") * 2


def test_name_prefixed_title_with_the_bare_title_and_the_name_under_it():
    page = ("<html><head><title>某站</title></head><body><table><tr><td><b>王小明：我的一次远行</b></td></tr>"
            "<tr><td>作者：</td></tr><tr><td>2005-07-05</td></tr></table>"
            "<p>我的一次远行</p><p>王小明</p>" + PROSE + "</body></html>")
    m = meta(page)
    assert m["title"] == "王小明：我的一次远行"
    assert m["author"] == "王小明"
    # the prefix alone (no bare title with the name under it) names nobody
    bare = page.replace("<p>我的一次远行</p><p>王小明</p>", "")
    assert meta(bare)["author"] is None


def test_consecutive_byline_lines_give_one_list_of_names():
    page = ("<html><body><h1>城区旧房拆除屡出事故谁来担责</h1><p>本报实习生 甲乙丙 丁戊</p><p>本报记者 己庚 辛壬癸</p>"
            "<p>2003-7-24</p>" + PROSE + "</body></html>")
    assert meta(page)["author"] == "甲乙丙、丁戊、己庚、辛壬癸"
    one = page.replace("<p>本报实习生 甲乙丙 丁戊</p>", "")
    assert meta(one)["author"] == "己庚 辛壬癸"  # one line: as the page shows it


def test_dispatch_byline_names_run_together_or_separated():
    page = ("<html><body><h1>经济学人分析中国经济热度</h1><p>2005-04-25</p><p>本报记者罗科苏盈发自北京</p>"
            + PROSE + "</body></html>")
    assert meta(page)["author"] == "罗科、苏盈"
    spaced = page.replace("罗科苏盈", " 张三 李四 ")
    assert meta(spaced)["author"] == "张三 李四"  # separated: as the page shows it
    assert meta(page.replace("罗科苏盈", "王明"))["author"] == "王明"
    # four characters that are not two surnamed names, or a compound surname: never split
    assert meta(page.replace("罗科苏盈", "欧阳小明"))["author"] == "欧阳小明"
    assert meta(page.replace("罗科苏盈", "一二三四"))["author"] is None
    # a dispatch phrase inside a sentence is no byline
    prose = page.replace("<p>本报记者罗科苏盈发自北京</p>", "<p>据本报记者罗科苏盈发自北京的消息，会议于昨日召开，多位专家出席并发言。</p>")
    assert meta(prose)["author"] is None


def test_writer_credit_closing_a_paragraph():
    page = ("<html><body><h1>社区开展金融知识宣传活动</h1><p>2019-09-23</p>" + PROSE +
            "<p>活动中，志愿者们向市民普及了防范电信诈骗的基本知识。(文/图 张小三 李小四)</p></body></html>")
    assert meta(page)["author"] == "张小三 李小四"
    # a credit in mid-paragraph or not closing a sentence is no byline
    mid = page.replace("知识。(文/图 张小三 李小四)", "知识(文/图 张小三 李小四)")
    assert meta(mid)["author"] is None


def test_forum_poster_over_the_first_user_panel():
    page = ("<html><body><h1>一件奇怪的事情发生在我们小区里面</h1><p>社区首页 &gt; 奇闻异事</p><table><tr><td>"
            "<p>abc_123</p><p>级别：入学了</p><p>积分：235</p></td><td>" + PROSE + "</td></tr>"
            "<tr><td><p>另一人</p><p>级别：大学</p><p>积分：900</p></td><td><p>回复内容。</p></td></tr></table></body></html>")
    assert meta(page)["author"] == "abc_123"
    # one stats-like line is no user panel
    assert meta(page.replace("<p>积分：235</p>", "").replace("<p>积分：900</p>", ""))["author"] is None


BODY = "<p>城市更新条例今年施行，老旧小区改造、街区微更新和历史建筑保护都有了明确的规则与资金渠道。</p>" * 4


def test_author_from_author_markup_link_or_box():
    # a blog post: the author archive link "?author=N" (its category links carry more parameters)
    html = ("<html><body><h1>春天的江南小镇游记</h1><div class='post'>"
            "<a href='/?author=7' title='[青柳]的博客'>青柳</a>" + BODY + "</div><div>分类："
            "<a href='/?cat=2&author=7'>随笔</a> <a href='/?cat=3&author=7'>旅行</a></div></body></html>")
    assert meta(html)["author"] == "青柳"
    # an account box by class name, its follow button left out
    html = ("<html><body><h1>春天的江南小镇游记</h1><div class='article-author'><img src='a.jpg'>"
            "<div class='name'>江城观察</div><div class='btn'>关注</div></div>" + BODY + "</body></html>")
    assert meta(html)["author"] == "江城观察"
    html = ("<html><body><h1>春天的江南小镇游记</h1><p class='byline'>By <a rel='author' href='/people/lin'>林小河</a></p>"
            + BODY + "</body></html>")
    assert meta(html)["author"] == "林小河"


def test_author_markup_in_comments_sidebars_lists_or_buttons_is_not_the_author():
    # a comment's poster linked to their author page
    html = ("<html><body><h1>春天的江南小镇游记</h1>" + BODY + "<ul>"
            + "".join(f"<li><a href='/?author={i}'>网友{i}号</a> 回复：写得很好，下次我也想去那里看看风景。</li>" for i in range(3))
            + "</ul><div class='comment-list'><a href='/?author=9'>路人甲</a></div></body></html>")
    assert meta(html)["author"] is None
    # a sidebar box of recommended authors, and a nav link to the author list page
    html = ("<html><body><nav><a href='/authors/'>专栏作者</a></nav><h1>春天的江南小镇游记</h1>" + BODY
            + "<div class='author-recommend'><a href='/author/wang/'>王一</a><a href='/author/li/'>李二</a></div></body></html>")
    assert meta(html)["author"] is None
    # two different authors marked outside any such box: no single byline, nothing taken
    html = ("<html><body><h1>春天的江南小镇游记</h1>" + BODY + "<p>本文由<span class='author'>王一</span>"
            "采写，<span class='author'>李二</span>参与了资料整理与核对工作。</p></body></html>")
    assert meta(html)["author"] is None
    # a class that only contains the word ("authorized") marks no author
    html = ("<html><body><h1>春天的江南小镇游记</h1>" + BODY + "<div class='pop'><span class='authorized'>我已授权</span>"
            "<p>授权后即可在个人中心查看与管理所有的订阅内容。</p></div></body></html>")
    assert meta(html)["author"] is None
