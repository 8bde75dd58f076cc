"""`TuiEditorApp`: owns the runtime, the lecture's provider, the run board and the one event subscription.

Startup: the first frame is the lecture screen's "Loading…" skeleton. Only after it is on screen does a
thread worker import and open the runtime (database, engine, event hub: sqlalchemy and friends cost
~0.5 s to import), create the demo lecture on an empty database, resolve the lecture (or ask with the
picker), load its snapshot and open runs, and build the `LectureEditorProvider`.

Live updates: the process has ONE hub subscription (made here, never by a screen, so closing a screen
never drops it). Its callback runs on background threads and only posts `RunEventReceived`; the handler
(the App's thread) feeds the provider, updates the `RunBoard` and publishes `run_events`.

The provider changes only on the App's thread. Its reloads are driven here: when one is wanted, a timer
fires when the provider's debounce says it is due, an exclusive thread worker reads the snapshot and
posts `SnapshotLoaded`, and the handler offers it to the provider (which drops it if a commit or an
optimistic update happened meanwhile, and asks again). The provider's listener publishes
`snapshot_changed` directly. Screens subscribe to these signals; no thread ever touches a widget.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.signal import Signal
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from ..config import Settings
from ..core.errors import TuiEditorError
from ..core.events import RunEventData
from ..core.provider import LectureEditorProvider, LoadTicket
from ..core.run_record import RunRecord
from ..core.runboard import BOARD_STATUSES, RunBoard
from ..core.safe_text import visible
from ..core.snapshot import LectureSnapshot
from .bindings import APP_BINDINGS
from .messages import (
    LectureChoiceNeeded,
    LectureLoaded,
    LecturePeeked,
    LoadingNoted,
    RunEventReceived,
    RunsResolved,
    RuntimeOpened,
    SnapshotLoaded,
    SnapshotLoadFailed,
    StartupFailed,
)
from .screens.lecture import LectureScreen

if TYPE_CHECKING:
    from ..runs.hub import Subscription
    from ..runs.runtime import Runtime
    from .screens.clip_editor import ClipEditorScreen
    from .screens.review import ReviewScreen

log = logging.getLogger(__name__)

DEFAULT_THEME = "textual-dark"


def load_clip_editor() -> type[ClipEditorScreen]:
    from .screens.clip_editor import ClipEditorScreen  # deferred: not needed for the first frame

    return ClipEditorScreen


def load_review_screen() -> type[ReviewScreen]:
    from .screens.review import ReviewScreen  # deferred: not needed for the first frame

    return ReviewScreen


class TuiEditorApp(App[int]):
    """The terminal editor."""

    CSS_PATH = str(Path(__file__).with_name("app.tcss"))  # absolute: subclasses elsewhere still find it
    TITLE = "tui-editor"
    BINDINGS: ClassVar[list[BindingType]] = APP_BINDINGS

    def __init__(
        self, settings: Settings, lecture_ref: str | None = None, *, first_look: Future[Any] | None = None
    ) -> None:
        super().__init__()
        self.settings = settings
        self.lecture_ref = lecture_ref
        #: A first look at the lecture being read already (see `ui.run`); None: read it here.
        self._first_look = first_look
        self.runtime: Runtime | None = None
        self.provider: LectureEditorProvider | None = None
        self.board: RunBoard | None = None
        self.startup_error: str | None = None
        #: Every run event of this process's one hub subscription, on the App's thread.
        self.run_events: Signal[RunEventData] = Signal(self, "run_events")
        #: Every snapshot the provider publishes, on the App's thread.
        self.snapshot_changed: Signal[LectureSnapshot] = Signal(self, "snapshot_changed")
        #: Clips whose run status changed (an empty set: everything may have changed).
        self.runs_changed: Signal[set[str]] = Signal(self, "runs_changed")
        self.normalized_keymap: dict[str, str] = {}
        self.lecture_screen = LectureScreen()
        self._subscription: Subscription | None = None
        self._close_lock = threading.Lock()
        self._runtime_closed = False
        self._early_events: list[RunEventData] = []
        self._loading = True  # a lecture is being loaded: keep its events for the new board
        self._clashes_seen: set[frozenset[tuple[str, str]]] = set()
        self._refresh_timer: Timer | None = None
        self._refresh_timer_due = 0.0

    @property
    def lecture_shown(self) -> bool:
        """True once a lecture is on the lecture screen (tests and benchmarks wait for it)."""
        return self.board is not None and self.lecture_screen.timeline.snapshot is not None

    # --- startup -------------------------------------------------------------------------------
    def get_default_screen(self) -> Screen[Any]:
        return self.lecture_screen

    def on_mount(self) -> None:
        self._apply_theme()
        self.normalized_keymap = dict(self._normalize_keymap(dict(self.settings.keymap)))
        self.set_keymap(dict(self.settings.keymap))
        if self._first_look is not None:  # shown as soon as it is read, the first frame if it can be
            self._first_look.add_done_callback(self._first_look_read)

    def _first_look_read(self, future: Future[Any]) -> None:
        """The first-look thread is done (any thread)."""
        try:
            snapshot = future.result()
        except Exception:  # noqa: BLE001 - optional: the store's load follows anyway
            log.exception("quick read failed")
            return
        if snapshot is not None:
            self._post(LecturePeeked(snapshot))

    def on_ready(self) -> None:
        # The first frame is on screen: now pay for the database stack, in a thread.
        self._open_runtime()
        self._report_keymap_clashes()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification of the editor (screens' and widgets' `notify` come here): literal text.

        Messages quote clip names, prompts and provider errors, which are data: never parsed as markup
        (a `[/]` would crash, a `[@click=…]` would act) and control characters made visible.
        """
        del markup  # data is never markup
        if timeout is None:
            super().notify(visible(message), title=visible(title), severity=severity, markup=False)
        else:
            super().notify(
                visible(message), title=visible(title), severity=severity, timeout=timeout, markup=False
            )

    def _apply_theme(self) -> None:
        name = self.settings.ui.theme
        if name in self.available_themes:
            self.theme = name
            return
        self.theme = DEFAULT_THEME
        self.notify(
            f"Unknown theme {name!r} in [ui] theme; using {DEFAULT_THEME}. "
            f"Available: {', '.join(sorted(self.available_themes))}",
            title="Theme",
            severity="warning",
            timeout=8,
        )

    def _post(self, message: Message) -> None:
        """Post from any thread; quietly drop it once the App is gone."""
        with contextlib.suppress(RuntimeError):  # the event loop closed under us
            self.post_message(message)

    @work(thread=True, group="runtime", exit_on_error=False, name="open runtime")
    def _open_runtime(self) -> None:
        if self._first_look is None:
            self._peek_lecture()
        from ..runs.runtime import open_runtime  # deferred: sqlalchemy, sqlmodel, alembic ~0.5 s

        try:
            runtime = open_runtime(self.settings)
        except TuiEditorError as exc:
            self._post(StartupFailed(exc.message))
            return
        with self._close_lock:
            if self._runtime_closed:
                runtime.close()
                return
            self.runtime = runtime
            # The process's one event subscription: forward everything to the main thread.
            self._subscription = runtime.hub.subscribe(self._forward_hub_event)
        self._post(RuntimeOpened(runtime))
        try:
            lectures = runtime.store.list_lectures()
            if not lectures:
                from ..demo import ensure_demo

                self._post(LoadingNoted("Creating the demo lecture…"))
                ensure_demo(runtime.store, self.settings.data_path)
                lectures = runtime.store.list_lectures()
            if self.lecture_ref:
                lecture_id = runtime.store.resolve_lecture(self.lecture_ref)
            elif len(lectures) == 1:
                lecture_id = lectures[0]["id"]
            else:
                self._loading = False
                self._post(LectureChoiceNeeded(lectures))
                return
            self._load_lecture_blocking(runtime, lecture_id)
        except TuiEditorError as exc:
            self._post(StartupFailed(exc.message))

    def _peek_lecture(self) -> None:
        """Before the database stack is imported: a stdlib read of the lecture, shown unconfirmed."""
        from ..core.quick_read import peek_lecture

        try:
            snapshot = peek_lecture(self.settings.database_url, self.lecture_ref)
        except Exception:  # noqa: BLE001 - a first look is optional: the store's load follows anyway
            log.exception("quick read failed")
            return
        if snapshot is not None:
            for track in ("visual", "voice", "music"):
                snapshot.track(track)  # sorted here, not on the UI thread
            self._post(LecturePeeked(snapshot))

    @on(LecturePeeked)
    async def _lecture_peeked(self, message: LecturePeeked) -> None:
        if self.provider is None and self.startup_error is None and not self._runtime_closed:
            await self.lecture_screen.show_lecture(message.snapshot, confirmed=False)

    def _forward_hub_event(self, event: RunEventData) -> None:
        """Hub callback (any thread)."""
        self._post(RunEventReceived(event))

    def _load_lecture_blocking(self, runtime: Runtime, lecture_id: str) -> None:
        store = runtime.store

        def load() -> LectureSnapshot:
            snapshot = store.load_snapshot(lecture_id)
            for track in ("visual", "voice", "music"):
                snapshot.track(track)  # sort the tracks here, not on the UI thread (100k clips: ~0.1 s)
            return snapshot

        snapshot = load()
        runs = runtime.engine.list(lecture_id=lecture_id, statuses=list(BOARD_STATUSES))
        provider = LectureEditorProvider(
            snapshot,
            loader=load,
            debounce_ms=self.settings.events.refresh_debounce_ms,
            on_error=self._reload_failed,
        )
        self._post(LectureLoaded(provider, tuple(runs)))

    @work(thread=True, group="lecture", exit_on_error=False, name="load lecture")
    def _load_lecture(self, lecture_id: str) -> None:
        runtime = self.runtime
        if runtime is None:
            return
        try:
            self._load_lecture_blocking(runtime, lecture_id)
        except TuiEditorError as exc:
            self._post(StartupFailed(exc.message))

    @on(LoadingNoted)
    def _loading_noted(self, message: LoadingNoted) -> None:
        if self.provider is None:
            self.lecture_screen.show_message(message.text)

    @on(RuntimeOpened)
    def _runtime_opened(self, message: RuntimeOpened) -> None:
        self.runtime = message.runtime
        self.lecture_screen.refresh_bindings()
        if self.provider is None:
            self.lecture_screen.show_message("Opening the lecture…")

    @on(LectureChoiceNeeded)
    def _choose_lecture(self, message: LectureChoiceNeeded) -> None:
        from .screens.picker import PickerScreen

        if self.screen.id == "picker":
            return
        if self.provider is None:
            self.lecture_screen.show_message("Choose a lecture", withdraw=True)
        current = self.provider.lecture_id if self.provider else None
        self.push_screen(PickerScreen(message.lectures, current=current), self._lecture_chosen)

    def _lecture_chosen(self, lecture_id: str | None) -> None:
        if lecture_id is None:
            if self.provider is None:
                self.exit(0)
            return
        if self.provider is not None and lecture_id == self.provider.lecture_id:
            return
        if self.provider is None:
            self.lecture_screen.show_message("Opening the lecture…")
        else:
            self.notify("Opening the lecture…", timeout=2)
        self._loading = True
        self._load_lecture(lecture_id)

    @on(LectureLoaded)
    async def _lecture_loaded(self, message: LectureLoaded) -> None:
        provider = message.provider
        if self._runtime_closed:
            provider.close()
            return
        old = self.provider
        self.provider = provider
        self.startup_error = None
        board = RunBoard(provider.lecture_id, message.runs)
        early, self._early_events = self._early_events, []
        self._loading = False
        for event in early:  # events that arrived while the lecture was loading
            if event.lecture_id != board.lecture_id:
                continue
            if board.apply_event(event) is None and board.needs_lookup(event.run_id):
                self._lookup_runs([event.run_id])
        self.board = board
        if old is not None:
            old.close()
        self.adopt_provider(provider)
        await self.lecture_screen.show_lecture(provider.snapshot, confirmed=True)
        self.snapshot_changed.publish(provider.snapshot)
        self.runs_changed.publish(set())

    @on(StartupFailed)
    def _startup_failed(self, message: StartupFailed) -> None:
        self.report_startup_error(message.message)

    def report_startup_error(self, text: str) -> None:
        self._loading = False
        self._early_events = []
        if self.provider is not None:  # switching lectures failed: keep the open one
            self.notify(text, title="Cannot open the lecture", severity="error", timeout=10)
            return
        self.startup_error = text
        self.lecture_screen.show_error(text)
        self.notify(text, title="Cannot open", severity="error", timeout=15)

    # --- live updates --------------------------------------------------------------------------
    @on(RunEventReceived)
    def _run_event(self, message: RunEventReceived) -> None:
        event = message.event
        provider = self.provider
        if provider is not None:
            provider.handle_event(event)
        board = self.board
        if self._loading and len(self._early_events) < 10_000:
            self._early_events.append(event)
        if board is not None and board.lecture_id == event.lecture_id:
            changed = board.apply_event(event)
            if changed is None:
                if board.needs_lookup(event.run_id):
                    self._lookup_runs([event.run_id])
            elif changed:
                self.runs_changed.publish(changed)
        self.run_events.publish(event)

    @work(thread=True, group="runs", exit_on_error=False, name="look up runs")
    def _lookup_runs(self, run_ids: list[str]) -> None:
        from ..core.errors import NotFoundError

        runtime = self.runtime
        if runtime is None:
            return
        records: list[RunRecord] = []
        missing: list[str] = []
        for run_id in run_ids:
            try:
                records.append(runtime.engine.get(run_id))
            except NotFoundError:
                missing.append(run_id)
        self._post(RunsResolved(records, missing))

    @on(RunsResolved)
    def _runs_resolved(self, message: RunsResolved) -> None:
        board = self.board
        if board is None:
            return
        changed: set[str] = set()
        for record in message.records:
            changed |= board.apply_record(record)
        for run_id in message.missing:
            board.forget(run_id)
        if changed:
            self.runs_changed.publish(changed)

    # --- the provider's reloads -------------------------------------------------------------------
    def adopt_provider(self, provider: LectureEditorProvider) -> None:
        """Make `provider` the App's: its snapshots are published, its reloads driven here."""
        self.provider = provider
        provider.subscribe(self._snapshot_published)
        provider.on_refresh_wanted(self._arm_refresh)

    def _snapshot_published(self, snapshot: LectureSnapshot) -> None:
        provider = self.provider
        if provider is not None and snapshot.id == provider.lecture_id:
            self.snapshot_changed.publish(snapshot)

    def _arm_refresh(self) -> None:
        """Have a timer fire when the provider's pending reload is due (a burst moves it later)."""
        provider = self.provider
        due = provider.refresh_due_at if provider is not None else None
        if due is None:
            return
        if self._refresh_timer is not None:
            if self._refresh_timer_due <= due:
                return  # it fires first, finds the reload not due yet and arms again
            self._refresh_timer.stop()
        self._refresh_timer_due = due
        # (a zero delay divides by zero inside Textual's timer)
        self._refresh_timer = self.set_timer(max(0.001, due - time.monotonic()), self._refresh_due)

    def _refresh_due(self) -> None:
        self._refresh_timer = None
        provider = self.provider
        if provider is None:
            return
        ticket = provider.begin_load()
        if ticket is None:
            self._arm_refresh()
            return
        self._reload(provider, ticket)

    @work(thread=True, exclusive=True, group="refresh", exit_on_error=False, name="reload lecture")
    def _reload(self, provider: LectureEditorProvider, ticket: LoadTicket) -> None:
        try:
            snapshot = provider.loader()
        except Exception as exc:  # noqa: BLE001 - the provider reports it (a dead database...)
            self._post(SnapshotLoadFailed(provider, ticket, exc))
            return
        self._post(SnapshotLoaded(provider, ticket, snapshot))

    @on(SnapshotLoaded)
    def _snapshot_loaded(self, message: SnapshotLoaded) -> None:
        message.provider.finish_load(message.ticket, message.snapshot)

    @on(SnapshotLoadFailed)
    def _snapshot_load_failed(self, message: SnapshotLoadFailed) -> None:
        message.provider.load_failed(message.ticket, message.error)

    def _reload_failed(self, error: Exception) -> None:
        text = error.message if isinstance(error, TuiEditorError) else str(error)
        self.notify(f"Reloading the lecture failed: {text}", severity="warning", timeout=6)

    # --- workers -------------------------------------------------------------------------------
    @on(Worker.StateChanged)
    def _worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.report_worker_error(event.worker.group, event.worker.error)

    def report_worker_error(self, group: str, error: BaseException | None) -> None:
        """The one place a failed worker is reported, by worker group."""
        if isinstance(error, TuiEditorError):
            text = error.message
        else:
            text = f"{type(error).__name__}: {error}" if error is not None else "unknown error"
            log.error("worker group %s failed", group, exc_info=error)
        if group in ("runtime", "lecture"):
            self.report_startup_error(text)
        elif group in ("runs", "refresh"):
            log.warning("%s failed: %s", group, text)
        else:
            self.notify(text, title=f"{group.capitalize()} failed", severity="error", timeout=8)

    # --- navigation ----------------------------------------------------------------------------
    def open_clip(self, clip_id: str, open_review: bool = False) -> None:
        """Push the clip editor for `clip_id` (with its review open, from the review queue)."""
        if self.provider is None or self.runtime is None:
            self.notify("The lecture is still loading.", severity="warning")
            return
        editor = load_clip_editor()
        if self.screen.id == "clip-editor":
            return
        try:
            screen = editor(self.provider, self.runtime.engine, clip_id, open_review=open_review)
        except TuiEditorError as exc:  # the clip is gone (deleted elsewhere), ...
            self.notify(exc.message, title="Cannot open the clip", severity="error")
            return
        self.push_screen(screen)

    def action_review_session(self) -> None:
        """`r`: review every pending preview of the lecture, one key per decision."""
        if self.provider is None or self.runtime is None or self.screen.id == "review-session":
            return
        from .screens.review_session import ReviewSessionScreen

        self.push_screen(ReviewSessionScreen(), self._review_session_ended)

    def _review_session_ended(self, summary: str | None) -> None:
        if summary:  # once the lecture screen is back (a toast raised now would go with the session)
            self.call_after_refresh(self.notify, summary, title="Review session", timeout=8, markup=False)

    def action_review_queue(self) -> None:
        if self.provider is None or self.screen.id == "review-queue":
            return
        from .screens.queue import QueueScreen

        self.push_screen(QueueScreen())

    def action_history(self) -> None:
        if self.provider is None or self.screen.id == "history":
            return
        from .screens.history import HistoryScreen

        self.push_screen(HistoryScreen())

    def action_help(self) -> None:
        if self.screen.id == "help":
            self.pop_screen()
            return
        from .screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_switch_lecture(self) -> None:
        if self.runtime is None or self.screen.id == "picker":
            return
        self._list_lectures()

    @work(thread=True, group="lecture-list", exit_on_error=False, name="list lectures")
    def _list_lectures(self) -> None:
        runtime = self.runtime
        if runtime is not None:
            self._post(LectureChoiceNeeded(runtime.store.list_lectures()))

    # --- keys and commands ---------------------------------------------------------------------
    def handle_bindings_clash(self, clashed_bindings: set[Binding], node: Any) -> None:
        key = frozenset((b.id or b.action, b.key) for b in clashed_bindings)
        if key in self._clashes_seen:
            return
        self._clashes_seen.add(key)
        names = ", ".join(sorted(f"{b.id or b.action} ({b.key})" for b in clashed_bindings))
        self.notify(
            f"Key clash from [keymap]: {names} lost its key to another binding.",
            title="Keymap",
            severity="warning",
            timeout=8,
        )

    def _report_keymap_clashes(self) -> None:
        from .bindings import (
            COMPARE_BINDINGS,
            HELP_BINDINGS,
            HISTORY_BINDINGS,
            LECTURE_BINDINGS,
            PICKER_BINDINGS,
            QUEUE_BINDINGS,
            SESSION_BINDINGS,
            TAKES_BINDINGS,
            TIMELINE_BINDINGS,
            keymap_clashes,
        )

        if not self.normalized_keymap:
            return
        contexts: dict[str, list[list[BindingType]]] = {
            "lecture screen": [TIMELINE_BINDINGS, LECTURE_BINDINGS, APP_BINDINGS],
            "review queue": [QUEUE_BINDINGS, APP_BINDINGS],
            "review session": [SESSION_BINDINGS, APP_BINDINGS],
            "take stack": [TAKES_BINDINGS, APP_BINDINGS],
            "take comparison": [COMPARE_BINDINGS, APP_BINDINGS],
            "history": [HISTORY_BINDINGS, APP_BINDINGS],
            "lecture picker": [PICKER_BINDINGS, APP_BINDINGS],
            "help": [HELP_BINDINGS, APP_BINDINGS],
        }
        for name, screen_class in (("clip editor", load_clip_editor()), ("review", load_review_screen())):
            contexts[name] = [list(screen_class.BINDINGS), APP_BINDINGS]
        for problem in keymap_clashes(contexts, self.normalized_keymap):
            self.notify(f"Key clash in [keymap]: {problem}.", title="Keymap", severity="warning", timeout=10)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        seen: set[tuple[int, str]] = set()
        titles: set[str] = set()
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if binding.action in ("command_palette", "quit") or not binding.description:
                continue
            ident = (id(active.node), binding.action)
            if ident in seen or not active.enabled:
                continue
            seen.add(ident)
            titles.add(binding.description)
            help_text = f"key {self.get_key_display(binding.with_key(key))}  {binding.tooltip}".strip()
            yield SystemCommand(
                binding.description, help_text, partial(self._run_bound, active.node, binding)
            )
        extras = [
            ("Help", "Show every key", self.action_help),
            ("Review session", "Decide every pending preview, one key each", self.action_review_session),
            ("Review queue", "Previews waiting for a decision", self.action_review_queue),
            ("History", "The lecture's revisions", self.action_history),
            ("Lectures", "Open another lecture", self.action_switch_lecture),
        ]
        for title, help_text, callback in extras:
            if title not in titles:
                yield SystemCommand(title, help_text, callback)

    async def _run_bound(self, node: Any, binding: Binding) -> None:
        await self.run_action(binding.action, node)

    # --- shutdown ------------------------------------------------------------------------------
    def close_runtime(self) -> None:
        """Stop the subscription, the provider and the runtime (idempotent, any thread)."""
        with self._close_lock:
            if self._runtime_closed:
                return
            self._runtime_closed = True
            subscription, self._subscription = self._subscription, None
            provider, runtime = self.provider, self.runtime
        if subscription is not None:
            subscription.close()
        if provider is not None:
            provider.close()
        if runtime is not None:
            try:
                runtime.close()
            except Exception:  # noqa: BLE001 - closing must never raise at exit
                log.exception("closing the runtime failed")

    async def on_unmount(self) -> None:
        self.close_runtime()
