"""The store on both databases: schema, lectures, the one commit path, revisions, runs, events, heartbeats.

Every test runs against a real SQLite file and a real PostgreSQL schema (`db_url`). "Nothing written"
is checked by dumping every table before and after, not by looking at one field.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import wait_for
from tests.factories import lecture_doc, write_seed_media
from tests.store_support import REFUSED, dump, run_updates_refused
from tui_editor.core import models as m
from tui_editor.core.clock import new_id, utcnow
from tui_editor.core.errors import (
    BadInputError,
    ConflictError,
    DecisionError,
    NotFoundError,
    StoreError,
    TuiEditorError,
)
from tui_editor.core.events import RunEventData, parse_event
from tui_editor.core.exchange import validate_lecture
from tui_editor.core.kinds import KINDS
from tui_editor.core.run_move import RunMove
from tui_editor.core.run_record import RUN_STATUSES
from tui_editor.core.store import HEARTBEAT, REVISION, Store, open_store

SEED_TIME = "2024-01-02T03:04:05.123000+00:00"
LECTURE_ID = "lec_test"

# What a commit changes, per kind (the clip on that kind's track, its asset, new field values).
COMMITS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "visual": (
        "clip_v0",
        "vis_0",
        {"prompt": "A brand new prompt", "width": 128, "height": 72, "file": "media/visual/vis_0/r2.png"},
    ),
    "narration": (
        "clip_n0",
        "nar_0",
        {"script": "A brand new script.", "duration_s": 2.5, "file": "media/narration/nar_0/r2.wav"},
    ),
    "music": (
        "clip_m0",
        "mus_0",
        {"prompt": "Brand new music", "bpm": 120, "key": "A minor", "file": "media/music/mus_0/r2.wav"},
    ),
}


# --- helpers --------------------------------------------------------------------------------------


def seed_doc(**kw: Any) -> dict[str, Any]:
    """`lecture_doc` with every asset dated in the past, so a commit's new time always differs."""
    doc = lecture_doc(**kw)
    for key in ("visuals", "narration", "music"):
        for asset in doc[key]:
            asset["updated_at"] = SEED_TIME
    return doc


