"""Schema migrations on both databases: an old (0001) database upgrades in place and keeps its data."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from tui_editor.core import migrations
from tui_editor.core import models as m
from tui_editor.core.clock import utcnow
from tui_editor.core.store import Store, open_store

OLD_TIME = datetime(2024, 3, 4, 5, 6, 7, 250000, tzinfo=UTC)


def _time_literal(store: Store) -> str:
    """A timestamp the way the old code stored it: naive UTC text on SQLite, timestamptz on PostgreSQL."""
    if store.is_sqlite:
        return "'2024-03-04 05:06:07.250000'"
    return "'2024-03-04 05:06:07.25+00'"


def build_0001_database(url: str) -> None:
    """A database at revision 0001_initial holding one lecture, its assets and runs, in plain SQL."""
    store = Store(url)
    try:
        with store.write() as conn:
            migrations.upgrade(conn, "0001_initial")
        t = _time_literal(store)
        statements = [
            f"INSERT INTO lecture (id, title, summary, revision, updated_at) "
            f"VALUES ('lec_old', 'Old lecture', 'Made by 0.0.1', 3, {t})",
            f"INSERT INTO visual_asset (id, prompt, model, aspect_ratio, width, height, file, updated_at) "
            f"VALUES ('vis_old', 'An old picture', 'local/pillow', '4:3', 640, 480, "
            f"'media/visual/vis_old/a.png', {t})",
            # Column defaults of 0001 fill voice, emotion, language, duration_s and file.
            f"INSERT INTO narration_asset (id, script, model, updated_at) "
            f"VALUES ('nar_old', 'Old words.', 'local/espeak', {t})",
            f"INSERT INTO music_asset (id, prompt, model, duration_s, bpm, key, file, updated_at) "
            f"VALUES ('mus_old', 'Old tune', 'local/synth', 12.5, 90, 'D minor', "
            f"'media/music/mus_old/a.wav', {t})",
            "INSERT INTO clip (id, lecture_id, track, name, start, duration, asset_id) VALUES "
            "('clip_ov', 'lec_old', 'visual', 'Old visual', 0, 4, 'vis_old'), "
            "('clip_on', 'lec_old', 'voice', 'Old narration', 0, 4, 'nar_old'), "
            "('clip_om', 'lec_old', 'music', 'Old music', 4, 8, 'mus_old')",
            # Runs as 0001 knew them: no base_revision, base_asset_updated_at or owner.
            f"INSERT INTO generation_run (id, lecture_id, clip_id, kind, request, status, preview, error, "
            f"created_at, updated_at, decided_by) VALUES "
            f"('run_old1', 'lec_old', 'clip_ov', 'visual', '{{\"fields\": {{\"prompt\": \"x\"}}}}', "
            f"'accepted', NULL, NULL, {t}, {t}, 'alice'), "
            f"('run_old2', 'lec_old', 'clip_on', 'narration', '{{\"fields\": {{}}}}', "
            f'\'preview_ready\', \'{{"asset": {{"id": "nar_old", "script": "New words."}}}}\', '
            f"NULL, {t}, {t}, NULL)",
            f"INSERT INTO run_event (run_id, lecture_id, kind, type, payload, created_at) VALUES "
            f"('run_old1', 'lec_old', 'visual', 'complete', "
            f'\'{{"asset_id": "vis_old", "revision": 3}}\', {t})',
            f"INSERT INTO lecture_revision (lecture_id, revision, source, run_id, snapshot, created_at) "
            f"VALUES ('lec_old', 3, 'accept', 'run_old1', NULL, {t})",
        ]
        with store.write() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
        assert store.schema_version() == "0001_initial"
        with store.read() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("generation_run")}
            assert "owner" not in columns and "base_revision" not in columns
            assert not sa.inspect(conn).has_table("process_heartbeat")
    finally:
        store.close()


def test_a_0001_database_upgrades_in_place_and_keeps_its_data(db_url: str) -> None:
    build_0001_database(db_url)
    store = open_store(db_url)
    try:
        assert store.schema_version() == m.SCHEMA_HEAD

        # The new columns, index and table are there.
        with store.read() as conn:
            inspector = sa.inspect(conn)
            columns = {c["name"] for c in inspector.get_columns("generation_run")}
            assert {"base_revision", "base_asset_updated_at", "owner"} <= columns
            assert "ix_generation_run_owner" in {i["name"] for i in inspector.get_indexes("generation_run")}
            assert inspector.has_table("process_heartbeat")

        # The old lecture loads, with its assets, defaults and aware times.
        assert store.list_lectures() == [{"id": "lec_old", "title": "Old lecture", "revision": 3, "clips": 3}]
        assert store.resolve_lecture("Old lecture") == "lec_old"
        snapshot = store.load_snapshot("lec_old")
        assert (snapshot.summary, snapshot.revision, snapshot.updated_at) == ("Made by 0.0.1", 3, OLD_TIME)
        assert dict(snapshot.asset("visual", "vis_old") or {}) == {
            "id": "vis_old",
            "prompt": "An old picture",
            "model": "local/pillow",
            "aspect_ratio": "4:3",
            "width": 640,
            "height": 480,
            "file": "media/visual/vis_old/a.png",
            "updated_at": OLD_TIME,
        }
        narration = dict(snapshot.asset("narration", "nar_old") or {})
        assert narration == {
            "id": "nar_old",
            "script": "Old words.",
            "model": "local/espeak",
            "voice": "",
            "emotion": "",
            "language": "",
            "duration_s": 0.0,
            "file": "",
            "updated_at": OLD_TIME,
        }
        assert snapshot.asset("music", "mus_old")["bpm"] == 90  # type: ignore[index]
        assert [c.id for c in snapshot.track("music")] == ["clip_om"]
        export = store.export_lecture("lec_old")
        assert export["updated_at"] == OLD_TIME.isoformat()
        assert [a["id"] for a in export["narration"]] == ["nar_old"]

        # Old runs, events and revisions read back; the new columns are empty for them.
        old = store.get_run("run_old1")
        assert (old.status, old.decided_by, dict(old.request)) == (
            "accepted",
            "alice",
            {"fields": {"prompt": "x"}},
        )
        assert (old.base_revision, old.base_asset_updated_at, old.owner) == (None, None, None)
        assert old.created_at == OLD_TIME and old.created_at.tzinfo is not None
        pending = store.get_run("run_old2")
        assert pending.preview_asset == {"id": "nar_old", "script": "New words."}
        assert [e.type for e in store.events_for_run("run_old1")] == ["complete"]
        assert store.last_event_id() >= 1
        assert store.list_revisions("lec_old") == [
            {
                "revision": 3,
                "source": "accept",
                "run_id": "run_old1",
                "decided_by": "alice",  # 0005: from the revision's run
                "created_at": OLD_TIME.isoformat(),
                "changes": [],
            }
        ]

        # The new columns work: a run with owner and base can be written and found by owner.
        now = utcnow()
        with store.write() as conn:
            store.insert_run(
                conn,
                id="run_new",
                lecture_id="lec_old",
                clip_id="clip_on",
                kind="narration",
                request={"fields": {"script": "Newer words."}},
                status="queued",
                created_at=now,
                updated_at=now,
                base_revision=3,
                base_asset_updated_at=OLD_TIME,
                owner="host:1:abc",
            )
        new = store.get_run("run_new")
        assert (new.base_revision, new.base_asset_updated_at, new.owner) == (3, OLD_TIME, "host:1:abc")
        assert [r.id for r in store.list_runs(owner="host:1:abc")] == ["run_new"]
        assert {r.id for r in store.list_runs(lecture_id="lec_old")} == {"run_old1", "run_old2", "run_new"}

        # Heartbeats (the new table) work.
        store.beat("host:1:abc", host="host", pid=1)
        assert [(b["id"], b["pid"]) for b in store.heartbeats()] == [("host:1:abc", 1)]

        # And the old lecture takes commits on top of its old revision.
        revision, saved, _event = store.commit_asset(
            lecture_id="lec_old",
            kind="narration",
            asset_id="nar_old",
            fields={"script": "Committed after the upgrade."},
            base_revision=3,
            base_asset_updated_at=OLD_TIME,
            source="edit",
        )
        assert revision == 4 and saved["script"] == "Committed after the upgrade."
        assert [r["revision"] for r in store.list_revisions("lec_old")] == [4, 3]
    finally:
        store.close()


def test_opening_a_current_database_runs_no_migration(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    first = open_store(db_url)
    first.beat("p", host="h", pid=1)
    first.close()

    calls: list[Any] = []

    def no_migrations(*args: Any, **kwargs: Any) -> None:
        calls.append(args)
        raise AssertionError("migrations ran on a current database")

    monkeypatch.setattr(migrations, "upgrade", no_migrations)
    monkeypatch.setattr(Store, "migrate", no_migrations)
    again = open_store(db_url)
    try:
        assert again.schema_version() == m.SCHEMA_HEAD
        assert [b["id"] for b in again.heartbeats()] == ["p"]
        with again.read() as conn:
            versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
        assert versions == [m.SCHEMA_HEAD]
    finally:
        again.close()
    assert calls == []


def test_upgrading_to_head_again_is_a_no_op(db_url: str) -> None:
    store = open_store(db_url)
    try:
        store.migrate(m.SCHEMA_HEAD)
        store.migrate("head")
        assert store.schema_version() == m.SCHEMA_HEAD
    finally:
        store.close()


def _open_concurrently(url: str, racers: int) -> list[str | None]:
    """Open `url` from `racers` threads released at the same moment; each beats once. Versions seen."""
    barrier = threading.Barrier(racers)
    errors: list[BaseException] = []
    versions: list[str | None] = []

    def open_one(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            store = open_store(url)
            try:
                versions.append(store.schema_version())
                store.beat(f"racer-{index}")
            finally:
                store.close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one, args=(i,)) for i in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [], f"{errors!r}"
    return versions


def _check_opened_by(url: str, racers: int) -> None:
    check = open_store(url)
    try:
        assert check.schema_version() == m.SCHEMA_HEAD
        assert sorted(b["id"] for b in check.heartbeats()) == sorted(f"racer-{i}" for i in range(racers))
        with check.read() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        check.close()


def test_stores_opening_one_fresh_sqlite_file_at_once_all_succeed(tmp_path: Path) -> None:
    """Several threads create and migrate the same new database file at the same moment."""
    for attempt in range(3):
        url = f"sqlite:///{tmp_path / f'race{attempt}' / 'tui-editor.db'}"
        assert _open_concurrently(url, 4) == [m.SCHEMA_HEAD] * 4, f"attempt {attempt}"
        _check_opened_by(url, 4)


def test_stores_opening_one_fresh_postgres_schema_at_once_all_succeed(pg_url: str) -> None:
    assert _open_concurrently(pg_url, 4) == [m.SCHEMA_HEAD] * 4
    _check_opened_by(pg_url, 4)


def _sql_literal(default: str | None) -> str | None:
    """A column default as SQL text, without the wrapping each database adds ("('')", "'0'::integer")."""
    if default is None:
        return None
    text = default.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    text = text.split("::", 1)[0]
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else text


def _defaults_differ(
    context: Any,
    inspected_column: Any,
    metadata_column: Any,
    inspected_default: str | None,
    metadata_default: Any,
    rendered_metadata_default: str | None,
) -> bool:
    return _sql_literal(inspected_default) != _sql_literal(rendered_metadata_default)


def _schema_drift(store: Store, metadata: sa.MetaData) -> list[Any]:
    """What Alembic's autogenerate would change to make the database match `metadata`."""
    options = {"compare_type": True, "compare_server_default": _defaults_differ}
    with store.read() as conn:
        return list(compare_metadata(MigrationContext.configure(conn, opts=options), metadata))


