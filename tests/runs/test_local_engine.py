"""`LocalEngine`: the run lifecycle with the real local generators, decisions, cancel, failure, expiry
and conflicts (DESIGN.md §4, issue #4 items 1–3)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import wait_for
from tests.runs.conftest import (
    KIND_CASES,
    FactoryLog,
    FailingGenerator,
    GatedGenerator,
    ProviderStandIn,
    file_state,
    media_files,
)
from tui_editor.core.clock import utcnow
from tui_editor.core.errors import (
    BadInputError,
    ConflictError,
    DecisionError,
    NotFoundError,
    TuiEditorError,
)
from tui_editor.core.flow import StartRequest
from tui_editor.generators.base import GenerationError


def start(env: Any, clip_id: str, kind: str, fields: dict[str, Any]) -> str:
    run_id: str = env.engine.start(StartRequest(env.lecture_id, clip_id, kind, fields))
    return run_id


def committed_state(env: Any, kind: str, asset_id: str) -> tuple[dict[str, Any], tuple[bytes, int], int]:
    asset = env.asset(kind, asset_id)
    return asset, file_state(env.data_dir / asset["file"]), env.store.lecture_revision(env.lecture_id)


def fraction(event: Any) -> float:
    return float(event.payload["step"] / event.payload["total_steps"])


# --- lifecycle per kind, with the real local generators ------------------------------------------------


@pytest.mark.parametrize("kind", list(KIND_CASES))
def test_generate_then_accept_commits_a_new_file(make_env: Any, kind: str) -> None:
    env = make_env()
    clip_id, asset_id, fields = KIND_CASES[kind]
    old_asset, old_file, _ = committed_state(env, kind, asset_id)

    run_id = start(env, clip_id, kind, fields)
    assert env.engine.get(run_id).status in ("queued", "generating", "preview_ready")
    run = env.wait(run_id)
    assert run.status == "preview_ready", run.error

    # The preview lives in the run's own folder; nothing committed moved.
    preview = dict(run.preview_asset or {})
    assert preview["id"] == asset_id
    assert preview["file"].startswith(f"previews/{run_id}/")
    preview_bytes = (env.data_dir / preview["file"]).read_bytes()
    assert preview_bytes and preview_bytes != old_file[0]
    for name, value in fields.items():
        assert preview[name] == value
    assert preview["model"] == old_asset["model"]  # the kind's local model
    assert committed_state(env, kind, asset_id) == (old_asset, old_file, 1)

    # Events: queued first, then progress (never backwards), then exactly one preview, last.
    log = env.log(run_id)
    ids = [e.id for e in log]
    assert ids == sorted(set(ids))
    assert [e.type for e in log[:-1]] == ["status"] * (len(log) - 1)
    assert log[-1].type == "preview"
    assert log[-1].payload["asset"]["file"] == preview["file"]
    assert log[0].payload["message"] == "Queued"
    fractions = [fraction(e) for e in log[:-1]]
    assert fractions == sorted(fractions)
    assert any(e.payload["total_steps"] > 1 and e.payload["step"] >= 1 for e in log[:-1]), log
    assert all(e.run_id == run_id and e.lecture_id == env.lecture_id and e.kind == kind for e in log)

    # Accept: a new committed file, fields changed, revision +1 with its row, `complete`, preview gone.
    decision = env.engine.decide(run_id, True)
    assert decision.accepted and decision.revision == 2
    saved = env.asset(kind, asset_id)
    assert saved["file"].startswith(f"media/{kind}/{asset_id}/") and saved["file"] != old_asset["file"]
    assert (env.data_dir / saved["file"]).read_bytes() == preview_bytes
    for name, value in fields.items():
        assert saved[name] == value
    assert saved["updated_at"] > old_asset["updated_at"]
    assert dict(decision.asset or {})["file"] == saved["file"]
    assert env.store.lecture_revision(env.lecture_id) == 2
    revisions = env.store.list_revisions(env.lecture_id)
    assert [(r["revision"], r["source"], r["run_id"]) for r in revisions] == [
        (2, "accept", run_id),
        (1, "import", None),
    ]
    assert not env.preview_dir(run_id).exists()
    assert file_state(env.data_dir / old_asset["file"]) == old_file  # committed files are never rewritten
    run = env.engine.get(run_id)
    assert run.status == "accepted" and run.decided_by
    complete = env.log(run_id)[-1]
    assert complete.type == "complete"
    assert dict(complete.payload) == {"asset_id": asset_id, "revision": 2}

    # The subscriber got every logged event of the run exactly once.
    delivered = [e.id for e in env.events if e.run_id == run_id]
    assert sorted(delivered) == [e.id for e in env.log(run_id)]


@pytest.mark.parametrize("kind", list(KIND_CASES))
def test_reject_leaves_the_committed_file_byte_identical(make_env: Any, kind: str) -> None:
    env = make_env()
    clip_id, asset_id, fields = KIND_CASES[kind]
    before = committed_state(env, kind, asset_id)
    revisions = env.store.list_revisions(env.lecture_id)

    run_id = start(env, clip_id, kind, fields)
    assert env.wait(run_id).status == "preview_ready"
    assert env.preview_dir(run_id).is_dir()

    decision = env.engine.decide(run_id, False)
    assert not decision.accepted and decision.revision is None
    assert committed_state(env, kind, asset_id) == before  # asset row, bytes + mtime, revision
    assert env.store.list_revisions(env.lecture_id) == revisions
    assert media_files(env.data_dir, kind, asset_id) == {before[0]["file"]}
    assert not env.preview_dir(run_id).exists()
    run = env.engine.get(run_id)
    assert run.status == "rejected" and run.decided_by
    assert env.log(run_id)[-1].type == "rejected"


def test_accept_lifecycle_on_both_databases(db_url: str, make_env: Any) -> None:
    env = make_env(db_url)
    clip_id, asset_id, fields = KIND_CASES["narration"]
    run_id = start(env, clip_id, "narration", fields)
    assert env.wait(run_id).status == "preview_ready"
    decision = env.engine.decide(run_id, True)
    assert decision.revision == 2
    assert env.asset("narration", asset_id)["script"] == fields["script"]
    assert [e.type for e in env.log(run_id)][-2:] == ["preview", "complete"]
    assert not env.preview_dir(run_id).exists()
    with pytest.raises(DecisionError):
        env.engine.decide(run_id, True)
    assert env.store.lecture_revision(env.lecture_id) == 2


# --- deciding twice, racing, conflicts -----------------------------------------------------------------


@pytest.mark.parametrize("first", [True, False], ids=["after-accept", "after-reject"])
@pytest.mark.parametrize("second", [True, False], ids=["accept", "reject"])
def test_a_second_decision_is_a_clear_error_not_a_second_commit(
    make_env: Any, first: bool, second: bool
) -> None:
    env = make_env()
    clip_id, asset_id, fields = KIND_CASES["visual"]
    run_id = start(env, clip_id, "visual", fields)
    assert env.wait(run_id).status == "preview_ready"
    env.engine.decide(run_id, first)
    after_first = committed_state(env, "visual", asset_id)
    events = len(env.log(run_id))

    with pytest.raises(DecisionError, match="accepted|rejected"):
        env.engine.decide(run_id, second)
    assert committed_state(env, "visual", asset_id) == after_first
    assert len(env.log(run_id)) == events
    assert env.engine.get(run_id).status == ("accepted" if first else "rejected")
    with pytest.raises(DecisionError):
        env.engine.cancel(run_id)


def test_a_stale_accept_reaching_the_commit_is_a_decision_error(make_env: Any) -> None:
    """Two accepts of one run racing past the engine's check: the commit's own check says why."""
    env = make_env()
    clip_id, asset_id, fields = KIND_CASES["visual"]
    run_id = start(env, clip_id, "visual", fields)
    run = env.wait(run_id)
    env.engine.decide(run_id, True)
    after = committed_state(env, "visual", asset_id)
    with pytest.raises(DecisionError, match="accepted"):
        env.store.commit_asset(
            lecture_id=run.lecture_id,
            kind="visual",
            asset_id=asset_id,
            fields={"prompt": "a second commit", "file": after[0]["file"]},
            base_revision=run.base_revision,
            base_asset_updated_at=run.base_asset_updated_at,
            run_id=run_id,
        )
    assert committed_state(env, "visual", asset_id) == after


def test_concurrent_accepts_of_one_run_commit_once(make_env: Any) -> None:
    """Six threads accept the same preview at once, a few rounds: one commit, five clear errors."""
    env = make_env()
    clip_id, asset_id, _fields = KIND_CASES["narration"]
    for round_ in range(5):
        run_id = start(env, clip_id, "narration", {"script": f"Round {round_}."})
        assert env.wait(run_id).status == "preview_ready"
        revision = env.store.lecture_revision(env.lecture_id)
        files = media_files(env.data_dir, "narration", asset_id)

        barrier = threading.Barrier(6)
        outcomes: list[Any] = []

        def accept(
            run_id: str = run_id, barrier: threading.Barrier = barrier, outcomes: list[Any] = outcomes
        ) -> None:
            barrier.wait()
            try:
                outcomes.append(env.engine.decide(run_id, True))
            except Exception as exc:  # noqa: BLE001 - collected and checked below
                outcomes.append(exc)

        threads = [threading.Thread(target=accept) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        wins = [o for o in outcomes if not isinstance(o, Exception)]
        errors = [o for o in outcomes if isinstance(o, Exception)]
        assert len(wins) == 1 and len(errors) == 5
        assert all(isinstance(e, DecisionError) and "accepted" in e.message for e in errors), errors
        assert env.store.lecture_revision(env.lecture_id) == revision + 1
        assert [e.type for e in env.log(run_id)].count("complete") == 1
        # Only the winner's promoted file is new; the losers removed theirs (and left no temp files).
        new_files = media_files(env.data_dir, "narration", asset_id) - files
        assert new_files == {env.asset("narration", asset_id)["file"]}
    assert [r["source"] for r in env.store.list_revisions(env.lecture_id)] == ["accept"] * 5 + ["import"]


def test_two_accepts_on_different_clips_both_land(make_env: Any) -> None:
    env = make_env()
    fields = {"prompt": "first clip's new picture"}
    other = {"prompt": "second clip's new picture"}
    first = start(env, "clip_v0", "visual", fields)
    second = start(env, "clip_v1", "visual", other)
    assert env.wait(first).status == env.wait(second).status == "preview_ready"
    assert env.engine.get(first).base_revision == env.engine.get(second).base_revision == 1

    assert env.engine.decide(first, True).revision == 2
    assert env.engine.decide(second, True).revision == 3  # based on revision 1, but a different asset

    snapshot = env.store.export_lecture(env.lecture_id)
    visuals = {v["id"]: v for v in snapshot["visuals"]}
    assert visuals["vis_0"]["prompt"] == fields["prompt"]
    assert visuals["vis_1"]["prompt"] == other["prompt"]
    for asset in visuals.values():
        assert (env.data_dir / asset["file"]).is_file()
    assert [(r["revision"], r["run_id"]) for r in env.store.list_revisions(env.lecture_id)] == [
        (3, second),
        (2, first),
        (1, None),
    ]


def test_two_runs_on_the_same_clip_the_later_accept_conflicts(db_url: str, make_env: Any) -> None:
    env = make_env(db_url)
    first = start(env, "clip_v0", "visual", {"prompt": "version A"})
    second = start(env, "clip_v0", "visual", {"prompt": "version B"})
    assert env.wait(first).status == env.wait(second).status == "preview_ready"

    env.engine.decide(first, True)
    after_first = committed_state(env, "visual", "vis_0")
    files = media_files(env.data_dir, "visual", "vis_0")

    with pytest.raises(ConflictError, match="changed since revision 1"):
        env.engine.decide(second, True)
    assert committed_state(env, "visual", "vis_0") == after_first
    assert after_first[0]["prompt"] == "version A" and after_first[2] == 2
    assert media_files(env.data_dir, "visual", "vis_0") == files  # its promoted copy was removed
    assert "complete" not in [e.type for e in env.log(second)]
    assert env.engine.get(second).status == "preview_ready"  # still the user's to reject

    env.engine.decide(second, False)
    assert not env.preview_dir(second).exists()
    assert committed_state(env, "visual", "vis_0") == after_first


# --- cancel ----------------------------------------------------------------------------------------


def test_cancel_mid_generation(make_env: Any) -> None:
    gate = GatedGenerator(honour_cancel=True)
    env = make_env(generator_factory=FactoryLog(gate))
    before = committed_state(env, "visual", "vis_0")
    run_id = start(env, "clip_v0", "visual", {"prompt": "never finished"})
    assert gate.started.wait(10)
    assert env.engine.get(run_id).status == "generating"
    assert (env.preview_dir(run_id) / "partial.png").is_file()

    env.engine.cancel(run_id)
    assert env.engine.get(run_id).status == "cancelled"
    assert gate.finished.wait(10)
    wait_for(lambda: not env.preview_dir(run_id).exists(), message="the preview folder to go")
    assert env.engine.get(run_id).status == "cancelled"
    types = [e.type for e in env.log(run_id)]
    assert types[-1] == "cancelled" and "preview" not in types and "error" not in types
    assert committed_state(env, "visual", "vis_0") == before
    with pytest.raises(DecisionError, match="cancelled"):
        env.engine.cancel(run_id)
    with pytest.raises(DecisionError, match="cancelled"):
        env.engine.decide(run_id, True)


def test_a_cancel_stops_a_real_generation_promptly(make_env: Any) -> None:
    env = make_env()
    clip_id, _asset_id, _fields = KIND_CASES["narration"]
    script = " ".join(["The leaf turns light into sugar, water and air."] * 1000)  # ~10 s to speak
    run_id = start(env, clip_id, "narration", {"script": script})

    def speaking() -> bool:
        progress = (env.engine.get(run_id).preview or {}).get("progress") or {}
        return int(progress.get("step", 0)) >= 1

    wait_for(speaking, timeout=30, message="the narration to start speaking")
    env.engine.cancel(run_id)
    # The task deletes the preview folder only once the generator has stopped (its espeak child killed).
    wait_for(lambda: not env.preview_dir(run_id).exists(), timeout=3, message="the generation to stop")
    assert env.engine.get(run_id).status == "cancelled"
    assert "preview" not in [e.type for e in env.log(run_id)]


def test_a_late_finish_does_not_resurrect_a_cancelled_run(make_env: Any) -> None:
    gate = GatedGenerator(honour_cancel=False)  # ignores the token and finishes anyway
    env = make_env(generator_factory=FactoryLog(gate))
    run_id = start(env, "clip_v0", "visual", {"prompt": "finished too late"})
    assert gate.started.wait(10)
    env.engine.cancel(run_id)

    gate.release.set()
    assert gate.finished.wait(10)
    wait_for(lambda: not env.preview_dir(run_id).exists(), message="the late preview to be deleted")
    run = env.engine.get(run_id)
    assert run.status == "cancelled" and run.preview_asset is None
    assert [e.type for e in env.log(run_id)][-1] == "cancelled"
    assert "preview" not in [e.type for e in env.log(run_id)]
    assert env.store.lecture_revision(env.lecture_id) == 1


def test_closing_the_engine_marks_its_generating_runs_interrupted(make_env: Any) -> None:
    gate = GatedGenerator(honour_cancel=True)
    env = make_env(generator_factory=FactoryLog(gate))
    run_id = start(env, "clip_v0", "visual", {"prompt": "the app quits"})
    assert gate.started.wait(10)
    env.engine.close()
    run = env.engine.get(run_id)
    assert run.status == "failed" and run.error == "interrupted"
    assert env.log(run_id)[-1].type == "error"
    assert not env.preview_dir(run_id).exists()
    with pytest.raises(TuiEditorError, match="closed"):
        start(env, "clip_v0", "visual", {"prompt": "too late"})


def test_cancelling_a_preview_or_an_unknown_run_is_refused(make_env: Any) -> None:
    env = make_env()
    clip_id, _asset_id, fields = KIND_CASES["narration"]
    run_id = start(env, clip_id, "narration", fields)
    assert env.wait(run_id).status == "preview_ready"
    with pytest.raises(DecisionError, match="reject it instead"):
        env.engine.cancel(run_id)
    assert env.engine.get(run_id).status == "preview_ready"
    with pytest.raises(NotFoundError):
        env.engine.cancel("run_nope")
    with pytest.raises(NotFoundError):
        env.engine.decide("run_nope", True)


# --- failures ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("retryable", [True, False])
def test_generation_error_fails_the_run_with_its_message(make_env: Any, retryable: bool) -> None:
    message = "The provider refused the prompt (content policy)"
    env = make_env(
        generator_factory=FactoryLog(FailingGenerator(GenerationError(message, retryable=retryable)))
    )
    before = committed_state(env, "visual", "vis_0")
    run_id = start(env, "clip_v0", "visual", {"prompt": "refused"})
    run = env.wait(run_id)
    assert run.status == "failed"
    assert run.error == message
    error = env.log(run_id)[-1]
    assert error.type == "error"
    assert dict(error.payload) == {"message": message, "retryable": retryable}
    assert any(e.type == "error" and e.run_id == run_id for e in env.events)
    wait_for(lambda: not env.preview_dir(run_id).exists(), message="the partial preview to go")
    assert committed_state(env, "visual", "vis_0") == before
    with pytest.raises(DecisionError, match="failed"):
        env.engine.decide(run_id, True)


def test_an_unexpected_exception_fails_the_run_never_stuck_generating(make_env: Any) -> None:
    env = make_env(generator_factory=FactoryLog(FailingGenerator(RuntimeError("disk on fire"))))
    run_id = start(env, "clip_v0", "visual", {"prompt": "boom"})
    run = env.wait(run_id)
    assert run.status == "failed"
    assert run.error == "internal error: disk on fire"
    error = env.log(run_id)[-1]
    assert error.type == "error" and error.payload["message"] == "internal error: disk on fire"
    assert error.payload["retryable"] is True
    wait_for(lambda: not env.preview_dir(run_id).exists(), message="the partial preview to go")


# --- expiry -----------------------------------------------------------------------------------------


def _wait_older_than(env: Any, run_id: str, seconds: float) -> None:
    wait_for(
        lambda: utcnow() - env.engine.get(run_id).updated_at > timedelta(seconds=seconds),
        message="the decision timeout to pass",
    )


def test_housekeeping_expires_an_undecided_preview(make_env: Any) -> None:
    env = make_env(engine__decision_timeout=0.05)  # no background thread: the test runs housekeeping
    clip_id, asset_id, fields = KIND_CASES["music"]
    before = committed_state(env, "music", asset_id)
    run_id = start(env, clip_id, "music", fields)
    assert env.wait(run_id).status == "preview_ready"
    _wait_older_than(env, run_id, 0.05)

    env.engine.housekeeping()
    run = env.engine.get(run_id)
    assert run.status == "expired"
    assert env.log(run_id)[-1].type == "expired"
    assert not env.preview_dir(run_id).exists()
    assert committed_state(env, "music", asset_id) == before
    with pytest.raises(DecisionError, match="expired"):
        env.engine.decide(run_id, True)
    assert committed_state(env, "music", asset_id) == before


@pytest.mark.parametrize("accept", [True, False])
def test_deciding_after_the_timeout_expires_the_run(make_env: Any, accept: bool) -> None:
    env = make_env(engine__decision_timeout=0.05)
    clip_id, asset_id, fields = KIND_CASES["narration"]
    before = committed_state(env, "narration", asset_id)
    run_id = start(env, clip_id, "narration", fields)
    assert env.wait(run_id).status == "preview_ready"
    _wait_older_than(env, run_id, 0.05)

    with pytest.raises(DecisionError, match="expired"):
        env.engine.decide(run_id, accept)
    assert env.engine.get(run_id).status == "expired"
    assert not env.preview_dir(run_id).exists()
    assert committed_state(env, "narration", asset_id) == before
    assert media_files(env.data_dir, "narration", asset_id) == {before[0]["file"]}
    with pytest.raises(DecisionError, match="expired"):
        env.engine.decide(run_id, accept)


def test_the_configured_timeout_expires_previews_in_the_background(make_env: Any) -> None:
    env = make_env(background=True, engine__decision_timeout=0.3, engine__heartbeat_interval=0.05)
    clip_id, _asset_id, fields = KIND_CASES["visual"]
    run_id = start(env, clip_id, "visual", fields)
    assert env.wait(run_id, "expired", timeout=15).status == "expired"
    wait_for(lambda: not env.preview_dir(run_id).exists(), message="the expired preview to go")
    assert any(e.type == "expired" and e.run_id == run_id for e in env.events)


# --- bad input and the chosen model -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clip_id", "kind", "fields", "match"),
    [
        ("clip_v0", "visual", {"prompt": "x", "model": "no/such-model"}, "unknown visual model"),
        ("clip_m0", "music", {"model": "acme/nothing"}, "unknown music model"),
        ("clip_v0", "visual", {"aspect_ratio": "5:4"}, "aspect_ratio"),
        ("clip_v0", "narration", {"script": "x"}, "not a narration clip"),
        ("clip_v0", "visual", {"width": 99}, "no field width"),
    ],
)
def test_bad_requests_are_refused_at_start(
    make_env: Any, clip_id: str, kind: str, fields: dict[str, Any], match: str
) -> None:
    env = make_env()
    with pytest.raises(BadInputError, match=match):
        start(env, clip_id, kind, fields)
    assert env.engine.list() == []
    assert not (env.data_dir / "previews").exists() or not any((env.data_dir / "previews").iterdir())


def test_the_chosen_model_is_the_one_used_and_recorded(make_env: Any) -> None:
    provider = ProviderStandIn()
    factory = FactoryLog(provider)
    env = make_env(generator_factory=factory)
    run_id = start(env, "clip_v0", "visual", {"prompt": "a remote picture", "model": "gpt-image-1"})
    run = env.wait(run_id)
    assert run.status == "preview_ready", run.error
    assert factory.calls == [("visual", "openai")]
    assert provider.requests[0].fields["model"] == "gpt-image-1"
    assert run.request["fields"]["model"] == "gpt-image-1"
    assert run.request["provider"] == "openai"
    assert run.preview_asset is not None and run.preview_asset["model"] == "gpt-image-1"
    env.engine.decide(run_id, True)
    assert env.asset("visual", "vis_0")["model"] == "gpt-image-1"


def test_without_a_choice_the_kinds_model_is_recorded(make_env: Any) -> None:
    env = make_env()
    clip_id, asset_id, fields = KIND_CASES["music"]
    run_id = start(env, clip_id, "music", fields)
    run = env.wait(run_id)
    assert run.request["fields"]["model"] == "local/synth" and run.request["provider"] == "local"
    env.engine.decide(run_id, True)
    assert env.asset("music", asset_id)["model"] == "local/synth"


def test_a_preview_never_overwrites_a_committed_file(make_env: Any) -> None:
    """Every run writes only under previews/<run_id>/, whatever the committed file is called."""
    env = make_env()
    clip_id, asset_id, fields = KIND_CASES["visual"]
    committed = {p: file_state(p) for p in (env.data_dir / "media").rglob("*") if p.is_file()}
    run_id = start(env, clip_id, "visual", fields)
    assert env.wait(run_id).status == "preview_ready"
    written = {p for p in env.data_dir.rglob("*") if p.is_file()} - set(committed)
    written = {p for p in written if not p.name.startswith("tui-editor.db")}
    assert written and all(p.is_relative_to(env.preview_dir(run_id)) for p in written)
    assert {p: file_state(p) for p in committed} == committed


def test_preview_folders_of_decided_or_unknown_runs_are_removed_at_start(make_settings, data_dir) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import seeded_store
    from tui_editor.core.flow import StartRequest
    from tui_editor.runs.local import LocalEngine
    from tui_editor.runs.waiting import wait_for_run

    settings = make_settings()
    store, lecture_id = seeded_store(settings.database_url, data_dir)
    engine = LocalEngine(store, settings)
    pending = engine.start(StartRequest(lecture_id, "clip_v0", "visual", {"prompt": "kept"}))
    decided = engine.start(StartRequest(lecture_id, "clip_v1", "visual", {"prompt": "decided"}))
    for run_id in (pending, decided):
        wait_for_run(engine, run_id, timeout=30)
    engine.decide(decided, False)
    engine.close()
    # What a process killed between a decision and its clean-up leaves behind:
    leftover = data_dir / "previews" / decided
    leftover.mkdir(parents=True)
    (leftover / "visual.png").write_bytes(b"stale")
    unknown = data_dir / "previews" / "run_never_existed"
    unknown.mkdir()
    LocalEngine(store, settings, background=False).close()
    assert not leftover.exists() and not unknown.exists()
    assert (data_dir / "previews" / pending).is_dir()  # a pending preview is never touched
    store.close()
