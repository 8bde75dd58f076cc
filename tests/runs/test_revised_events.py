"""Revisions made without a run (retime, restore, clear-stale) reach other processes' editors live, on
SQLite and on PostgreSQL, through their `revised` event — and reach this process's own screens once.

The other process is the real `tui-editor` console script; the watcher is this test's own store, event
hub (tailing the shared database) and `LectureEditorProvider`, driven on the test's thread as the App
drives it on its own.
"""

from __future__ import annotations

import json
import queue
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import wait_for
from tests.factories import seeded_store
from tests.runs.conftest import CLI, child_env
from tui_editor.core.events import RunEventData
from tui_editor.core.provider import LectureEditorProvider
from tui_editor.core.store import Store, open_store
from tui_editor.runs.hub import EventHub
from tui_editor.runs.runtime import open_runtime

LECTURE = "lec_test"


class Editor:
    """Another process's open editor: a store, an event hub tailing the log and a provider it feeds."""

    def __init__(self, url: str) -> None:
        self.store = open_store(url)
        self.hub = EventHub(self.store, poll_interval_ms=50)
        self.provider = LectureEditorProvider(
            self.store.load_snapshot(LECTURE), lambda: self.store.load_snapshot(LECTURE), debounce_ms=0
        )
        self.seen: list[RunEventData] = []
        self._inbox: queue.SimpleQueue[RunEventData] = queue.SimpleQueue()
        self.hub.subscribe(self._inbox.put, lecture_id=LECTURE)  # the hub's thread: hand over only
        self.hub.start()

    def reaches(self, revision: int, timeout: float = 15.0) -> None:
        """Feed arriving events to the provider and run its reloads until it shows `revision`."""

        def step() -> bool:
            while not self._inbox.empty():
                event = self._inbox.get()
                self.seen.append(event)
                self.provider.handle_event(event)
            self.provider.run_due_refresh()
            return self.provider.snapshot.revision >= revision

        wait_for(step, timeout=timeout, message=f"the editor to reload to revision {revision}")
        assert self.provider.snapshot.revision == revision

    def close(self) -> None:
        self.hub.stop()
        self.store.close()


@pytest.fixture
def editor(db_url: str, data_dir: Path) -> Iterator[Callable[[], Editor]]:
    """`editor()` → an open editor on a seeded lecture whose clip_v0 is stale (revision 2)."""
    opened: list[Editor] = []

    def make() -> Editor:
        store, lecture_id = seeded_store(db_url, data_dir)
        try:
            assert lecture_id == LECTURE
            assert store.change_clips(LECTURE, {"clip_v0": {"stale": ["narration changed at rev 1"]}}) == 2
        finally:
            store.close()
        opened.append(Editor(db_url))
        return opened[-1]

    yield make
    for each in opened:
        each.close()


def cli(db_url: str, data_dir: Path, *args: str) -> Any:
    """Run `tui-editor ARGS --json`-style in its own process; returns its JSON (or stdout) on success."""
    done = subprocess.run(
        [str(CLI), "--data-dir", str(data_dir), "--db", db_url, *args],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if "--json" in args else done.stdout


def test_retime_restore_and_clear_stale_elsewhere_reload_an_open_editor(
    db_url: str, editor: Callable[[], Editor], data_dir: Path
) -> None:
    watcher = editor()
    shown = watcher.provider.snapshot
    assert shown.revision == 2 and shown.clip("clip_n0").duration == 5.0  # type: ignore[union-attr]

    retimed = cli(db_url, data_dir, "retime", LECTURE, "--json")
    assert retimed["revision"] == 3
    watcher.reaches(3)
    # Each narration is now its 1 s of audio + 0.25 s; the clips after it moved up.
    assert watcher.provider.snapshot.clip("clip_n0").duration == 1.25  # type: ignore[union-attr]
    assert watcher.provider.snapshot.clip("clip_n1").start == 1.25  # type: ignore[union-attr]

    assert "now at revision 4" in cli(db_url, data_dir, "restore", LECTURE, "2")
    watcher.reaches(4)
    assert watcher.provider.snapshot.clip("clip_n0").duration == 5.0  # type: ignore[union-attr]

    cleared = cli(db_url, data_dir, "clear-stale", LECTURE, "--json")
    assert (cleared["revision"], cleared["cleared"]) == (5, ["clip_v0"])
    watcher.reaches(5)
    assert watcher.provider.snapshot.clip("clip_v0").stale == ()  # type: ignore[union-attr]

    # Nothing but the three `revised` events arrived, once each, and each caused one reload.
    assert [(e.type, e.run_id, e.kind, dict(e.payload)) for e in watcher.seen] == [
        ("revised", "", "", {"revision": 3, "source": "retime"}),
        ("revised", "", "", {"revision": 4, "source": "restore"}),
        ("revised", "", "", {"revision": 5, "source": "edit"}),
    ]
    assert watcher.provider.load_count == 3
    assert watcher.hub.dropped == 0


def test_the_process_that_revises_hears_its_own_event_once(
    db_url: str, data_dir: Path, make_settings: Any
) -> None:
    """Published at once after commit, and not again when its own tail reads the row."""
    settings = make_settings(db_url, events__poll_interval_ms=20)
    store: Store
    store, _ = seeded_store(db_url, data_dir)
    store.close()
    runtime = open_runtime(settings)  # tails the log
    try:
        heard: list[tuple[RunEventData, float]] = []
        runtime.hub.subscribe(lambda e: heard.append((e, time.monotonic())), lecture_id=LECTURE)
        before = time.monotonic()
        revision = runtime.store.change_clips(
            LECTURE, {"clip_m0": {"name": "Renamed"}}, publish=runtime.hub.publish
        )
        after = time.monotonic()
        assert [(e.type, dict(e.payload)) for e, _ in heard] == [
            ("revised", {"revision": revision, "source": "edit"})
        ]
        assert before <= heard[0][1] <= after  # delivered by the call itself, not found later by the tail
        event_id = heard[0][0].id
        assert event_id is not None
        wait_for(
            lambda: (runtime.hub.read_position or 0) >= event_id, message="the tail to read past the event"
        )
        assert len(heard) == 1
    finally:
        runtime.close()
