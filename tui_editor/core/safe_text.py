"""Text from data made safe to show: control characters become visible, never reach a terminal raw.

Names, prompts, scripts, ids and provider error texts come from other people and other programs. A
terminal acts on what it is sent: ESC starts a CSI/OSC sequence (screen clears, window titles, OSC 52
clipboard writes), C1 controls (U+0080–U+009F) do the same on some terminals, and bidirectional
overrides (U+202A–U+202E, U+2066–U+2069) reorder what is shown so text can lie about itself.

`visible` is the one sanitiser: every character Python does not call printable (C0/C1 controls, DEL,
format characters such as bidi overrides and zero-width marks, line/paragraph separators, surrogates,
private-use and unassigned code points) is replaced by its escape (`\\x1b`, `\\u202e`), so it is visible,
inert and still tells the reader something was there. A backslash stays as it is. `--json` output and
export files never go through it: those stay exact.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["escape_char", "is_safe", "visible"]


def escape_char(char: str) -> str:
    """The visible escape of one character: `\\n`, `\\x1b`, `\\u202e`, `\\U000e0001`."""
    return char.encode("unicode_escape", "backslashreplace").decode("ascii")


def visible(text: object, *, keep_newlines: bool = False) -> str:
    """`text` (anything: it is `str()`-ed) with every non-printable character escaped.

    `keep_newlines` keeps `\\n` as a line break (multi-line texts such as a script shown in a panel);
    everything else that is not printable — tabs and carriage returns included — is escaped.
    """
    value = text if isinstance(text, str) else str(text)
    if value.isprintable():
        return value
    return "".join(
        char if char.isprintable() or (keep_newlines and char == "\n") else escape_char(char)
        for char in value
    )


def is_safe(text: str, *, keep_newlines: bool = False) -> bool:
    """Whether `text` holds nothing `visible` would escape."""
    return all(char.isprintable() or (keep_newlines and char == "\n") for char in text)


def json_text(data: Any) -> str:
    """`data` as indented JSON, exact, yet safe on a terminal: every character that is not printable
    (C1 controls, bidi overrides, lone surrogates — JSON itself escapes only C0) is written as `\\uXXXX`,
    which any JSON reader turns back into the same text."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if text.isprintable() or all(c.isprintable() or c == "\n" for c in text):
        return text + "\n"

    def escape(char: str) -> str:
        if char == "\n" or char.isprintable():
            return char
        code = ord(char)
        if code > 0xFFFF:
            code -= 0x10000
            return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
        return f"\\u{code:04x}"

    return "".join(map(escape, text)) + "\n"
