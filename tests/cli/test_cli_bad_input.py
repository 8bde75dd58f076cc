"""Broken surroundings give one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TUI_EDITOR = str(Path(sys.executable).parent / "tui-editor")


def run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUI_EDITOR")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    env["XDG_STATE_HOME"] = str(tmp_path / "xdg-state")
    return subprocess.run([TUI_EDITOR, *args], capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize(
    ("make_args", "message", "code"),
    [
        (lambda t: ["--db", f"sqlite:///{t / 'garbage.db'}", "lectures"], "file is not a database", 1),
        (
            lambda t: ["--data-dir", "/proc/no-such-dir/data", "lectures"],
            "cannot create the data directory",
            1,
        ),
        # an unsupported URL is bad input (issue 13): exit 2, naming the setting
        (lambda t: ["--db", "not a url", "lectures"], "'database.url': not a database URL", 2),
        (
            lambda t: ["--db", "mysql://u:pw@h/db", "lectures"],
            "'database.url': unsupported database 'mysql'",
            2,
        ),
    ],
)
def test_broken_surroundings_are_one_line(tmp_path: Path, make_args, message: str, code: int) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "garbage.db").write_text("this is not SQLite")
    result = run(*make_args(tmp_path), "--json", tmp_path=tmp_path)
    assert result.returncode == code
    assert "pw@" not in result.stderr
    assert "Traceback" not in result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert (tmp_path / "garbage.db").read_text() == "this is not SQLite"  # nothing overwritten