def create(store: Store, doc: dict[str, Any], *, keep_ids: bool = True) -> str:
    return store.create_lecture(validate_lecture(doc) | {"id": doc["id"]}, keep_ids=keep_ids)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = open_store(db_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def seeded(store: Store, data_dir: Path) -> Store:
    doc = seed_doc()
    write_seed_media(doc, data_dir)
    assert create(store, doc) == LECTURE_ID
    return store


def accept_on_vis_0(store: Store, run_id: str) -> None:
    """Accept run `run_id`'s preview of visual vis_0, based on revision 1."""
    store.commit_asset(
        lecture_id=LECTURE_ID,
        kind="visual",
        asset_id="vis_0",
        fields=COMMITS["visual"][2],
        base_revision=1,
        run_id=run_id,
    )


def add_run(
    store: Store,
    *,
    kind: str = "visual",
    status: str = "preview_ready",
    base_revision: int = 1,
    clip_id: str | None = None,
    **extra: Any,
) -> str:
    default_clip, asset_id, _ = COMMITS[kind]
    run_id = new_id("run")
    now = utcnow()
    with store.write() as conn:
        store.insert_run(
            conn,
            id=run_id,
            lecture_id=LECTURE_ID,
            clip_id=clip_id or default_clip,
            kind=kind,
            request={"fields": {}, "asset_id": asset_id},
            status=status,
            created_at=now,
            updated_at=now,
            base_revision=base_revision,
            **extra,
        )
    return run_id


def revision_rows(store: Store, revision: int | None = None) -> list[dict[str, Any]]:
    query = sa.select(REVISION).where(REVISION.c.lecture_id == LECTURE_ID).order_by(REVISION.c.id)
    if revision is not None:
        query = query.where(REVISION.c.revision == revision)
    with store.read() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def assert_aware(value: datetime) -> None:
    assert isinstance(value, datetime)
    assert value.tzinfo is not None and value.utcoffset() == timedelta(0), value


def without_times(export: dict[str, Any]) -> dict[str, Any]:
    """An export with revision and every `updated_at` dropped (what a restore must bring back)."""
    data = copy.deepcopy(export)
    data.pop("updated_at")
    data.pop("revision")
    for key in ("visuals", "narration", "music"):
        for asset in data[key]:
            asset.pop("updated_at")
    return data


# --- schema --------------------------------------------------------------------------------------


def test_open_store_creates_the_schema_on_an_empty_database(db_url: str) -> None:
    bare = Store(db_url)
    try:
        assert bare.schema_version() is None
    finally:
        bare.close()
    store = open_store(db_url)
    try:
        assert store.schema_version() == m.SCHEMA_HEAD
        with store.read() as conn:
            tables = set(sa.inspect(conn).get_table_names())
        assert {
            "lecture",
            "clip",
            "visual_asset",
            "narration_asset",
            "music_asset",
            "generation_run",
            "run_event",
            "lecture_revision",
            "process_heartbeat",
            "alembic_version",
        } <= tables
        assert store.list_lectures() == []
        assert store.last_event_id() == 0
    finally:
        store.close()


# --- creating and loading lectures ---------------------------------------------------------------


def test_create_lecture_keeping_ids_and_load_snapshot_shape(seeded: Store) -> None:
    snapshot = seeded.load_snapshot(LECTURE_ID)
    assert (snapshot.id, snapshot.title, snapshot.summary, snapshot.revision) == (
        LECTURE_ID,
        "Test lecture",
        "A lecture for tests",
        1,
    )
    assert_aware(snapshot.updated_at)
    assert [c.id for c in snapshot.track("visual")] == ["clip_v0", "clip_v1"]
    assert [c.id for c in snapshot.track("voice")] == ["clip_n0", "clip_n1"]
    assert [c.id for c in snapshot.track("music")] == ["clip_m0"]
    clip = snapshot.clip("clip_v1")
    assert clip is not None
    assert (clip.name, clip.start, clip.duration, clip.asset_id) == ("Visual 1", 5.0, 5.0, "vis_1")
    assert set(snapshot.assets) == {"visual", "narration", "music"}
    assert {kind: sorted(a) for kind, a in snapshot.assets.items()} == {
        "visual": ["vis_0", "vis_1"],
        "narration": ["nar_0", "nar_1"],
        "music": ["mus_0"],
    }
    for kind, asset in snapshot.iter_assets():
        assert set(asset) == {"id", *KINDS[kind].field_names, "updated_at"}
        assert asset["updated_at"] == datetime.fromisoformat(SEED_TIME)
        assert_aware(asset["updated_at"])
    visual = snapshot.asset("visual", "vis_0")
    assert visual is not None
    assert dict(visual) == {
        "id": "vis_0",
        "prompt": "Visual prompt 0",
        "model": "local/pillow",
        "aspect_ratio": "16:9",
        "width": 64,
        "height": 36,
        "file": "media/visual/vis_0/seed.png",
        "updated_at": datetime.fromisoformat(SEED_TIME),
    }
    with pytest.raises(TypeError):
        visual["prompt"] = "mutated"  # type: ignore[index]
    assert seeded.list_lectures() == [{"id": LECTURE_ID, "title": "Test lecture", "revision": 1, "clips": 5}]
    rows = revision_rows(seeded)
    assert [(r["revision"], r["source"], r["run_id"]) for r in rows] == [(1, "import", None)]
    assert rows[0]["snapshot"] is None  # a revision stores what changed, never a copy of the lecture
    assert rows[0]["changes"] == {"assets": [], "clips": []}


def test_create_lecture_with_fresh_ids_remaps_every_reference(seeded: Store) -> None:
    doc = seed_doc(title="Copy")
    doc["timeline"]["visual"][1]["asset_id"] = "vis_0"  # two clips share one asset
    new_id_ = create(seeded, doc, keep_ids=False)
    assert new_id_ != LECTURE_ID
    snapshot = seeded.load_snapshot(new_id_)
    assert len(snapshot.clips) == 5
    assert not {c.id for c in snapshot.clips} & {"clip_v0", "clip_v1", "clip_n0", "clip_n1", "clip_m0"}
    shared = {c.asset_id for c in snapshot.track("visual")}
    assert len(shared) == 1 and shared != {"vis_0"}
    for clip in snapshot.clips:
        asset = snapshot.asset_for(clip)
        assert asset is not None, f"{clip.id} points at a missing asset"
    # The original is untouched.
    assert seeded.load_snapshot(LECTURE_ID).asset("visual", "vis_0") is not None
    assert seeded.list_lectures()[0]["clips"] == 5


def test_load_snapshot_of_unknown_lecture_is_not_found(seeded: Store) -> None:
    with pytest.raises(NotFoundError, match="lec_nope"):
        seeded.load_snapshot("lec_nope")
    with pytest.raises(NotFoundError):
        seeded.lecture_revision("lec_nope")


@pytest.mark.parametrize("collide", ["clip", "asset"])
def test_create_lecture_is_all_or_nothing(seeded: Store, collide: str) -> None:
    """A duplicate primary key part-way through the inserts leaves no trace of the second lecture."""
    before = dump(seeded)
    doc = seed_doc(title="Second")
    doc["id"] = "lec_second"
    for key in ("visuals", "narration", "music"):
        for asset in doc[key]:
            asset["id"] = "b_" + asset["id"]
    for track in doc["timeline"].values():
        for clip in track:
            clip["id"] = "b_" + clip["id"]
            clip["asset_id"] = "b_" + clip["asset_id"]
    if collide == "clip":  # the lecture and every asset are in before the clips fail
        doc["timeline"]["music"][0]["id"] = "clip_v0"
    else:  # the lecture and the visuals are in before the narration fails
        doc["narration"][1]["id"] = "nar_0"
        doc["timeline"]["voice"][1]["asset_id"] = "nar_0"
    with pytest.raises((sa.exc.IntegrityError, TuiEditorError)):
        create(seeded, doc)
    assert dump(seeded) == before
    with pytest.raises(NotFoundError):
        seeded.resolve_lecture("Second")


# --- resolving references ------------------------------------------------------------------------


def test_resolve_lecture_by_id_or_exact_title(seeded: Store) -> None:
    assert seeded.resolve_lecture(LECTURE_ID) == LECTURE_ID
    assert seeded.resolve_lecture("Test lecture") == LECTURE_ID
    with pytest.raises(NotFoundError, match="test lecture"):
        seeded.resolve_lecture("test lecture")  # exact title only
    with pytest.raises(NotFoundError):
        seeded.resolve_lecture("No such lecture")
    other = create(seeded, seed_doc(), keep_ids=False)  # same title
    with pytest.raises(BadInputError) as info:
        seeded.resolve_lecture("Test lecture")
    assert LECTURE_ID in info.value.message and other in info.value.message
    assert info.value.exit_code == 2
    # Ids still work when titles are ambiguous.
    assert seeded.resolve_lecture(other) == other
    assert seeded.resolve_lecture(LECTURE_ID) == LECTURE_ID


def test_resolve_clip_by_id_or_exact_name_within_its_lecture(seeded: Store) -> None:
    clip = seeded.resolve_clip(LECTURE_ID, "clip_n1")
    assert (clip.id, clip.track, clip.name, clip.asset_id) == ("clip_n1", "voice", "Narration 1", "nar_1")
    assert clip.kind.name == "narration"
    assert seeded.resolve_clip(LECTURE_ID, "Music 0").id == "clip_m0"
    with pytest.raises(NotFoundError):
        seeded.resolve_clip(LECTURE_ID, "music 0")
    with pytest.raises(NotFoundError):
        seeded.resolve_clip(LECTURE_ID, "clip_nope")
    # A clip of another lecture is not found through this one.
    other = create(seeded, seed_doc(title="Other"), keep_ids=False)
    other_clip = seeded.load_snapshot(other).clips[0]
    with pytest.raises(NotFoundError):
        seeded.resolve_clip(LECTURE_ID, other_clip.id)
    assert seeded.resolve_clip(other, other_clip.id) == other_clip
    # Two clips with one name: ambiguous, and the message lists the ids.
    doc = seed_doc(title="Twins")
    doc["timeline"]["visual"][1]["name"] = "Visual 0"
    twins = create(seeded, doc, keep_ids=False)
    with pytest.raises(BadInputError) as info:
        seeded.resolve_clip(twins, "Visual 0")
    for c in seeded.load_snapshot(twins).track("visual"):
        assert c.id in info.value.message


# --- the commit path -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(COMMITS))
def test_commit_asset_writes_asset_revision_row_run_and_event(seeded: Store, kind: str) -> None:
    clip_id, asset_id, fields = COMMITS[kind]
    old = seeded.get_asset(kind, asset_id)
    run_id = add_run(seeded, kind=kind)
    last_event = seeded.last_event_id()

    revision, saved, event = seeded.commit_asset(
        lecture_id=LECTURE_ID,
        kind=kind,
        asset_id=asset_id,
        fields=fields,
        base_revision=1,
        base_asset_updated_at=old["updated_at"],
        run_id=run_id,
        decided_by="tester",
        clip_id=clip_id,
    )

    assert revision == 2
    assert seeded.lecture_revision(LECTURE_ID) == 2
    # The asset: new fields, untouched fields kept, a new aware updated_at; saved == stored.
    stored = seeded.get_asset(kind, asset_id)
    assert stored == saved
    expected = {**old, **fields}
    assert {k: v for k, v in stored.items() if k != "updated_at"} == {
        k: v for k, v in expected.items() if k != "updated_at"
    }
    assert_aware(stored["updated_at"])
    assert stored["updated_at"] > old["updated_at"]
    snapshot = seeded.load_snapshot(LECTURE_ID)
    assert snapshot.revision == 2
    assert dict(snapshot.asset(kind, asset_id) or {}) == stored
    # One revision row, for this run, holding what changed: the asset's fields before and after.
    rows = revision_rows(seeded, 2)
    assert len(rows) == 1
    assert (rows[0]["source"], rows[0]["run_id"], rows[0]["decided_by"]) == ("accept", run_id, "tester")
    assert rows[0]["snapshot"] is None
    [entry] = rows[0]["changes"]["assets"]
    assert (entry["kind"], entry["id"], clip_id in entry["clip_ids"]) == (kind, asset_id, True)
    assert entry["after"] == {k: v for k, v in fields.items() if old.get(k) != v}
    assert entry["before"] == {k: old[k] for k in entry["after"]}
    assert_aware(rows[0]["created_at"])
    # The run is accepted and decided by the caller, with what its undo needs: what the accept replaced
    # (the asset's fields before), the committed file and when it was decided (the asset's new time).
    run = seeded.get_run(run_id)
    assert (run.status, run.decided_by, run.error) == ("accepted", "tester", None)
    assert dict(run.replaced or {}) == {k: v for k, v in old.items() if k not in ("id", "updated_at")}
    assert run.committed_file == fields["file"]
    assert run.decided_at == run.decided_asset_updated_at == stored["updated_at"]
    # Its `complete` event is stored, and it is what commit_asset returned.
    assert event is not None and event.id is not None and event.id > last_event
    assert (event.type, event.run_id, event.lecture_id, event.kind) == ("complete", run_id, LECTURE_ID, kind)
    assert dict(event.payload)["asset_id"] == asset_id and dict(event.payload)["revision"] == 2
    events = seeded.events_for_run(run_id)
    assert [(e.id, e.type) for e in events] == [(event.id, "complete")]
    assert dict(events[0].payload) == {"asset_id": asset_id, "revision": 2}


def test_commit_without_a_run_writes_no_event(seeded: Store) -> None:
    revision, saved, event = seeded.commit_asset(
        lecture_id=LECTURE_ID,
        kind="visual",
        asset_id="vis_1",
        fields={"prompt": "Edited by hand"},
        base_revision=1,
        source="edit",
    )
    assert (revision, saved["prompt"], event) == (2, "Edited by hand", None)
    assert seeded.last_event_id() == 0
    assert [(r["revision"], r["source"], r["run_id"]) for r in revision_rows(seeded)] == [
        (1, "import", None),
        (2, "edit", None),
    ]


@pytest.mark.parametrize("failing_step", ["_insert_revision", "_append_event"])
def test_commit_asset_is_one_transaction(
    seeded: Store, monkeypatch: pytest.MonkeyPatch, failing_step: str
) -> None:
    """If any write of a commit fails, none of the others survive (asset, revision, run, event)."""
    run_id = add_run(seeded)
    before = dump(seeded)

    def boom(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(seeded, failing_step, boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        accept_on_vis_0(seeded, run_id)
    assert dump(seeded) == before


def test_stale_base_revision_on_a_changed_asset_is_a_conflict_and_writes_nothing(seeded: Store) -> None:
    original = seeded.get_asset("visual", "vis_0")
    seeded.commit_asset(
        lecture_id=LECTURE_ID,
        kind="visual",
        asset_id="vis_0",
        fields={"prompt": "Someone else's change"},
        base_revision=1,
        source="edit",
    )
    run_id = add_run(seeded, base_revision=1)
    before = dump(seeded)
    for base_time in (original["updated_at"], None):
        with pytest.raises(ConflictError) as info:
            seeded.commit_asset(
                lecture_id=LECTURE_ID,
                kind="visual",
                asset_id="vis_0",
                fields={"prompt": "My change"},
                base_revision=1,
                base_asset_updated_at=base_time,
                run_id=run_id,
            )
        assert "revision 1" in info.value.message and info.value.exit_code == 1
        assert dump(seeded) == before
    assert seeded.get_asset("visual", "vis_0")["prompt"] == "Someone else's change"
    assert seeded.get_run(run_id).status == "preview_ready"


def test_stale_lecture_revision_with_the_asset_untouched_lands(seeded: Store) -> None:
    """Someone else's accept on another clip moved the lecture on; this asset did not change."""
    vis_1 = seeded.get_asset("visual", "vis_1")
    seeded.commit_asset(
        lecture_id=LECTURE_ID,
        kind="visual",
        asset_id="vis_0",
        fields={"prompt": "Other clip changed"},
        base_revision=1,
        source="edit",
    )
    # Without the asset's base time the store cannot tell, so it must refuse.
    with pytest.raises(ConflictError):
        seeded.commit_asset(
            lecture_id=LECTURE_ID,
            kind="visual",
            asset_id="vis_1",
            fields={"prompt": "Mine"},
            base_revision=1,
        )
    run_id = add_run(seeded, base_revision=1, clip_id="clip_v1")
    revision, saved, event = seeded.commit_asset(
        lecture_id=LECTURE_ID,
        kind="visual",
        asset_id="vis_1",
        fields={"prompt": "Mine"},
        base_revision=1,
        base_asset_updated_at=vis_1["updated_at"],
        run_id=run_id,
    )
    assert revision == 3 and saved["prompt"] == "Mine" and event is not None
    snapshot = seeded.load_snapshot(LECTURE_ID)
    assert snapshot.asset("visual", "vis_0")["prompt"] == "Other clip changed"  # type: ignore[index]
    assert snapshot.asset("visual", "vis_1")["prompt"] == "Mine"  # type: ignore[index]
    assert [r["revision"] for r in seeded.list_revisions(LECTURE_ID)] == [3, 2, 1]


def test_commit_for_a_run_that_is_not_preview_ready_is_refused_and_writes_nothing(seeded: Store) -> None:
    run_id = add_run(seeded, status="queued")
    for status in ("queued", "generating", "accepted", "rejected", "cancelled", "failed", "expired"):
        with seeded.write() as conn:
            assert seeded.update_run_if(conn, run_id, RUN_STATUSES, status=status)
        before = dump(seeded)
        with pytest.raises(DecisionError, match=status):
            seeded.commit_asset(
                lecture_id=LECTURE_ID,
                kind="visual",
                asset_id="vis_0",
                fields={"prompt": "Too late"},
                base_revision=1,
                run_id=run_id,
            )
        assert dump(seeded) == before, status
    before = dump(seeded)
    with pytest.raises(DecisionError):
        seeded.commit_asset(
            lecture_id=LECTURE_ID,
            kind="visual",
            asset_id="vis_0",
            fields={"prompt": "No such run"},
            base_revision=1,
            run_id="run_missing",
        )
    assert dump(seeded) == before


def test_an_accept_whose_run_update_fails_writes_nothing(seeded: Store) -> None:
    """The run's update fails for real (a trigger in the database) after the asset, lecture and revision
    row were written in the same transaction: none of them lands."""
    run_id = add_run(seeded)
    before = dump(seeded)
    with run_updates_refused(seeded, run_id), pytest.raises(StoreError, match=REFUSED):
        accept_on_vis_0(seeded, run_id)
    assert dump(seeded) == before


def reopen_move(run_id: str, *, statuses: tuple[str, ...] = ("accepted",)) -> RunMove:
    """A run move as an undo makes it: the run waits again, based on the commit's revision."""
    return RunMove(
        run_id=run_id,
        from_statuses=statuses,
        event_type="reopened",
        build=lambda done: (
            {"asset": {"file": done.replaced["file"]}, "decided_by": "ann"},
            {"status": "preview_ready", "base_revision": done.revision, "decided_at": None},
        ),
        refused=lambda status: ConflictError(f"run {run_id} is {status}"),
    )


def test_a_run_move_lands_with_its_commit(seeded: Store) -> None:
    run_id = add_run(seeded, status="accepted", decided_at=utcnow())
    old = seeded.get_asset("visual", "vis_0")
    revision, saved, event = seeded.commit_asset(
        lecture_id=LECTURE_ID,
        kind="visual",
        asset_id="vis_0",
        fields={"prompt": "Put back"},
        base_revision=1,
        source="undo",
        run_move=reopen_move(run_id),
    )
    run = seeded.get_run(run_id)
    assert (run.status, run.base_revision, run.decided_at) == ("preview_ready", revision, None)
    assert run.updated_at == saved["updated_at"]
    assert event is not None and (event.type, event.run_id, event.kind) == ("reopened", run_id, "visual")
    assert [e.id for e in seeded.events_for_run(run_id)] == [event.id]
    assert dict(event.payload)["asset"] == {"file": old["file"]}  # built from what the commit replaced
    # The revision row is the undo's own: it names no run (only an accept's does).
    assert [(r["source"], r["run_id"]) for r in revision_rows(seeded, revision)] == [("undo", None)]


def test_a_refused_run_move_writes_nothing(seeded: Store) -> None:
    """The run moved before the commit's transaction (another connection): the compare-and-set refuses,
    with the move's own error; or the run's update itself fails in the database: nothing lands."""
    run_id = add_run(seeded, status="accepted")
    with seeded.write() as conn:  # another editor's move, just before ours
        assert seeded.update_run_if(conn, run_id, ["accepted"], status="expired")
    before = dump(seeded)
    commit: dict[str, Any] = {
        "lecture_id": LECTURE_ID,
        "kind": "visual",
        "asset_id": "vis_0",
        "fields": {"prompt": "Put back"},
        "base_revision": 1,
        "source": "undo",
    }
    with pytest.raises(ConflictError, match=f"run {run_id} is expired"):
        seeded.commit_asset(**commit, run_move=reopen_move(run_id))
    assert dump(seeded) == before
    with run_updates_refused(seeded, run_id), pytest.raises(StoreError, match=REFUSED):
        seeded.commit_asset(**commit, run_move=reopen_move(run_id, statuses=("expired",)))
    assert dump(seeded) == before
    with pytest.raises(ValueError, match="not both"):
        seeded.commit_asset(**commit, run_id=run_id, run_move=reopen_move(run_id))


def test_commit_on_unknown_lecture_or_asset_is_not_found(seeded: Store) -> None:
    before = dump(seeded)
    with pytest.raises(NotFoundError):
        seeded.commit_asset(
            lecture_id="lec_nope", kind="visual", asset_id="vis_0", fields={"prompt": "x"}, base_revision=1
        )
    with pytest.raises(NotFoundError):
        seeded.commit_asset(
            lecture_id=LECTURE_ID, kind="visual", asset_id="nar_0", fields={"prompt": "x"}, base_revision=1
        )
    assert dump(seeded) == before


# --- revisions -----------------------------------------------------------------------------------


def test_restore_revision_brings_assets_back_as_a_new_revision(seeded: Store) -> None:
    at_1 = seeded.export_lecture(LECTURE_ID)
    for kind in ("visual", "narration"):
        _clip, asset_id, fields = COMMITS[kind]
        seeded.commit_asset(
            lecture_id=LECTURE_ID,
            kind=kind,
            asset_id=asset_id,
            fields=fields,
            base_revision=seeded.lecture_revision(LECTURE_ID),
            source="edit",
        )
    at_3 = seeded.export_lecture(LECTURE_ID)
    assert without_times(at_3) != without_times(at_1)

    assert seeded.restore_revision(LECTURE_ID, 1) == 4
    restored = seeded.export_lecture(LECTURE_ID)
    assert restored["revision"] == 4
    assert without_times(restored) == without_times(at_1)
    rows = revision_rows(seeded, 4)
    assert [(r["source"], r["run_id"]) for r in rows] == [("restore", None)]
    assert {(e["kind"], e["id"]) for e in rows[0]["changes"]["assets"]} == {
        (kind, COMMITS[kind][1]) for kind in ("visual", "narration")
    }

    # Restoring a later revision goes forward again.
    assert seeded.restore_revision(LECTURE_ID, 3) == 5
    assert without_times(seeded.export_lecture(LECTURE_ID)) == without_times(at_3)

    before = dump(seeded)
    with pytest.raises(NotFoundError, match="99"):
        seeded.restore_revision(LECTURE_ID, 99)
    with pytest.raises(NotFoundError):
        seeded.restore_revision("lec_nope", 1)
    assert dump(seeded) == before


def test_list_revisions_newest_first_with_aware_times(seeded: Store) -> None:
    run_id = add_run(seeded)
    seeded.commit_asset(
        lecture_id=LECTURE_ID,
        kind="visual",
        asset_id="vis_0",
        fields={"prompt": "v2"},
        base_revision=1,
        run_id=run_id,
    )
    seeded.commit_asset(
        lecture_id=LECTURE_ID,
        kind="visual",
        asset_id="vis_1",
        fields={"prompt": "v3"},
        base_revision=2,
        source="edit",
    )
    seeded.restore_revision(LECTURE_ID, 1)
    revisions = seeded.list_revisions(LECTURE_ID)
    assert [(r["revision"], r["source"], r["run_id"]) for r in revisions] == [
        (4, "restore", None),
        (3, "edit", None),
        (2, "accept", run_id),
        (1, "import", None),
    ]
    times = [datetime.fromisoformat(r["created_at"]) for r in revisions]
    for t in times:
        assert_aware(t)
    assert times == sorted(times, reverse=True)
    assert set(revisions[0]) == {"revision", "source", "run_id", "decided_by", "created_at", "changes"}
    # The restore put vis_0 and vis_1 back: one entry per clip, each with its prompt before and after.
    assert {c["clip_id"]: c["fields"]["prompt"] for c in revisions[0]["changes"]} == {
        "clip_v0": {"before": "v2", "after": "Visual prompt 0"},
        "clip_v1": {"before": "v3", "after": "Visual prompt 1"},
    }
    assert seeded.list_revisions("lec_nope") == []


# --- runs ----------------------------------------------------------------------------------------


STEP = {"step": 0, "total_steps": 1}


def test_transition_run_is_a_compare_and_set_with_its_event(seeded: Store) -> None:
    run_id = add_run(seeded, status="queued")
    queued = seeded.get_run(run_id)
    assert (
        seeded.transition_run(
            queued, ["generating"], "error", {"message": "no", "retryable": True}, status="failed"
        )
        is None
    )
    run = seeded.get_run(run_id)
    assert (run.status, run.error) == ("queued", None)
    assert seeded.events_for_run(run_id) == []
    moved = seeded.transition_run(queued, ["queued"], "status", STEP, status="generating", owner="me")
    assert moved is not None and moved.id is not None
    assert (moved.run_id, moved.lecture_id, moved.type) == (run_id, LECTURE_ID, "status")
    assert (
        seeded.transition_run(queued, ["queued"], "status", STEP, status="generating", owner="other") is None
    )
    run = seeded.get_run(run_id)
    assert (run.status, run.owner) == ("generating", "me")
    assert run.updated_at >= run.created_at
    failed = seeded.transition_run(
        queued,
        ["queued", "generating"],
        "error",
        {"message": "boom", "retryable": True},
        status="failed",
        error="boom",
    )
    assert failed is not None
    run = seeded.get_run(run_id)
    assert (run.status, run.error) == ("failed", "boom")
    events = [(e.id, e.type) for e in seeded.events_for_run(run_id)]
    assert events == [(moved.id, "status"), (failed.id, "error")]
    with seeded.write() as conn:
        assert not seeded.update_run_if(conn, "run_missing", ["queued"], status="failed")


def test_transition_run_lets_exactly_one_of_many_racers_win(seeded: Store) -> None:
    run_id = add_run(seeded, status="queued")
    queued = seeded.get_run(run_id)
    racers = 6
    barrier = threading.Barrier(racers)
    wins: list[str] = []
    errors: list[BaseException] = []

    def race(name: str) -> None:
        try:
            barrier.wait(timeout=10)
            moved = seeded.transition_run(
                queued, ["queued"], "status", {**STEP, "message": name}, status="generating", owner=name
            )
            if moved is not None:
                wins.append(name)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=race, args=(f"p{i}",)) for i in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert len(wins) == 1
    run = seeded.get_run(run_id)
    assert (run.status, run.owner) == ("generating", wins[0])
    assert [e.payload["message"] for e in seeded.events_for_run(run_id)] == [wins[0]]


def test_create_run_inserts_the_run_and_its_first_event_together(seeded: Store) -> None:
    now = utcnow()
    values = {"id": "run_new", "lecture_id": LECTURE_ID, "clip_id": "clip_v0", "kind": "visual"}
    event = seeded.create_run(
        {**STEP, "message": "Queued"},
        **values,
        request={},
        status="queued",
        created_at=now,
        updated_at=now,
    )
    assert (event.run_id, event.type, dict(event.payload)["message"]) == ("run_new", "status", "Queued")
    assert seeded.get_run("run_new").status == "queued"
    assert [e.id for e in seeded.events_for_run("run_new")] == [event.id]
    with pytest.raises(StoreError):  # the same id again: neither the run nor its event lands
        seeded.create_run(STEP, **values, request={}, status="queued", created_at=now, updated_at=now)
    assert [e.id for e in seeded.events_for_run("run_new")] == [event.id]


def test_run_records_round_trip_with_aware_times(seeded: Store) -> None:
    base_time = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
    run_id = add_run(seeded, status="queued", owner="host:1:abc", base_asset_updated_at=base_time)
    run = seeded.get_run(run_id)
    assert (run.lecture_id, run.clip_id, run.kind, run.status) == (LECTURE_ID, "clip_v0", "visual", "queued")
    assert dict(run.request) == {"fields": {}, "asset_id": "vis_0"}
    assert run.preview is None and run.base_revision == 1 and run.owner == "host:1:abc"
    assert run.base_asset_updated_at == base_time
    for value in (run.created_at, run.updated_at, run.base_asset_updated_at):
        assert value is not None
        assert_aware(value)
    assert [r.id for r in seeded.list_runs(owner="host:1:abc")] == [run_id]
    assert seeded.list_runs(statuses=["preview_ready"]) == []
    with pytest.raises(NotFoundError):
        seeded.get_run("run_missing")


# --- events --------------------------------------------------------------------------------------


def _event(run_id: str, event_type: str, payload: dict[str, Any]) -> RunEventData:
    return RunEventData(run_id=run_id, lecture_id=LECTURE_ID, kind="visual", type=event_type, payload=payload)


def test_raw_events_after_returns_newer_events_oldest_first(seeded: Store) -> None:
    run_id = add_run(seeded, status="queued")
    stored: list[RunEventData] = []
    for step in range(3):
        with seeded.write() as conn:
            stored.append(
                seeded.append_event(
                    conn, _event(run_id, "status", {"step": step, "total_steps": 3, "message": f"s{step}"})
                )
            )
    with seeded.write() as conn:  # two in one transaction
        stored.append(seeded.append_event(conn, _event(run_id, "preview", {"asset": {"prompt": "p"}})))
        stored.append(
            seeded.append_event(conn, _event(run_id, "error", {"message": "x", "retryable": False}))
        )
    ids = [e.id for e in stored if e.id is not None]
    assert len(ids) == len(stored)
    assert ids == sorted(ids) and len(set(ids)) == len(ids), ids
    assert seeded.last_event_id() == ids[-1]

    rows = seeded.raw_events_after(0)
    assert [r["id"] for r in rows] == ids
    assert [r["type"] for r in rows] == ["status", "status", "status", "preview", "error"]
    assert rows[1]["payload"] == {"step": 1, "total_steps": 3, "message": "s1"}
    for row in rows:
        assert_aware(row["created_at"])
        assert (row["run_id"], row["lecture_id"], row["kind"]) == (run_id, LECTURE_ID, "visual")
    assert [r["id"] for r in seeded.raw_events_after(ids[1])] == ids[2:]
    assert [r["id"] for r in seeded.raw_events_after(0, limit=2)] == ids[:2]
    assert seeded.raw_events_after(ids[-1]) == []
    assert [e.id for e in seeded.events_for_run(run_id)] == ids


def test_event_ids_keep_increasing_after_a_rolled_back_append(seeded: Store) -> None:
    run_id = add_run(seeded, status="queued")
    with seeded.write() as conn:
        first = seeded.append_event(conn, _event(run_id, "status", {"step": 0, "total_steps": 1}))
    with pytest.raises(RuntimeError), seeded.write() as conn:
        seeded.append_event(conn, _event(run_id, "status", {"step": 1, "total_steps": 1}))
        raise RuntimeError("roll back")
    with seeded.write() as conn:
        last = seeded.append_event(conn, _event(run_id, "status", {"step": 1, "total_steps": 1}))
    assert first.id is not None and last.id is not None and last.id > first.id
    assert [r["id"] for r in seeded.raw_events_after(0)] == [first.id, last.id]


# --- heartbeats ----------------------------------------------------------------------------------


def test_heartbeats_insert_then_refresh_then_forget(seeded: Store) -> None:
    assert seeded.heartbeats() == []
    seeded.beat("host-a:10:aaa", host="host-a", pid=10)
    seeded.beat("host-b:20:bbb", host="host-b", pid=20)
    beats = {b["id"]: b for b in seeded.heartbeats()}
    assert set(beats) == {"host-a:10:aaa", "host-b:20:bbb"}
    first = beats["host-a:10:aaa"]
    assert (first["host"], first["pid"]) == ("host-a", 10)
    assert_aware(first["seen_at"])
    assert abs(utcnow() - first["seen_at"]) < timedelta(minutes=1)
    seeded.beat("host-a:10:aaa", host="ignored", pid=99)  # a refresh, not a second row
    beats = {b["id"]: b for b in seeded.heartbeats()}
    assert len(beats) == 2
    assert (beats["host-a:10:aaa"]["host"], beats["host-a:10:aaa"]["pid"]) == ("host-a", 10)
    assert beats["host-a:10:aaa"]["seen_at"] >= first["seen_at"]
    seeded.forget_process("host-a:10:aaa")
    assert [b["id"] for b in seeded.heartbeats()] == ["host-b:20:bbb"]
    seeded.forget_process("never-there")  # harmless
    with seeded.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(HEARTBEAT)).scalar() == 1


# --- PostgreSQL concurrency: the interleavings SQLite's single writer cannot produce ----------------


def _named(pg_url: str, name: str) -> str:
    return f"{pg_url}&application_name={name}"


def _lock_waiters(store: Store, name: str) -> int:
    with store.engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE application_name = :name AND wait_event_type = 'Lock'"
                ),
                {"name": name},
            ).scalar()
            or 0
        )


