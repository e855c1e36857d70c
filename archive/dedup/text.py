"""The story in a text: its lines without site furniture, its normalised form, and the identity
tokens (第N批, YYYY年度, 文号, the sign-off date) that tell successive notices apart."""
from __future__ import annotations

import re
import unicodedata

from archive.extract.vocab import NEARDUP_CREDIT_LABELS, NEARDUP_CREDIT_MAX, NEARDUP_FOOTER_LABELS, SPACE_RUN

NORMALISE_VERSION = 1  # bump when the normalisation below changes (the index must then be rebuilt)

# Whole lines that are site furniture, not the story (matched on the line's start):
# footers and notices go whatever their length; credit and navigation lines only when
# short, so that a paragraph opening with "记者了解到" stays.  The word lists are the
# near-duplicate index's own (archive.extract.vocab.NEARDUP_*).
_FOOTER = re.compile(r"^\s*[(（【\[]?\s*(?:" + NEARDUP_FOOTER_LABELS + r")", re.I)
_CREDIT = re.compile(r"^\s*[(（【\[]?\s*(?:" + NEARDUP_CREDIT_LABELS + r")(?=[\s:：】\])）|>]|$)", re.I)
CREDIT_MAX = NEARDUP_CREDIT_MAX  # characters: a longer line is content
# A 北极星 lead ("北极星氢能网获悉，"): the phrase goes, the rest of the line is content.
_BJX_LEAD = re.compile(r"^北极星[\u4e00-\u9fff]{0,8}网获悉[，,：:]?\s*")
_END_MARK = re.compile(r"[(（]\s*完\s*[)）]\s*$")
_PAGE_NAV = re.compile(r"^[\s\d上下一页首尾共第页/|>»«<]+$")
_NON_WORD = re.compile(r"[\W_]+")


def clean_lines(text: str) -> list[str]:
    """The story's lines, furniture dropped."""
    out = []
    for line in (text or "").splitlines():
        line = unicodedata.normalize("NFKC", line).strip()
        if (not line or _FOOTER.match(line) or _PAGE_NAV.match(line)
                or (len(line) <= CREDIT_MAX and _CREDIT.match(line))):
            continue
        if line.startswith("北极星"):  # (the lead and the end mark cannot match otherwise)
            line = _BJX_LEAD.sub("", line)
        if "完" in line:
            line = _END_MARK.sub("", line)
        if line:
            out.append(line)
    return out


def normalise(text: str) -> str:
    """Letters, digits and CJK characters of the story, lower-cased, in order."""
    return normalise_lines(clean_lines(text))


def normalise_lines(lines: list[str]) -> str:
    """:func:`normalise` of a text whose :func:`clean_lines` are *lines*."""
    return _NON_WORD.sub("", "".join(lines).lower())


_CN_NUM = "〇零一二三四五六七八九十百两"
_ORDINAL = re.compile(rf"第[{_CN_NUM}\d]+(?:批|期|届|季度)")
_EDITION = re.compile(r"(?:19|20)\d\d年度")
_DOC_NO = re.compile(r"[〔\[【(（](?:19|20)\d\d[〕\]】)）]\s*\d+\s*号")
_FULL_DATE = re.compile(r"(?:19|20)\d\d\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")


def identity(text: str) -> tuple[frozenset, str | None]:
    """(ordinal/edition/文号 tokens, the sign-off date) — what tells successive notices apart."""
    return identity_lines(clean_lines(text))


def identity_lines(lines: list[str]) -> tuple[frozenset, str | None]:
    """:func:`identity` of a text whose :func:`clean_lines` are *lines*."""
    body = "".join(lines)
    tokens = frozenset(SPACE_RUN.sub("", t) for rx in (_ORDINAL, _EDITION, _DOC_NO) for t in rx.findall(body))
    signoff = None
    for line in lines[-3:]:  # a notice ends with the issuer and a date on a line of its own
        m = _FULL_DATE.fullmatch(line.strip())
        if m:
            signoff = SPACE_RUN.sub("", m.group(0))
    return tokens, signoff


def contradicts(a: tuple[frozenset, str | None], b: tuple[frozenset, str | None]) -> bool:
    """True when the two texts name different batches/editions/文号 or are signed off on different dates."""
    (ta, da), (tb, db_) = a, b
    if ta and tb and (ta - tb) and (tb - ta):
        return True
    return bool(da and db_ and da != db_)
