"""The wheel as a user gets it: built from the sources, installed into a fresh venv (no editable install
to hide a missing subpackage or data file), and run from there on its own data dir.

Takes ~25 s (most of it pip installing the dependencies from its cache); it has its own temporary
directories, so it runs in parallel with the rest.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "LICENSE", "tui_editor", "assets")


def _run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, f"{argv}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_the_wheel_installs_into_a_fresh_venv_and_runs(tmp_path: Path) -> None:
    # Build from a copy of what a source distribution holds, so the build leaves nothing in the
    # repository (setuptools writes build/ and *.egg-info next to pyproject.toml).
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(REPO / name, source / name)
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)], tmp_path)
    (wheel,) = wheels.glob("tui_editor-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    for data_file in (
        "tui_editor/ui/app.tcss",
        "tui_editor/assets/demo_lecture.json",
        "tui_editor/core/migrations/script.py.mako",
        "tui_editor/py.typed",
    ):
        assert data_file in names, data_file
    for package in (REPO / "tui_editor").rglob("__init__.py"):  # every subpackage was found
        assert package.relative_to(REPO).as_posix() in names, package
    assert "License-Expression: MIT" in metadata
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path)
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], tmp_path)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUI_EDITOR", "PYTHON", "VIRTUAL_ENV"))}
    env |= {name: str(tmp_path / name.lower()) for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME")}
    # Run from an empty directory: nothing of the repository is importable from there.
    work = tmp_path / "work"
    work.mkdir()
    location = _run(
        [str(venv / "bin" / "python"), "-c", "import tui_editor; print(tui_editor.__file__)"], work, env
    )
    assert location.startswith(str(venv)), location
    tui = str(venv / "bin" / "tui-editor")
    data = tmp_path / "data"
    lecture_id = _run([tui, "--data-dir", str(data), "demo"], work, env).strip()
    lectures = json.loads(_run([tui, "--data-dir", str(data), "lectures", "--json"], work, env))
    assert [(x["id"], x["title"]) for x in lectures] == [(lecture_id, "Photosynthesis")]
    assert "complete" in _run([tui, "completion", "bash"], work, env)  # shtab came along
