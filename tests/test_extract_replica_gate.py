"""Evaluation gate on the replica: every article's extraction F1 ≥ 0.99, no boilerplate line.

This scores the extractor alone (pages read from disk, site rules applied), so a
drop in extraction quality fails here even when the crawl tests would only show
a text mismatch.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from archive.faces.crawl import site_for_url
from archive.tooling.evaluate import boilerplate, prf
from archive.extract import extract
from conftest import REPLICA_SITE, load_expected

FLOOR = 0.99
EXPECTED = load_expected()


def replica_file(url: str):
    parts = urlsplit(url)
    path = parts.path if not parts.path.endswith("/") else parts.path + "index.html"
    return REPLICA_SITE / parts.hostname / path.lstrip("/")


def page_urls(record: dict) -> list[str]:
    """The article's page URLs: continuation pages are ID-N or ID_N by site."""
    n = len(record.get("pages") or []) or 1
    base = record["url"]
    urls = [base]
    for i in range(2, n + 1):
        options = [base.replace(".shtml", f"{sep}{i}.shtml") for sep in ("-", "_")]
        urls.append(next((u for u in options if replica_file(u).exists()), options[0]))
    return urls


@pytest.mark.parametrize("record", EXPECTED, ids=[r["url"].split("//")[1] for r in EXPECTED])
def test_replica_article_extraction_meets_the_floor(record):
    rules = site_for_url(record["url"]).selectors
    texts = [extract(replica_file(u).read_bytes(), u, rules=rules)["text"] for u in page_urls(record)]
    text = "\n".join(texts)
    p, r, f1 = prf(text, record["text"])
    assert f1 >= FLOOR, f"F1 {f1:.3f} (P {p:.3f}, R {r:.3f})"
    assert boilerplate(text, record["text"]) == []


def test_the_gate_can_fail():
    """The same scoring on a page's raw text (navigation, footer and all) falls below the floor."""
    record = next(r for r in EXPECTED if r["site"] == "chinanews")
    from lxml import html

    raw = html.fromstring(replica_file(record["url"]).read_bytes()).text_content()
    assert prf(raw, record["text"])[2] < FLOOR
