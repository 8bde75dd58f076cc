"""`EventHub`: one subscription per process, fanned out by run id and lecture id; in-process push,
the database tail for other processes, exactly-once delivery, malformed rows dropped and counted."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import wait_for
from tui_editor.core.events import RunEventData
from tui_editor.core.store import Store, open_store
from tui_editor.runs.hub import EventHub


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'data' / 'hub.db'}")
    yield opened
    opened.close()


@pytest.fixture
def hubs() -> Iterator[list[EventHub]]:
    """Hubs a test starts; all stopped afterwards."""
    started: list[EventHub] = []
    yield started
    for hub in started:
        hub.stop()


def append(
    store: Store,
    run_id: str = "run_a",
    lecture_id: str = "lec_a",
    event_type: str = "status",
    payload: dict[str, Any] | None = None,
) -> RunEventData:
    """Commit one event to the log (what an engine does before publishing it)."""
    if payload is None and event_type == "status":
        payload = {"step": 0, "total_steps": 1, "message": "hello"}
    with store.write() as conn:
        return store.append_event(
            conn,
            RunEventData(
                run_id=run_id, lecture_id=lecture_id, kind="visual", type=event_type, payload=payload or {}
            ),
        )


def insert_raw(store: Store, **values: Any) -> None:
    """A row written straight into `run_event`, bypassing validation (a buggy or hostile writer)."""
    row = {
        "run_id": "run_a",
        "lecture_id": "lec_a",
        "kind": "visual",
        "type": "status",
        "payload": '{"step": 0, "total_steps": 1}',
        "created_at": "2026-01-01 00:00:00.000000",
    } | values
    with store.write() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO run_event (run_id, lecture_id, kind, type, payload, created_at) "
                "VALUES (:run_id, :lecture_id, :kind, :type, :payload, :created_at)"
            ),
            row,
        )


def test_publish_reaches_matching_subscribers_at_once(store: Store) -> None:
    hub = EventHub(store, tail=False)
    everything: list[RunEventData] = []
    of_run: list[RunEventData] = []
    of_lecture: list[RunEventData] = []
    of_both: list[RunEventData] = []
    hub.subscribe(everything.append)
    hub.subscribe(of_run.append, run_id="run_a")
    hub.subscribe(of_lecture.append, lecture_id="lec_b")
    hub.subscribe(of_both.append, run_id="run_b", lecture_id="lec_b")

    a = append(store, "run_a", "lec_a")
    hub.publish(a)
    # Synchronous: the callbacks ran before publish returned.
    assert everything == [a] and of_run == [a] and of_lecture == [] and of_both == []
    b = append(store, "run_b", "lec_b")
    hub.publish(b)
    c = append(store, "run_c", "lec_b")
    hub.publish(c)
    assert everything == [a, b, c]
    assert of_run == [a]
    assert of_lecture == [b, c]
    assert of_both == [b]

    hub.publish(b)  # publishing the same stored event again delivers nothing
    assert everything == [a, b, c]


def test_a_closed_subscription_gets_nothing_more(store: Store) -> None:
    hub = EventHub(store, tail=False)
    got: list[RunEventData] = []
    subscription = hub.subscribe(got.append)
    first = append(store)
    hub.publish(first)
    subscription.close()
    hub.publish(append(store))
    assert got == [first]


def test_a_failing_subscriber_does_not_stop_the_others(store: Store, hubs: list[EventHub]) -> None:
    hub = EventHub(store, poll_interval_ms=10)
    calls: list[int] = []

    def broken(event: RunEventData) -> None:
        calls.append(-1)
        raise RuntimeError("subscriber bug")

    got: list[RunEventData] = []
    hub.subscribe(broken)
    hub.subscribe(got.append)
    hub.start()
    hubs.append(hub)

    local = append(store)
    hub.publish(local)  # the in-process path
    assert got == [local]
    other = Store(store.url)  # another writer: reaches this hub through the tail
    try:
        remote = append(other, run_id="run_other")
    finally:
        other.close()
    wait_for(lambda: remote in got, message="the tailed event")
    assert got == [local, remote] and calls == [-1, -1]


def test_each_event_is_delivered_once_when_publish_and_tail_both_see_it(
    store: Store, hubs: list[EventHub]
) -> None:
    """Local events race the tail (publish after commit, tail at 5 ms); remote ones come only by tail."""
    hub = EventHub(store, poll_interval_ms=5)
    delivered: Counter[int] = Counter()
    lock = threading.Lock()

    def count(event: RunEventData) -> None:
        with lock:
            assert event.id is not None
            delivered[event.id] += 1

    hub.subscribe(count)
    hub.start()
    hubs.append(hub)
    remote_store = Store(store.url)
    written: list[int] = []

    def local_writer() -> None:
        for _ in range(60):
            event = append(store, run_id="run_local")
            written.append(int(event.id or 0))
            hub.publish(event)

    def remote_writer() -> None:
        for _ in range(60):
            written.append(int(append(remote_store, run_id="run_remote").id or 0))

    threads = [threading.Thread(target=local_writer), threading.Thread(target=remote_writer)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        wait_for(lambda: len(delivered) == 120, message="all 120 events")
        last = append(store, run_id="run_marker")  # once the tail has delivered this, it has read all
        wait_for(lambda: delivered[int(last.id or 0)] == 1, message="the marker event")
    finally:
        remote_store.close()
    assert sorted(written) == sorted(delivered)[:-1]
    assert set(delivered.values()) == {1}, {k: v for k, v in delivered.items() if v != 1}


def test_a_second_hub_sees_events_only_by_tailing(store: Store, hubs: list[EventHub]) -> None:
    """Two hubs on one database (two processes' worth): the writer's publish reaches only its own hub."""
    mine = EventHub(store, tail=False)
    other_store = Store(store.url)
    theirs = EventHub(other_store, poll_interval_ms=20)
    mine_got: list[RunEventData] = []
    theirs_got: list[RunEventData] = []
    mine.subscribe(mine_got.append)
    theirs.subscribe(theirs_got.append, lecture_id="lec_a")
    append(store, run_id="run_history")  # before the tail starts: history, never delivered
    theirs.start()
    hubs.append(theirs)
    try:
        events = [append(store) for _ in range(3)]
        for event in events:
            mine.publish(event)
        assert mine_got == events
        wait_for(lambda: len(theirs_got) == 3, message="the other hub's tail")
        assert [e.id for e in theirs_got] == [e.id for e in events]
        assert [e.run_id for e in theirs_got] == ["run_a"] * 3
        assert dict(theirs_got[0].payload) == dict(events[0].payload)
        assert [e.created_at for e in theirs_got] == [e.created_at for e in events]
    finally:
        theirs.stop()
        other_store.close()


def test_events_from_another_process_arrive_by_tailing(
    store: Store, hubs: list[EventHub], spawn: Any, tmp_path: Path
) -> None:
    hub = EventHub(store, poll_interval_ms=100)  # the default interval
    got: list[RunEventData] = []
    hub.subscribe(got.append, run_id="run_x")
    hub.start()
    hubs.append(hub)
    child = spawn("publish", str(tmp_path / "data"), store.url, "run_x", "lec_x", "5")
    published = child.expect("published")
    wait_for(lambda: len(got) == 5, message="the child's five events")
    assert [e.id for e in got] == published["ids"]
    assert [e.payload["step"] for e in got] == [0, 1, 2, 3, 4]
    assert all(e.payload["message"] == f"from pid {published['pid']}" for e in got)
    assert child.proc.wait(timeout=30) == 0


MALFORMED: list[dict[str, Any]] = [
    {"type": "exploded"},  # unknown event type
    {"kind": "hologram"},  # unknown asset kind
    {"run_id": ""},  # no run id
    {"payload": '{"step": 5, "total_steps": 2}'},  # step out of range
    {"payload": '{"step": "half", "total_steps": 2}'},  # wrong type
    {"type": "complete", "payload": '{"asset_id": "vis_0"}'},  # missing revision
    {"type": "error", "payload": "[1, 2, 3]"},  # payload is not an object
    {"payload": "{not json at all"},  # not JSON
    {"created_at": "the day before yesterday"},  # unreadable time
]


@pytest.mark.parametrize("bad", MALFORMED, ids=[next(iter(b)) + str(i) for i, b in enumerate(MALFORMED)])
def test_a_malformed_row_is_dropped_counted_and_the_tail_keeps_working(
    store: Store, hubs: list[EventHub], bad: dict[str, Any]
) -> None:
    hub = EventHub(store, poll_interval_ms=10)
    got: list[RunEventData] = []
    hub.subscribe(got.append)
    hub.start()
    hubs.append(hub)

    before = append(store, run_id="run_before")
    wait_for(lambda: len(got) == 1, message="the event before the bad row")
    insert_raw(store, **bad)
    after = append(store, run_id="run_after")
    wait_for(lambda: len(got) == 2, timeout=5, message="the event after the bad row")
    assert [e.id for e in got] == [before.id, after.id]
    assert hub.dropped == 1

    later = append(store, run_id="run_later")  # the subscriber keeps working
    wait_for(lambda: len(got) == 3, message="a later event")
    assert got[-1].id == later.id and hub.dropped == 1


def test_many_malformed_rows_in_one_batch(store: Store) -> None:
    hub = EventHub(store, tail=False)  # never started: poll_once reads the whole log as one batch
    got: list[RunEventData] = []
    hub.subscribe(got.append)
    good = [append(store, run_id="run_0")]
    for bad in MALFORMED:
        insert_raw(store, **bad)
        good.append(append(store, run_id=f"run_{len(good)}"))
    assert hub.poll_once() == 2 * len(MALFORMED) + 1
    assert [e.id for e in got] == [e.id for e in good]
    assert hub.dropped == len(MALFORMED)
