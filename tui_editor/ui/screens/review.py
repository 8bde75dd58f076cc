"""The review modal: a clip's pending preview beside its committed asset, and the decision.

`ReviewScreen(session)` wraps the same `ClipSession` as the clip editor. It shows the two assets' fields
side by side with the differences marked, the media (an image inline, or audio as duration + waveform
with playback through `[ui] audio_player`), and offers `a` accept & replace, `x` reject, `p` play and
`escape` close — which keeps the preview pending (`ctrl+o` in the editor reopens it). While a decision is
being saved it says so and ignores further decisions; conflicts and decision errors show inline. The
modal closes itself once the session has no preview any more (accepted, rejected, or decided elsewhere).
The decision itself runs where the session lives (`decide`, the clip editor's), so its result arrives
even when the modal is closed while it is being saved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Static

from ...core.editor import ClipSession
from ...core.flow import FlowError
from ...core.kinds import AssetKind, FieldSpec
from ...core.paths import UnsafePathError
from ...core.safe_text import visible
from ...core.urls import strip_cache_buster
from ..bindings import REVIEW_BINDINGS, key_for
from ..widgets.fields import format_value
from ..widgets.key_footer import KeyFooter
from ..widgets.media import media_preview
from ..widgets.media_files import asset_url, media_path
from ..widgets.player import AudioPlayer, PlayerError, playback_route
from .review_sharing import ReviewSharing
from .session_view import SessionView


def _cell(spec: FieldSpec, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if spec.name == "file":
        return Path(strip_cache_buster(str(value))).name
    return format_value(spec, value).replace("\n", " ")


def _same(spec: FieldSpec, a: Any, b: Any) -> bool:
    if spec.type == "float" and isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) < 1e-9
    return bool(a == b)


def diff_rows(
    kind: AssetKind, current: Mapping[str, Any] | None, preview: Mapping[str, Any] | None
) -> list[tuple[FieldSpec, str, str, bool]]:
    """(field, current text, preview text, differs) for every field of the kind, in display order."""
    current = current or {}
    preview = preview or {}
    rows = []
    for spec in kind.fields:
        before, after = current.get(spec.name), preview.get(spec.name)
        differs = not _same(spec, before, after)
        if spec.name == "file":  # a preview always lives in its own file: say so only if the name differs
            differs = _cell(spec, before) != _cell(spec, after)
        rows.append((spec, _cell(spec, before), _cell(spec, after), differs))
    return rows


def fields_table(
    node: Widget, kind: AssetKind, current: Mapping[str, Any] | None, preview: Mapping[str, Any] | None
) -> Table:
    """The field diff: Field, Current, Preview, differences marked (the review modal and session)."""
    highlight = "bold"
    warning = node.app.theme_variables.get("warning") if node.is_attached else None
    if warning and not node.app.no_color:
        highlight = f"bold {warning}"
    table = Table(box=None, expand=True, show_edge=False, pad_edge=False, padding=(0, 1))
    table.add_column("", width=1, no_wrap=True)
    table.add_column("Field", no_wrap=True, style="dim", min_width=8, max_width=14)
    table.add_column("Current", ratio=1, no_wrap=True, overflow="ellipsis")
    table.add_column("Preview", ratio=1, no_wrap=True, overflow="ellipsis")
    for spec, before, after, differs in diff_rows(kind, current, preview):
        table.add_row(
            Text("≠", style=highlight) if differs else Text(""),
            spec.label,
            Text(visible(before)),
            Text(visible(after), style=highlight if differs else ""),
        )
    return table


class ReviewScreen(ReviewSharing, SessionView, ModalScreen[None]):
    """Preview vs. current asset; accept & replace, reject, or close and keep it pending.

    `decide(accept)` starts the decision (the clip editor's `decide`); the flow state shows its progress.
    """

    BINDINGS = REVIEW_BINDINGS
    AUTO_FOCUS = None  # no button has focus, so Enter decides nothing by accident

    DEFAULT_CSS = """
    ReviewScreen { align: center middle; }
    ReviewScreen #review-dialog {
        width: 100%; max-width: 110; height: auto; max-height: 100%;
        border: round $accent; border-title-style: bold; padding: 0 1; background: $surface;
    }
    ReviewScreen #review-body { height: auto; max-height: 1fr; }
    ReviewScreen #review-fields { height: auto; }
    ReviewScreen #review-media { height: auto; margin-top: 1; }
    ReviewScreen .review-side { width: 1fr; height: auto; padding: 0 1 0 0; }
    ReviewScreen .review-side-title { text-style: bold; height: 1; }
    ReviewScreen #review-status { height: auto; margin-top: 1; }
    ReviewScreen #review-status.-empty { display: none; }
    ReviewScreen #review-status.-error { color: $error; text-style: bold; }
    ReviewScreen #review-status.-busy { color: $warning; text-style: bold; }
    ReviewScreen #review-buttons { height: 1; margin-top: 1; }
    ReviewScreen #review-buttons Button { margin-right: 2; min-width: 0; }
    """

    def __init__(
        self,
        session: ClipSession,
        *,
        decide: Callable[[bool], object],
        name: str | None = None,
        id: str | None = "review",  # noqa: A002
    ) -> None:
        super().__init__(name=name, id=id)
        self.session = session
        self._start_decision = decide
        self.kind: AssetKind = session.kind
        state = session.state
        self.preview: Mapping[str, Any] | None = state.preview
        self.preview_token = state.preview_token
        self.current: Mapping[str, Any] | None = session.asset
        self.is_audio = self.kind.media.is_audio
        self._decision: str | None = None  # what the user chose here, for the closing notification
        self._player_message: str | None = None
        self._player: AudioPlayer | None = None
        self._dismissing = False
        self._unsubscribe: Any = None

    # --- environment ----------------------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return Path(self.editor_app.settings.data_path)

    @property
    def image_protocol(self) -> str:
        return str(self.editor_app.settings.ui.image_protocol)

    @property
    def audio_setting(self) -> str:
        return str(self.editor_app.settings.ui.audio_player)

    def _key(self, binding_id: str) -> str:
        return key_for(binding_id, self.editor_app.settings.keymap)

    # --- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical(id="review-dialog") as dialog:
            dialog.border_title = self.kind.preview_title
            # A border title is markup when given a str: the clip name is data, so literal Content.
            dialog.border_subtitle = Content(visible(self.session.clip.name))
            with VerticalScroll(id="review-body", can_focus=False):
                yield Static(self._fields_table(), id="review-fields")
                with Horizontal(id="review-media"):
                    with Vertical(classes="review-side", id="review-current"):
                        yield Static("Current", classes="review-side-title")
                        yield media_preview(
                            self.current,
                            data_dir=self.data_dir,
                            protocol=self.image_protocol,
                            media=self.kind.media,
                        )
                    with Vertical(classes="review-side", id="review-preview"):
                        yield Static("Preview", classes="review-side-title")
                        yield media_preview(
                            self.preview,
                            data_dir=self.data_dir,
                            protocol=self.image_protocol,
                            preview_token=self.preview_token,
                            media=self.kind.media,
                        )
                yield self.link_panel  # inside the scrolling part: the buttons stay in view
            yield Static("", id="review-status", classes="-empty", markup=False)
            with Horizontal(id="review-buttons"):
                yield Button(
                    f"{self.kind.accept_label} ({self._key('review.accept')})",
                    id="review-accept",
                    variant="success",
                    compact=True,
                )
                yield Button(
                    f"{self.kind.reject_label} ({self._key('review.reject')})",
                    id="review-reject",
                    variant="error",
                    compact=True,
                )
                if self.is_audio:
                    yield Button(f"Play ({self._key('review.play')})", id="review-play", compact=True)
                yield Button(f"Close ({self._key('review.close')})", id="review-close", compact=True)
        yield KeyFooter()

    def _fields_table(self) -> Table:
        return fields_table(self, self.kind, self.current, self.preview)

    # --- lifecycle ------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self._unsubscribe = self.session.on_change(self._session_changed)
        try:
            self.session.open_review()
        except FlowError as exc:
            self.notify(exc.message, severity="warning")
            self._finish()
            return
        self.query_one("#review-fields", Static).update(self._fields_table())
        self._refresh_view()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._player is not None:
            self._player.stop()
        self.stop_sharing()
        if self.session.state.is_review_open and not self.session.closed:
            self.session.close_review()

    def _finish(self) -> None:
        if self._dismissing:
            return
        self._dismissing = True
        if self._player is not None:
            self._player.stop()
        self.dismiss()

    def _refresh_view(self) -> None:
        if self._dismissing or not self.is_mounted:
            return
        state = self.session.state
        if not state.has_preview or self.session.closed:
            # decided here or elsewhere, cancelled, expired: nothing left to review
            if self._decision == "accept" and state.notice == "Accepted":
                self.notify(
                    f"{self.kind.label} replaced — lecture revision {self.session.provider.snapshot.revision}"
                )
            elif state.notice and self._decision is None:
                self.notify(state.notice)
            self._finish()
            return
        pending = state.is_decision_pending
        status = self.query_one("#review-status", Static)
        error = state.error
        if error and not pending:
            self._decision = None  # that decision failed; the preview is still here
        if pending:
            text, style = "Saving decision…", "-busy"
        elif error:
            text, style = f"✗ {error}", "-error"
        elif self._player_message:
            text, style = self._player_message, ""
        else:
            text, style = "", ""
        status.update(visible(text))
        status.set_class(not text, "-empty")
        status.set_class(style == "-error", "-error")
        status.set_class(style == "-busy", "-busy")
        for button_id in ("#review-accept", "#review-reject"):
            self.query_one(button_id, Button).disabled = pending
        self.refresh_bindings()

    # --- actions ----------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("accept", "reject"):
            state = self.session.state
            if not state.has_preview:
                return False
            return None if state.is_decision_pending else True
        if action == "play":
            return self.is_audio or playback_route(self.audio_setting) == "link"
        if action == "play_context":
            return self.can_play_context()
        return True

    def action_accept(self) -> None:
        self._decide_start("accept")

    def action_reject(self) -> None:
        self._decide_start("reject")

    def _decide_start(self, decision: str) -> None:
        state = self.session.state
        if state.is_decision_pending or not state.has_preview or self._dismissing:
            return
        self._decision = decision
        self._start_decision(decision == "accept")
        self._refresh_view()

    def action_close(self) -> None:
        self.session.close_review()
        self._finish()

    def action_play(self) -> None:
        if playback_route(self.audio_setting) == "link":  # over SSH: a link, not a player on the remote box
            self.share_preview()
            return
        if not self.is_audio:
            return
        if self._player is None:
            self._player = AudioPlayer(self.audio_setting)
        player = self._player
        if player.is_playing:
            player.stop()
            self._player_message = "Stopped"
        else:
            url = asset_url(self.preview, preview_token=self.preview_token)
            try:
                if not url:
                    raise PlayerError("The preview has no audio file")
                command = player.play(media_path(self.data_dir, url))
            except (PlayerError, UnsafePathError) as exc:
                self._player_message = str(exc)
                self.notify(str(exc), severity="warning")
            else:
                self._player_message = (
                    f"Playing preview with {Path(command[0]).name}… ({self._key('review.play')} to stop)"
                )
        self._refresh_view()

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        event.stop()
        actions = {
            "review-accept": self.action_accept,
            "review-reject": self.action_reject,
            "review-play": self.action_play,
            "review-close": self.action_close,
        }
        action = actions.get(event.button.id or "")
        if action is not None:
            action()
