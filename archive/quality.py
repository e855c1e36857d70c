"""Extraction quality of one crawl run of one site, and whether it fell well below the site's usual.

Sites change their templates without notice; the crawl still fetches and stores, but titles
become the site's name, dates and 来源 vanish, texts shrink or carry a new footer. For every
run that extracted articles the run log (``crawler/runlog.py``) stores one ``run_quality`` row
beside its ``crawl_runs`` row:

* coverage of each field (share of the run's articles that have it): title, published_at,
  source, author, editor, keywords; attachments: the share of the government documents (pages
  with a facts table, counted in ``documents``) that have one;
* text length in characters: median and 10th percentile;
* ``boilerplate_share``: texts in which the extractor's own furniture detector
  (``archive.extract.cleanup.is_noise_line``, the notice and related-news headings of
  ``archive.extract.vocab``) still fires on a line;
* ``repeated_tail_share``: texts whose last line is the same as that of several other texts of
  the run (a footer the vocabulary does not know);
* ``bad_title_share``: titles equal to the site's name, or shared by several articles;
* ``fallback_share``: articles where a selector the site file declares matched nothing and the
  generic layer answered instead (``extract()``'s ``fallback``).

Expectations: the site's usual values are the median of its last ``HISTORY_RUNS`` runs that
were not degraded and had at least ``MIN_ARTICLES`` articles; a site file may declare
values (``SiteSpider.quality_expect``, a TOML site file's ``[quality_expect]`` table) that replace the learned ones, key by key (``None`` turns
a check off). A run of at least ``MIN_ARTICLES`` articles is ``degraded`` when a field's
coverage falls below half of a usual value of at least 0.5 (and by 0.25 or more), the median
text length below half the usual, the 10th percentile below a third of it, or a share of bad
titles, boilerplate, repeated tails or fallbacks rises 0.3 or more over the usual. The run's
``crawl_runs.status`` keeps saying how fetching went; ``run_quality.degraded`` says how
extraction went (a degraded run does not teach the history what is usual).
"""
from __future__ import annotations

import json
import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

from archive.extract.cleanup import is_noise_line
from archive.extract.vocab import NOTICE_HEADING_RX, RELATED_HEADINGS, squash

FIELDS = ("title", "published_at", "source", "author", "editor", "keywords", "attachments")
SHARES = ("boilerplate_share", "repeated_tail_share", "bad_title_share", "fallback_share")
LENGTHS = ("text_median", "text_p10")
MEASURES = FIELDS + LENGTHS + SHARES  # what a site file may declare (SiteSpider.quality_expect)
MIN_ARTICLES = 5  # fewer articles than this in a run: measured, never judged nor learned from
HISTORY_RUNS = 5  # runs the usual values are learned from
COVERAGE_FLOOR = 0.5  # a field is watched when usually at least this covered
COVERAGE_DROP = 0.25  # and flagged when below half the usual and this much lower
SHARE_RISE = 0.3  # a share of bad titles/boilerplate/fallbacks this much above the usual
MEDIAN_RATIO = 0.5
P10_RATIO = 1 / 3
EXAMPLES = 3

_RELATED_RX = re.compile(r"^[【\[■●◆▶>《]?\s*(?:" + RELATED_HEADINGS + r")\s*[】\]]?\s*[:：∶]?\s*$")


@dataclass
class Article:
    """What the quality measures read of one extracted article."""

    url: str
    title: str | None = None
    published_at: str | None = None
    source: str | None = None
    author: str | None = None
    editor: str | None = None
    keywords: list = field(default_factory=list)
    attachments: int = 0
    text: str = ""
    fallback: list = field(default_factory=list)
    document: bool = False  # a government document (the extractor found its facts table)

    def has(self, name: str) -> bool:
        value = getattr(self, name)
        return bool(value) if not isinstance(value, str) else bool(value.strip())


