"""What a site file may tell the extractor about its pages.

Every field is optional: a site with no rules is extracted by the generic layer
alone, and a selector that stops matching (sites change templates) falls back
to the generic layer rather than failing.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Selectors:
    title: str | None = None  # CSS: element whose text is the title
    body: str | None = None  # CSS: the article body container
    date: str | None = None  # CSS: element whose text holds the publication time
    source: str | None = None  # CSS: element whose text holds 来源
    author: str | None = None  # CSS: element whose text holds the author
    editor: str | None = None  # CSS: element whose text holds the editor
    keywords: str | None = None  # CSS: elements whose texts are the keywords
    remove: tuple[str, ...] = ()  # CSS: noise inside or around the body, removed first
    drop_lines: tuple[str, ...] = ()  # regexes: whole text lines that are site noise
