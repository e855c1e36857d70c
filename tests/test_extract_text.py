"""Body text on whole synthetic pages: government document templates (facts
table + body + attachments), legacy table layouts, footer notices, hidden
bodies.  Every page here is hand-written for the rule it tests."""
import pytest

from archive.extract import extract, parse_html
from archive.extract.text import prose_blocks

GOV_BODY = [
    "各区人民政府，市政府各委、办、局：",
    "现将《上海市促进中小企业数字化转型实施办法》印发给你们，请认真按照执行。",
    "一、总体要求。坚持问题导向和需求牵引，以数据要素为驱动，以场景应用为抓手，推动中小企业加快数字化转型，"
    "到2027年，全市规模以上工业中小企业基本实现数字化转型全覆盖。",
    "二、主要任务。支持平台企业和服务商面向中小企业提供低成本、轻量化、模块化的数字化产品和服务，"
    "鼓励各区设立专项资金，对完成数字化改造的中小企业给予补贴。",
    "三、保障措施。各区、各部门要加强组织领导，明确责任分工，强化政策协同，确保各项任务落到实处。",
    "本办法自2024年6月1日起施行，有效期至2029年5月31日。",
]
TITLE = "上海市人民政府关于印发《上海市促进中小企业数字化转型实施办法》的通知"
FACT_VALUES = ["SY0000201001234567", "沪府规〔2024〕5号", "综合政务", "2024年05月15日"]


def _facts_table(sp="&nbsp;&nbsp;", colon="："):
    return (
        "<table class='xxgk_table'>"
        f"<tr><td>索{sp}引{sp}号{colon}</td><td>SY0000201001234567</td><td>主题分类{colon}</td><td>综合政务</td></tr>"
        f"<tr><td>发文机关{colon}</td><td>上海市人民政府</td><td>成文日期{colon}</td><td>2024年05月10日</td></tr>"
        f"<tr><td>标&nbsp; &nbsp; &nbsp;题{colon}</td><td colspan='3'>{TITLE}</td></tr>"
        f"<tr><td>发文字号{colon}</td><td>沪府规〔2024〕5号</td><td>发布日期{colon}</td><td>2024年05月15日</td></tr>"
        f"<tr><td>有{sp}效{sp}性{colon}</td><td>有效</td></tr></table>"
    )


