from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.conftest import wait_for
from tests.factories import seeded_store
from tui_editor.core.events import parse_event
from tui_editor.core.provider import LectureEditorProvider
from tui_editor.core.snapshot import LectureSnapshot


@pytest.fixture
def store_and_lecture(tmp_path: Path):  # type: ignore[no-untyped-def]
    store, lecture_id = seeded_store(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    yield store, lecture_id
    store.close()


def complete(lecture_id: str, kind: str, n: int = 1):  # type: ignore[no-untyped-def]
    return parse_event(
        {
            "id": n,
            "run_id": f"run_{n}",
            "lecture_id": lecture_id,
            "kind": kind,
            "type": "complete",
            "payload": {"asset_id": "x", "revision": n},
        }
    )


class CountingLoader:
    def __init__(self, store, lecture_id: str) -> None:  # type: ignore[no-untyped-def]
        self.store, self.lecture_id, self.calls = store, lecture_id, 0
        self.gate: threading.Event | None = None
        self.started = threading.Event()

    def __call__(self) -> LectureSnapshot:
        self.calls += 1
        self.started.set()
        snapshot = self.store.load_snapshot(self.lecture_id)
        if self.gate is not None:
            self.gate.wait(5)
        return snapshot


def test_a_burst_of_completions_of_all_kinds_causes_at_most_three_loads(store_and_lecture) -> None:  # type: ignore[no-untyped-def]
    store, lecture_id = store_and_lecture
    loader = CountingLoader(store, lecture_id)
    provider = LectureEditorProvider(store.load_snapshot(lecture_id), loader, debounce_ms=150)
    seen: list[LectureSnapshot] = []
    provider.subscribe(seen.append)
    try:
        kinds = ["visual", "narration", "music"]
        start = time.monotonic()
        for i in range(100):  # 100 events spread over one second
            provider.handle_event(complete(lecture_id, kinds[i % 3], i + 1))
            target = start + (i + 1) * 0.01
            while time.monotonic() < target:
                time.sleep(0.001)
        wait_for(lambda: loader.calls >= 1 and provider._pending_since is None, timeout=5)
        calls_after_burst = loader.calls
        assert 1 <= calls_after_burst <= 3
        assert seen, "subscribers heard about the reload"
    finally:
        provider.close()


def test_events_of_other_lectures_and_non_completion_events_do_not_reload(store_and_lecture) -> None:  # type: ignore[no-untyped-def]
    store, lecture_id = store_and_lecture
    loader = CountingLoader(store, lecture_id)
    provider = LectureEditorProvider(store.load_snapshot(lecture_id), loader, debounce_ms=0)
    try:
        provider.handle_event(complete("lec_other", "visual"))
        provider.handle_event(
            parse_event(
                {
                    "run_id": "r",
                    "lecture_id": lecture_id,
                    "kind": "visual",
                    "type": "preview",
                    "payload": {"asset": {}},
                }
            )
        )
        provider.refresh_now()  # a synchronous load proves the thread is idle and nothing else ran
        assert loader.calls == 1
    finally:
        provider.close()


def test_optimistic_update_has_exactly_the_saved_shape(store_and_lecture) -> None:  # type: ignore[no-untyped-def]
    store, lecture_id = store_and_lecture
    snapshot = store.load_snapshot(lecture_id)
    provider = LectureEditorProvider(snapshot, lambda: store.load_snapshot(lecture_id))
    try:
        clip = snapshot.track("voice")[0]
        fields = {
            "script": "Optimistic",
            "model": "local/espeak",
            "voice": "en-gb",
            "emotion": "calm",
            "language": "en",
            "duration_s": 3.5,
            "file": "media/narration/x.wav",
        }
        revision, saved, _ = store.commit_asset(
            lecture_id=lecture_id,
            kind="narration",
            asset_id=clip.asset_id,
            fields=fields,
            base_revision=snapshot.revision,
            source="edit",
        )
        provider.apply_asset_update("narration", clip.asset_id, saved, revision=revision)
        optimistic = dict(provider.snapshot.asset_for(clip) or {})
        loaded = provider.refresh_now().asset_for(clip)
        assert optimistic == dict(loaded or {})
        assert set(optimistic) == {"id", *fields, "updated_at"}
        assert provider.snapshot.revision == revision
    finally:
        provider.close()


def test_no_reload_lands_while_a_commit_is_in_flight(store_and_lecture) -> None:  # type: ignore[no-untyped-def]
    """A reload that started before an accept must not overwrite the accepted asset with stale data."""
    store, lecture_id = store_and_lecture
    snapshot = store.load_snapshot(lecture_id)
    loader = CountingLoader(store, lecture_id)
    provider = LectureEditorProvider(snapshot, loader, debounce_ms=0)
    published: list[LectureSnapshot] = []
    provider.subscribe(published.append)
    clip = snapshot.track("visual")[0]
    try:
        loader.gate = threading.Event()
        provider.refresh_lecture()  # this load reads the OLD data, then stalls
        assert loader.started.wait(5)
        with provider.commit_in_flight():
            _, saved, _ = store.commit_asset(
                lecture_id=lecture_id,
                kind="visual",
                asset_id=clip.asset_id,
                fields={"prompt": "Accepted prompt"},
                base_revision=snapshot.revision,
                source="edit",
            )
            provider.apply_asset_update("visual", clip.asset_id, saved, revision=snapshot.revision + 1)
            loader.gate.set()  # the stale load finishes now
        wait_for(lambda: loader.calls >= 2, message="the stale load to be redone")
        loader.gate = None
        wait_for(lambda: provider._pending_since is None and loader.calls >= 2)
        # Every snapshot subscribers ever saw after the optimistic update shows the accepted prompt.
        first_optimistic = next(
            i for i, s in enumerate(published) if (s.asset_for(clip) or {}).get("prompt") == "Accepted prompt"
        )
        for later in published[first_optimistic:]:
            assert (later.asset_for(clip) or {})["prompt"] == "Accepted prompt"
        assert (provider.snapshot.asset_for(clip) or {})["prompt"] == "Accepted prompt"
    finally:
        provider.close()


def test_a_failing_loader_is_reported_and_the_provider_keeps_working(store_and_lecture) -> None:  # type: ignore[no-untyped-def]
    store, lecture_id = store_and_lecture
    errors: list[Exception] = []
    fail = {"on": True}

    def loader() -> LectureSnapshot:
        if fail["on"]:
            raise RuntimeError("database went away")
        return store.load_snapshot(lecture_id)

    provider = LectureEditorProvider(
        store.load_snapshot(lecture_id), loader, debounce_ms=0, on_error=errors.append
    )
    try:
        provider.refresh_lecture()
        wait_for(lambda: errors)
        fail["on"] = False
        assert provider.refresh_now().id == lecture_id
    finally:
        provider.close()


def test_a_broken_subscriber_does_not_starve_the_others(store_and_lecture) -> None:  # type: ignore[no-untyped-def]
    store, lecture_id = store_and_lecture
    provider = LectureEditorProvider(store.load_snapshot(lecture_id), lambda: store.load_snapshot(lecture_id))
    got: list[LectureSnapshot] = []

    def broken(_: LectureSnapshot) -> None:
        raise RuntimeError("widget exploded")

    provider.subscribe(broken)
    unsubscribe = provider.subscribe(got.append)
    try:
        provider.refresh_now()
        assert len(got) == 1
        unsubscribe()
        provider.refresh_now()
        assert len(got) == 1
    finally:
        provider.close()
