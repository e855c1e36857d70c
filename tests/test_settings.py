"""The crawl's settings are declared once (archive/settings.py): every one read is declared,
the README's table is the declared table, and crawler/settings.py takes its defaults from it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from scrapy.settings import Settings, default_settings

from archive import settings as declared

ROOT = Path(__file__).resolve().parent.parent
CODE = [*ROOT.glob("crawler/**/*.py"), *ROOT.glob("pipelines/**/*.py"), *ROOT.glob("archive/**/*.py"),
        ROOT / "scheduler.py"]
# a setting read: settings.get("X"), settings.getint("X", …), setting(settings, "X"), start_setting = "X"
READS = [
    re.compile(r"settings\.get(?:bool|int|float|list|dict)?\(\s*[\"']([A-Z][A-Z0-9_]+)[\"']"),
    re.compile(r"\b(?:setting|value|default)\(\s*(?:[\w.]+,\s*)?[\"']([A-Z][A-Z0-9_]+)[\"']"),
    re.compile(r"start_setting\s*=\s*[\"']([A-Z][A-Z0-9_]+)[\"']"),
]
# ALL_CAPS names in the docs that are not settings: environment variables of the evaluation scripts
# ARCHIVE_SITES_DIR: an environment variable; scheduler.ALERT_ENV: the environment of --on-failure's command
NOT_SETTINGS = {"GOLD_DIR", "PAGES_DIR", "ARCHIVE_SITES_DIR", "ARCHIVE_SITE", "ARCHIVE_STATUS", "ARCHIVE_ERRORS",
                "ARCHIVE_EXIT", "ARCHIVE_RUN_ID",
                "RELEVANCE_WINDOW"}  # archive/search.py's bound on bm25 work, a constant of the search, not a crawl setting
TABLE = re.compile(r"<!-- settings table:[^\n]*-->\n(.*?)\n<!-- end of the settings table -->", re.S)


def is_scrapy_setting(name: str) -> bool:
    return hasattr(default_settings, name)


def settings_read() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in CODE:
        if not path.exists():
            continue
        text = path.read_text("utf-8")
        for rx in READS:
            for m in rx.finditer(text):
                found.setdefault(m.group(1), set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_setting_read_is_declared():
    read = settings_read()
    assert {"ARCHIVE_DB", "RECHECK_DAYS", "MIRROR_URL", "JIANGMEN_KJJ_START"} <= set(read)  # the scan sees them
    undeclared = {n: sorted(where) for n, where in read.items()
                  if n not in declared.BY_NAME and not is_scrapy_setting(n)}
    assert not undeclared, f"read but not declared in archive/settings.py: {undeclared}"


def test_the_scan_catches_an_undeclared_read(tmp_path):
    text = 'x = crawler.settings.getint("NOT_A_DECLARED_SETTING", 3)\ny = setting(s, "ALSO_NOT_ONE")\n'
    names = {m.group(1) for rx in READS for m in rx.finditer(text)}
    assert names == {"NOT_A_DECLARED_SETTING", "ALSO_NOT_ONE"}
    with pytest.raises(KeyError):
        declared.value(Settings(), "NOT_A_DECLARED_SETTING")


def test_every_declared_setting_is_used():
    read = settings_read()
    unused = [s.name for s in declared.SETTINGS if s.name not in read]
    assert not unused, f"declared but read nowhere: {unused}"


def test_readme_table_is_the_declared_table():
    readme = (ROOT / "README.md").read_text("utf-8")
    m = TABLE.search(readme)
    assert m, "README has no generated settings table"
    assert m.group(1).strip() == declared.markdown_table(), \
        "README's settings table differs from archive/settings.py: paste markdown_table() in"


def test_docs_name_only_declared_settings():
    names = set()
    for path in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for m in re.finditer(r"(?<![\w/])([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?![\w/])", path.read_text("utf-8")):
            names.add(m.group(1))
    unknown = sorted(n for n in names if n not in declared.BY_NAME and not is_scrapy_setting(n)
                     and n not in NOT_SETTINGS)
    assert not unknown, f"the docs name settings archive/settings.py lacks: {unknown}"


def test_project_settings_take_the_declared_defaults():
    s = Settings()
    s.setmodule("crawler.settings", priority="project")
    for setting in declared.SETTINGS:
        assert s.get(setting.name) == setting.default, setting.name
        assert declared.value(s, setting.name) == setting.default, setting.name
    s.set("RECHECK_DAYS", "0.5", priority="cmdline")  # from the command line: typed as declared
    assert declared.value(s, "RECHECK_DAYS") == 0.5
    assert declared.value(Settings(), "MAX_LIST_PAGES") == 5  # a bare Settings gets the declared default
