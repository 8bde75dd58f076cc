"""Hypothesis strategies for hostile data: control characters, terminal escapes, markup, traversal.

Reuse these in any test of "data is hostile" (DESIGN.md §5): names, prompts, scripts, ids, provider
replies and imported `file` fields.

- `control_chars()`: one C0/C1 control, DEL, bidi override/isolate, zero-width or separator character;
- `escape_sequences()`: whole terminal sequences (OSC 52 clipboard, window title, CSI clear, …);
- `markup_text()`: Textual/Rich markup that would crash or act when parsed (`[/]`, `[@click=…]`);
- `hostile_text()`: printable text mixed with all of the above — never empty;
- `traversal_paths()`: relative paths that leave a folder (`../`, absolute, `~`, drive letters, NUL);
- `bad_ids()`: ids that are not safe as one path segment;
- `mutated_document(base)`: a JSON document (e.g. a real export) with a few nodes replaced or dropped.

`TERMINAL_DANGER` lists the characters that must never reach a terminal raw; `assert_terminal_safe`
checks an output for them.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

from tui_editor.core.paths import SAFE_ID

C0 = [chr(c) for c in range(0x00, 0x20)] + ["\x7f"]
C1 = [chr(c) for c in range(0x80, 0xA0)]
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
INVISIBLE = ["\u200b", "\u200e", "\u200f", "\u2028", "\u2029", "\ufeff", "\u061c"]
TERMINAL_DANGER = frozenset(C0 + C1 + BIDI + INVISIBLE) - {"\n"}
"""Characters that must not reach a terminal raw (a newline is allowed where a text spans lines)."""

ESCAPES = [
    "\x1b]52;c;SGVsbG8gd29ybGQ=\x07",  # OSC 52: write the clipboard
    "\x1b]0;pwned\x07",  # window title
    "\x1b]2;title\x1b\\",  # window title, ST-terminated
    "\x1b[2J\x1b[H",  # clear screen, home
    "\x1b[31mred\x1b[0m",  # colour
    "\x9b2J",  # CSI as a C1 control
    "\x9d0;t\x9c",  # OSC / ST as C1 controls
    "\x1bP+q544e\x1b\\",  # DCS (request termcap)
    "\x1b[6n",  # cursor position report (the terminal answers on stdin)
    "\r\x1b[K",  # carriage return + erase line
    "\x1b]8;;http://evil.example/\x07link\x1b]8;;\x07",  # hyperlink
]
MARKUP = [
    "[/]",
    "[@click=app.quit]x[/]",
    "[@click=app.quit]quit",
    "[b]",
    "[/b]",
    "[",
    "]",
    "[[",
    "[red on blue]x",
    "[link=http://evil.example]x[/link]",
    "\\[",
    "$accent",
    "[$accent]x",
    ":smile:",
    "[reverse]",
]


def control_chars() -> st.SearchStrategy[str]:
    """One dangerous non-printable character."""
    return st.sampled_from(sorted(TERMINAL_DANGER))


def escape_sequences() -> st.SearchStrategy[str]:
    """One whole terminal escape sequence, known or generated (ESC or CSI followed by junk)."""
    generated = st.builds(
        lambda lead, body: lead + body,
        st.sampled_from(["\x1b[", "\x1b]", "\x9b", "\x9d", "\x1bP"]),
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12),
    )
    return st.one_of(st.sampled_from(ESCAPES), generated)


def markup_text() -> st.SearchStrategy[str]:
    """Markup that must stay literal text: known troublemakers and bracketed junk."""
    bracketed = st.builds(
        lambda inner, close: f"[{inner}{close}",
        st.text(st.sampled_from("/@=.abcdeklq_ $#()'\"[]"), max_size=10),
        st.sampled_from(["]", "", "]x[/]"]),
    )
    return st.one_of(st.sampled_from(MARKUP), bracketed)


def hostile_text(*, min_size: int = 1, max_size: int = 6) -> st.SearchStrategy[str]:
    """Never-empty text mixing printable words with controls, escapes and markup."""
    piece = st.one_of(
        st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=8),
        control_chars(),
        escape_sequences(),
        markup_text(),
    )
    return (
        st.lists(piece, min_size=min_size, max_size=max_size)
        .map("".join)
        .filter(lambda text: text.strip() != "")
    )


def hostile_name() -> st.SearchStrategy[str]:
    """A hostile name that is also a valid required text field (not blank, holds something dangerous; no
    NUL, which every text field refuses: `core.exchange`)."""
    return hostile_text(min_size=1, max_size=4).filter(
        lambda text: "\x00" not in text and (any(c in TERMINAL_DANGER for c in text) or "[" in text)
    )


def traversal_paths() -> st.SearchStrategy[str]:
    """Relative `file` values that would leave the folder they are joined to."""
    name = st.text(st.sampled_from("abcxyz._-"), min_size=1, max_size=6).filter(
        lambda s: s not in (".", "..")
    )
    up = st.builds(
        lambda n, prefix, tail: prefix + "../" * n + tail,
        st.integers(1, 6),
        st.sampled_from(["", "media/", "./", "previews/run_1/"]),
        st.sampled_from(["etc/passwd", "x", "../x"]) | name,
    )
    absolute = st.sampled_from(
        ["/etc/passwd", "/", "//server/share", "~/x", "~root/.ssh", "C:\\x", "C:x", "\\\\host\\x"]
    )
    windows_up = st.builds(lambda n: "..\\" * n + "x", st.integers(1, 4))
    nul = st.builds(lambda a: f"media/{a}\x00.png", name)
    return st.one_of(up, absolute, windows_up, nul)


def bad_ids() -> st.SearchStrategy[str]:
    """Ids that are not a safe path segment (the program never makes such ids)."""
    return st.one_of(
        traversal_paths(),
        st.sampled_from(["", ".", "..", "a/b", "a\\b", "-x", ".hidden", "x" * 200, "run 1", "run\n1"]),
        hostile_text(max_size=3),
    ).filter(lambda value: SAFE_ID.fullmatch(value) is None)


def assert_terminal_safe(output: str, *, newlines: bool = True) -> None:
    """Fail if `output` holds a character that must not reach a terminal raw."""
    bad = sorted({c for c in output if c in TERMINAL_DANGER or (not newlines and c == "\n")})
    assert not bad, f"raw control characters reached the output: {bad!r} in {output[:300]!r}"


# --- documents ---------------------------------------------------------------------------------------


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        [
            10**400,
            -(10**400),
            1e308,
            -1e308,
            1e-300,
            -0.0,
            "",
            " ",
            "\ud800",
            "a\x00b",
            "0001-01-01T00:00:00",
            "0001-01-01T00:00:00+05:00",
            "9999-12-31T23:59:59-05:00",
            "2024-02-30T00:00:00",
            "16:9",
            "local/pillow",
            "C major",
        ]
    ),
    hostile_text(max_size=3),
    traversal_paths(),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def mutated_document(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """`base` (a JSON document, e.g. a real export) with 1–3 mutations: any node set to any JSON value,
    hostile text or an extreme number, or any key dropped."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        if not path:
            continue
        *parents, last = path
        node: Any = doc
        for part in parents:
            node = node[part]
        if isinstance(node, dict) and draw(st.booleans()):
            del node[last]
        else:
            node[last] = draw(JSON_VALUES)
    return doc
