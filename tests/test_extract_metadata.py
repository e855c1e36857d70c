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
    assert set(r) == {"url", "title", "published_at", "source", "author", "editor", "keywords", "text", "encoding", "replaced_bytes"}
    assert r["url"] == "https://example.cn/a.html" and r["encoding"] == "utf-8"
    assert isinstance(r["keywords"], list)
