"""The Textual user interface: the only package that imports textual.

Importing `tui_editor.ui` is cheap; the App loads on first use (`from tui_editor.ui import TuiEditorApp`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import TuiEditorApp
    from .run import run_app

__all__ = ["TuiEditorApp", "run_app"]

_LAZY = {"TuiEditorApp": "app", "run_app": "run"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
