"""The process's one event subscription, fanned out by run id and lecture id.

Events this process publishes reach subscribers at once (`publish`, called after the event's row has
committed). Events written by other processes are found by tailing the database's event log every
`poll_interval_ms`. Each event is delivered once per process. Every raw row is validated; a malformed
one is logged and skipped, and a failing subscriber never stops the others.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..core.errors import StoreError
from ..core.events import EventError, RunEventData, parse_event
from ..core.store import EventListener, Store

log = logging.getLogger(__name__)

EventCallback = Callable[[RunEventData], None]
_REMEMBERED = 10_000


@dataclass(eq=False)
class Subscription:
    callback: EventCallback
    run_id: str | None
    lecture_id: str | None
    hub: EventHub

    def matches(self, event: RunEventData) -> bool:
        return (self.run_id is None or self.run_id == event.run_id) and (
            self.lecture_id is None or self.lecture_id == event.lecture_id
        )

    def close(self) -> None:
        self.hub._remove(self)


class EventHub:
    def __init__(
        self, store: Store, *, poll_interval_ms: int = 100, tail: bool = True, listen: bool = True
    ) -> None:
        self.store = store
        self._listen = listen and store.is_postgres
        self.poll_interval_s = poll_interval_ms / 1000
        self._tail_enabled = tail
        self._subs: list[Subscription] = []
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._last_id = 0
        self._delivered_local: set[int] = set()
        self._thread: threading.Thread | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None  # (reader, writer) while tailing
        self.dropped = 0  # malformed events skipped (for tests and diagnostics)

    # --- subscribing ---------------------------------------------------------------------------
    def subscribe(
        self, callback: EventCallback, *, run_id: str | None = None, lecture_id: str | None = None
    ) -> Subscription:
        sub = Subscription(callback, run_id, lecture_id, self)
        with self._lock:
            self._subs.append(sub)
        return sub

    def _remove(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    # --- delivering ----------------------------------------------------------------------------
    def publish(self, event: RunEventData) -> None:
        """Deliver an event this process just committed; the tail will not deliver it again."""
        with self._lock:
            if event.id is not None:
                if event.id <= self._last_id or event.id in self._delivered_local:
                    return
                self._delivered_local.add(event.id)
                if self._thread is None and len(self._delivered_local) > 2 * _REMEMBERED:
                    # No tail prunes this set, so keep only the newest ids (enough to drop repeats).
                    self._delivered_local = set(sorted(self._delivered_local)[-_REMEMBERED:])
        self._fan_out(event)

    def _fan_out(self, event: RunEventData) -> None:
        with self._lock:
            subs = [s for s in self._subs if s.matches(event)]
        for sub in subs:
            try:
                sub.callback(event)
            except Exception:  # noqa: BLE001 - one broken subscriber must not starve the rest
                log.exception("event subscriber failed on %s event of run %s", event.type, event.run_id)

    def deliver_raw(self, raw: dict[str, object]) -> None:
        """Validate one raw row from the log and deliver it; malformed rows are logged and dropped."""
        try:
            event = parse_event(raw)
        except EventError as exc:
            self.dropped += 1
            log.warning("dropped malformed event %s: %s", raw.get("id"), exc)
            return
        self._fan_out(event)

    # --- tailing the log -----------------------------------------------------------------------
    @property
    def read_position(self) -> int | None:
        """The newest event id the tail has read (None when this hub does not tail the log): reported
        with the process's heartbeat so that pruning never deletes an event this tail has not read."""
        if self._thread is None:
            return None
        with self._lock:
            return self._last_id

    def start(self) -> None:
        """Begin tailing the event log from its current end (events already there are history)."""
        if not self._tail_enabled or self._thread is not None:
            return
        self._last_id = self.store.last_event_id()
        self._wake = socket.socketpair()
        self._thread = threading.Thread(target=self._tail_loop, name="event-tail", daemon=True)
        self._thread.start()

    def poll_once(self) -> int:
        """Read and deliver whatever is new in the log; returns how many rows were read."""
        rows = self.store.raw_events_after(self._last_id)
        for raw in rows:
            event_id = int(raw["id"])
            with self._lock:
                self._last_id = max(self._last_id, event_id)
                local = event_id in self._delivered_local
                self._delivered_local.discard(event_id)
            if not local:
                self.deliver_raw(raw)
        return len(rows)

    def _tail_loop(self) -> None:
        listener = self._open_listener()
        while not self._stop.is_set():
            try:
                while self.poll_once() and not self._stop.is_set():
                    pass
            except StoreError as exc:
                log.warning("event tail: %s", exc)
            except Exception:  # noqa: BLE001
                log.exception("event tail failed; retrying")
            if listener is None:
                self._stop.wait(self.poll_interval_s)
                continue
            try:  # LISTEN/NOTIFY: wake as soon as another process commits an event; poll as a fallback
                self._wait_for_notify(listener)
            except Exception as exc:  # noqa: BLE001 - a broken listener falls back to plain polling
                log.warning("event listener lost (%s); polling instead", exc)
                with contextlib.suppress(Exception):
                    listener.close()
                listener = None
        if listener is not None:
            with contextlib.suppress(Exception):
                listener.close()

    def _wait_for_notify(self, listener: EventListener) -> None:
        """Return on the first notification, after the poll interval, or at once on `stop()`."""
        deadline = time.monotonic() + self.poll_interval_s
        while not self._stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if listener.wait(remaining, wake=self._wake[0] if self._wake else None):
                return

    def _open_listener(self) -> EventListener | None:
        if not self._listen:
            return None
        try:
            return self.store.listen_for_events()
        except Exception as exc:  # noqa: BLE001
            log.warning("cannot LISTEN for events (%s); polling instead", exc)
            return None

    def stop(self) -> None:
        self._stop.set()
        thread, wake = self._thread, self._wake
        if thread is None:
            return
        if wake is not None:
            with contextlib.suppress(OSError):  # wakes a tail waiting for NOTIFY (PostgreSQL)
                wake[1].send(b"x")
        thread.join(timeout=5)
        self._thread = None
        if wake is not None and not thread.is_alive():
            self._wake = None
            for end in wake:
                end.close()
