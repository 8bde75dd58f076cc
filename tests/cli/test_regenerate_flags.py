"""`regenerate` takes one flag per editable field of the kinds, with the spec's help, types and limits."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tui_editor.core.kinds import KINDS, request_flags


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui_editor", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_help_lists_every_editable_field_with_its_help(tmp_path: Path) -> None:
    result = _run("regenerate", "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    help_text = " ".join(result.stdout.split())  # argparse wraps lines
    for flag in request_flags():
        assert f"{flag.option} {flag.metavar}" in help_text
        assert " ".join(flag.help.split()) in help_text, flag.option
    editable = {spec.name for kind in KINDS.values() for spec in kind.editable_fields}
    assert {flag.field for flag in request_flags()} == editable


def test_a_number_flag_is_checked_by_its_type_before_anything_opens(tmp_path: Path) -> None:
    result = _run("--data-dir", str(tmp_path / "data"), "regenerate", "L", "C", "--bpm", "fast", cwd=tmp_path)
    assert result.returncode == 2
    assert re.search(r"--bpm.*invalid int value: 'fast'", result.stderr), result.stderr
    assert not (tmp_path / "data").exists()
