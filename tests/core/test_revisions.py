"""Revisions as changes: restoring any revision reproduces it exactly (against full copies), the narration
marks its neighbours stale, the clip-change path, walking back for per-revision files, event pruning."""

from __future__ import annotations

import copy
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import lecture_doc
from tui_editor.core.clock import utcnow
from tui_editor.core.errors import BadInputError, ConflictError, NotFoundError
from tui_editor.core.events import RunEventData
from tui_editor.core.exchange import snapshot_to_export, validate_lecture
from tui_editor.core.revisions import canonical_document, diff_exports
from tui_editor.core.store import Store, open_store
from tui_editor.core.timing import overflow_s, retime_plan

LECTURE_ID = "lec_test"


def state(store: Store) -> dict[str, Any]:
    """The lecture without times and revision number: what a restore must bring back exactly."""
    return canonical_document(store.export_lecture(LECTURE_ID))


def new_store(directory: Path, **kw: Any) -> Store:
    store = open_store(f"sqlite:///{directory / 'test.db'}")
    store.create_lecture(validate_lecture(lecture_doc(**kw)), keep_ids=True)
    return store


@pytest.fixture
def store(db_url: str) -> Any:
    store = open_store(db_url)
    store.create_lecture(validate_lecture(lecture_doc(visuals=3, narrations=3, music=1)), keep_ids=True)
    yield store
    store.close()


# --- the property: restore == the full copy taken at that revision --------------------------------

ASSETS = {"visual": ["vis_0", "vis_1", "vis_2"], "narration": ["nar_0", "nar_1", "nar_2"], "music": ["mus_0"]}
accepts = st.tuples(
    st.just("accept"),
    st.sampled_from(sorted((k, a) for k, ids in ASSETS.items() for a in ids)),
    st.integers(0, 5),
    st.floats(0.5, 14.0).map(lambda x: round(x, 2)),
)
undos = st.tuples(st.just("undo"))
retimes = st.tuples(st.just("retime"), st.sampled_from([0.0, 0.25, 1.0]))
restores = st.tuples(st.just("restore"), st.integers(1, 40))
clears = st.tuples(st.just("clear"), st.sampled_from(["clip_v0", "clip_v1", "clip_v2", "clip_m0"]))
operations = st.lists(st.one_of(accepts, undos, retimes, restores, clears), min_size=1, max_size=14)