def boilerplate_fires(text: str) -> bool:
    """The extractor's furniture detector fires on a line of *text* (it should have removed it)."""
    for line in (text or "").splitlines():
        line = line.strip()
        if line and (is_noise_line(line) or NOTICE_HEADING_RX.match(line) or _RELATED_RX.match(line)):
            return True
    return False


def _last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _percentile(values: list[int], q: float) -> int | None:
    """Nearest-rank percentile: the smallest value with at least *q* of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def measure(articles: list[Article], site_label: str = "") -> dict:
    """The run's measures (see the module's doc) and, per measure, the URLs of articles that
    show the problem (``_bad``: for examples)."""
    n = len(articles)
    out: dict = {"articles": n}
    bad: dict[str, list[str]] = {}
    if not n:
        return out | {"_bad": bad}
    documents = [a for a in articles if a.document]
    out["documents"] = len(documents)
    for name in FIELDS:
        # attachments: a government document's; None when the run holds no document
        among = documents if name == "attachments" else articles
        missing = [a.url for a in among if not a.has(name)]
        out[name] = round(1 - len(missing) / len(among), 4) if among else None
        bad[name] = missing
    lengths = [len(a.text or "") for a in articles]
    out["text_median"] = int(statistics.median(lengths))
    out["text_p10"] = _percentile(lengths, 0.1)
    by_length = [a.url for a in sorted(articles, key=lambda a: len(a.text or ""))]
    bad["text_median"] = bad["text_p10"] = by_length
    fires = [a.url for a in articles if boilerplate_fires(a.text)]
    tails = Counter(_last_line(a.text) for a in articles)
    repeat_min = max(3, (n + 2) // 3)  # in three texts at least and a third of the run
    repeated = [a.url for a in articles if _last_line(a.text) and tails[_last_line(a.text)] >= repeat_min]
    titles = Counter(squash(a.title) for a in articles if a.title)
    label = squash(site_label) if site_label else None
    bad_titles = [a.url for a in articles if a.title and (squash(a.title) == label or titles[squash(a.title)] > 1)]
    fallbacks = [a.url for a in articles if a.fallback]
    for key, urls in (("boilerplate_share", fires), ("repeated_tail_share", repeated),
                      ("bad_title_share", bad_titles), ("fallback_share", fallbacks)):
        out[key] = round(len(urls) / n, 4)
        bad[key] = urls
    out["_bad"] = bad
    return out


def learned(db, site: str, before_run: int | None = None) -> dict:
    """The site's usual values: medians over its last ``HISTORY_RUNS`` runs that were not degraded
    and had at least ``MIN_ARTICLES`` articles (before run id *before_run*; a first run, not judged
    for want of history, counts); {} without such runs."""
    if "run_quality" not in db.table_names():
        return {}
    cols = FIELDS + LENGTHS + SHARES
    rows = db.execute(
        f"SELECT {', '.join(cols)} FROM run_quality WHERE site = ? AND degraded = 0 AND articles >= ? "
        f"AND run_id < ? ORDER BY run_id DESC LIMIT ?",
        [site, MIN_ARTICLES, before_run if before_run is not None else 1 << 62, HISTORY_RUNS],
    ).fetchall()
    if not rows:
        return {}
    usual = {}
    for i, name in enumerate(cols):
        values = [r[i] for r in rows if r[i] is not None]
        if values:
            usual[name] = statistics.median(values)
    return usual


def expectations(db, site: str, declared: dict | None = None, before_run: int | None = None) -> dict:
    """Learned usual values, with the site file's declared ones in their place (``None``: not checked)."""
    usual = learned(db, site, before_run)
    for key, value in (declared or {}).items():
        if key not in MEASURES:
            raise ValueError(f"unknown quality expectation {key!r} (known: {', '.join(MEASURES)})")
        usual[key] = value
    return {k: v for k, v in usual.items() if v is not None}