def _facts_dl():
    rows = [("索 &nbsp;引 号", "SY0000201001234567"), ("分　　类", "综合政务"), ("发文机关", "上海市人民政府"),
            ("成文日期", "2024年05月10日"), ("标 &nbsp; &nbsp; &nbsp;题", TITLE), ("发文字号", "沪府规〔2024〕5号"),
            ("发布日期", "2024年05月15日")]
    return "<dl class='facts'>" + "".join(f"<dt>{k}:</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"


def _facts_divs():
    # 江门-style notice: one div per row, label and value in spans, two per row
    rows = [("索 引 号", "SY0000201001234567", "分 &nbsp; &nbsp;类", "综合政务"),
            ("发布机构", "江门市人民政府办公室", "成文日期", "2024-05-10"),
            ("名 &nbsp; &nbsp;称", TITLE, "", ""),
            ("文 &nbsp; &nbsp;号", "沪府规〔2024〕5号", "发布日期", "2024-05-15")]
    out = "<div class='xxgk-info'>"
    for a, av, b, bv in rows:
        out += f"<div class='row'><span class='lab'>{a}：</span><span>{av}</span>"
        if b:
            out += f"<span class='lab'>{b}：</span><span>{bv}</span>"
        out += "</div>"
    return out + "</div>"


def gov_page(facts: str, body=GOV_BODY, short_body=False) -> bytes:
    paras = body[:2] if short_body else body
    return (
        "<html><head><meta charset='utf-8'><title>" + TITLE + "_上海市人民政府</title></head><body>"
        "<div class='nav'><a href='/'>首页</a> <a href='/zc'>政策</a> <a href='/gk'>信息公开</a></div>"
        "<div class='main'>" + facts
        + "<h1 class='title'>" + TITLE + "</h1>"
        "<div class='Article_content' id='ivs_content'>" + "".join(f"<p>{p}</p>" for p in paras)
        + "<p style='text-align:right'>上海市人民政府</p><p style='text-align:right'>2024年5月10日</p></div>"
        "<div class='attachments'><p>附件：</p><ul><li><a href='a1.pdf'>1. 实施办法解读材料.pdf</a></li></ul></div>"
        "</div><div class='footer'>主办：上海市人民政府办公厅 沪ICP备12004267号</div></body></html>"
    ).encode("utf-8")


@pytest.mark.parametrize("facts", [
    _facts_table(), _facts_table(sp=" &nbsp;", colon=":"), _facts_table(sp="\u3000"), _facts_dl(), _facts_divs(),
], ids=["table", "table-ascii-colon", "table-ideographic-space", "dl", "divs"])
def test_government_facts_table_is_never_the_body(facts):
    text = extract(gov_page(facts), "https://www.shanghai.gov.cn/nw12344/20240515/abc.html")["text"]
    for p in GOV_BODY:
        assert p in text, text
    for v in FACT_VALUES:
        assert v not in text, text
    for label in ("索引号", "索 引 号", "发文字号", "成文日期", "主题分类", "有效性"):
        assert label not in text


@pytest.mark.parametrize("facts", [_facts_table(sp=" &nbsp;"), _facts_divs()], ids=["table", "divs"])
def test_facts_table_does_not_win_over_a_short_body(facts):
    text = extract(gov_page(facts, short_body=True))["text"]
    assert GOV_BODY[1] in text
    assert not any(v in text for v in FACT_VALUES), text


def test_a_paragraph_that_mentions_a_label_is_kept():
    body = GOV_BODY + ["申请人应在申请表中写明文件的索引号、发文字号和成文日期，以便查询。"]
    text = extract(gov_page("", body=body))["text"]
    assert body[-1] in text


# --- legacy table layouts (2003-2006 portals) -------------------------------------
LEGACY_PARAS = [
    "本报讯 昨日，市交通局召开新闻发布会，宣布今年将新开通公交线路十二条，调整优化线路二十条，方便市民出行。",
    "据介绍，新开通的线路主要集中在城市东部和北部的新建居住区，这些地区的居民此前反映乘车不便，需要步行较远距离。",
    "市交通局有关负责人表示，线路调整将分批实施，每次调整前都会提前十天向社会公告，并在站点张贴告示，请市民留意。",
]


def legacy_page(paras=LEGACY_PARAS) -> bytes:
    nav = "".join(f"<td><a href='/c{i}/'>{w}</a></td>" for i, w in enumerate(
        ["首页", "新闻中心", "本地新闻", "国内新闻", "国际新闻", "体育", "娱乐", "财经", "房产", "论坛"]))
    related = "".join(
        f"<tr><td>·<a href='/n/{i}.htm'>{t}</a>（2005-04-0{i} 17:19）</td></tr>"
        for i, t in enumerate(["市区新增三条夜班公交线路", "公交卡充值网点增加到八十个", "地铁二号线年底试运行"], 1))
    body = "<br>\n".join("　　" + p for p in paras)
    html = (
        "<html><head><meta http-equiv='Content-Type' content='text/html; charset=gb2312'>"
        "<title>我市将新开通十二条公交线路_本地新闻_某某新闻网</title></head><body>"
        "<table width='100%'><tr><td><img src='logo.gif'></td><td>欢迎访问某某新闻网</td></tr></table>"
        f"<table width='760' border='0'><tr>{nav}</tr></table>"
        "<table width='760'><tr><td width='180' valign='top'>"
        "<table><tr><td>热点专题</td></tr><tr><td><a href='/zt/1'>创建文明城市</a></td></tr>"
        "<tr><td><a href='/zt/2'>两会专题报道</a></td></tr></table></td>"
        "<td width='580' valign='top'><table width='100%'>"
        "<tr><td align='center'><b>我市将新开通十二条公交线路</b></td></tr>"
        "<tr><td align='center'>发布日期：2005-04-05 06:40　来源：某某日报　责任编辑：王五</td></tr>"
        f"<tr><td class='content'>{body}</td></tr>"
        "<tr><td align='right'>【<a href='javascript:window.print()'>打印本页</a>】 【<a href='javascript:window.close()'>关闭窗口</a>】</td></tr>"
        "<tr><td>（本文编辑 赵六）</td></tr>"
        "</table><table width='100%'><tr><td>相关新闻：</td></tr>" + related + "</table></td></tr></table>"
        "<table width='760'><tr><td>反侵权公告</td></tr>"
        "<tr><td>本网站所刊登的各种新闻、信息和各种专题专栏资料，均为本网版权所有，未经协议授权，禁止下载使用。</td></tr>"
        "<tr><td>本网常年法律顾问：某某律师事务所 张律师 电话：0123-88886666</td></tr>"
        "<tr><td>关于我们 | 广告服务 | 联系我们 | 网站地图</td></tr></table>"
        "</body></html>"
    )
    return html.encode("gb18030")


def test_legacy_table_layout_gives_the_paragraphs_only():
    text = extract(legacy_page(), "http://news.example.com.cn/2005/04/05/a.htm")["text"]
    lines = text.splitlines()
    assert lines == LEGACY_PARAS, text
    assert "|" not in text


def test_legacy_table_footer_notice_never_leaks():
    text = extract(legacy_page())["text"]
    for furniture in ("反侵权公告", "律师", "0123-88886666", "打印本页", "关闭窗口", "责任编辑", "赵六", "相关新闻",
                      "夜班公交", "热点专题", "新闻中心"):
        assert furniture not in text, (furniture, text)


def test_a_data_table_inside_the_article_stays_with_the_prose():
    rows = "".join(f"<tr><td>{a}</td><td>{b}</td><td>{c}</td></tr>" for a, b, c in [
        ("线路", "起点", "终点"), ("801路", "东城客运站", "北湖公园"), ("802路", "火车站", "高新区管委会"),
        ("803路", "城北新村", "市第一医院")])
    paras = "".join(f"<p>{p}</p>" for p in LEGACY_PARAS)
    html = ("<html><body><div class='nav'><a href='/'>首页</a></div><div class='article'>" + paras
            + f"<table border='1'>{rows}</table></div></body></html>")
    text = extract(html.encode("utf-8"))["text"]
    for p in LEGACY_PARAS:
        assert p in text
    for cell in ("东城客运站", "高新区管委会", "市第一医院"):
        assert cell in text, text


# --- bodies trafilatura's heuristics skip --------------------------------------------
def _portal_chrome(inner: str) -> str:
    menu = "".join(f"<li><a href='/c/{i}'>频道{i}新闻</a></li>" for i in range(40))
    teasers = "".join(f"<li><a href='/n/{i}.html'>第{i}条要闻标题文字，点击查看详细内容</a><span>03-0{i % 9 + 1}</span></li>"
                      for i in range(30))
    return (
        "<html><head><title>交通运输部：打造区域综合立体交通网络-股票频道</title></head><body>"
        f"<div class='topbar'><ul>{menu}</ul></div>"
        "<div class='layout'><div class='w600'>" + inner + "</div>"
        f"<div class='w300'><h3>热门排行</h3><ul>{teasers}</ul></div></div>"
        "<div class='footer'><p>违法和不良信息举报电话：010-85650899 客服电话：010-85650688</p>"
        "<p>本站郑重声明：所载文章、数据仅供参考，投资有风险，选择需谨慎。</p></div></body></html>"
    )


BRIEF = ("据新华社9月26日消息，今日从交通运输部新闻发布会获悉，目前区域交通一体化建设各项工作取得积极成效，"
         "下一步将着力打造综合立体交通网络，实现相邻城市间基本形成“1.5小时交通圈”。")


def test_a_short_brief_in_portal_chrome_is_the_body():
    page = _portal_chrome(f"<div class='art_context'><div class='art_contextBox' style='height:500px'>"
                          f"<p style='text-indent:2em'>{BRIEF}</p>"
                          "<div style='text-align:right'>（责任编辑： HN666）</div></div></div>")
    text = extract(page.encode("utf-8"))["text"]
    assert text == BRIEF


def test_densest_prose_block_is_never_page_chrome():
    # the footer's disclaimer is longer than the brief; links (the teaser
    # list) and scripts do not count as prose
    footer_prose = "本站郑重声明：所载文章、数据仅供参考，投资有风险，选择需谨慎，据此操作风险自担，本站不承担任何责任。" * 3
    page = _portal_chrome(f"<div class='art_contextBox'><p>{BRIEF}</p>"
                          "<script>var a = '一段，很长，的脚本，文字。' + '再来一段，文字，。';</script></div>")
    page = page.replace("</body>", f"<div id='footer'><p>{footer_prose}</p></div></body>")
    container, runs = prose_blocks(parse_html(page))
    assert container.get("class") == "art_contextBox"
    assert runs == [BRIEF.replace(" ", "")]


WECHAT_PARAS = [
    "今天凌晨，某公司在旧金山举行发布会，正式发布新一代旗舰手机系列机型，包括三款新机。",
    "此次发布的三款手机配置十分出色，处理器采用两种方案，不同地区销售的版本将搭载不同的芯片。",
    "除此之外，全系将配备高分辨率、高刷新率屏幕，支持多种显示标准，但高刷新率只能在较低分辨率下开启。",
    "价格方面，基础版售价约合人民币六千三百元，高配版售价约合人民币七千元起，将于下月正式开售。",
]


@pytest.mark.parametrize("visibility", ["hidden", "visible"])
def test_wechat_article_body_in_sections(visibility):
    sections = "".join(f"<section style='margin-left:16px;line-height:1.75em;'><span>{p}</span></section>"
                       for p in WECHAT_PARAS)
    html = (
        "<html><head><meta property='og:title' content='新一代旗舰手机系列正式发布'></head><body>"
        "<div id='js_article' class='rich_media'><div class='rich_media_inner'>"
        "<h1 class='rich_media_title' id='activity-name'>新一代旗舰手机系列正式发布</h1>"
        "<div id='meta_content'><span id='copyright_logo'>原创</span><a id='js_name'>某科技</a></div>"
        f"<div class='rich_media_content' id='js_content' style='visibility: {visibility};'>{sections}</div>"
        "<div class='qr_code_pc'><p>微信扫一扫<br>关注该公众号</p></div>"
        "</div></div></body></html>"
    )
    text = extract(html.encode("utf-8"))["text"]
    assert text.splitlines() == WECHAT_PARAS, text


def test_facts_table_inside_a_site_body_selector_is_removed():
    from archive.siterules import Selectors

    rules = Selectors(body="div.main")
    text = extract(gov_page(_facts_table(sp=" &nbsp;")), rules=rules)["text"]
    assert GOV_BODY[2] in text
    assert not any(v in text for v in FACT_VALUES), text


def test_a_blog_calendar_widget_is_not_text():
    days = "".join("<tr>" + "".join(f"<td>{d if 0 < d <= 31 else ''}</td>" for d in range(w * 7 - 2, w * 7 + 5)) + "</tr>"
                   for w in range(5))
    calendar = "<table class='cal'><tr>" + "".join(f"<th>{d}</th>" for d in "日一二三四五六") + "</tr>" + days + "</table>"
    paras = "".join(f"<p>{p}</p>" for p in LEGACY_PARAS)
    html = ("<html><body><table><tr><td class='side'>" + calendar + "</td><td class='post'>" + paras
            + "</td></tr></table></body></html>")
    text = extract(html.encode("utf-8"))["text"]
    assert text.splitlines() == LEGACY_PARAS, text


def test_a_one_cell_table_row_is_a_plain_line():
    # forum layout: a grid whose rows fill one cell; the title row must be
    # recognised as the title, not kept as "| | 主题： … |"
    title = "你知道导游为什么热衷于让游客去各种商场购物吗？"
    rows = (f"<tr><td></td><td>主题： {title}</td></tr><tr><td></td><td>作者：某网友 时间：2005-08-22 19:13:18</td></tr>"
            f"<tr><td></td><td>{LEGACY_PARAS[0]}{LEGACY_PARAS[1]}</td></tr>")
    html = f"<html><head><title>{title}</title></head><body><table border='1'>{rows}</table></body></html>"
    text = extract(html.encode("utf-8"))["text"]
    assert text == LEGACY_PARAS[0] + LEGACY_PARAS[1], text


def test_facts_as_paragraphs_in_the_body_container_drop_only_the_facts():
    facts = ("<p><strong>索 引 号：</strong>SY0000201001234567</p><p><strong>分&nbsp;&nbsp;类：</strong>综合政务</p>"
             "<p><strong>发文字号：</strong>沪府规〔2024〕5号</p><p><strong>成文日期：</strong>2024年05月10日</p>")
    body = "".join(f"<p>{p}</p>" for p in GOV_BODY)
    html = ("<html><head><title>" + TITLE + "</title></head><body><div class='nav'><a href='/'>首页</a></div>"
            "<div class='content'>" + facts + body + "</div></body></html>")
    text = extract(html.encode("utf-8"))["text"]
    assert text.splitlines() == GOV_BODY, text


def test_select_compiles_each_selector_once_and_matches_lxml():
    """select() keeps lxml's own choice of translator (HTML for lxml.html
    elements, XML for plain etree ones) while compiling a selector once."""
    from lxml import etree

    from archive.extract import render

    page = parse_html("<html><body><DIV class='a'><p>x</p><input checked></DIV><div class='b'>y</div></body></html>")
    plain = etree.fromstring(etree.tostring(page), parser=etree.HTMLParser())
    render._SELECTORS.clear()
    for css in ("DIV.a p", "div.b", "input:checked", "p ~ div", "div[CLASS=a]"):
        for _ in range(3):
            assert render.select(page, css) == page.cssselect(css)
            assert render.select(plain, css) == plain.cssselect(css)
    assert render.select(plain, "DIV.a p") == [] and len(render.select(page, "DIV.a p")) == 1
    assert len(render._SELECTORS) == 10  # five selectors, two translators, each compiled once
    assert render.select(page, "div[") == [] and render.select(page, "div[") == []
    assert render._SELECTORS[("div[", "html")] is None


def test_extract_applies_each_site_selector_once_before_the_body(monkeypatch):
    """The fallback check and the metadata search read the same unchanged
    tree: a selector declared for several fields is evaluated once there."""
    from archive.extract import render
    from archive.siterules import Selectors

    calls = []
    real = render._select
    monkeypatch.setattr(render, "_select", lambda tree, css: calls.append(css) or real(tree, css))
    rules = Selectors(title="h1.t", date="div.info", source="div.info", author="div.info", editor="div.info",
                      body="div.body", keywords="div.kw a")
    page = ("<html><body><h1 class='t'>标题在这里</h1><div class='info'>来源：新华社 2024-05-01 10:00 作者：张三</div>"
            "<div class='body'><p>" + "正文内容，足够长的一段文字。" * 5 + "</p></div></body></html>")
    first = extract(page, "https://example.gov.cn/a.html", rules=rules)
    assert first["title"] == "标题在这里" and first["source"] == "新华社" and first["author"] == "张三"
    assert first["fallback"] == ["keywords"]  # the only selector matching nothing
    before_body = calls[:calls.index("div.body", calls.index("div.body") + 1)]  # up to body_text's own call
    assert sorted(set(before_body)) == ["div.body", "div.info", "div.kw a", "h1.t"]
    assert len(before_body) == 4  # each once, however many fields and finders use it
