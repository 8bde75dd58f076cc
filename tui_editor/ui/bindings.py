"""Key bindings with namespaced ids (`[keymap]` in config.toml remaps them by id).

The defaults follow DESIGN.md §5. An entry in `[keymap]` *replaces* the default key(s) of that binding
(several keys: comma-separated, e.g. `"lecture.down" = "n,down"`). The help screen and the command
palette read the bindings through `effective_bindings`, and the hints in screens ("ctrl+g to retry",
"Accept (a)") through `key_for`, so a remap shows everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from textual.binding import Binding, BindingsMap, BindingType

APP_BINDINGS: list[BindingType] = [
    Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True, show=False, tooltip="Quit from anywhere"),
    Binding("f1,question_mark", "help", "Help", id="app.help", tooltip="Show every key"),
    Binding(
        "ctrl+p",
        "command_palette",
        "Commands",
        id="app.command_palette",
        show=False,
        priority=True,
        tooltip="Open the command palette",
    ),
]

TIMELINE_BINDINGS: list[BindingType] = [
    Binding("j,down", "cursor_down", "Down", id="lecture.down", show=False, tooltip="Next clip"),
    Binding("k,up", "cursor_up", "Up", id="lecture.up", show=False, tooltip="Previous clip"),
    Binding("pagedown", "page_down", "Page down", id="lecture.page_down", show=False),
    Binding("pageup", "page_up", "Page up", id="lecture.page_up", show=False),
    Binding("home", "first", "First clip", id="lecture.home", show=False),
    Binding("end", "last", "Last clip", id="lecture.end", show=False),
    Binding("enter", "open", "Open clip", id="lecture.open", tooltip="Open the clip editor"),
    Binding(
        "space",
        "toggle_mark",
        "Mark",
        id="lecture.mark",
        show=False,
        tooltip="Mark or unmark the clip for a batch regenerate",
    ),
]

LECTURE_BINDINGS: list[BindingType] = [
    Binding("slash", "filter", "Filter", id="lecture.filter", tooltip="Filter clips by name or summary"),
    Binding("escape", "clear_filter", "Clear filter", id="lecture.clear_filter"),
    Binding(
        "r",
        "review_session",
        "Review",
        id="lecture.review",
        tooltip="Review every pending preview, one key per decision",
    ),
    Binding("v", "review_queue", "Queue", id="lecture.review_queue", tooltip="The list of pending previews"),
    Binding("h", "history", "History", id="lecture.history", tooltip="The lecture's revisions"),
    Binding(
        "o", "switch_lecture", "Lectures", id="lecture.switch", show=False, tooltip="Open another lecture"
    ),
    Binding(
        "R",
        "batch",
        "Batch",
        id="lecture.batch",
        show=False,
        tooltip="Regenerate the marked clips (or the filtered view): cost and ETA first, then confirm",
    ),
    Binding(
        "T",
        "retime",
        "Retime",
        id="lecture.retime",
        show=False,
        tooltip="Fit each narration to its audio and ripple every track (one revision)",
    ),
    Binding(
        "X",
        "clear_stale",
        "Clear stale",
        id="lecture.clear_stale",
        show=False,
        tooltip="Mark the marked clips (or the clip under the cursor) as current again",
    ),
    Binding("q", "quit_screen", "Quit", id="lecture.quit"),
]

QUEUE_BINDINGS: list[BindingType] = [
    Binding("enter", "open", "Review", id="queue.open", tooltip="Open the clip with its review"),
    Binding("j", "cursor_down", "Down", id="queue.down", show=False),
    Binding("k", "cursor_up", "Up", id="queue.up", show=False),
    Binding("q,escape", "back", "Back", id="queue.back"),
]

HISTORY_BINDINGS: list[BindingType] = [
    Binding(
        "enter", "show_diff", "Diff", id="history.diff", tooltip="What the revision changed, field by field"
    ),
    Binding(
        "R", "restore", "Restore", id="history.restore", tooltip="Restore this revision (a new revision)"
    ),
    Binding("j", "cursor_down", "Down", id="history.down", show=False),
    Binding("k", "cursor_up", "Up", id="history.up", show=False),
    Binding("q,escape", "back", "Back", id="history.back"),
]

PICKER_BINDINGS: list[BindingType] = [
    Binding("enter", "open", "Open", id="picker.open", tooltip="Open this lecture"),
    Binding(
        "n",
        "new_lecture",
        "New from script",
        id="picker.new",
        tooltip="Create a lecture from a script file and generate its media",
    ),
    Binding("j", "cursor_down", "Down", id="picker.down", show=False),
    Binding("k", "cursor_up", "Up", id="picker.up", show=False),
    Binding("q,escape", "back", "Back", id="picker.back"),
]

NEW_LECTURE_BINDINGS: list[BindingType] = [
    Binding("escape", "cancel", "Cancel", id="new.cancel", tooltip="Close, or stop the generation"),
]

CLIP_EDITOR_BINDINGS: list[BindingType] = [
    Binding(
        "ctrl+g",
        "generate",
        "Generate",
        id="clip.generate",
        tooltip="Generate a new version from the fields with a new seed (retries after an error)",
    ),
    Binding(
        "ctrl+s",
        "generate_same_seed",
        "Same seed",
        id="clip.same_seed",
        tooltip="Generate again with the current take's seed (e.g. after changing only the prompt)",
    ),
    Binding(
        "f3,t",
        "takes",
        "Takes",
        id="clip.takes",
        tooltip="The clip's take stack: restore, star, compare (t when no text field has focus)",
    ),
    Binding("ctrl+t", "cancel_run", "Cancel", id="clip.cancel", tooltip="Cancel the running generation"),
    Binding("ctrl+o", "open_review", "Review", id="clip.review", tooltip="Review the pending preview"),
    Binding("ctrl+r", "revert", "Revert", id="clip.revert", tooltip="Forget your edits"),
    Binding("escape", "back", "Back", id="clip.back", tooltip="Back to the lecture (the draft reverts)"),
]

REVIEW_BINDINGS: list[BindingType] = [
    Binding(
        "a", "accept", "Accept", id="review.accept", tooltip="Accept the preview and replace the clip's asset"
    ),
    Binding("x", "reject", "Reject", id="review.reject", tooltip="Reject the preview (your draft is kept)"),
    Binding(
        "p",
        "play",
        "Play",
        id="review.play",
        tooltip="Play the preview audio (again to stop); over SSH: a one-time link to it",
    ),
    Binding(
        "c",
        "play_context",
        "In context",
        id="review.context",
        tooltip="Play the clip with a few seconds around it",
    ),
    Binding("escape", "close", "Close", id="review.close", tooltip="Close; the preview stays pending"),
]

SESSION_BINDINGS: list[BindingType] = [
    Binding("a", "accept", "Accept", id="session.accept", tooltip="Accept this preview and show the next"),
    Binding("x", "reject", "Reject", id="session.reject", tooltip="Reject this preview and show the next"),
    Binding("space", "skip", "Skip", id="session.skip", tooltip="Leave this preview pending; show the next"),
    Binding("u", "undo", "Undo", id="session.undo", tooltip="Undo the session's last decision"),
    Binding("tab", "swap", "Swap", id="session.swap", tooltip="Enlarge the other side (preview / current)"),
    Binding(
        "p",
        "play_preview",
        "Play",
        id="session.play",
        tooltip="Play the preview audio (again to stop); over SSH: a one-time link to it",
    ),
    Binding(
        "P",
        "play_current",
        "Play current",
        id="session.play_current",
        show=False,  # in help: at 80 columns the footer has no room left for it
        tooltip="Play the current audio from the same offset; over SSH: a one-time link to it",
    ),
    Binding("escape", "end", "End", id="session.end", tooltip="End the session (a summary is shown)"),
]

TAKES_BINDINGS: list[BindingType] = [
    Binding(
        "enter", "restore", "Restore", id="takes.restore", tooltip="Make this take current (a new revision)"
    ),
    Binding("s", "star", "Star", id="takes.star", tooltip="Star / unstar this take (starred takes are kept)"),
    Binding("c", "compare", "Compare", id="takes.compare", tooltip="This take beside the current asset"),
    Binding("j", "cursor_down", "Down", id="takes.down", show=False),
    Binding("k", "cursor_up", "Up", id="takes.up", show=False),
    Binding("q,escape", "back", "Back", id="takes.back"),
]

COMPARE_BINDINGS: list[BindingType] = [
    Binding("enter", "restore", "Restore", id="compare.restore", tooltip="Make this take current"),
    Binding("tab", "swap", "Swap", id="compare.swap", tooltip="Enlarge the other side"),
    Binding("q,escape", "back", "Back", id="compare.back"),
]

BATCH_BINDINGS: list[BindingType] = [
    Binding("enter,y", "confirm", "Start", id="batch.start", tooltip="Start the batch"),
    Binding("escape,n", "cancel", "Cancel", id="batch.cancel", tooltip="Start nothing"),
]

DIFF_BINDINGS: list[BindingType] = [
    Binding("q,escape,enter", "close", "Close", id="diff.close"),
    Binding("j,down", "scroll_down", "Down", id="diff.down", show=False),
    Binding("k,up", "scroll_up", "Up", id="diff.up", show=False),
]

HELP_BINDINGS: list[BindingType] = [
    Binding("q,escape,f1,question_mark", "close", "Close", id="help.close"),
    Binding("j,down", "scroll_down", "Down", id="help.down", show=False),
    Binding("k,up", "scroll_up", "Up", id="help.up", show=False),
]


ALL_BINDINGS: tuple[list[BindingType], ...] = (
    APP_BINDINGS,
    TIMELINE_BINDINGS,
    LECTURE_BINDINGS,
    QUEUE_BINDINGS,
    HISTORY_BINDINGS,
    PICKER_BINDINGS,
    NEW_LECTURE_BINDINGS,
    CLIP_EDITOR_BINDINGS,
    REVIEW_BINDINGS,
    SESSION_BINDINGS,
    TAKES_BINDINGS,
    COMPARE_BINDINGS,
    BATCH_BINDINGS,
    DIFF_BINDINGS,
    HELP_BINDINGS,
)
"""Every binding list of the editor; each binding has an id, unique across all of them."""


def _defined_keys() -> dict[str, str]:
    """Each binding id's keys as its definition writes them ("j,down")."""
    keys: dict[str, str] = {}
    for bindings in ALL_BINDINGS:
        for binding in bindings:
            assert isinstance(binding, Binding) and binding.id, f"binding without an id: {binding}"
            keys[binding.id] = binding.key
    return keys


