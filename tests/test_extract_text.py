"""Body text on whole synthetic pages: government document templates (facts
table + body + attachments), legacy table layouts, footer notices, hidden
bodies.  Every page here is hand-written for the rule it tests."""
import pytest

from archive.extract import extract

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