def _accept(store: Store, kind: str, asset_id: str, n: int, seconds: float) -> None:
    fields: dict[str, Any] = {"file": f"media/{kind}/{asset_id}/take{n}.bin"}
    fields["script" if kind == "narration" else "prompt"] = f"take {n}"
    if kind == "narration":
        fields["duration_s"] = seconds
    store.commit_asset(
        lecture_id=LECTURE_ID,
        kind=kind,
        asset_id=asset_id,
        fields=fields,
        base_revision=store.lecture_revision(LECTURE_ID),
        source="accept",
        decided_by="prop",
        clip_id={"visual": "clip_v", "narration": "clip_n", "music": "clip_m"}[kind] + asset_id[-1],
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_restoring_any_revision_reproduces_the_full_copy_taken_then(ops: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = new_store(Path(tmp), visuals=3, narrations=3, music=1)
        try:
            copies = {1: state(store)}
            last_accept: tuple[str, str, dict[str, Any]] | None = None
            for op in ops:
                if op[0] == "accept":
                    _name, (kind, asset_id), n, seconds = op
                    before = store.get_asset(kind, asset_id)
                    _accept(store, kind, asset_id, n, seconds)
                    last_accept = (kind, asset_id, before)
                elif op[0] == "undo" and last_accept is not None:
                    kind, asset_id, before = last_accept
                    fields = {k: v for k, v in before.items() if k not in ("id", "updated_at")}
                    store.commit_asset(
                        lecture_id=LECTURE_ID,
                        kind=kind,
                        asset_id=asset_id,
                        fields=fields,
                        base_revision=store.lecture_revision(LECTURE_ID),
                        source="undo",
                    )
                    last_accept = None
                elif op[0] == "retime":
                    plan = retime_plan(store.load_snapshot(LECTURE_ID), op[1])
                    store.change_clips(LECTURE_ID, plan, source="retime")
                elif op[0] == "restore":
                    target = min(op[1], store.lecture_revision(LECTURE_ID))
                    store.restore_revision(LECTURE_ID, target)
                    assert state(store) == copies[target]
                elif op[0] == "clear":
                    store.change_clips(LECTURE_ID, {op[1]: {"stale": []}})
                copies[store.lecture_revision(LECTURE_ID)] = state(store)
            # Every revision, rebuilt by walking back from the current state, equals its full copy.
            states = store.revision_states(LECTURE_ID)
            assert [row["revision"] for row, _s in states] == sorted(copies, reverse=True)
            for row, snapshot in states:
                assert canonical_document(snapshot_to_export(snapshot)) == copies[row["revision"]]
            # And so does a restore of each of them.
            for revision in sorted(copies):
                store.restore_revision(LECTURE_ID, revision)
                assert state(store) == copies[revision]
        finally:
            store.close()


# --- narration timing ----------------------------------------------------------------------------


def test_a_longer_narration_marks_the_overlapping_visual_and_music_stale(store: Store) -> None:
    _accept(store, "narration", "nar_0", 1, 7.5)  # clip_n0 is 0–5 s: the audio now runs into 5–7.5 s
    snapshot = store.load_snapshot(LECTURE_ID)
    reason = "narration changed at rev 2"
    assert {c.id: c.stale for c in snapshot.clips if c.stale} == {
        "clip_v0": (reason,),
        "clip_v1": (reason,),
        "clip_m0": (reason,),
    }
    assert overflow_s(snapshot, snapshot.clip("clip_n0")) == 2.5  # type: ignore[arg-type]
    assert overflow_s(snapshot, snapshot.clip("clip_n1")) is None  # type: ignore[arg-type]
    [row] = [r for r in store.list_revisions(LECTURE_ID) if r["revision"] == 2]
    assert {c["clip_id"]: sorted(c["fields"]) for c in row["changes"]} == {
        "clip_n0": ["duration_s", "file", "script"],
        "clip_v0": ["stale"],
        "clip_v1": ["stale"],
        "clip_m0": ["stale"],
    }
    assert row["decided_by"] == "prop"
    # Regenerating and accepting a stale clip clears it; so does clearing it explicitly.
    _accept(store, "visual", "vis_0", 2, 0)
    store.change_clips(LECTURE_ID, {"clip_m0": {"stale": []}})
    assert {c.id for c in store.load_snapshot(LECTURE_ID).clips if c.stale} == {"clip_v1"}
    # Same length again: nothing new goes stale.
    _accept(store, "narration", "nar_0", 3, 7.5)
    assert {c.id for c in store.load_snapshot(LECTURE_ID).clips if c.stale} == {"clip_v1"}


def test_retime_fits_each_narration_and_ripples_every_track(store: Store) -> None:
    _accept(store, "narration", "nar_0", 1, 7.5)
    _accept(store, "narration", "nar_1", 1, 3.0)
    before = store.load_snapshot(LECTURE_ID)
    plan = retime_plan(before, 0.5)
    revision = store.change_clips(LECTURE_ID, plan, source="retime")
    after = store.load_snapshot(LECTURE_ID)
    spans = {c.id: (c.start, c.end) for c in after.clips}
    assert spans["clip_n0"] == (0.0, 8.0)  # 7.5 s of audio + 0.5 s
    assert spans["clip_n1"] == (8.0, 11.5)
    assert spans["clip_n2"][0] == 11.5  # nar_2 (1 s of audio) is fitted too
    assert spans["clip_v0"] == (0.0, 8.0) and spans["clip_v1"] == (8.0, 11.5)  # aligned clips follow
    for track in ("visual", "voice", "music"):
        clips = after.track(track)
        for a, b in zip(clips, clips[1:], strict=False):  # adjacent clips still touch, none overlaps
            assert b.start == pytest.approx(a.end)
    assert all(overflow_s(after, c) is None for c in after.clips)
    rows = store.list_revisions(LECTURE_ID)
    assert (rows[0]["revision"], rows[0]["source"]) == (revision, "retime")
    assert retime_plan(after, 0.5) == {}  # retiming again changes nothing


def test_retime_keeps_gaps_and_leaves_clips_before_alone() -> None:
    doc = lecture_doc(visuals=0, narrations=2, music=0)
    doc["timeline"]["voice"][1]["start"] = 7.0  # a 2 s gap after clip_n0 (0–5)
    doc["narration"][0]["duration_s"] = 6.0
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 't.db'}")
        try:
            store.create_lecture(validate_lecture(doc), keep_ids=True)
            plan = retime_plan(store.load_snapshot(LECTURE_ID), 0.0)
            assert plan == {
                "clip_n0": {"start": 0.0, "duration": 6.0},
                "clip_n1": {"start": 8.0, "duration": 1.0},
            }
        finally:
            store.close()


def test_change_clips_checks_values_and_base_revision(store: Store) -> None:
    with pytest.raises(BadInputError, match="clip_v0: start"):
        store.change_clips(LECTURE_ID, {"clip_v0": {"start": -1}})
    with pytest.raises(BadInputError, match="not a clip field"):
        store.change_clips(LECTURE_ID, {"clip_v0": {"asset_id": "x"}})
    with pytest.raises(BadInputError, match="stale"):
        store.change_clips(LECTURE_ID, {"clip_v0": {"stale": "not a list"}})
    with pytest.raises(NotFoundError):
        store.change_clips(LECTURE_ID, {"clip_nope": {"start": 1}})
    with pytest.raises(ConflictError):
        store.change_clips(LECTURE_ID, {"clip_v0": {"start": 1}}, base_revision=99)
    assert store.lecture_revision(LECTURE_ID) == 1
    assert store.change_clips(LECTURE_ID, {"clip_v0": {"start": 0.0}}) == 1  # no change: no revision
    assert store.change_clips(LECTURE_ID, {"clip_v0": {"stale": ["by hand"]}}) == 2


def test_diff_exports_finds_asset_and_clip_changes() -> None:
    before = lecture_doc()
    after = copy.deepcopy(before)
    after["visuals"][1]["prompt"] = "new"
    after["timeline"]["music"][0]["stale"] = ["why"]
    changes = diff_exports(before, after)
    assert changes["assets"] == [
        {
            "kind": "visual",
            "id": "vis_1",
            "clip_ids": ["clip_v1"],
            "before": {"prompt": "Visual prompt 1"},
            "after": {"prompt": "new"},
        }
    ]
    assert changes["clips"] == [
        {"id": "clip_m0", "track": "music", "before": {"stale": []}, "after": {"stale": ["why"]}}
    ]


# --- event pruning -------------------------------------------------------------------------------


def _event(store: Store, n: int) -> int:
    with store.write() as conn:
        event = store.append_event(
            conn,
            RunEventData(
                run_id=f"run_{n}",
                lecture_id=LECTURE_ID,
                kind="visual",
                type="status",
                payload={"step": 0, "total_steps": 1},
                created_at=utcnow() - timedelta(days=30),
            ),
        )
    assert event.id is not None
    return event.id


def test_pruning_never_deletes_an_event_a_live_tail_has_not_read(store: Store) -> None:
    ids = [_event(store, n) for n in range(6)]
    now = utcnow()
    store.beat("slow", host="h", pid=1, event_cursor=ids[2])  # a live tail that has read up to ids[2]
    store.beat("idle", host="h", pid=2)  # a live process that tails nothing
    store.beat("dead", host="h", pid=3, event_cursor=0)
    with store.write() as conn:  # the dead process stopped beating long ago: it holds nothing back
        from tui_editor.core.store import HEARTBEAT

        conn.execute(
            HEARTBEAT.update().where(HEARTBEAT.c.id == "dead").values(seen_at=now - timedelta(days=1))
        )
    live_since = now - timedelta(minutes=1)
    assert store.prune_events(older_than=now - timedelta(days=7), live_since=live_since) == 3
    assert [e["id"] for e in store.raw_events_after(0)] == ids[3:]
    assert store.prune_events(older_than=now - timedelta(days=60), live_since=live_since) == 0  # too young
    store.beat("slow", host="h", pid=1, event_cursor=ids[-1])
    assert store.prune_events(older_than=now - timedelta(days=7), live_since=live_since) == 3
    assert store.raw_events_after(0) == []


# --- hostile clip changes ------------------------------------------------------------------------

hostile_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.lists(st.one_of(st.text(max_size=600), st.integers()), max_size=3),
    st.dictionaries(st.text(max_size=12), st.one_of(st.floats(), st.text(max_size=5)), max_size=3),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(["name", "start", "duration", "stale", "params", "asset_id", "\x1b[31m"]),
        hostile_values,
        min_size=1,
        max_size=3,
    )
)
def test_a_hostile_clip_change_lands_checked_or_not_at_all(fields: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = new_store(Path(tmp), visuals=1, narrations=0, music=0)
        try:
            before = state(store)
            try:
                store.change_clips(LECTURE_ID, {"clip_v0": fields})
            except BadInputError as exc:
                assert "clip_v0" in exc.message
                assert state(store) == before and store.lecture_revision(LECTURE_ID) == 1
                return
            clip = store.load_snapshot(LECTURE_ID).clip("clip_v0")
            assert clip is not None and clip.start >= 0 and clip.duration >= 0
            assert all(isinstance(r, str) and r for r in clip.stale)
        finally:
            store.close()
