"""The UI-free core never imports Textual or Rich, and importing the package root stays cheap."""

from __future__ import annotations

import subprocess
import sys

import pytest

UI_FREE = [
    "tui_editor.core",
    "tui_editor.runs",
    "tui_editor.generators",
    "tui_editor.demo",
    "tui_editor.lectures",
    "tui_editor.render",
]


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return set(out.split())


@pytest.mark.parametrize(
    "module",
    [
        "tui_editor.core.store",
        "tui_editor.core.provider",
        "tui_editor.core.editor",
        "tui_editor.core.runboard",
        "tui_editor.demo",
        "tui_editor.runs.local",
        "tui_editor.runs.runtime",
        "tui_editor.generators.registry",
        "tui_editor.generators.local_visual",
        "tui_editor.generators.local_narration",
        "tui_editor.generators.local_piper",
        "tui_editor.generators.voices",
        "tui_editor.generators.local_music",
        "tui_editor.generators.openai_compat",
        "tui_editor.generators.replicate",
        "tui_editor.lectures.from_script",
        "tui_editor.lectures.tutopanda_import",
        "tui_editor.cli",
    ],
)
def test_ui_free_modules_do_not_load_textual(module: str) -> None:
    loaded = _modules_after(f"import {module}")
    assert "textual" not in loaded
    assert not any(name.startswith("tui_editor.ui") for name in loaded)
    if "httpx" not in loaded:  # httpx's package root pulls in rich for its own CLI; we never do
        assert "rich" not in loaded


def test_import_linter_contract_covers_the_ui_free_packages() -> None:
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    forbidden = next(c for c in contracts if c["type"] == "forbidden")
    assert set(forbidden["source_modules"]) == set(UI_FREE)
    assert {"textual", "rich"} <= set(forbidden["forbidden_modules"])
    layers = next(c for c in contracts if c["type"] == "layers")["layers"]
    # The core imports neither the engine nor the generators nor the settings.
    assert layers[-1] == "tui_editor.core"
    assert layers.index("tui_editor.runs") < layers.index("tui_editor.generators") < len(layers) - 1


def test_package_root_is_cheap() -> None:
    loaded = _modules_after("import tui_editor")
    assert not {"textual", "sqlalchemy", "sqlmodel", "httpx", "numpy", "PIL"} & loaded


def test_core_light_modules_stay_light_for_the_first_frame() -> None:
    """What the UI imports before its first frame must not drag in the database or HTTP stacks."""
    loaded = _modules_after("import tui_editor.core.editor, tui_editor.core.urls, tui_editor.config")
    assert not {"sqlalchemy", "sqlmodel", "httpx", "alembic", "numpy", "PIL"} & loaded
