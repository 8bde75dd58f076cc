from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import seeded_store
from tui_editor.core.events import RunEventData, parse_event
from tui_editor.core.provider import LectureEditorProvider, RefreshSchedule
from tui_editor.core.snapshot import LectureSnapshot
from tui_editor.core.store import Store


@pytest.fixture
def store_and_lecture(tmp_path: Path) -> Iterator[tuple[Store, str]]:
    store, lecture_id = seeded_store(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    yield store, lecture_id
    store.close()


def complete(lecture_id: str, kind: str, n: int = 1) -> RunEventData:
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
    def __init__(self, store: Store, lecture_id: str) -> None:
        self.store, self.lecture_id, self.calls = store, lecture_id, 0

    def __call__(self) -> LectureSnapshot:
        self.calls += 1
        return self.store.load_snapshot(self.lecture_id)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# --- the schedule alone ------------------------------------------------------------------------------


def test_schedule_is_a_trailing_debounce_bounded_by_max_wait() -> None:
    schedule = RefreshSchedule(debounce_s=0.15, max_wait_s=0.6)
    assert schedule.due_at is None and not schedule.is_due(0.0)
    assert schedule.request(0.0) == pytest.approx(0.15)
    assert schedule.request(0.1) == pytest.approx(0.25)  # a later request moves it on...
    for i in range(2, 60):
        schedule.request(i * 0.1)
    assert schedule.due_at == pytest.approx(0.6)  # ...but never past max-wait from the first one
    assert schedule.is_due(0.6) and not schedule.is_due(0.59)
    schedule.served()
    assert schedule.due_at is None


def test_a_burst_of_requests_is_served_by_at_most_three_loads() -> None:
    """100 requests within one second, driven by a pretend clock: the debounce alone bounds the loads."""
    schedule = RefreshSchedule(debounce_s=0.15, max_wait_s=0.6)
    loads = 0
    for ms in range(0, 3000):
        now = ms / 1000
        if ms < 1000 and ms % 10 == 0:
            schedule.request(now)
        if schedule.is_due(now):
            schedule.served()
            loads += 1
    assert 1 <= loads <= 3
    assert not schedule.pending


# --- the provider, driven synchronously ----------------------------------------------------------------


def test_a_burst_of_completions_of_all_kinds_causes_at_most_three_loads(
    store_and_lecture: tuple[Store, str],
) -> None:
    store, lecture_id = store_and_lecture
    loader = CountingLoader(store, lecture_id)
    provider = LectureEditorProvider(store.load_snapshot(lecture_id), loader, debounce_ms=150)
    seen: list[LectureSnapshot] = []
    provider.subscribe(seen.append)
    kinds = ["visual", "narration", "music"]
    start = time.monotonic()
    for i in range(100):  # 100 events spread over one second, the reload driven on this thread
        provider.handle_event(complete(lecture_id, kinds[i % 3], i + 1))
        target = start + (i + 1) * 0.01
        while time.monotonic() < target:
            provider.run_due_refresh()
            time.sleep(0.001)
    deadline = time.monotonic() + 5
    while provider.schedule.pending and time.monotonic() < deadline:
        provider.run_due_refresh()
        time.sleep(0.005)
    assert not provider.schedule.pending
    assert 1 <= loader.calls <= 3
    assert provider.load_count == loader.calls
    assert seen, "subscribers heard about the reload"


def test_events_of_other_lectures_and_non_completion_events_do_not_reload(
    store_and_lecture: tuple[Store, str],
) -> None:
    store, lecture_id = store_and_lecture
    loader = CountingLoader(store, lecture_id)
    clock = FakeClock()
    provider = LectureEditorProvider(store.load_snapshot(lecture_id), loader, debounce_ms=0, clock=clock)
    wakes: list[float | None] = []
    provider.on_refresh_wanted(lambda: wakes.append(provider.refresh_due_at))
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
    assert provider.refresh_due_at is None and wakes == []
    assert not provider.run_due_refresh()
    assert loader.calls == 0
    provider.handle_event(complete(lecture_id, "visual"))
    assert wakes == [clock.now]  # the driver is told when the reload is due
    assert provider.run_due_refresh() and loader.calls == 1


def test_optimistic_update_has_exactly_the_saved_shape(store_and_lecture: tuple[Store, str]) -> None:
    store, lecture_id = store_and_lecture
    snapshot = store.load_snapshot(lecture_id)
    provider = LectureEditorProvider(snapshot, lambda: store.load_snapshot(lecture_id))
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


def test_no_reload_starts_while_a_commit_is_in_flight(store_and_lecture: tuple[Store, str]) -> None:
    store, lecture_id = store_and_lecture
    loader = CountingLoader(store, lecture_id)
    clock = FakeClock()
    provider = LectureEditorProvider(store.load_snapshot(lecture_id), loader, debounce_ms=50, clock=clock)
    wakes: list[float | None] = []
    provider.on_refresh_wanted(lambda: wakes.append(provider.refresh_due_at))
    provider.begin_commit()
    provider.refresh_lecture()
    clock.now += 10
    assert provider.refresh_due_at is None  # waits for the commit
    assert not provider.run_due_refresh() and loader.calls == 0
    provider.end_commit()
    assert wakes[-1] is not None and wakes[-1] <= clock.now  # the commit landing wakes the driver
    assert provider.run_due_refresh() and loader.calls == 1


def test_a_load_that_started_before_a_commit_is_discarded_and_redone(
    store_and_lecture: tuple[Store, str],
) -> None:
    """A reload that read the data before an accept must not overwrite the accepted asset."""
    store, lecture_id = store_and_lecture
    snapshot = store.load_snapshot(lecture_id)
    clock = FakeClock()
    provider = LectureEditorProvider(
        snapshot, lambda: store.load_snapshot(lecture_id), debounce_ms=0, clock=clock
    )
    published: list[LectureSnapshot] = []
    provider.subscribe(published.append)
    clip = snapshot.track("visual")[0]
    provider.refresh_lecture()
    ticket = provider.begin_load()
    assert ticket is not None
    stale = provider.loader()  # the worker reads the OLD data...
    assert provider.begin_load(force=True) is None  # (one reload at a time)
    with provider.commit_in_flight():  # ...while an accept commits
        revision, saved, _ = store.commit_asset(
            lecture_id=lecture_id,
            kind="visual",
            asset_id=clip.asset_id,
            fields={"prompt": "Accepted prompt"},
            base_revision=snapshot.revision,
            source="edit",
        )
        provider.apply_asset_update("visual", clip.asset_id, saved, revision=revision)
    assert not provider.finish_load(ticket, stale)  # the stale load lands: discarded...
    assert (provider.snapshot.asset_for(clip) or {})["prompt"] == "Accepted prompt"
    assert provider.refresh_due_at is not None  # ...and redone
    assert provider.run_due_refresh()
    for later in published:  # every snapshot subscribers ever saw shows the accepted prompt
        assert (later.asset_for(clip) or {})["prompt"] == "Accepted prompt"
    assert len(published) == 2 and provider.load_count == 2


def test_a_loaded_snapshot_never_takes_the_revision_backwards(store_and_lecture: tuple[Store, str]) -> None:
    store, lecture_id = store_and_lecture
    older = store.load_snapshot(lecture_id)
    newer = older.with_revision(older.revision + 1)
    provider = LectureEditorProvider(newer, lambda: store.load_snapshot(lecture_id), debounce_ms=0)
    provider.refresh_lecture()
    ticket = provider.begin_load()
    assert ticket is not None
    assert not provider.finish_load(ticket, older)
    assert provider.snapshot is newer


def test_a_failing_loader_is_reported_and_the_provider_keeps_working(
    store_and_lecture: tuple[Store, str],
) -> None:
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
    provider.refresh_lecture()
    assert provider.run_due_refresh()
    assert [str(e) for e in errors] == ["database went away"]
    fail["on"] = False
    assert provider.refresh_now().id == lecture_id


def test_a_closed_provider_ignores_requests_and_late_loads(store_and_lecture: tuple[Store, str]) -> None:
    store, lecture_id = store_and_lecture
    snapshot = store.load_snapshot(lecture_id)
    provider = LectureEditorProvider(snapshot, lambda: store.load_snapshot(lecture_id), debounce_ms=0)
    provider.refresh_lecture()
    ticket = provider.begin_load()
    assert ticket is not None
    provider.close()
    assert not provider.finish_load(ticket, provider.loader())
    provider.refresh_lecture()
    assert provider.refresh_due_at is None and provider.snapshot is snapshot


def test_a_broken_subscriber_does_not_starve_the_others(store_and_lecture: tuple[Store, str]) -> None:
    store, lecture_id = store_and_lecture
    provider = LectureEditorProvider(store.load_snapshot(lecture_id), lambda: store.load_snapshot(lecture_id))
    got: list[LectureSnapshot] = []

    def broken(_: LectureSnapshot) -> None:
        raise RuntimeError("widget exploded")

    provider.subscribe(broken)
    unsubscribe = provider.subscribe(got.append)
    provider.refresh_now()
    assert len(got) == 1
    unsubscribe()
    provider.refresh_now()
    assert len(got) == 1


def revised(lecture_id: str, revision: int, source: str = "retime") -> RunEventData:
    return parse_event(
        {
            "run_id": "",
            "lecture_id": lecture_id,
            "kind": "",
            "type": "revised",
            "payload": {"revision": revision, "source": source},
        }
    )


@pytest.mark.parametrize("source", ["retime", "restore", "edit"])
def test_a_revised_event_reloads_the_lecture_to_the_new_revision(
    store_and_lecture: tuple[Store, str], source: str
) -> None:
    store, lecture_id = store_and_lecture
    loader = CountingLoader(store, lecture_id)
    provider = LectureEditorProvider(store.load_snapshot(lecture_id), loader, debounce_ms=0)
    revision = store.change_clips(lecture_id, {"clip_v0": {"name": "Renamed elsewhere"}})
    provider.handle_event(revised("lec_other", revision, source))
    assert provider.refresh_due_at is None and not provider.run_due_refresh()
    provider.handle_event(revised(lecture_id, revision, source))
    assert provider.run_due_refresh() and loader.calls == 1
    assert provider.snapshot.revision == revision
    assert provider.snapshot.clip("clip_v0").name == "Renamed elsewhere"  # type: ignore[union-attr]
