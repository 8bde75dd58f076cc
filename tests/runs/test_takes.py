"""Takes, undo, seeds and who decided — with the real engine and local generators, on SQLite and
PostgreSQL (issue 9 items 2–5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.runs.conftest import KIND_CASES, file_state, media_files
from tests.store_support import REFUSED, dump, run_updates_refused
from tui_editor.core import takes
from tui_editor.core.errors import BadInputError, ConflictError, DecisionError, NotFoundError, StoreError
from tui_editor.core.flow import StartRequest
from tui_editor.core.paths import UnsafePathError
from tui_editor.core.store import open_store

CLIP, ASSET, FIELDS = KIND_CASES["visual"]


def preview(env: Any, seed: int | None = None, prompt: str = "A red cube") -> str:
    run_id: str = env.engine.start(
        StartRequest(env.lecture_id, CLIP, "visual", {**FIELDS, "prompt": prompt}, seed=seed)
    )
    assert env.wait(run_id).status == "preview_ready"
    return run_id


def statuses(env: Any) -> list[tuple[str, str]]:
    return [(t.id, t.status) for t in takes.list_takes(env.store, CLIP)]


def test_seed_is_recorded_drawn_or_given(make_env: Any) -> None:
    env = make_env()
    given_seed = preview(env, seed=7)
    drawn = preview(env)
    assert env.engine.get(given_seed).seed == 7 and env.engine.get(given_seed).request["seed"] == 7
    assert isinstance(env.engine.get(drawn).seed, int)
    assert env.engine.get(drawn).to_json()["seed"] == env.engine.get(drawn).seed
    with pytest.raises(BadInputError):
        env.engine.start(StartRequest(env.lecture_id, CLIP, "visual", FIELDS, seed=-1))


def test_decisions_record_who_and_when(make_env: Any) -> None:
    env = make_env(user__name="Ada")
    run_id = preview(env)
    env.engine.decide(run_id, False)
    run = env.engine.get(run_id)
    assert run.decided_by == "Ada" and run.decided_at is not None
    assert takes.list_takes(env.store, CLIP)[0].to_json()["decided_by"] == "Ada"


def test_os_user_when_no_name_is_configured(make_env: Any) -> None:
    import getpass

    env = make_env()
    run_id = preview(env)
    env.engine.decide(run_id, True)
    assert env.engine.get(run_id).decided_by == getpass.getuser()


def test_take_stack_statuses_and_files(make_env: Any) -> None:
    env = make_env()
    committed = env.asset("visual", ASSET)
    before = file_state(env.data_dir / committed["file"])
    first = preview(env, prompt="first")
    rejected = preview(env, prompt="second")
    env.engine.decide(rejected, False)
    # a reject never touches the committed file; the take keeps its own copy outside the preview folder
    assert file_state(env.data_dir / committed["file"]) == before
    take = takes.find_take(env.store, CLIP, rejected)
    assert take.file is not None and take.file.startswith(f"takes/{CLIP}/")
    assert (env.data_dir / take.file).is_file() and not env.preview_dir(rejected).exists()
    env.engine.decide(first, True)
    third = preview(env, prompt="third")
    assert statuses(env) == [(third, "pending"), (rejected, "rejected"), (first, "current")]
    env.engine.decide(third, True)
    assert statuses(env) == [(third, "current"), (rejected, "rejected"), (first, "replaced")]
    data = takes.find_take(env.store, CLIP, first).to_json()
    assert set(data) >= {"id", "run_id", "status", "seed", "starred", "created_at", "decided_at"}
    assert data["prompt"] == "first" and (env.data_dir / data["file"]).is_file()


def test_restore_a_rejected_take_commits_a_copy(make_env: Any) -> None:
    env = make_env()
    rejected = preview(env, prompt="keep me")
    env.engine.decide(rejected, False)
    revision, run, event = takes.restore_take(env.store, env.data_dir, CLIP, rejected, decided_by="bob")
    assert event is not None and event.type == "restored"
    asset = env.asset("visual", ASSET)
    assert asset["prompt"] == "keep me" and asset["file"].startswith("media/visual/")
    assert run.committed_file == asset["file"] and statuses(env) == [(rejected, "current")]
    assert env.store.list_revisions(env.lecture_id)[0]["source"] == "take"
    assert env.store.lecture_revision(env.lecture_id) == revision
    # already current: nothing changes
    assert takes.restore_take(env.store, env.data_dir, CLIP, rejected)[2] is None
    pending = preview(env)
    with pytest.raises(DecisionError):
        takes.restore_take(env.store, env.data_dir, CLIP, pending)
    with pytest.raises(NotFoundError):
        takes.restore_take(env.store, env.data_dir, CLIP, "run_nope")


def test_prune_keeps_the_newest_and_the_starred(make_env: Any) -> None:
    env = make_env(takes__keep=2)
    runs = []
    for i in range(3):
        run_id = preview(env, prompt=f"take {i}")
        runs.append(run_id)
        if i == 0:
            takes.set_starred(env.store, CLIP, run_id, True)
        env.engine.decide(run_id, False)
    # three rejected takes, keep 2: the oldest is starred, so none goes yet
    assert len(statuses(env)) == 3
    files = {r: takes.find_take(env.store, CLIP, r).file for r in runs}
    takes.set_starred(env.store, CLIP, runs[0], False)
    fourth = preview(env, prompt="take 3")
    env.engine.decide(fourth, False)
    ids = [t for t, _ in statuses(env)]
    assert ids == [fourth, runs[2]]
    for pruned in runs[:2]:
        assert not (env.data_dir / str(files[pruned])).exists()
        assert env.engine.get(pruned).pruned_at is not None


def prune_as_listed(env: Any, take: takes.Take) -> bool:
    """Prune `take` as an earlier listing saw it (what a prune racing another change works from)."""
    return takes.prune_take(env.store, env.data_dir, env.lecture_id, ASSET, take)


def test_a_prune_leaves_a_take_made_current_after_it_was_listed(make_env: Any, db_url: str) -> None:
    env = make_env(db_url)
    rejected = preview(env, prompt="keep me")
    env.engine.decide(rejected, False)
    listed = takes.find_take(env.store, CLIP, rejected)
    takes.restore_take(env.store, env.data_dir, CLIP, rejected)  # restored after the prune listed it
    assert not prune_as_listed(env, listed)
    assert statuses(env) == [(rejected, "current")]
    assert (env.data_dir / env.asset("visual", ASSET)["file"]).is_file()

    first = preview(env, prompt="one")
    env.engine.decide(first, True)
    env.engine.decide(preview(env, prompt="two"), True)
    replaced = takes.find_take(env.store, CLIP, first)
    assert replaced.status == "replaced"
    takes.undo_last(env.store, env.lecture_id)  # first is current again, its run row untouched
    assert not prune_as_listed(env, replaced)
    assert takes.find_take(env.store, CLIP, first).status == "current"
    # a reject undone after the listing: pending again, its take file is what an accept will commit
    again = preview(env, prompt="three")
    env.engine.decide(again, False)
    listed = takes.find_take(env.store, CLIP, again)
    takes.undo_last(env.store, env.lecture_id)
    assert not prune_as_listed(env, listed)
    assert env.engine.decide(again, True).accepted
    # a take that is still as listed is pruned
    assert prune_as_listed(env, takes.find_take(env.store, CLIP, rejected))
    assert env.engine.get(rejected).pruned_at is not None


@pytest.mark.parametrize("prune_first", [False, True], ids=["copy-then-prune", "prune-then-copy"])
def test_a_restore_racing_a_prune(
    make_env: Any, db_url: str, monkeypatch: pytest.MonkeyPatch, prune_first: bool
) -> None:
    """A prune lands while a rejected take is being restored: before its file is copied (the restore
    says the take is gone and writes nothing) or after (the restore lands and the take is back)."""
    env = make_env(db_url)
    rejected = preview(env, prompt="keep me")
    env.engine.decide(rejected, False)
    listed = takes.find_take(env.store, CLIP, rejected)
    copy = takes.copy_atomically

    def copy_with_a_prune(source: Path, target: Path) -> None:
        if not prune_first:
            copy(source, target)
        assert prune_as_listed(env, listed)
        assert not source.exists()
        if prune_first:
            copy(source, target)

    monkeypatch.setattr(takes, "copy_atomically", copy_with_a_prune)
    media_before = media_files(env.data_dir, "visual", ASSET)
    revision_before = env.store.lecture_revision(env.lecture_id)
    if prune_first:
        with pytest.raises(NotFoundError, match="pruned meanwhile"):
            takes.restore_take(env.store, env.data_dir, CLIP, rejected)
        assert media_files(env.data_dir, "visual", ASSET) == media_before  # no copy, no temp file left
        assert env.store.lecture_revision(env.lecture_id) == revision_before
        assert statuses(env) == []
        return
    revision, run, _event = takes.restore_take(env.store, env.data_dir, CLIP, rejected)
    assert run.pruned_at is None and statuses(env) == [(rejected, "current")]
    asset = env.asset("visual", ASSET)
    assert asset["file"] == run.committed_file and (env.data_dir / asset["file"]).is_file()
    assert env.store.lecture_revision(env.lecture_id) == revision


def test_undo_an_accept_puts_the_previous_asset_back(make_env: Any) -> None:
    env = make_env()
    old = env.asset("visual", ASSET)
    run_id = preview(env, prompt="new")
    env.engine.decide(run_id, True)
    undone = takes.undo_last(env.store, env.lecture_id, decided_by="ann")
    assert undone.decision == "accept" and undone.event is not None and undone.event.type == "reopened"
    asset = env.asset("visual", ASSET)
    assert (asset["prompt"], asset["file"]) == (old["prompt"], old["file"])
    assert env.store.list_revisions(env.lecture_id)[0]["source"] == "undo"
    run = env.engine.get(run_id)
    assert run.status == "preview_ready" and run.decided_at is None
    assert run.preview_asset is not None and (env.data_dir / str(run.preview_asset["file"])).is_file()
    # decided anew
    decision = env.engine.decide(run_id, True)
    assert decision.accepted and env.asset("visual", ASSET)["prompt"] == "new"


def test_an_accept_keeps_what_its_undo_needs_and_the_undo_uses_it(make_env: Any, db_url: str) -> None:
    env = make_env(db_url)
    old = env.asset("visual", ASSET)
    run_id = preview(env, prompt="new")
    env.engine.decide(run_id, True)
    run = env.engine.get(run_id)
    committed = env.asset("visual", ASSET)
    assert dict(run.replaced or {}) == {k: v for k, v in old.items() if k not in ("id", "updated_at")}
    assert run.committed_file == committed["file"] and (env.data_dir / committed["file"]).is_file()
    assert run.decided_at == run.decided_asset_updated_at == committed["updated_at"]

    revision = env.store.lecture_revision(env.lecture_id)
    undone = takes.undo_last(env.store, env.lecture_id, decided_by="ann")
    assert (undone.decision, undone.revision) == ("accept", revision + 1)
    back = env.asset("visual", ASSET)
    assert {k: v for k, v in back.items() if k != "updated_at"} == {
        k: v for k, v in old.items() if k != "updated_at"
    }
    reopened = env.engine.get(run_id)
    assert (reopened.status, reopened.replaced, reopened.committed_file) == ("preview_ready", None, None)
    assert reopened.base_revision == undone.revision
    assert reopened.base_asset_updated_at == back["updated_at"]
    assert undone.event is not None and undone.event.id is not None
    assert env.store.events_for_run(run_id)[-1].id == undone.event.id
    assert dict(undone.event.payload)["asset"]["file"] == committed["file"]


def undo_writes(env: Any) -> dict[str, Any]:
    """What an undo or restore would change: the whole database and the committed media files."""
    return {"db": dump(env.store), "media": media_files(env.data_dir, "visual", ASSET)}


def test_undo_of_an_accept_is_one_transaction(make_env: Any, db_url: str) -> None:
    """The run's reopening fails for real inside the undo's transaction: the asset is not put back
    either — no asset change, no lecture revision, no revision row, no event."""
    env = make_env(db_url)
    run_id = preview(env, prompt="new")
    env.engine.decide(run_id, True)
    accepted = env.engine.get(run_id)
    before = undo_writes(env)
    # 1. The database refuses the run's update, after the asset, lecture and revision row were written.
    with run_updates_refused(env.store, run_id), pytest.raises(StoreError, match=REFUSED):
        takes.undo_last(env.store, env.lecture_id)
    assert undo_writes(env) == before
    # 2. Another editor moved the run after this one read it, before its transaction: the
    #    compare-and-set refuses.
    other = open_store(env.settings.database_url)
    try:
        with other.write() as conn:
            assert other.update_run_if(conn, run_id, ["accepted"], status="expired")
    finally:
        other.close()
    moved = undo_writes(env)
    with pytest.raises(ConflictError, match="changed while it was being undone"):
        takes.undo_decision(env.store, accepted)
    assert undo_writes(env) == moved
    assert env.engine.get(run_id).status == "expired"


def test_a_take_restore_is_one_transaction(make_env: Any, db_url: str) -> None:
    env = make_env(db_url)
    rejected = preview(env, prompt="keep me")
    env.engine.decide(rejected, False)
    before = undo_writes(env)
    with run_updates_refused(env.store, rejected), pytest.raises(StoreError, match=REFUSED):
        takes.restore_take(env.store, env.data_dir, CLIP, rejected)
    assert undo_writes(env) == before  # nor is the committed copy of its file left behind
    assert statuses(env) == [(rejected, "rejected")]
    revision, run, event = takes.restore_take(env.store, env.data_dir, CLIP, rejected)
    assert event is not None and run.committed_file == env.asset("visual", ASSET)["file"]
    assert env.store.events_for_run(rejected)[-1].id == event.id
    assert dict(event.payload)["revision"] == revision


def test_undo_a_reject_makes_the_take_pending_again(make_env: Any) -> None:
    env = make_env()
    run_id = preview(env)
    env.engine.decide(run_id, False)
    revision = env.store.lecture_revision(env.lecture_id)
    undone = takes.undo_last(env.store, env.lecture_id)
    assert undone.decision == "reject" and undone.revision == revision
    assert env.engine.get(run_id).status == "preview_ready"
    assert env.engine.decide(run_id, True).accepted  # from the take's own file


def test_undo_refuses_when_the_clip_changed_after(make_env: Any) -> None:
    env = make_env()
    first = preview(env, prompt="one")
    second = preview(env, prompt="two")
    env.engine.decide(first, False)
    env.engine.decide(second, True)
    takes.undo_last(env.store, env.lecture_id)  # the accept: fine
    with pytest.raises(ConflictError):  # the reject: the clip changed (the undo) after it
        takes.undo_last(env.store, env.lecture_id)
    assert env.engine.get(first).status == "rejected"


def test_undo_with_nothing_to_undo(make_env: Any) -> None:
    env = make_env()
    with pytest.raises(NotFoundError):
        takes.undo_last(env.store, env.lecture_id)


def test_on_postgres_too(make_env: Any, pg_url: str) -> None:
    env = make_env(pg_url)
    run_id = preview(env, seed=3)
    env.engine.decide(run_id, True)
    assert statuses(env) == [(run_id, "current")]
    takes.undo_last(env.store, env.lecture_id)
    assert statuses(env) == [(run_id, "pending")]


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_take_paths_never_leave_the_data_dir(tmp_path_factory: Any, name: str) -> None:
    root: Path = tmp_path_factory.mktemp("takes")
    for clip_id, run_id in ((name, "run_1"), ("clip_1", name)):
        try:
            path = takes.take_file_path(root, clip_id, run_id, ".png")
        except UnsafePathError:
            continue
        assert root.resolve() in path.resolve().parents
