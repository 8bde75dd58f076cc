"""The one sanitiser: nothing dangerous survives, printable text is untouched, the escape is visible."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.hostile import TERMINAL_DANGER, assert_terminal_safe, escape_sequences, hostile_text
from tui_editor.core.safe_text import is_safe, visible


@given(hostile_text(max_size=10))
def test_nothing_dangerous_survives(text: str) -> None:
    shown = visible(text)
    assert_terminal_safe(shown, newlines=False)
    assert is_safe(shown)


@given(st.text())
def test_any_text_is_made_safe_and_printable_text_is_kept(text: str) -> None:
    shown = visible(text)
    assert shown.isprintable()
    if text.isprintable():
        assert shown == text


@given(escape_sequences())
def test_escapes_are_visible(sequence: str) -> None:
    shown = visible(sequence)
    assert "\x1b" not in shown and "\x9b" not in shown
    assert "\\x1b" in shown or "\\x9b" in shown or "\\x9d" in shown


def test_examples() -> None:
    assert visible("a\x1b]52;c;SGk=\x07b") == "a\\x1b]52;c;SGk=\\x07b"
    assert visible("evil\u202etxt.exe") == "evil\\u202etxt.exe"
    assert visible("two\nlines") == "two\\nlines"
    assert visible("two\nlines\r", keep_newlines=True) == "two\nlines\\r"
    assert visible("\ud800") == "\\ud800"  # a lone surrogate
    assert visible(42) == "42"
    assert "\n" not in TERMINAL_DANGER
