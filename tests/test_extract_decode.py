"""decode(): header charset, BOM, meta charset and the bytes themselves reconciled."""
import codecs

import pytest

from archive.extract.decode import DecodeError, decode, normalize_charset

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


def test_normalize_charset():
    assert normalize_charset("GB2312") == "gb18030"
    assert normalize_charset("x-gbk") == "gb18030"
    assert normalize_charset("UTF8") == "utf-8"
    assert normalize_charset("no-such-charset") is None