_DEFINED_KEYS = _defined_keys()

_KEY_DISPLAY = {"escape": "esc", "question_mark": "?", "slash": "/", "P": "shift+p"}


def key_for(binding_id: str, keymap: Mapping[str, str] | None = None) -> str:
    """The key to show for a binding in hints and labels: its first key after the user's `[keymap]`.

    An unknown id is a `KeyError`: a hint must name a real binding.
    """
    defined = _DEFINED_KEYS[binding_id]
    keys = _normalized_keys((keymap or {}).get(binding_id) or "") or _normalized_keys(defined)
    return _KEY_DISPLAY.get(keys[0], keys[0])


@dataclass(frozen=True)
class KeyRow:
    """One action and the keys it has now (after the keymap)."""

    id: str
    keys: tuple[str, ...]
    description: str
    action: str
    tooltip: str


def effective_bindings(bindings: Iterable[BindingType], keymap: Mapping[str, str]) -> list[KeyRow]:
    """The bindings as they are after `keymap`, one row per binding id (or per action), in order."""
    bindings_map = BindingsMap(bindings)
    bindings_map.apply_keymap(dict(keymap))
    rows: dict[str, KeyRow] = {}
    order: list[str] = []
    for key, binding in bindings_map:
        ident = binding.id or binding.action
        if ident not in rows:
            order.append(ident)
            rows[ident] = KeyRow(
                id=binding.id or "",
                keys=(key,),
                description=binding.description or binding.action.replace("_", " "),
                action=binding.action,
                tooltip=binding.tooltip,
            )
        else:
            row = rows[ident]
            if key not in row.keys:
                rows[ident] = KeyRow(row.id, (*row.keys, key), row.description, row.action, row.tooltip)
    original = [b.id or b.action for b in Binding.make_bindings(bindings)]
    position = {ident: i for i, ident in reversed(list(enumerate(original)))}
    return sorted((rows[i] for i in order), key=lambda r: position.get(r.id or r.action, 1_000))


