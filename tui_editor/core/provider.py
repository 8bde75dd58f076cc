"""`LectureEditorProvider`: the one source of truth for a lecture's *accepted* state.

It holds an immutable `LectureSnapshot`; screens read it and subscribe to changes, never copy it.

- `apply_asset_update(kind, asset_id, data)` injects an accepted asset at once (optimistic). The data
  has exactly the saved shape, so the later reload changes nothing.
- `refresh_lecture()` schedules one reload; calls within `debounce_ms` of each other coalesce (trailing
  debounce, bounded by `max_wait_ms` so a steady stream still refreshes). A reload never runs while a
  commit is in flight, and a reload that started before a commit or optimistic update is discarded and
  redone, so the provider never flips back to stale data (the web original's mistake).
- `handle_event(event)`: every kind's `complete` event goes through the same path (a refresh).
It never touches drafts: editors decide what a new snapshot means for their draft.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .events import RunEventData
from .kinds import get_kind
from .snapshot import LectureSnapshot

log = logging.getLogger(__name__)

SnapshotListener = Callable[[LectureSnapshot], None]
Loader = Callable[[], LectureSnapshot]


class LectureEditorProvider:
    def __init__(
        self,
        snapshot: LectureSnapshot,
        loader: Loader,
        *,
        debounce_ms: int = 150,
        max_wait_ms: int | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self._snapshot = snapshot
        self._loader = loader
        self.debounce_s = debounce_ms / 1000
        self.max_wait_s = (max_wait_ms if max_wait_ms is not None else max(4 * debounce_ms, 400)) / 1000
        self._on_error = on_error
        self._listeners: list[SnapshotListener] = []
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._pending_since: float | None = None  # first unserved refresh request
        self._last_request = 0.0
        self._commits_in_flight = 0
        self._epoch = 0  # bumped by every commit boundary and optimistic update
        self._closed = False
        self.load_count = 0
        self._thread = threading.Thread(target=self._run, name="provider-refresh", daemon=True)
        self._thread.start()

    # --- reading -------------------------------------------------------------------------------
    @property
    def snapshot(self) -> LectureSnapshot:
        return self._snapshot

    @property
    def lecture_id(self) -> str:
        return self._snapshot.id

    def subscribe(self, listener: SnapshotListener) -> Callable[[], None]:
        """Call `listener(snapshot)` after every change (from whichever thread made it)."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _publish(self, snapshot: LectureSnapshot) -> None:
        with self._lock:
            self._snapshot = snapshot
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(snapshot)
            except Exception:  # a broken screen must not stop the others from updating
                log.exception("snapshot listener failed")

    # --- writing -------------------------------------------------------------------------------
    def apply_asset_update(
        self, kind: str, asset_id: str, data: Mapping[str, Any], *, revision: int | None = None
    ) -> None:
        """Optimistically show an accepted asset everywhere, in its saved shape."""
        clean = get_kind(kind).validate_asset(data, partial=True)
        with self._lock:
            self._epoch += 1
            snapshot = self._snapshot.with_asset(kind, asset_id, clean)
            if revision is not None:
                snapshot = snapshot.with_revision(revision)
        self._publish(snapshot)

    @contextlib.contextmanager
    def commit_in_flight(self) -> Iterator[None]:
        """Wrap a commit: no reload runs meanwhile, and one that started before is discarded."""
        with self._lock:
            self._commits_in_flight += 1
            self._epoch += 1
        try:
            yield
        finally:
            with self._wake:
                self._commits_in_flight -= 1
                self._epoch += 1
                self._wake.notify_all()

    def refresh_lecture(self) -> None:
        """Ask for a reload; bursts coalesce into one."""
        with self._wake:
            now = time.monotonic()
            if self._pending_since is None:
                self._pending_since = now
            self._last_request = now
            self._wake.notify_all()

    def refresh_now(self) -> LectureSnapshot:
        """Reload synchronously (command line, tests). Waits for commits in flight."""
        with self._wake:
            while self._commits_in_flight:
                self._wake.wait()
            self._pending_since = None
        self._load_and_publish()
        return self._snapshot

    def handle_event(self, event: RunEventData) -> None:
        if event.lecture_id != self._snapshot.id:
            return
        if event.type == "complete":  # every kind, one path
            self.refresh_lecture()

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify_all()
        self._thread.join(timeout=2)

    # --- the refresh thread --------------------------------------------------------------------
    def _due_at(self) -> float | None:
        if self._pending_since is None:
            return None
        return min(self._last_request + self.debounce_s, self._pending_since + self.max_wait_s)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._closed:
                    due = self._due_at()
                    if due is not None and self._commits_in_flight == 0:
                        delay = due - time.monotonic()
                        if delay <= 0:
                            break
                        self._wake.wait(delay)
                    else:
                        self._wake.wait()
                if self._closed:
                    return
                self._pending_since = None
            self._load_and_publish()

    def _load_and_publish(self) -> None:
        with self._lock:
            epoch = self._epoch
        try:
            snapshot = self._loader()
        except Exception as exc:  # noqa: BLE001 - a dead database must not kill the thread
            log.warning("lecture reload failed: %s", exc)
            if self._on_error is not None:
                self._on_error(exc)
            return
        with self._lock:
            self.load_count += 1
            if epoch != self._epoch or self._commits_in_flight:
                # A commit or optimistic update happened meanwhile, so this load may be stale:
                # load again once the commit has landed instead of publishing it.
                stale = True
            else:
                stale = False
                if snapshot.revision < self._snapshot.revision:
                    return  # never go backwards
        if stale:
            self.refresh_lecture()
            return
        self._publish(snapshot)
