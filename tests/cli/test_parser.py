"""The one parser tree: help for every flag and command, completion scripts generated from it."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli.support import Cli, one_error_line
from tui_editor.cli import build_parser, command_names

EXPECTED_COMMANDS = {
    "demo", "lectures", "show", "export", "import", "regenerate", "runs",
    "accept", "reject", "cancel", "revisions", "restore", "config", "completion",
    "temporal-dev", "worker", "new", "render", "undo", "takes",
    "batch", "retime", "clear-stale",
}  # fmt: skip


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _parsers(sub)
    return found


def test_every_action_of_every_parser_has_help_text() -> None:
    missing = [
        f"{parser.prog}: {'/'.join(action.option_strings) or action.dest}"
        for parser in _parsers(build_parser())
        for action in parser._actions
        if not action.help
    ]
    assert missing == []


def test_every_command_is_in_the_parser() -> None:
    assert set(command_names(build_parser())) == EXPECTED_COMMANDS


def test_help_lists_every_command_with_a_line_each(cli: Cli) -> None:
    out = cli.ok("--help")
    for name in EXPECTED_COMMANDS:
        assert re.search(rf"^ +{name} {{2,}}\S", out, re.MULTILINE), f"no help line for {name}\n{out}"
    for flag in ("--config", "--data-dir", "--db", "--log-level", "--version"):
        assert flag in out


def test_an_unknown_command_with_arguments_is_one_line_exit_2(cli: Cli, tmp_path: Path) -> None:
    line = one_error_line(cli("frobnicate", "now", data_dir=tmp_path / "data"), 2)
    assert "unknown command 'frobnicate'" in line and "lectures" in line
    assert not (tmp_path / "data").exists()  # nothing was opened


def test_a_bad_log_level_is_bad_usage(cli: Cli) -> None:
    line = one_error_line(cli("--log-level", "chatty", "lectures"), 2)
    assert "--log-level" in line and "chatty" in line


def test_bash_completion_is_valid_and_names_every_command(cli: Cli) -> None:
    script = cli.ok("completion", "bash")
    check = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True, check=False)
    assert check.returncode == 0, check.stderr
    for name in EXPECTED_COMMANDS:
        assert re.search(rf"\b{name}\b", script), name
    assert "--log-level" in script and "--data-dir" in script


def test_zsh_completion_names_every_command(cli: Cli) -> None:
    script = cli.ok("completion", "zsh")
    assert script.startswith("#compdef tui-editor")
    for name in EXPECTED_COMMANDS:
        assert re.search(rf"\b{name}\b", script), name
    if shutil.which("zsh"):
        check = subprocess.run(["zsh", "-n"], input=script, text=True, capture_output=True, check=False)
        assert check.returncode == 0, check.stderr


def test_completion_works_with_a_broken_config(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[engine\n", encoding="utf-8")
    assert "lectures" in cli.ok("--config", str(broken), "completion", "bash")


@pytest.mark.parametrize("shell", ["fish", ""])
def test_completion_for_an_unknown_shell_is_bad_usage(cli: Cli, shell: str) -> None:
    assert "shell" in one_error_line(cli("completion", shell), 2)