def keymap_clashes(
    contexts: Mapping[str, Sequence[Sequence[BindingType]]], keymap: Mapping[str, str]
) -> list[str]:
    """Keys that the keymap gave to two actions active at once (one of them silently loses).

    `contexts` maps a screen name to the binding lists active together there (widget, screen, app).
    Only clashes the keymap caused are reported; Textual itself only reports a subset of them.
    """
    if not keymap:
        return []
    problems: list[str] = []
    seen: set[tuple[str, frozenset[str]]] = set()
    for context, layers in contexts.items():
        owners: dict[str, list[KeyRow]] = {}
        for layer in layers:
            for row in effective_bindings(layer, {}):
                if row.id in keymap:
                    continue
                for key in row.keys:
                    owners.setdefault(key, []).append(row)
        for layer in layers:
            for row in effective_bindings(layer, {}):
                if not row.id or row.id not in keymap:
                    continue
                for key in _normalized_keys(keymap[row.id]):
                    others = [o for o in owners.get(key, []) if o.id != row.id and o.action != row.action]
                    if not others:
                        continue
                    ids = frozenset({row.id, *(o.id or o.action for o in others)})
                    if (key, ids) in seen:
                        continue
                    seen.add((key, ids))
                    lost = ", ".join(sorted(o.id or o.action for o in others))
                    problems.append(f"{key!r} is mapped to {row.id} but also used by {lost} ({context})")
    return problems


def _normalized_keys(keys: str) -> list[str]:
    """The keys of a keymap entry (already normalized by the App: `?` is `question_mark`)."""
    return [key.strip() for key in keys.split(",") if key.strip()]
