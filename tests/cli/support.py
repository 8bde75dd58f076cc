"""Running the real `tui-editor` console script in a subprocess, with its own XDG directories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

TUI = Path(sys.executable).parent / "tui-editor"


def isolated_env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TUI_EDITOR") and k not in ("OPENAI_API_KEY", "REPLICATE_API_TOKEN")
    }
    env["XDG_CONFIG_HOME"] = str(home / "xdg-config")
    env["XDG_DATA_HOME"] = str(home / "xdg-data")
    env["XDG_STATE_HOME"] = str(home / "xdg-state")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


class Cli:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.env = isolated_env(home)

    def __call__(
        self, *args: str, data_dir: Path | None = None, exe: list[str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        command = list(exe or [str(TUI)])
        if data_dir is not None:
            command += ["--data-dir", str(data_dir)]
        command += list(args)
        return subprocess.run(
            command, capture_output=True, text=True, env=self.env, cwd=self.home, timeout=180, check=False
        )

    def ok(self, *args: str, data_dir: Path | None = None) -> str:
        result = self(*args, data_dir=data_dir)
        assert result.returncode == 0, f"{args}: exit {result.returncode}\n{result.stderr}"
        return result.stdout

    def json(self, *args: str, data_dir: Path | None = None) -> Any:
        return json.loads(self.ok(*args, data_dir=data_dir))


def one_error_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    """Assert the exit code and a single `tui-editor: ...` line on stderr; return that line."""
    assert result.returncode == code, f"exit {result.returncode}, wanted {code}\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tui-editor: "), lines[0]
    return lines[0]
