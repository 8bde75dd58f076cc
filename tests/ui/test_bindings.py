"""Bindings: every one has an id, `key_for` shows the key each really has, and no hand copies remain."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.binding import Binding

import tui_editor
from tui_editor.ui.bindings import ALL_BINDINGS, CLIP_EDITOR_BINDINGS, REVIEW_BINDINGS, key_for


def all_bindings() -> list[Binding]:
    found = [binding for bindings in ALL_BINDINGS for binding in bindings]
    assert all(isinstance(binding, Binding) for binding in found)
    return [binding for binding in found if isinstance(binding, Binding)]


def test_every_binding_has_one_unique_id_and_one_key_shown() -> None:
    bindings = all_bindings()
    ids = [binding.id for binding in bindings]
    assert all(ids), [b for b in bindings if not b.id]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    for binding in bindings:
        assert binding.id is not None
        shown = key_for(binding.id)
        assert shown and "," not in shown  # one key, the first one defined
    assert key_for("clip.generate") == "ctrl+g"
    assert key_for("lecture.down") == "j"  # "j,down": the first
    assert key_for("review.close") == "esc" and key_for("lecture.filter") == "/"
    assert key_for("app.help") == "f1"


def test_the_screens_use_the_lists_defined_here_and_do_not_import_each_other() -> None:
    from tui_editor.ui.screens import review
    from tui_editor.ui.screens.clip_editor import ClipEditorScreen

    assert ClipEditorScreen.BINDINGS is CLIP_EDITOR_BINDINGS
    assert review.ReviewScreen.BINDINGS is REVIEW_BINDINGS
    assert "clip_editor" not in Path(review.__file__).read_text(encoding="utf-8")  # no import cycle


def test_a_keymap_entry_replaces_the_key_shown() -> None:
    assert key_for("clip.generate", {"clip.generate": "f5"}) == "f5"
    assert key_for("review.accept", {"review.accept": "question_mark,y"}) == "?"
    assert key_for("review.accept", {"review.accept": " , "}) == "a"  # an empty entry keeps the default
    assert key_for("review.accept", {"clip.generate": "f5"}) == "a"  # other ids do not matter


def test_an_unknown_binding_id_is_an_error() -> None:
    with pytest.raises(KeyError):
        key_for("clip.nonexistent")


def test_no_hand_copied_key_tables_remain() -> None:
    package = Path(tui_editor.__file__).parent
    copies = [
        f"{path.relative_to(package)}:{number}"
        for path in sorted(package.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bDEFAULT_KEYS\b|def key_for\(", line) and path.name != "bindings.py"
    ]
    assert copies == []
    assert "DEFAULT_KEYS" not in (package / "ui" / "bindings.py").read_text(encoding="utf-8")
