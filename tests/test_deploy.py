"""The deployment guide and the shipped unit files agree with the program: every unit's command line is
accepted by it (run for real where it only reads or copies, parsed where it would serve), and every
command and option the guide shows exists."""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from archive.db import open_db
from archive.faces.cli import DB_ENV, cli
from conftest import ROOT

DEPLOY = ROOT / "deploy"
GUIDE = ROOT / "docs" / "deployment.md"
PROGRAM = "/opt/cn-news-archive/.venv/bin/archive"
PLACES = ("/var/lib/cn-news-archive", "/etc/cn-news-archive", "/var/backups/cn-news-archive")


def unit_file(path: Path) -> dict[str, list[str]]:
    """A systemd unit's keys (sections ignored), each with all its values."""
    keys: dict[str, list[str]] = {}
    for line in path.read_text("utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not KEY=VALUE: {line}"
        keys.setdefault(key.strip(), []).append(value.strip())
    return keys


def services() -> dict[str, dict[str, list[str]]]:
    return {p.name: unit_file(p) for p in sorted(DEPLOY.glob("*.service"))}


@pytest.fixture
def server_tree(tmp_path):
    """The server's folders under tmp_path, with an archive and the shipped configuration."""
    mapped = {}
    for place in PLACES:
        folder = tmp_path / place.strip("/").replace("/", "_")
        folder.mkdir()
        mapped[place] = str(folder)
    open_db(Path(mapped["/var/lib/cn-news-archive"]) / "archive.db").conn.close()
    shutil.copy(DEPLOY / "scheduler.toml", mapped["/etc/cn-news-archive"])
    return mapped


def _local(argv: list[str], mapped: dict) -> list[str]:
    out = []
    for arg in argv:
        for place, folder in mapped.items():
            arg = arg.replace(place, folder)
        out.append(arg)
    return out


def test_every_unit_command_line_is_accepted_by_the_program(server_tree):
    checked = set()
    for name, unit in services().items():
        lines = [v for key in ("ExecStartPre", "ExecStart", "ExecStartPost") for v in unit.get(key, [])]
        assert unit.get("ExecStart"), name
        for line in lines:
            argv = shlex.split(line.lstrip("+-!@"))
            assert argv[0].startswith("/"), (name, line)  # systemd wants an absolute program
            if argv[0] != PROGRAM:
                continue
            args = _local(argv[1:], server_tree)
            if args[0] == "schedule":  # the scheduler's own options: a real, read-only --list with its config
                proc = subprocess.run([sys.executable, str(ROOT / "scheduler.py"), *args[1:], "--list"],
                                      capture_output=True, text=True, timeout=120)
                assert proc.returncode == 0, (name, proc.stderr[-2000:])
                assert "bjx" in proc.stdout and "30m" in proc.stdout.split("bjx", 1)[1].splitlines()[0], proc.stdout
            elif args[0] in ("stats", "backup"):  # reads or copies: run for real
                result = CliRunner().invoke(cli, args)
                assert result.exit_code == 0, (name, result.output, result.exception)
            else:  # would serve forever: parsed and validated by the command's own options
                cli.commands[args[0]].make_context(args[0], list(args[1:]))
            checked.add(args[0])
    assert checked == {"schedule", "serve", "backup", "stats"}
    assert len(list(Path(server_tree["/var/backups/cn-news-archive"]).glob("archive-*.db"))) == 1


def test_units_files_and_guide_fit_together():
    units = services()
    for timer in DEPLOY.glob("*.timer"):
        assert timer.with_suffix(".service").name in units, timer.name
    env = dict(line.split("=", 1) for line in (DEPLOY / "env").read_text("utf-8").splitlines()
               if line and not line.startswith("#"))
    from crawler.registry import SITES_DIR_ENV

    assert set(env) == {DB_ENV, SITES_DIR_ENV}
    assert env[DB_ENV] == "/var/lib/cn-news-archive/archive.db"
    web = shlex.split(units["cn-news-archive-web.service"]["ExecStart"][0])
    port = web[web.index("--port") + 1]
    assert f"proxy_pass http://127.0.0.1:{port};" in (DEPLOY / "nginx-cn-news-archive.conf").read_text("utf-8")
    assert units["cn-news-archive-web.service"]["User"] != units["cn-news-archive.service"]["User"]
    guide = GUIDE.read_text("utf-8")
    for path in DEPLOY.iterdir():
        assert f"deploy/{path.name}" in guide, f"the guide does not mention deploy/{path.name}"
    for named in re.findall(r"deploy/([\w.*-]+)", guide):
        assert list(DEPLOY.glob(named)), f"the guide names deploy/{named}, which is not there"


def test_archive_db_variable_is_the_default_db(server_tree, tmp_path):
    db = Path(server_tree["/var/lib/cn-news-archive"]) / "archive.db"
    result = CliRunner().invoke(cli, ["stats", "--json"], env={DB_ENV: str(db)})
    assert result.exit_code == 0, (result.output, result.exception)
    result = CliRunner().invoke(cli, ["stats"], env={DB_ENV: str(tmp_path / "none.db")})
    assert result.exit_code == 2 and "none.db" in result.stderr  # the variable, not ./archive.db


def _guide_commands() -> list[tuple[str, list[str]]]:
    """(subcommand, its --options) of every `archive ...` command the guide shows, in code blocks
    and in `backticks`."""
    text = GUIDE.read_text("utf-8")
    found = []
    spans = [line for block in re.findall(r"```sh\n(.*?)```", text, re.S) for line in block.splitlines()]
    spans += re.findall(r"`([^`\n]*\barchive [a-z][^`\n]*)`", text)
    for span in spans:
        for part in re.split(r"&&|\|\||;|\|", span.split(" #")[0]):
            m = re.search(r"(?:^|/bin/)archive\s+([a-z][\w-]*)(.*)", part.strip())
            if m:
                found.append((m.group(1), re.findall(r"(?<!\S)(--[a-z][\w-]*)", m.group(2))))
    return found


def test_every_command_and_option_in_the_guide_exists():
    commands = _guide_commands()
    assert len(commands) >= 15
    scheduler_help = subprocess.run([sys.executable, str(ROOT / "scheduler.py"), "--help"],
                                    capture_output=True, text=True, timeout=60).stdout
    for name, options in commands:
        assert name in cli.commands, f"the guide shows `archive {name}`, which does not exist"
        cmd = cli.commands[name]
        if name == "schedule":
            known = set(re.findall(r"(--[a-z][\w-]*)", scheduler_help))
        else:
            known = {opt for p in cmd.params if isinstance(p, click.Option) for opt in p.opts + p.secondary_opts}
            if isinstance(cmd, click.Group):
                known |= {opt for sub in cmd.commands.values() for p in sub.params for opt in p.opts}
        for opt in options:
            assert opt in known | {"--help"}, f"the guide gives `archive {name}` the option {opt}, which it has not"
