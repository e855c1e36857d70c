"""The tree shows the architecture: the library never imports its faces, its tooling, the Scrapy
project or a face's framework; the faces and the Scrapy project never import the tooling."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def modules(*globs: str) -> list[Path]:
    return sorted(p for g in globs for p in ROOT.glob(g))


LIBRARY = [p for p in modules("archive/**/*.py")
           if not p.relative_to(ROOT).as_posix().startswith(("archive/faces/", "archive/tooling/"))]
FORBIDDEN_IN_LIBRARY = ("archive.faces", "archive.tooling", "crawler", "pipelines", "scheduler",
                        "scrapy", "twisted", "click", "datasette", "apscheduler")


def _hits(path: Path, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(n for n in imported(path) if any(n == f or n.startswith(f + ".") for f in forbidden))


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_library_module_imports_no_face_tooling_or_framework(path):
    assert _hits(path, FORBIDDEN_IN_LIBRARY) == []


@pytest.mark.parametrize("path", modules("archive/faces/*.py", "crawler/**/*.py", "pipelines/*.py", "scheduler.py"),
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_faces_and_scrapy_project_do_not_import_the_tooling(path):
    # the demo and mirror commands may serve the replica; nothing else reaches the tooling
    allowed = {"archive/faces/cli.py"}
    if path.relative_to(ROOT).as_posix() in allowed:
        return
    assert _hits(path, ("archive.tooling",)) == []


def test_the_checker_sees_an_offending_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from archive.faces.crawl import site_spiders\n", "utf-8")
    assert _hits(bad, FORBIDDEN_IN_LIBRARY) == ["archive.faces.crawl", "archive.faces.crawl.site_spiders"]


def test_tooling_data_outside_a_checkout_is_a_clear_error(tmp_path):
    from archive.tooling.checkout import NotInCheckout, require

    with pytest.raises(NotInCheckout, match="source checkout"):
        require(tmp_path / "replica" / "site", "the replica", "pass --root DIR")


@pytest.mark.parametrize("args", [["demo"], ["mirror"], ["dedup", "--eval"]])
def test_commands_needing_checkout_data_say_so_outside_a_checkout(tmp_path, monkeypatch, args):
    """As in a plain `pip install .`: the replica and the labelled set are not there."""
    from click.testing import CliRunner

    from archive.faces.cli import cli
    from archive.tooling import checkout

    monkeypatch.setattr(checkout, "REPLICA_SITE", tmp_path / "replica" / "site")
    monkeypatch.setattr(checkout, "NEARDUP_EVAL", tmp_path / "tests" / "neardup_eval")
    result = CliRunner().invoke(cli, [*args, "--db", str(tmp_path / "a.db")] if args[0] == "demo" else args)
    assert result.exit_code == 2
    assert "source checkout" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "a.db").exists()