def judge(measured: dict, usual: dict) -> tuple[list[str], list[str]]:
    """(names of the measures that fell well below the usual, one line per problem)."""
    if measured.get("articles", 0) < MIN_ARTICLES:
        return [], []
    dropped, problems = [], []
    for name in FIELDS:
        e, got = usual.get(name), measured.get(name)
        if e is None or got is None or e < COVERAGE_FLOOR:
            continue
        if name == "attachments" and measured.get("documents", 0) < MIN_ARTICLES:
            continue  # too few government documents to judge their attachments
        if got < e / 2 and e - got >= COVERAGE_DROP:
            dropped.append(name)
            problems.append(f"{name} coverage {got:.2f}, usually {e:.2f}")
    for name, ratio in (("text_median", MEDIAN_RATIO), ("text_p10", P10_RATIO)):
        e, got = usual.get(name), measured.get(name)
        if e and got is not None and got < ratio * e:
            dropped.append(name)
            problems.append(f"{name.replace('_', ' ')} {got} characters, usually {e:g}")
    for name in SHARES:
        e, got = usual.get(name), measured.get(name)
        if e is not None and got is not None and got - e >= SHARE_RISE:
            dropped.append(name)
            problems.append(f"{name.replace('_', ' ')} {got:.2f}, usually {e:.2f}")
    return dropped, problems


def examples(measured: dict, dropped: list[str], limit: int = EXAMPLES) -> list[str]:
    """Up to *limit* URLs of articles showing the first dropped measures' problems."""
    out: list[str] = []
    for name in dropped:
        for url in measured.get("_bad", {}).get(name, []):
            if url not in out:
                out.append(url)
            if len(out) >= limit:
                return out
    return out


def assess(db, site: str, articles: list[Article], *, site_label: str = "", declared: dict | None = None,
           before_run: int | None = None) -> dict:
    """Measure a run's *articles* and judge them against the site's expectations: the
    ``run_quality`` columns (without run_id, started_at)."""
    measured = measure(articles, site_label)
    usual = expectations(db, site, declared, before_run)
    has_usual = any(k in usual for k in FIELDS + LENGTHS)
    judged = measured["articles"] >= MIN_ARTICLES and has_usual
    dropped, problems = judge(measured, usual) if judged else ([], [])
    row = {k: v for k, v in measured.items() if not k.startswith("_")}
    row.update(
        site=site, judged=int(judged), degraded=int(bool(dropped)), dropped=json.dumps(dropped),
        problems="; ".join(problems) or None, examples=json.dumps(examples(measured, dropped), ensure_ascii=False),
        expected=json.dumps(usual, ensure_ascii=False) if usual else None,
    )
    return row


def store(db, run_id: int, started_at: str, row: dict) -> None:
    """Write the run's ``run_quality`` row (the caller holds the transaction)."""
    db["run_quality"].insert({"run_id": run_id, "started_at": started_at, **row}, replace=True)


def coverage_line(q: dict) -> str:
    """A run_quality row in one line: articles, field coverage, text median, the problems if degraded."""
    cov = " ".join(f"{f} {q[f]:.2f}" for f in FIELDS if q.get(f) is not None)
    line = f"{q['articles']} articles, {cov}, text median {q['text_median']}"
    if q.get("degraded"):
        return line + f"; DEGRADED: {q['problems']}"
    return line + ("" if q.get("judged") else " (not judged)")


def last_quality(db) -> dict[str, dict]:
    """{site: its latest run_quality row, dropped and examples decoded} ({} without the table)."""
    if "run_quality" not in db.table_names():
        return {}
    cur = db.execute("SELECT * FROM run_quality WHERE run_id IN (SELECT max(run_id) FROM run_quality GROUP BY site)")
    names = [d[0] for d in cur.description]
    out = {}
    for values in cur.fetchall():
        row = dict(zip(names, values))
        row["dropped"] = json.loads(row["dropped"] or "[]")
        row["examples"] = json.loads(row["examples"] or "[]")
        out[row["site"]] = row
    return out
