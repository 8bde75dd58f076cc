"""`LectureEditorProvider`: the one source of truth for a lecture's *accepted* state.

It holds an immutable `LectureSnapshot`; screens read it and subscribe to changes, never copy it. It owns
no thread and no lock: every method is called on one thread (the App's in the UI, the caller's on the
command line and in tests) and listeners hear about changes synchronously on that thread.

- `apply_asset_update(kind, asset_id, data)` injects an accepted asset at once (optimistic). The data
  has exactly the saved shape, so the later reload changes nothing.
- `refresh_lecture()` asks for one reload; requests within `debounce_ms` of each other coalesce (a
  trailing debounce, bounded by `max_wait_ms` so a steady stream still refreshes: `RefreshSchedule`).
  Whoever drives the provider runs the reload when it is due: `begin_load()` (here) → `loader()` (a
  blocking read, in a worker) → `finish_load()` (here). The App does that with a timer and a thread
  worker; `run_due_refresh()` and `refresh_now()` do it synchronously.
- A reload never starts while a commit is in flight, and a reload that started before a commit or an
  optimistic update is discarded and redone, so the provider never flips back to stale data (the web
  original's mistake). A loaded snapshot never takes the revision backwards.
- `handle_event(event)`: every kind's `complete` event goes through the same path (a refresh), and so
  does `revised` (a retime, restore or clear-stale, here or in another process).
It never touches drafts: editors decide what a new snapshot means for their draft.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .events import RunEventData
from .kinds import get_kind
from .snapshot import LectureSnapshot

log = logging.getLogger(__name__)

SnapshotListener = Callable[[LectureSnapshot], None]
Loader = Callable[[], LectureSnapshot]
Clock = Callable[[], float]


class RefreshSchedule:
    """When a coalesced reload is due: a trailing debounce bounded by a maximum wait. Pure; the caller
    passes the time."""

    def __init__(self, debounce_s: float, max_wait_s: float) -> None:
        self.debounce_s = debounce_s
        self.max_wait_s = max_wait_s
        self._pending_since: float | None = None  # the first request not served yet
        self._last_request = 0.0

    @property
    def pending(self) -> bool:
        return self._pending_since is not None

    @property
    def due_at(self) -> float | None:
        """When the pending reload is due (None: nothing pending)."""
        if self._pending_since is None:
            return None
        return min(self._last_request + self.debounce_s, self._pending_since + self.max_wait_s)

    def request(self, now: float) -> float:
        """One more request at `now`; returns when the reload is due."""
        if self._pending_since is None:
            self._pending_since = now
        self._last_request = now
        due = self.due_at
        assert due is not None
        return due

    def is_due(self, now: float) -> bool:
        due = self.due_at
        return due is not None and now >= due

    def served(self) -> None:
        """A reload starts now: every request so far is answered by it."""
        self._pending_since = None


@dataclass(frozen=True)
class LoadTicket:
    """A reload that `begin_load` allowed; `finish_load` checks it is still the current one."""

    epoch: int
    serial: int


class LectureEditorProvider:
    def __init__(
        self,
        snapshot: LectureSnapshot,
        loader: Loader,
        *,
        debounce_ms: int = 150,
        max_wait_ms: int | None = None,
        on_error: Callable[[Exception], None] | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self._snapshot = snapshot
        #: Reads the lecture from the store: blocking, touches no provider state (a worker may call it).
        self.loader = loader
        max_wait = max_wait_ms if max_wait_ms is not None else max(4 * debounce_ms, 400)
        self.schedule = RefreshSchedule(debounce_ms / 1000, max_wait / 1000)
        self._clock = clock
        self._on_error = on_error
        self._on_refresh_wanted: Callable[[], None] | None = None
        self._listeners: list[SnapshotListener] = []
        self._commits_in_flight = 0
        self._epoch = 0  # bumped by every commit boundary and optimistic update
        self._load: LoadTicket | None = None  # the reload in flight
        self._serial = 0
        self._closed = False
        self.load_count = 0

    # --- reading -------------------------------------------------------------------------------
    @property
    def snapshot(self) -> LectureSnapshot:
        return self._snapshot

    @property
    def lecture_id(self) -> str:
        return self._snapshot.id

    @property
    def debounce_s(self) -> float:
        return self.schedule.debounce_s

    @property
    def max_wait_s(self) -> float:
        return self.schedule.max_wait_s

    def subscribe(self, listener: SnapshotListener) -> Callable[[], None]:
        """Call `listener(snapshot)` after every change, on the thread that made it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def on_refresh_wanted(self, callback: Callable[[], None] | None) -> None:
        """`callback()` whenever a reload may have become due (a request, a commit landing, a discarded
        load): the driver then looks at `refresh_due_at`."""
        self._on_refresh_wanted = callback

    def _publish(self, snapshot: LectureSnapshot) -> None:
        self._snapshot = snapshot
        for listener in list(self._listeners):
            try:
                listener(snapshot)
            except Exception:  # a broken screen must not stop the others from updating
                log.exception("snapshot listener failed")

    def _wake_driver(self) -> None:
        if self._on_refresh_wanted is not None and not self._closed:
            self._on_refresh_wanted()

    # --- writing -------------------------------------------------------------------------------
    def apply_asset_update(
        self, kind: str, asset_id: str, data: Mapping[str, Any], *, revision: int | None = None
    ) -> None:
        """Optimistically show an accepted asset everywhere, in its saved shape."""
        clean = get_kind(kind).validate_asset(data, partial=True)
        self._epoch += 1
        snapshot = self._snapshot.with_asset(kind, asset_id, clean)
        if revision is not None:
            snapshot = snapshot.with_revision(revision)
        self._publish(snapshot)

    def begin_commit(self) -> None:
        """A commit starts (in a worker): no reload starts until `end_commit`."""
        self._commits_in_flight += 1
        self._epoch += 1

    def end_commit(self) -> None:
        self._commits_in_flight = max(0, self._commits_in_flight - 1)
        self._epoch += 1
        if self.schedule.pending:
            self._wake_driver()

    @contextlib.contextmanager
    def commit_in_flight(self) -> Iterator[None]:
        """`begin_commit` … `end_commit` around a synchronous commit."""
        self.begin_commit()
        try:
            yield
        finally:
            self.end_commit()

    def refresh_lecture(self) -> None:
        """Ask for a reload; bursts coalesce into one."""
        if self._closed:
            return
        self.schedule.request(self._clock())
        self._wake_driver()

    def handle_event(self, event: RunEventData) -> None:
        if event.lecture_id != self._snapshot.id:
            return
        # Every kind's commit, an undone accept, a take made current, a run-less revision: one path.
        if event.type in ("complete", "reopened", "restored", "revised"):
            self.refresh_lecture()

    def close(self) -> None:
        """Stop reloading: later requests and loads that land change nothing."""
        self._closed = True
        self._on_refresh_wanted = None

    # --- running the reload --------------------------------------------------------------------
    @property
    def refresh_due_at(self) -> float | None:
        """When `begin_load` will allow the pending reload (None: nothing pending, or it must wait for a
        commit or for the reload in flight, which wake the driver when they end)."""
        if self._closed or self._commits_in_flight or self._load is not None:
            return None
        return self.schedule.due_at

    def begin_load(self, *, force: bool = False) -> LoadTicket | None:
        """Start the due reload (or any reload with `force`); None when there is none to start now."""
        if self._closed or self._commits_in_flight or self._load is not None:
            return None
        if not force and not self.schedule.is_due(self._clock()):
            return None
        self.schedule.served()
        self._serial += 1
        self._load = LoadTicket(self._epoch, self._serial)
        return self._load

    def finish_load(self, ticket: LoadTicket, snapshot: LectureSnapshot) -> bool:
        """The reload `ticket` read `snapshot`: publish it unless it may be stale. True if published."""
        if ticket != self._load or self._closed:
            return False
        self._load = None
        self.load_count += 1
        published = False
        if ticket.epoch != self._epoch or self._commits_in_flight:
            # A commit or optimistic update happened meanwhile, so this load may be stale: load
            # again once the commit has landed instead of publishing it.
            self.schedule.request(self._clock())
        elif snapshot.revision >= self._snapshot.revision:  # never go backwards
            self._publish(snapshot)
            published = True
        if self.schedule.pending:
            self._wake_driver()
        return published

    def load_failed(self, ticket: LoadTicket, error: Exception) -> None:
        """The reload `ticket` raised: report it; the next request tries again."""
        if ticket != self._load or self._closed:
            return
        self._load = None
        log.warning("lecture reload failed: %s", error)
        if self._on_error is not None:
            self._on_error(error)
        if self.schedule.pending:
            self._wake_driver()

    def _load_now(self, ticket: LoadTicket) -> None:
        try:
            snapshot = self.loader()
        except Exception as exc:  # noqa: BLE001 - a dead database is reported, not raised
            self.load_failed(ticket, exc)
            return
        self.finish_load(ticket, snapshot)

    def run_due_refresh(self) -> bool:
        """Run the pending reload on this thread if it is due (command line, tests, benchmarks)."""
        ticket = self.begin_load()
        if ticket is None:
            return False
        self._load_now(ticket)
        return True

    def refresh_now(self) -> LectureSnapshot:
        """Reload synchronously on this thread (command line, tests); returns the current snapshot."""
        ticket = self.begin_load(force=True)
        if ticket is not None:
            self._load_now(ticket)
        return self._snapshot
