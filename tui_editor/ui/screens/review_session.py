"""The review session (`r` on the lecture screen): every pending preview, one key per decision.

The view over a `core.review_session.ReviewSession`: `[n/N]`, the clip, the field diff and the media
side by side (the review modal's pieces: `fields_table`, `media_preview`). `a` accept, `x` reject,
`space` skip (stays pending), `u` undo the session's last decision, `tab` enlarges the other side,
`p` / `shift+p` play the preview / the current audio from the same offset, `escape` ends the session
with a one-line summary (the screen's result). Over SSH with `[ui] audio_player = "auto"` (the review
modal's rule, `widgets.player.playback_route`), `p` / `shift+p` serve the preview / the current asset —
audio or image — through a one-time link instead (`widgets.link_panel.LinkPanel`, shown above the status
line); the link stops when the next preview is shown and when the session ends.

Optimistic: a key records the decision in the session and the next preview is on screen at once; the
decision itself is saved by one serial thread worker of the App (so it lands even when the session
ends first, and an undo always runs after the decision it undoes). Its result comes back as
`TaskDone`: a failed decision is reported and its preview rejoins the session at the end; an accept
refused because the clip changed is reported and the session moves on. Previews that arrive during the
session (the App's `runs_changed`) join its end; ones decided elsewhere before their turn leave it.
"""

from __future__ import annotations

import contextlib
import queue
import shutil
import tempfile
import time
import wave
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from ...core.errors import ConflictError, TuiEditorError
from ...core.kinds import get_kind
from ...core.review_session import ReviewSession, SessionItem, Step, make_item
from ...core.run_record import RunStatus
from ...core.safe_text import visible
from ...core.snapshot import LectureSnapshot
from ..bindings import SESSION_BINDINGS, key_for
from ..editor_app import EditorAppAccess
from ..time_text import format_start
from ..widgets.key_footer import KeyFooter
from ..widgets.link_panel import LinkPanel
from ..widgets.media import media_preview
from ..widgets.media_files import asset_url, media_path
from ..widgets.player import AudioPlayer, PlayerError, playback_route
from .review import fields_table


@dataclass(frozen=True)
class SessionTask:
    """One blocking call for the serial worker: save a decision, or undo one."""

    action: Literal["accept", "reject", "undo"]
    item: SessionItem
    step: Step | None = None


@dataclass
class TaskDone(Message):
    """The serial worker finished a task: `error` when it failed, `conflict` when the clip changed."""

    task: SessionTask
    error: str | None = None
    conflict: bool = False


def wav_from_offset(source: Path, offset: float, folder: Path) -> Path:
    """A copy of a WAV file starting `offset` seconds in (A/B playback from the same place)."""
    if offset <= 0.05:
        return source
    target = folder / f"ab-{time.monotonic_ns()}.wav"
    with wave.open(str(source), "rb") as src:
        params = src.getparams()
        start = min(int(offset * src.getframerate()), src.getnframes())
        src.setpos(start)
        frames = src.readframes(src.getnframes() - start)
    with wave.open(str(target), "wb") as dst:
        dst.setparams(params)
        dst.writeframes(frames)
    return target


