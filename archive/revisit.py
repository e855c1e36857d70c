"""The revisit schedule of known articles: when an article the archive holds is due for a re-check.

The schedule follows when the archive first saw the article and when it last found it changed
(``articles.first_seen``, ``articles.changed_at``), not its publication date: re-checked at each
age of a ladder such as ``1h,6h,1d,3d,7d,30d`` counted from that moment, then every last step.
The crawl's refresh middleware (``crawler/refresh.py``) fetches what is due; ``archive stats``
counts it.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$")


def parse_intervals(value) -> list[timedelta]:
    """``"1h,6h,1d"`` (or a list of such strings) → increasing timedeltas; ValueError names a bad one."""
    parts = value if isinstance(value, (list, tuple)) else str(value or "").split(",")
    out = []
    for part in parts:
        if not str(part).strip():
            continue
        m = _INTERVAL.match(str(part))
        if not m:
            raise ValueError(f"REVISIT_INTERVALS: {part!r} is not a duration like 30m, 6h, 3d or 2w")
        out.append(timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)]))
    if any(b <= a for a, b in zip(out, out[1:])) or any(d <= timedelta(0) for d in out):
        raise ValueError(f"REVISIT_INTERVALS: {value!r} must be positive and increasing")
    return out


def next_revisit(anchor: datetime, checked: datetime, ladder: list[timedelta]) -> datetime:
    """When an article stable since *anchor* (first seen or last changed), last checked at
    *checked*, is due again: the first age on the *ladder* past the last check, then every last step."""
    for age in ladder:
        if anchor + age > checked:
            return anchor + age
    return checked + ladder[-1]


def _dt(iso: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(iso).astimezone(timezone.utc)
    except (TypeError, ValueError):
        return None


def due_at(first_seen: str | None, changed_at: str | None, checked_at: str | None,
           ladder: list[timedelta]) -> datetime | None:
    """When an article with these stored times is next due (None: no schedule or no time stored)."""
    anchor = _dt(changed_at) or _dt(first_seen)
    if anchor is None or not ladder:
        return None
    return next_revisit(anchor, _dt(checked_at) or anchor, ladder)
