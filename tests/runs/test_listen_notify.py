"""On PostgreSQL, another process's events wake the tail through LISTEN/NOTIFY, long before a poll."""

from __future__ import annotations

import socket
import threading
import time

from tui_editor.core.events import RunEventData
from tui_editor.core.store import EventListener, open_store
from tui_editor.runs.hub import EventHub


def test_notify_wakes_the_tail_before_the_poll_interval(pg_url: str) -> None:
    writer, reader = open_store(pg_url), open_store(pg_url)
    hub = EventHub(reader, poll_interval_ms=30_000)  # a poll would take 30 s: only NOTIFY can be this fast
    arrived = threading.Event()
    hub.subscribe(lambda _event: arrived.set())
    hub.start()
    try:
        # The listener connects inside the tail thread; keep writing until it hears one.
        deadline = time.monotonic() + 10
        while not arrived.is_set() and time.monotonic() < deadline:
            with writer.write() as conn:
                writer.append_event(
                    conn, RunEventData(run_id="r", lecture_id="l", kind="music", type="cancelled")
                )
            arrived.wait(0.5)
        assert arrived.is_set(), "no event reached the tail within 10 s despite a 30 s poll interval"
    finally:
        hub.stop()
        writer.close()
        reader.close()


def _wait_in_thread(listener: EventListener, wake: socket.socket) -> tuple[threading.Thread, list[bool]]:
    answers: list[bool] = []
    thread = threading.Thread(target=lambda: answers.append(listener.wait(60, wake=wake)), daemon=True)
    thread.start()
    return thread, answers


def test_a_wake_ends_a_wait_for_notify_at_once(pg_url: str) -> None:
    """How `EventHub.stop()` ends its tail: a 60 s wait returns as soon as the wake socket is written."""
    store = open_store(pg_url)
    listener = store.listen_for_events()
    wake_reader, wake_writer = socket.socketpair()
    try:
        thread, answers = _wait_in_thread(listener, wake_reader)
        wake_writer.send(b"x")
        thread.join(timeout=10)
        assert not thread.is_alive(), "the wait did not end on its wake within 10 s"
        assert answers == [False]  # woken, not notified
    finally:
        listener.close()
        wake_reader.close()
        wake_writer.close()
        store.close()


def test_a_notify_still_ends_a_wait_that_has_a_wake(pg_url: str) -> None:
    writer, reader = open_store(pg_url), open_store(pg_url)
    listener = reader.listen_for_events()
    wake_reader, wake_writer = socket.socketpair()
    try:
        thread, answers = _wait_in_thread(listener, wake_reader)
        with writer.write() as conn:
            writer.append_event(
                conn, RunEventData(run_id="r", lecture_id="l", kind="music", type="cancelled")
            )
        thread.join(timeout=10)
        assert not thread.is_alive(), "the notification did not end the wait within 10 s"
        assert answers == [True]
    finally:
        listener.close()
        wake_reader.close()
        wake_writer.close()
        writer.close()
        reader.close()


def test_stop_ends_the_tail_and_closes_its_wake_sockets(pg_url: str) -> None:
    store = open_store(pg_url)
    hub = EventHub(store, poll_interval_ms=30_000)
    hub.start()
    thread, wake = hub._thread, hub._wake
    assert thread is not None and wake is not None
    hub.stop()
    store.close()
    assert not thread.is_alive()
    assert all(end.fileno() == -1 for end in wake)  # closed