class ReviewSessionScreen(EditorAppAccess, Screen[str]):
    """Decide every pending preview of the lecture, one key each."""

    BINDINGS: ClassVar[list[BindingType]] = SESSION_BINDINGS
    AUTO_FOCUS = None

    DEFAULT_CSS = """
    ReviewSessionScreen { layout: vertical; }
    ReviewSessionScreen #session-header { height: 1; background: $panel; text-style: bold; padding: 0 1; }
    ReviewSessionScreen #session-clip {
        height: 1; color: $text-muted; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    ReviewSessionScreen #session-body { height: 1fr; padding: 0 1; }
    ReviewSessionScreen #session-fields { height: auto; }
    ReviewSessionScreen #session-media { height: auto; margin-top: 1; }
    ReviewSessionScreen .session-side { width: 1fr; height: auto; padding: 0 1 0 0; }
    ReviewSessionScreen .session-side.-enlarged { width: 2fr; }
    ReviewSessionScreen .session-side-title { text-style: bold; height: 1; }
    ReviewSessionScreen #session-link { padding: 0 1; }
    ReviewSessionScreen #session-status { height: auto; padding: 0 1; }
    ReviewSessionScreen #session-status.-error { color: $error; text-style: bold; }
    ReviewSessionScreen #session-empty { padding: 1 1; color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__(id="review-session")
        self.session = ReviewSession([])
        self.status = ""
        self.status_error = False
        self.enlarged: Literal["preview", "current"] = "preview"
        self.shown_run_id: str | None = None
        self._shown_kind: str | None = None
        self._binding_state: tuple[bool, bool, bool] | None = None
        self.shows = 0  # how many items were put on screen (tests, benchmark)
        self.in_flight = 0
        self._tasks: queue.Queue[SessionTask | None] = queue.Queue()
        self._worker_started = False
        self._player: AudioPlayer | None = None
        self._playing: Literal["preview", "current"] | None = None
        self._play_offset = 0.0
        self._play_started = 0.0
        self._ab_folder: Path | None = None
        self.link_panel = LinkPanel(id="session-link")
        """Over SSH: the one-time link to the preview or current asset being listened to."""

    # --- environment ----------------------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return Path(self.editor_app.settings.data_path)

    @property
    def plays_over_link(self) -> bool:
        """Whether the play keys serve a one-time link (over SSH) rather than start a player here."""
        return playback_route(str(self.editor_app.settings.ui.audio_player)) == "link"

    def _key(self, binding_id: str) -> str:
        return key_for(binding_id, self.editor_app.settings.keymap)

    # --- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("", id="session-header", markup=False)
        yield Static("", id="session-clip", markup=False)
        with VerticalScroll(id="session-body", can_focus=False):
            yield Static("", id="session-fields")
            with Horizontal(id="session-media"):
                with Vertical(classes="session-side", id="session-current"):
                    yield Static("Current", classes="session-side-title")
                    yield Vertical(id="session-current-media")
                with Vertical(classes="session-side -enlarged", id="session-preview"):
                    yield Static("Preview", classes="session-side-title")
                    yield Vertical(id="session-preview-media")
            yield Static("", id="session-empty", markup=False)
        yield self.link_panel
        yield Static("", id="session-status", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        app = self.editor_app
        self.session = ReviewSession(self._pending_items())
        app.runs_changed.subscribe(self, self._on_runs)
        app.snapshot_changed.subscribe(self, self._on_snapshot)
        self._show()

    def on_unmount(self) -> None:
        self.link_panel.stop()
        if self._player is not None:
            self._player.stop()
        if self._worker_started:
            self._tasks.put(None)  # after every task still queued: decisions in flight still land
        if self._ab_folder is not None:
            shutil.rmtree(self._ab_folder, ignore_errors=True)

    # --- the session's items ----------------------------------------------------------------------
    def _pending_items(self) -> list[SessionItem]:
        app = self.editor_app
        board, provider = app.board, app.provider
        if board is None or provider is None:
            return []
        snapshot = provider.snapshot
        items = []
        for run in board.pending_reviews():
            clip = snapshot.clip(run.clip_id)
            if clip is not None:
                items.append(make_item(run.run_id, clip.id, run.kind, clip.start, run.preview, run.seed))
        return items

    def _on_runs(self, _clip_ids: set[str]) -> None:
        board = self.editor_app.board
        if board is None:
            return
        current = self.session.current
        for item in self._pending_items():
            self.session.add(item)
        for item in list(self.session.items[self.session.cursor :]):
            run = board.runs.get(item.run_id)
            if run is None or run.status != RunStatus.PREVIEW_READY:
                self.session.drop(item.run_id)
        if self.session.current != current or self.shown_run_id is None:
            self._show()
        else:
            self._update_header()

    def _on_snapshot(self, _snapshot: LectureSnapshot) -> None:
        self._show(media=False)

    # --- showing --------------------------------------------------------------------------------
    def _update_header(self) -> None:
        n, total = self.session.position
        header = Text(f"[{n}/{total}] Review session")
        snapshot = self.editor_app.provider.snapshot if self.editor_app.provider else None
        if snapshot is not None:
            header.append(f"  ·  {visible(snapshot.title)}")
        counts = self.session.counts()
        header.append(
            f"  ·  ✓ {counts['accepted']}  ✗ {counts['rejected']}  ↷ {counts['skipped']}", style="dim"
        )
        if self.in_flight:
            header.append(f"  ·  saving {self.in_flight}…", style="italic")
        self.query_one("#session-header", Static).update(header, layout=False)

    def _show(self, *, media: bool = True) -> None:
        """Put the session's current item on screen (the next preview after a decision)."""
        if not self.is_attached:
            return
        self._update_header()
        item = self.session.current
        provider = self.editor_app.provider
        clip = provider.snapshot.clip(item.clip_id) if item is not None and provider is not None else None
        empty = self.query_one("#session-empty", Static)
        shown = item is not None and clip is not None
        if (item.run_id if item is not None and shown else None) != self.shown_run_id:
            self.link_panel.stop()  # the link was to the preview (or current asset) no longer on screen
        for widget_id in ("#session-fields", "#session-media", "#session-clip"):
            self.query_one(widget_id).display = shown
        if item is None or clip is None or provider is None:
            self.shown_run_id = None
            if self.session.total == 0:
                text = "No previews are waiting for review."
            else:
                text = f"All {self.session.total} previews reviewed. {self.session.summary()}"
            empty.update(f"{text}  —  {self._key('session.end')} to end the session")
            empty.display = True
            self.shows += 1
            self._update_status()
            self._refresh_bindings_if_changed()
            return
        if empty.display:
            empty.display = False
        kind = get_kind(item.kind)
        current = provider.snapshot.asset_for(clip)
        # One line (CSS: cut with an ellipsis at the terminal's edge; in 80 columns the run id goes first).
        clip_line = Text(visible(clip.name), style="bold")
        seed = "" if item.seed is None else f"  ·  seed {item.seed}"
        clip_line.append(
            f"  ·  {kind.label}  ·  at {format_start(clip.start)}{seed}  ·  run {visible(item.run_id)}",
            style="dim",
        )
        # One-line widgets and a diff of the same kind keep their size: no layout pass for them, so the
        # next preview's facts are in the very next frame.
        self.query_one("#session-clip", Static).update(clip_line, layout=False)
        self.query_one("#session-fields", Static).update(
            fields_table(self, kind, current, item.preview), layout=kind.name != self._shown_kind
        )
        self._shown_kind = kind.name
        if media and (self.shown_run_id != item.run_id):
            # The new media widgets are mounted after this frame (their pictures decoded in workers);
            # until then the old ones stay, under titles that say so.
            self._set_media_titles(stale=True)
            self.call_after_refresh(self._mount_media, item, current)
        self.shown_run_id = item.run_id
        self.shows += 1
        self._update_status()
        self._refresh_bindings_if_changed()

    def _mount_media(self, item: SessionItem, current: Mapping[str, Any] | None) -> None:
        if item.run_id != self.shown_run_id or not self.is_attached:
            return  # another item is on screen by now
        kind = get_kind(item.kind)
        protocol = str(self.editor_app.settings.ui.image_protocol)
        self._stop_playing()
        for box_id, asset, token in (
            ("#session-current-media", current, None),
            ("#session-preview-media", item.preview, self.session.cursor + 1),
        ):
            box = self.query_one(box_id, Vertical)
            box.remove_children()
            box.mount(
                media_preview(
                    asset, data_dir=self.data_dir, protocol=protocol, preview_token=token, media=kind.media
                )
            )
        self._set_media_titles(stale=False)

    def _set_media_titles(self, *, stale: bool) -> None:
        suffix = " (loading…)" if stale else ""
        for side, label in (("current", "Current"), ("preview", "Preview")):
            title = self.query_one(f"#session-{side} .session-side-title", Static)
            title.update(label + suffix, layout=False)

    def _update_status(self) -> None:
        status = self.query_one("#session-status", Static)
        show = bool(self.status)
        status.update(self.status, layout=show != status.display or len(self.status) > self.size.width - 2)
        if status.display != show:
            status.display = show
        status.set_class(self.status_error, "-error")

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status, self.status_error = visible(text), error
        if self.is_attached:
            self._update_status()

    def _clip_name(self, item: SessionItem) -> str:
        provider = self.editor_app.provider
        clip = provider.snapshot.clip(item.clip_id) if provider is not None else None
        return visible(clip.name if clip is not None else item.clip_id)

    # --- keys -----------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("accept", "reject", "skip"):
            return True if self.session.current is not None else None
        if action == "undo":
            return True if self.session.undo_stack else None
        if action in ("play_preview", "play_current"):
            return self._can_play()
        return True

    def _can_play(self) -> bool:
        """Audio plays here; over a link images can be opened too (the browser shows them)."""
        item = self.session.current
        return item is not None and (get_kind(item.kind).media.is_audio or self.plays_over_link)

    def action_accept(self) -> None:
        self._decide("accept")

    def action_reject(self) -> None:
        self._decide("reject")

    def action_skip(self) -> None:
        item = self.session.decide("skip")
        if item is not None:
            self._say(f"↷ Skipped {self._clip_name(item)} (still pending)")
            self._after_key()

    def _decide(self, action: Literal["accept", "reject"]) -> None:
        item = self.session.decide(action)
        if item is None:
            return
        self._submit(SessionTask(action, item))
        verb = "Accepted" if action == "accept" else "Rejected"
        self._say(f"{'✓' if action == 'accept' else '✗'} {verb} {self._clip_name(item)}")
        self._after_key()

    def action_undo(self) -> None:
        step = self.session.undo()
        if step is None:
            return
        if step.outcome in ("accept", "reject"):
            self._submit(SessionTask("undo", step.item, step))
        self._say(f"↶ Undid {step.outcome} of {self._clip_name(step.item)}")
        self._after_key()

    def _after_key(self) -> None:
        self._show()

    def _refresh_bindings_if_changed(self) -> None:
        """The footer is rebuilt only when what the keys can do changed (a rebuild costs a layout)."""
        item = self.session.current
        state = (item is not None, bool(self.session.undo_stack), self._can_play())
        if state != self._binding_state:
            self._binding_state = state
            self.refresh_bindings()

    def action_end(self) -> None:
        self.dismiss(self.session.summary())

    def action_swap(self) -> None:
        self.enlarged = "current" if self.enlarged == "preview" else "preview"
        self.query_one("#session-current").set_class(self.enlarged == "current", "-enlarged")
        self.query_one("#session-preview").set_class(self.enlarged == "preview", "-enlarged")
        self._say(f"Enlarged: {self.enlarged}")

    # --- A/B playback ---------------------------------------------------------------------------
    def action_play_preview(self) -> None:
        self._play("preview")

    def action_play_current(self) -> None:
        self._play("current")

    def _offset(self) -> float:
        if self._playing is None or self._player is None or not self._player.is_playing:
            return 0.0
        return self._play_offset + (time.monotonic() - self._play_started)

    def _stop_playing(self) -> None:
        if self._player is not None and self._player.is_playing:
            self._player.stop()
        self._playing = None

    def _play(self, side: Literal["preview", "current"]) -> None:
        item = self.session.current
        provider = self.editor_app.provider
        if item is None or provider is None:
            return
        if self._playing == side and self._player is not None and self._player.is_playing:
            self._stop_playing()
            self._say("Stopped")
            return
        offset = self._offset()  # switching sides: the other one from the same place
        self._stop_playing()
        clip = provider.snapshot.clip(item.clip_id)
        asset = item.preview if side == "preview" else (provider.snapshot.asset_for(clip) if clip else None)
        if self.plays_over_link:  # over SSH: a link, not a player on the remote box
            self._share(side, asset, get_kind(item.kind).media.is_audio)
            return
        if self._player is None:
            self._player = AudioPlayer(str(self.editor_app.settings.ui.audio_player))
        try:
            url = asset_url(asset)
            if not url:
                raise PlayerError(f"The {side} has no audio file")
            path = media_path(self.data_dir, url)
            if offset > 0:
                if self._ab_folder is None:
                    self._ab_folder = Path(tempfile.mkdtemp(prefix="tui-editor-ab-"))
                with contextlib.suppress(OSError, wave.Error, EOFError):
                    path = wav_from_offset(path, offset, self._ab_folder)
            command = self._player.play(path)
        except PlayerError as exc:
            self._say(str(exc), error=True)
            return
        self._playing, self._play_offset, self._play_started = side, offset, time.monotonic()
        where = f" from {offset:.1f}s" if offset > 0 else ""
        self._say(f"Playing the {side}{where} with {Path(command[0]).name}…")

    def _share(
        self, side: Literal["preview", "current"], asset: Mapping[str, Any] | None, audio: bool
    ) -> None:
        """Serve `side`'s media file through a new one-time link (the previous link stops)."""
        what = "the preview" if side == "preview" else f"the current {'audio' if audio else 'image'}"
        problem = self.link_panel.serve_asset(self.data_dir, asset, label=side, what=what)
        self._say(problem or "", error=problem is not None)

    # --- the serial worker ----------------------------------------------------------------------
    def _submit(self, task: SessionTask) -> None:
        if not self._worker_started:
            self._worker_started = True
            self.app.run_worker(
                self._work_tasks, thread=True, group="session", exit_on_error=False, name="review session"
            )
        self.in_flight += 1
        self._tasks.put(task)

    def _work_tasks(self) -> None:
        """Thread: run the tasks in order until the sentinel; post each result to this screen."""
        while (task := self._tasks.get()) is not None:
            done = self._run_task(task)
            with contextlib.suppress(RuntimeError):
                if self.is_attached:
                    self.post_message(done)
                elif done.error:
                    self.app.call_from_thread(
                        self.app.notify, done.error, title="Review session", severity="warning", markup=False
                    )

    def _run_task(self, task: SessionTask) -> TaskDone:
        runtime = self.editor_app.runtime
        if runtime is None:
            return TaskDone(task, error="the database is not open")
        decided_by = self.editor_app.settings.user.resolved_name()
        try:
            if task.action == "undo":
                from ...core.takes import undo_decision

                run = runtime.engine.get(task.item.run_id)
                if run.status in (RunStatus.ACCEPTED, RunStatus.REJECTED):
                    undone = undo_decision(runtime.store, run, decided_by=decided_by)
                    if undone.event is not None:
                        runtime.hub.publish(undone.event)
            else:
                runtime.engine.decide(task.item.run_id, task.action == "accept", decided_by=decided_by)
        except ConflictError as exc:
            return TaskDone(task, error=exc.message, conflict=True)
        except TuiEditorError as exc:
            return TaskDone(task, error=exc.message)
        except Exception as exc:  # noqa: BLE001 - a bug must not stop the session's worker
            return TaskDone(task, error=f"{type(exc).__name__}: {exc}")
        return TaskDone(task)

    def on_task_done(self, message: TaskDone) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        task = message.task
        name = self._clip_name(task.item)
        if message.error is None:
            self._update_header()
            return
        before = self.session.current
        if task.action == "undo":
            if task.step is not None:
                self.session.undo_failed(task.step)
            self._say(f"Cannot undo on {name}: {message.error}", error=True)
        elif message.conflict and task.action == "accept":
            self.session.conflict(task.item.run_id)
            self._say(f"Conflict on {name}: {message.error} — left pending", error=True)
        else:
            self.session.decision_failed(task.item.run_id)
            self._say(f"{task.action.capitalize()} of {name} failed: {message.error}", error=True)
        if self.session.current != before:
            self._show()
        else:
            self._update_header()
        self._refresh_bindings_if_changed()
