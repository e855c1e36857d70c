"""One vocabulary: the page vocabulary (whitespace classes, U+FFFD removal, label lists,
too-little-text thresholds) lives in archive/extract/vocab.py, and the modules that
extract, hash, detect soft errors or normalise for near-duplicates import it."""
import re
from pathlib import Path

from archive.dedup import text as dedup_text
from archive.extract import vocab

ROOT = Path(__file__).resolve().parent.parent
USERS = sorted((ROOT / "archive" / "extract").glob("*.py")) + [
    ROOT / "archive" / "dedup" / "text.py",
    ROOT / "archive" / "db.py",
    ROOT / "crawler" / "softerror.py",
    ROOT / "pipelines" / "clean.py",
]
USERS = [p for p in USERS if p.name != "vocab.py"]

# a whitespace class or run written out: r"\s+", "[\s\u00a0\u3000]", "[ \t\u00a0…]"
_WS_DEFINITION = re.compile(r"""r?["'](?:\\s\+?|\[[^\]"']*(?:\\s|\\u00a0|\\u3000)[^\]"']*\][+*]?)["']""")
_REPLACEMENT_CHAR = re.compile(r"\\ufffd|\ufffd")


def _source(path: Path) -> str:
    return path.read_text("utf-8")


def test_the_users_exist():
    assert len(USERS) >= 10 and all(p.exists() for p in USERS)


def test_no_whitespace_class_defined_outside_vocab():
    found = [(p.name, m.group(0)) for p in USERS for m in _WS_DEFINITION.finditer(_source(p))]
    assert found == []


def test_the_whitespace_check_sees_a_definition():
    assert _WS_DEFINITION.search('_WS = re.compile(r"\\s+")')
    assert _WS_DEFINITION.search('x = re.compile(r"[\\s\\u00a0\\u3000]+")')
    assert not _WS_DEFINITION.search('x = re.compile(SPACE + "+")')


def test_no_replacement_character_outside_vocab():
    assert [p.name for p in USERS if _REPLACEMENT_CHAR.search(_source(p))] == []


def test_replacement_and_spaces_behave_as_documented():
    assert vocab.drop_replacement("a\ufffdb\ufffd") == "ab"
    assert vocab.strip_controls("a\x1b&#27;\ufffdb") == "ab"
    # \s already holds nbsp, the en/em/thin spaces and the ideographic space; not U+200B/BOM
    assert vocab.SPACE_RUN.sub("", " a\u00a0b\u3000c\u2009d\n") == "abcd"
    assert vocab.SPACE_RUN.sub("", "a\u200bb\ufeff") == "a\u200bb\ufeff"
    assert vocab.LINE_SPACE.sub(" ", "a\u200b\u3000b") == "a b"


def test_the_near_duplicate_lists_are_its_own_and_match_as_before():
    # the stored near-duplicate index depends on them: same matched set, NORMALISE_VERSION 1
    assert dedup_text.NORMALISE_VERSION == 1
    assert dedup_text._CREDIT.pattern.count(vocab.NEARDUP_CREDIT_LABELS) == 1
    assert dedup_text._FOOTER.pattern.count(vocab.NEARDUP_FOOTER_LABELS) == 1
    assert dedup_text.clean_lines("正文第一段。\n来源：新华社\n责任编辑：张三\n记者 王五\n版权所有 某网站") == ["正文第一段。"]
    # a line longer than NEARDUP_CREDIT_MAX opening with a credit word is content
    long_line = "记者 " + "正文内容很长" * 8
    assert len(long_line) > vocab.NEARDUP_CREDIT_MAX == dedup_text.CREDIT_MAX
    assert dedup_text.clean_lines(long_line) == [long_line]


def test_two_thresholds_one_home():
    from archive.extract.article import is_article_text

    assert (vocab.MIN_WORD_CHARS, vocab.MIN_TEXT_CHARS) == (15, 20)
    assert not is_article_text("字" * (vocab.MIN_TEXT_CHARS - 1))
    assert is_article_text("字" * vocab.MIN_TEXT_CHARS)
    # counted over the whole text, wherever the characters stand (not only in its first lines)
    late = "。" * 10 * vocab.MIN_TEXT_CHARS
    assert is_article_text(late + "字" * vocab.MIN_TEXT_CHARS)
    assert is_article_text("字" * (vocab.MIN_TEXT_CHARS - 1) + late + "字")
    assert not is_article_text("字" * (vocab.MIN_TEXT_CHARS - 2) + late + "字")


def test_the_judge_keeps_its_own_patterns():
    evaluate = _source(ROOT / "archive" / "tooling" / "evaluate.py")
    assert "vocab" not in evaluate
