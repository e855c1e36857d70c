"""decode(): header charset, BOM, meta charset and the bytes themselves reconciled."""
import codecs

import pytest

from archive.extract import extract
from archive.extract.decode import DecodeError, decode, decode_counted, normalize_charset

TEXT = "中新网成都1月9日电 成都高新区9日下午启动实施中试跨越行动计划，未来五年将设立50亿元中试平台建设基金。"


def page(meta_charset: str | None, body: str = TEXT) -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={meta_charset}">' if meta_charset else ""
    return f"<html><head>{meta}<title>t</title></head><body><p>{body}</p></body></html>"


def test_gb2312_bytes_decoded_as_gb18030():
    raw = page("gb2312").encode("gb2312")
    text, enc = decode(raw)
    assert enc == "gb18030"
    assert TEXT in text


def test_gbk_only_characters_survive():
    # 镕 and 喆 are outside GB2312 but in GBK/GB18030: a strict gb2312 decoder loses them
    body = "朱镕基 陶喆 " + TEXT
    raw = page("gb2312", body).encode("gb18030")
    text, enc = decode(raw)
    assert enc == "gb18030" and "朱镕基 陶喆" in text


def test_declared_gb2312_but_utf8():
    raw = page("gb2312").encode("utf-8")
    text, enc = decode(raw)
    assert enc == "utf-8"
    assert TEXT in text


def test_declared_utf8_but_gb18030_bytes():
    raw = page("utf-8").encode("gb18030")
    text, enc = decode(raw, "utf-8")
    assert enc == "gb18030"
    assert TEXT in text


def test_utf8_bom_wins():
    raw = codecs.BOM_UTF8 + page("gbk").encode("utf-8")
    text, enc = decode(raw, "gbk")
    assert enc == "utf-8"
    assert text.startswith("<html>") and TEXT in text


def test_utf16_bom():
    raw = codecs.BOM_UTF16_LE + page(None).encode("utf-16-le")
    text, enc = decode(raw)
    assert enc == "utf-16-le" and TEXT in text


def test_header_beats_meta_when_both_are_plausible():
    # bytes valid in GB18030 only; header says gbk, meta says big5
    raw = page("big5").encode("gb18030")
    text, enc = decode(raw, "GBK")
    assert enc == "gb18030" and TEXT in text


def test_bytes_beat_a_wrong_header():
    # header says gbk, meta and bytes say utf-8
    raw = page("utf-8").encode("utf-8")
    text, enc = decode(raw, "gbk")
    assert enc == "utf-8" and TEXT in text


def test_default_latin1_header_does_not_garble_chinese():
    raw = page(None).encode("gb18030")
    text, enc = decode(raw, "ISO-8859-1")
    assert enc == "gb18030" and TEXT in text


def test_stray_broken_bytes_dropped_not_replaced():
    raw = page("utf-8").encode("utf-8")
    cut = raw.index(TEXT.encode("utf-8")) + 4  # inside a multi-byte character
    raw = raw[:cut] + b"\xff" + raw[cut:]
    text, _ = decode(raw)
    assert "\ufffd" not in text
    assert "成都高新区9日下午" in text


def test_replacement_characters_in_page_dropped():
    raw = page("utf-8", TEXT + "\ufffd").encode("utf-8")
    text, enc = decode(raw)
    assert enc == "utf-8" and "\ufffd" not in text


def test_garbage_raises_decode_error():
    raw = bytes(range(0x80, 0x100)) * 200 + b"\xff\xfe\xfd" * 300
    with pytest.raises(DecodeError) as exc:
        decode(b"<html>" + raw, "utf-8")
    assert isinstance(exc.value, ValueError)
    assert "cannot decode" in str(exc.value)


def test_a_dozen_broken_bytes_are_replaced_and_counted_not_refused():
    # a long GBK page with 12 lone lead bytes scattered through it (more than
    # the old "handful" allowance for its length)
    para = "<p>" + TEXT + "</p>"
    chunks = [page("gb2312", para * 3).encode("gb18030") for _ in range(13)]
    raw = b"\x81".join(chunks)
    text, enc, replaced = decode_counted(raw)
    assert enc == "gb18030" and replaced == 12
    assert "\ufffd" not in text and text.count("成都高新区9日下午") == 39
    r = extract(raw, "https://example.cn/a.html")
    assert r["replaced_bytes"] == 12 and "成都高新区9日下午" in r["text"]
    assert extract(page("utf-8").encode("utf-8"))["replaced_bytes"] == 0


def test_binary_garbage_is_still_refused():
    import random

    raw = random.Random(3).randbytes(30000)
    with pytest.raises(DecodeError, match="cannot decode"):
        decode_counted(raw, "gbk")
    # valid UTF-8 that is mostly control characters is binary too
    with pytest.raises(DecodeError):
        decode(bytes(range(0, 8)) * 2000)


@pytest.mark.parametrize("ctrl", ["\x08", "\x1b", "&#27;", "&#x1B;", "\x7f", "\x9b", "\x00"])
def test_a_control_character_never_empties_the_article(ctrl):
    body = ("<p>成都高新区9日下午启动实施中试跨越行动计划" + ctrl + "，未来五年将设立50亿元中试平台建设基金。</p>"
            "<p>该计划提出，到2029年建成中试平台30个以上，服务企业超过一千家。</p>")
    html = "<html><head><title>t</title></head><body><article>" + body + "</article></body></html>"
    for raw in (html.encode("utf-8"), html.encode("gb18030"), html):
        text = extract(raw)["text"]
        assert "启动实施中试跨越行动计划，未来五年" in text, (ctrl, text)
        assert "服务企业超过一千家" in text
        assert not any(ord(c) < 32 and c not in "\n\t" or 0x7f <= ord(c) <= 0x9f for c in text)


def test_normalize_charset():
    assert normalize_charset("GB2312") == "gb18030"
    assert normalize_charset("x-gbk") == "gb18030"
    assert normalize_charset("UTF8") == "utf-8"
    assert normalize_charset("no-such-charset") is None