def _in_thread(target: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = target()
        except BaseException as exc:  # noqa: BLE001 - inspected by the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


@pytest.fixture
def pg_seeded(pg_url: str, data_dir: Path) -> Iterator[tuple[Store, str]]:
    name = f"tuitest_{new_id('x')}"
    store = open_store(_named(pg_url, name))
    doc = seed_doc()
    write_seed_media(doc, data_dir)
    create(store, doc)
    try:
        yield store, name
    finally:
        store.close()


def test_pg_accept_racing_a_reject_cannot_both_win(pg_seeded: tuple[Store, str]) -> None:
    """A reject that lands while an accept is in flight must make the accept fail, not be overwritten."""
    store, name = pg_seeded
    run_id = add_run(store)
    before = dump(store)
    holding, release = threading.Event(), threading.Event()

    def reject() -> None:
        with store.write() as conn:
            assert store.update_run_if(conn, run_id, ["preview_ready"], status="rejected", decided_by="bob")
            holding.set()
            release.wait(30)

    rejecter, rejected = _in_thread(reject)
    try:
        wait_for(holding.is_set, message="the reject to hold its transaction")
        accepter, accepted = _in_thread(
            lambda: store.commit_asset(
                lecture_id=LECTURE_ID,
                kind="visual",
                asset_id="vis_0",
                fields={"prompt": "accepted while being rejected"},
                base_revision=1,
                run_id=run_id,
                decided_by="alice",
            )
        )
        wait_for(
            lambda: _lock_waiters(store, name) or not accepter.is_alive(),
            message="the accept to wait for the reject's lock",
        )
    finally:
        release.set()
    rejecter.join(30)
    accepter.join(30)
    assert "error" not in rejected, rejected
    assert isinstance(accepted.get("error"), DecisionError), accepted
    run = store.get_run(run_id)
    assert (run.status, run.decided_by) == ("rejected", "bob")
    after = dump(store)
    assert after["lecture"] == before["lecture"]
    assert after["asset_visual"] == before["asset_visual"]
    assert after["revision"] == before["revision"]
    assert [e["type"] for e in after["event"]] == []


def test_pg_restore_racing_a_commit_gets_its_own_revision(
    pg_seeded: tuple[Store, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restore that starts while an accept holds the lecture must wait for it and build on it."""
    store, name = pg_seeded
    original = store.get_asset("visual", "vis_0")
    holding, release = threading.Event(), threading.Event()
    insert_revision = store._insert_revision

    def slow_insert_revision(conn: Any, *args: Any, source: str, **kwargs: Any) -> None:
        insert_revision(conn, *args, source=source, **kwargs)
        if source == "accept":  # the accept has written asset and lecture; hold its locks
            holding.set()
            release.wait(30)

    monkeypatch.setattr(store, "_insert_revision", slow_insert_revision)
    run_id = add_run(store)
    committer, committed = _in_thread(
        lambda: store.commit_asset(
            lecture_id=LECTURE_ID,
            kind="visual",
            asset_id="vis_0",
            fields={"prompt": "accepted"},
            base_revision=1,
            run_id=run_id,
        )
    )
    try:
        wait_for(holding.is_set, message="the accept to hold its transaction")
        restorer, restored = _in_thread(lambda: store.restore_revision(LECTURE_ID, 1))
        wait_for(
            lambda: _lock_waiters(store, name) or not restorer.is_alive(),
            message="the restore to wait for the accept's lock",
        )
    finally:
        release.set()
    committer.join(30)
    restorer.join(30)
    assert committed.get("result", (None,))[0] == 2, committed
    assert restored.get("result") == 3, restored
    assert store.lecture_revision(LECTURE_ID) == 3
    revisions = store.list_revisions(LECTURE_ID)
    assert [(r["revision"], r["source"]) for r in revisions] == [(3, "restore"), (2, "accept"), (1, "import")]
    assert store.get_asset("visual", "vis_0")["prompt"] == original["prompt"]


def test_pg_event_ids_never_appear_out_of_commit_order(pg_seeded: tuple[Store, str]) -> None:
    """A tailer that remembers the highest id it has read must not miss an event committed later.

    Transaction A appends an event and commits late; transaction B appends one after it and commits
    first. If B's row is visible (with a higher id) while A's is not, a tailer moves past A's id and
    never delivers A's event.
    """
    store, name = pg_seeded
    run_id = add_run(store, status="queued")
    holding, release = threading.Event(), threading.Event()

    def slow_writer() -> RunEventData:
        with store.write() as conn:
            event = store.append_event(conn, _event(run_id, "status", {"step": 0, "total_steps": 2}))
            holding.set()
            release.wait(30)
        return event

    def fast_writer() -> RunEventData:
        with store.write() as conn:
            return store.append_event(conn, _event(run_id, "status", {"step": 1, "total_steps": 2}))

    slow, slow_out = _in_thread(slow_writer)
    seen: list[int] = []
    try:
        wait_for(holding.is_set, message="the slow writer to append")
        fast, fast_out = _in_thread(fast_writer)
        wait_for(
            lambda: _lock_waiters(store, name) or not fast.is_alive(),
            message="the fast writer to finish or wait",
        )
        # A tailer polls now, the way `EventHub.poll_once` does.
        seen += [int(r["id"]) for r in store.raw_events_after(0)]
        last_id = max(seen, default=0)
    finally:
        release.set()
    slow.join(30)
    fast.join(30)
    assert "error" not in slow_out and "error" not in fast_out, (slow_out, fast_out)
    seen += [int(r["id"]) for r in store.raw_events_after(last_id)]
    written = sorted(e.id for e in (slow_out["result"], fast_out["result"]))
    assert sorted(seen) == written, f"the tailer saw {seen} of {written}"


# --- run-less revisions announce themselves: one `revised` event in the revision's transaction ------


def events_of(store: Store) -> list[RunEventData]:
    """Every stored event of the lecture, oldest first, validated as a tail reads them."""
    return [parse_event(raw) for raw in store.raw_events_after(0)]


def retime(store: Store, *, pad: float = 0.25, base_revision: int | None = None, publish: Any = None) -> int:
    """What `tui-editor retime --pad PAD` writes: each narration its audio + `pad` long, the rest
    rippled (source retime)."""
    from tui_editor.core.timing import retime_plan

    snapshot = store.load_snapshot(LECTURE_ID)
    plan = retime_plan(snapshot, pad)
    assert plan, "a retime with another pad always moves clips"
    return store.change_clips(
        LECTURE_ID,
        plan,
        source="retime",
        base_revision=snapshot.revision if base_revision is None else base_revision,
        publish=publish,
    )


REVISED_CASES: dict[str, Callable[[Store, Any], int]] = {
    "retime": lambda store, publish: retime(store, pad=0.5, publish=publish),
    "restore": lambda store, publish: store.restore_revision(LECTURE_ID, 2, publish=publish),
    "edit": lambda store, publish: store.change_clips(  # clear-stale
        LECTURE_ID, {"clip_v0": {"stale": []}}, source="edit", publish=publish
    ),
}


def _with_a_stale_clip_at_revision_2(store: Store) -> None:
    assert store.change_clips(LECTURE_ID, {"clip_v0": {"stale": ["narration changed at rev 2"]}}) == 2
    retime(store)  # revision 3: something for a restore of revision 2 to undo


@pytest.mark.parametrize("source", sorted(REVISED_CASES))
def test_a_runless_revision_lands_with_its_revised_event(seeded: Store, source: str) -> None:
    _with_a_stale_clip_at_revision_2(seeded)
    before = events_of(seeded)
    published: list[RunEventData] = []
    # The sink runs after commit: a reader on another connection sees the event and the revision then.
    seen_when_published: list[tuple[int, int]] = []

    def publish(event: RunEventData) -> None:
        published.append(event)
        seen_when_published.append((seeded.last_event_id(), seeded.lecture_revision(LECTURE_ID)))

    revision = REVISED_CASES[source](seeded, publish)
    assert revision == 4
    new = events_of(seeded)[len(before) :]
    assert [(e.type, e.run_id, e.kind, e.lecture_id, dict(e.payload)) for e in new] == [
        ("revised", "", "", LECTURE_ID, {"revision": 4, "source": source})
    ]
    assert [r["source"] for r in revision_rows(seeded, 4)] == [source]
    # Published once, after commit, as stored (its id is the row's).
    assert [(e.id, e.type, dict(e.payload)) for e in published] == [
        (new[0].id, "revised", dict(new[0].payload))
    ]
    assert seen_when_published == [(new[0].id, 4)]


def test_every_revision_before_also_announced_itself(seeded: Store) -> None:
    _with_a_stale_clip_at_revision_2(seeded)
    assert [(e.type, e.payload["revision"], e.payload["source"]) for e in events_of(seeded)] == [
        ("revised", 2, "edit"),
        ("revised", 3, "retime"),
    ]


def test_a_conflicting_retime_writes_neither_revision_nor_event(seeded: Store) -> None:
    seeded.change_clips(LECTURE_ID, {"clip_v1": {"name": "Renamed elsewhere"}})  # revision 2
    before = dump(seeded)
    published: list[RunEventData] = []
    with pytest.raises(ConflictError, match="since revision 1"):
        retime(seeded, base_revision=1, publish=published.append)
    assert dump(seeded) == before and published == []


def test_a_change_that_changes_nothing_writes_no_event(seeded: Store) -> None:
    before = dump(seeded)
    published: list[RunEventData] = []
    assert seeded.change_clips(LECTURE_ID, {"clip_v0": {"stale": []}}, publish=published.append) == 1
    assert dump(seeded) == before and published == []
    with pytest.raises(NotFoundError):
        seeded.restore_revision(LECTURE_ID, 9, publish=published.append)
    assert dump(seeded) == before and published == []


def _refuse_inserts(store: Store, table: str) -> None:
    """A real database trigger that fails every insert into `table` (a write that breaks mid-way)."""
    with store.write() as conn:
        if store.is_postgres:
            conn.execute(
                sa.text(
                    "CREATE FUNCTION refuse_insert() RETURNS trigger AS "
                    "$$ BEGIN RAISE EXCEPTION 'insert refused'; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                sa.text(
                    f"CREATE TRIGGER refuse BEFORE INSERT ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_insert()"
                )
            )
        else:
            conn.execute(
                sa.text(
                    f"CREATE TRIGGER refuse BEFORE INSERT ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'insert refused'); END"
                )
            )


@pytest.mark.parametrize("source", sorted(REVISED_CASES))
@pytest.mark.parametrize("table", ["run_event", "lecture_revision"])
def test_revision_and_event_land_together_or_not_at_all(seeded: Store, source: str, table: str) -> None:
    """The event is written in the revision's transaction: when either insert fails, neither (nor the
    clip and lecture changes) is left, and nothing is published."""
    _with_a_stale_clip_at_revision_2(seeded)
    _refuse_inserts(seeded, table)
    before = dump(seeded)
    published: list[RunEventData] = []
    with pytest.raises(StoreError, match="insert refused"):
        REVISED_CASES[source](seeded, published.append)
    assert dump(seeded) == before and published == []