def test_a_freshly_migrated_database_matches_the_tables(db_url: str) -> None:
    """The migrations create exactly the tables the models (and the kinds' fields) describe."""
    store = open_store(db_url)
    try:
        assert store.schema_version() == m.SCHEMA_HEAD
        assert _schema_drift(store, SQLModel.metadata) == []

        # The comparison sees drift when there is some: a column default, a column and a table.
        drifted = sa.MetaData()
        for table in SQLModel.metadata.sorted_tables:
            table.to_metadata(drifted)
        drifted.tables["music_asset"].c.bpm.server_default = sa.DefaultClause("96")
        sa.Table("music_asset", drifted, sa.Column("mood", sa.String(), nullable=False), extend_existing=True)
        sa.Table("subtitle_asset", drifted, sa.Column("id", sa.String(), primary_key=True))
        changes = [str(change) for change in _schema_drift(store, drifted)]
        assert any("'bpm'" in change and "modify_default" in change for change in changes), changes
        assert any("'add_column'" in change and "mood" in change for change in changes), changes
        assert any("'add_table'" in change and "subtitle_asset" in change for change in changes), changes
    finally:
        store.close()


def test_0005_turns_old_snapshot_rows_into_changes_that_restore_exactly(db_url: str) -> None:
    """A 0003 database whose revisions hold copies of the lecture: 0005 computes each row's changes from
    the copy before it (keeping the copies), takes `decided_by` from the run, and restores still work."""
    import copy

    from tests.factories import lecture_doc
    from tui_editor.core.revisions import canonical_document
    from tui_editor.core.store import ASSET, CLIP, LECTURE, REVISION

    rev1 = lecture_doc()
    rev2 = copy.deepcopy(rev1)
    rev2["revision"] = 2
    rev2["visuals"][0]["prompt"] = "Changed at 2"
    rev3 = copy.deepcopy(rev2)
    rev3["revision"] = 3
    rev3["timeline"]["music"][0]["stale"] = ["why not"]
    store = Store(db_url)
    try:
        with store.write() as conn:
            migrations.upgrade(conn, "0003_clip_state")
            conn.execute(
                LECTURE.insert().values(
                    id="lec_test",
                    title=rev1["title"],
                    summary=rev1["summary"],
                    revision=3,
                    updated_at=OLD_TIME,
                )
            )
            for kind, key in (("visual", "visuals"), ("narration", "narration"), ("music", "music")):
                for asset in rev3[key]:
                    conn.execute(ASSET[kind].insert().values(**asset, updated_at=OLD_TIME))
            for track, clips in rev3["timeline"].items():
                for clip in clips:
                    conn.execute(CLIP.insert().values(lecture_id="lec_test", track=track, **clip))
            conn.execute(
                sa.text(
                    "INSERT INTO generation_run (id, lecture_id, clip_id, kind, status, created_at, "
                    "updated_at, decided_by) "
                    "VALUES ('run_2', 'lec_test', 'clip_v0', 'visual', 'accepted', :t, :t, 'bob')"
                ),
                {"t": OLD_TIME},
            )
            for number, doc, source, run in (
                (1, rev1, "import", None),
                (2, rev2, "accept", "run_2"),
                (3, rev3, "edit", None),
            ):
                conn.execute(
                    REVISION.insert().values(  # only the columns 0003 has
                        lecture_id="lec_test",
                        revision=number,
                        source=source,
                        run_id=run,
                        snapshot=doc,
                        created_at=OLD_TIME,
                    )
                )
        store.migrate("head")
        revisions = store.list_revisions("lec_test")
        assert [(r["revision"], r["decided_by"]) for r in revisions] == [(3, None), (2, "bob"), (1, None)]
        assert revisions[0]["changes"] == [
            {"clip_id": "clip_m0", "kind": "music", "fields": {"stale": {"before": [], "after": ["why not"]}}}
        ]
        assert revisions[1]["changes"] == [
            {
                "clip_id": "clip_v0",
                "kind": "visual",
                "fields": {"prompt": {"before": "Visual prompt 0", "after": "Changed at 2"}},
            }
        ]
        assert revisions[2]["changes"] == []
        with store.read() as conn:  # the old copies are still there to read
            kept = conn.execute(sa.select(REVISION.c.snapshot).where(REVISION.c.revision == 1)).scalar()
        assert kept is not None and kept["visuals"][0]["prompt"] == "Visual prompt 0"
        store.restore_revision("lec_test", 1)
        assert canonical_document(store.export_lecture("lec_test")) == canonical_document(
            rev1 | {"updated_at": ""}
        )
    finally:
        store.close()
