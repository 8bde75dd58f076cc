"""Field editors built from a kind's `FieldSpec`s: one row per field, cheap to type in.

- `text` + `multiline` → a `TextArea` sized to its content (1–6 rows), never full screen;
- `choice` → a `Select` of the spec's choices; the `model` field → a `Select` of the kind's model
  catalogue (plus the current value when the catalogue does not have it);
- `int` / `float` → an `Input` restricted to numbers; anything else → a one-line `Input` (the voice's
  completes the voices of the draft's model: `follow_model`).
Inputs and selects are compact (one row, no border), so a keystroke repaints one line.

`FieldEditor.Edited` carries the parsed value (or the raw text and an error). `set_value` updates the
control from the draft without posting a change back, so a draft change never echoes into a loop.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Literal

from rich.console import RenderableType
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Input, Label, Select, TextArea
from textual.widgets.select import InvalidSelectValueError

from ...core.kinds import AssetKind, FieldSpec, ValidationError
from ...core.safe_text import visible

#: Which `Input` validates a field type as the user types (the rest are free text).
_INPUT_TYPES: dict[str, Literal["integer", "number", "text"]] = {"int": "integer", "float": "number"}

MAX_TEXT_ROWS = 6


def format_value(spec: FieldSpec, value: Any) -> str:
    """A field value as the text an `Input` shows."""
    if value is None:
        return ""
    if spec.type == "float" and isinstance(value, int | float):
        text = f"{float(value):.2f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    return str(value)


def parse_value(spec: FieldSpec, text: str) -> Any:
    """The typed value for what the user typed; raises `ValidationError` with a readable message."""
    if spec.type in ("int", "float"):
        stripped = text.strip().replace("_", "")
        if not stripped:
            return spec.coerce(None)
        return spec.coerce(stripped)
    return spec.coerce(text)


class PromptArea(TextArea):
    """A multi-line field that grows with its text, up to `MAX_TEXT_ROWS` rows."""

    DEFAULT_CSS = f"""
    PromptArea {{
        height: auto;
        max-height: {MAX_TEXT_ROWS};
        min-height: 1;
        border: none;
        padding: 0 1;
        background: $boost;
        &:focus {{ border: none; background: $boost; }}
    }}
    """

    def on_mount(self) -> None:
        self.move_cursor(self.document.end)  # editing usually continues the text


class FieldEditor(Horizontal):
    """One editable field: its label and a control chosen by the spec."""

    DEFAULT_CSS = """
    FieldEditor { height: auto; width: 1fr; }
    FieldEditor > .field-label { width: 14; height: 1; color: $text-muted; padding: 0 1 0 0; }
    FieldEditor:focus-within > .field-label { color: $text; text-style: bold reverse; }
    FieldEditor.-invalid > .field-label { color: $error; text-style: bold; }
    FieldEditor > Input, FieldEditor > Select { width: 1fr; }
    FieldEditor.-multiline { height: auto; }
    FieldEditor > PromptArea { width: 1fr; }
    """

    @dataclass
    class Edited(Message):
        """The user changed a field. `error` is set (and `value` is the raw text) when it is invalid."""

        editor: FieldEditor
        name: str
        value: Any
        error: str | None = None

        @property
        def control(self) -> FieldEditor:
            return self.editor

    def __init__(self, kind: AssetKind, spec: FieldSpec, value: Any) -> None:
        super().__init__(id=f"field-{spec.name}", classes="field-editor")
        self.kind = kind
        self.spec = spec
        self._field_value = value
        self.error: str | None = None
        self._voices_for: str | None = None  # the model whose voices a voice field offers
        self.control_widget: Widget = self._make_control(value)
        if self.is_multiline:
            self.add_class("-multiline")

    # --- construction ---------------------------------------------------------------------------
    @property
    def is_multiline(self) -> bool:
        return self.spec.type == "text" and self.spec.multiline

    @property
    def is_model(self) -> bool:
        return self.spec.name == "model" and bool(self.kind.models)

    @property
    def is_voice(self) -> bool:
        return self.spec.name == "voice" and any(choice.voices for choice in self.kind.models)

    def follow_model(self, model: Any) -> None:
        """A voice field offers the voices of the draft's model (they are named per model): it completes
        them as the user types and, while empty, shows the model's default and its voices."""
        control = self.control_widget
        name = model.strip() if isinstance(model, str) else ""
        if not self.is_voice or not isinstance(control, Input) or name == self._voices_for:
            return
        self._voices_for = name
        voices = self.kind.voices_of(name)
        control.suggester = SuggestFromList(voices, case_sensitive=False) if voices else None
        control.placeholder = f"{voices[0]} (default) · {', '.join(voices)}" if voices else ""

    # Option prompts are literal `Text`: a str prompt is markup, and a stored value is data.
    def _model_options(self, current: Any) -> list[tuple[RenderableType, str]]:
        options: list[tuple[RenderableType, str]] = [
            (Text(f"{choice.id} — {choice.label}"), choice.id) for choice in self.kind.models
        ]
        if isinstance(current, str) and current and current not in {c.id for c in self.kind.models}:
            options.append((Text(f"{visible(current)} — (not in catalogue)"), current))
        return options

    def _choice_options(self, current: Any) -> list[tuple[RenderableType, str]]:
        options: list[tuple[RenderableType, str]] = [(Text(choice), choice) for choice in self.spec.choices]
        if isinstance(current, str) and current and current not in self.spec.choices:
            options.append((Text(f"{visible(current)} (invalid)"), current))
        return options

    def _shown(self, value: Any) -> str:
        """The text the control shows for `value`: control characters (data) made visible."""
        if self.is_multiline:
            return visible("" if value is None else str(value), keep_newlines=True)
        return visible(format_value(self.spec, value))

    def _make_control(self, value: Any) -> Widget:
        control_id = f"input-{self.spec.name}"
        if self.is_multiline:
            area = PromptArea(
                self._shown(value),
                id=control_id,
                soft_wrap=True,
                tab_behavior="focus",
                show_line_numbers=False,
            )
            # No border: every keystroke repaints the whole widget, and over SSH each row costs bytes.
            return area
        if self.is_model or self.spec.choices:
            options = self._model_options(value) if self.is_model else self._choice_options(value)
            return Select(
                options,
                value=value if value in {v for _, v in options} else Select.NULL,
                allow_blank=value is None,
                id=control_id,
                compact=True,
            )
        return Input(
            self._shown(value),
            id=control_id,
            type=_INPUT_TYPES.get(self.spec.type, "text"),
            compact=True,
            select_on_focus=False,
        )

    def compose(self) -> ComposeResult:
        yield Label(self.spec.label, classes="field-label")
        yield self.control_widget

    # --- reading / writing ----------------------------------------------------------------------
    @property
    def value(self) -> Any:
        """The last value this editor reported or was given (typed, or raw text when invalid)."""
        return self._field_value

    def _control_text(self) -> str | None:
        control = self.control_widget
        if isinstance(control, TextArea):
            return control.text
        if isinstance(control, Input):
            return control.value
        return None

    def set_value(self, value: Any) -> None:
        """Show a value that came from the draft (accept, revert, rebase) without echoing it back."""
        if self.error is None and value == self._field_value:
            return
        self._field_value = value
        self._set_error(None)
        control = self.control_widget
        if isinstance(control, TextArea):
            text = self._shown(value)
            if control.text != text:
                with control.prevent(TextArea.Changed):
                    control.load_text(text)
        elif isinstance(control, Select):
            options = self._model_options(value) if self.is_model else self._choice_options(value)
            with control.prevent(Select.Changed):
                control.set_options(options)
                if value in {v for _, v in options}:
                    control.value = value
                else:
                    with contextlib.suppress(InvalidSelectValueError):
                        control.clear()
        elif isinstance(control, Input):
            text = self._shown(value)
            if control.value != text:
                with control.prevent(Input.Changed):
                    control.value = text

    def _set_error(self, error: str | None) -> None:
        self.error = error
        self.set_class(error is not None, "-invalid")
        if isinstance(self.control_widget, Input):
            self.control_widget.set_class(error is not None, "-invalid")
        self.tooltip = Content(visible(error)) if error is not None else None  # literal, never markup

    def _report(self, raw: Any) -> None:
        if self.error is None and isinstance(raw, str) and raw == self._shown(self._field_value):
            return  # the control shows the value (control characters made visible): nothing was edited
        try:
            value = parse_value(self.spec, raw) if isinstance(raw, str) else self.spec.coerce(raw)
            error = None
        except ValidationError as exc:
            value, error = raw, str(exc)
        if error is None and self.error is None and value == self._field_value:
            return
        self._field_value = value
        self._set_error(error)
        self.post_message(self.Edited(self, self.spec.name, value, error))

    # --- control events -------------------------------------------------------------------------
    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._report(event.value)

    @on(TextArea.Changed)
    def _area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self._report(event.text_area.text)

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        value = None if event.value is Select.NULL else event.value
        if value is None and self.spec.type != "choice" and not self.is_model:
            return
        self._report(value)
