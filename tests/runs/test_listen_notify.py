"""On PostgreSQL, another process's events wake the tail through LISTEN/NOTIFY, long before a poll."""

from __future__ import annotations

import threading
import time

from tui_editor.core.events import RunEventData
from tui_editor.core.store import open_store
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
