"""Which copy of a story is the original: the government site a repost names as its 来源, else the earliest.

Site names (``{site key: label}``) come from the caller; this library never loads the spiders."""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timezone
from urllib.parse import urlsplit

from .text import _NON_WORD


def is_government(row: dict) -> bool:
    host = (urlsplit(row.get("url") or "").hostname or "").lower()
    return host.endswith(".gov.cn") or host.endswith(".gov")


def _name(s: str | None) -> str:
    return _NON_WORD.sub("", unicodedata.normalize("NFKC", s or "")).lower()


_GOV_BODY = re.compile(r"(?:政府|办公厅|办公室|委员会|局|厅|部|署|委|办)$")


def publisher_names(row: dict, labels: dict[str, str] | None = None) -> set[str]:
    """Who a government copy speaks for: its site's name, and its own 来源 when that is a government body
    (a 解放日报 story on a government portal does not make the portal its original)."""
    names = {_name((labels or {}).get(row.get("site") or "", ""))}
    own = _name(row.get("source"))
    if _GOV_BODY.search(own):
        names.add(own)
    return {n for n in names if len(n) >= 2}


def names_match(source: str, names: set[str]) -> bool:
    s = _name(source)
    return len(s) >= 2 and any(s == n or s in n or n in s for n in names)


def _published_key(row: dict):
    value = row.get("published_at")
    if not value:
        return (1, "", row["id"])
    try:
        dt = datetime.fromisoformat(value)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        return (0, dt.astimezone(timezone.utc).isoformat(), row["id"])
    except ValueError:
        return (0, value, row["id"])


def choose_canonical(rows: list[dict], labels: dict[str, str] | None = None) -> dict:
    """The group's canonical article: the government original a repost names as its 来源, else the earliest published.

    ``labels`` maps site keys to the sites' names (shanghai_gov → 上海市人民政府), so that a repost
    crediting the site by name finds it; without them only a government 来源 is matched."""
    originals = []
    for row in rows:
        if not is_government(row):
            continue
        names = publisher_names(row, labels)
        if any(other is not row and other.get("source") and names_match(other["source"], names)
               for other in rows):
            originals.append(row)
    return min(originals or rows, key=_published_key)
