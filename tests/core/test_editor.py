"""`ClipSession` — the seed's draft and flow rules end to end, on the real engine and generators."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import wait_for
from tests.factories import lecture_doc, write_seed_media
from tui_editor.core.editor import ClipSession
from tui_editor.core.exchange import validate_lecture
from tui_editor.core.provider import LectureEditorProvider
from tui_editor.runs.runtime import Runtime, open_runtime


@pytest.fixture
def world(make_settings: Any, data_dir: Path) -> Iterator[tuple[Runtime, LectureEditorProvider]]:
    runtime = open_runtime(make_settings())
    doc = lecture_doc()
    write_seed_media(doc, data_dir)
    lecture_id = runtime.store.create_lecture(validate_lecture(doc) | {"id": doc["id"]}, keep_ids=True)
    store = runtime.store
    provider = LectureEditorProvider(store.load_snapshot(lecture_id), lambda: store.load_snapshot(lecture_id))
    subscription = runtime.hub.subscribe(provider.handle_event, lecture_id=lecture_id)
    yield runtime, provider
    subscription.close()
    provider.close()
    runtime.close()


def open_session(runtime: Runtime, provider: LectureEditorProvider, clip_id: str) -> ClipSession:
    session = ClipSession(provider, runtime.engine, clip_id)
    runtime.hub.subscribe(session.handle_event, run_id=None, lecture_id=provider.lecture_id)
    return session


def test_accept_updates_draft_and_provider_at_once(world: Any, data_dir: Path) -> None:
    runtime, provider = world
    session = open_session(runtime, provider, "clip_n0")
    session.set_field("script", "Plants make sugar from light.")
    assert session.is_dirty
    session.generate()
    wait_for(lambda: session.state.phase == "preview_ready", message="the preview")
    preview = session.state.preview
    assert preview is not None and preview["script"] == "Plants make sugar from light."
    assert (data_dir / preview["file"]).is_file()
    session.open_review()
    session.accept()
    committed = provider.snapshot.asset_for(provider.snapshot.clip("clip_n0"))  # type: ignore[arg-type]
    assert committed is not None
    assert committed["script"] == "Plants make sugar from light."
    assert committed["duration_s"] == preview["duration_s"] != 1.0
    assert committed["file"].startswith("media/narration/nar_0/")
    assert provider.snapshot.revision == 2
    assert (
        session.draft.draft["script"] == session.draft.baseline["script"] == "Plants make sugar from light."
    )
    assert not session.is_dirty
    assert session.state.phase == "idle"
    # The reload that the complete event triggers agrees with the optimistic state.
    assert provider.refresh_now().asset_for(provider.snapshot.clip("clip_n0")) == committed  # type: ignore[arg-type]


def test_reject_keeps_the_draft_and_leaving_reverts_it(world: Any) -> None:
    runtime, provider = world
    session = open_session(runtime, provider, "clip_v1")
    session.set_field("prompt", "A purple leaf")
    session.generate()
    wait_for(lambda: session.state.phase == "preview_ready")
    session.reject()
    assert session.draft.draft["prompt"] == "A purple leaf" and session.is_dirty
    assert (session.asset or {})["prompt"] == "Visual prompt 1"
    session.leave()
    assert session.draft.draft["prompt"] == "Visual prompt 1" and not session.is_dirty


def test_reopening_a_clip_recovers_its_pending_preview(world: Any) -> None:
    runtime, provider = world
    first = open_session(runtime, provider, "clip_m0")
    first.set_field("bpm", 120)
    first.set_field("duration_s", 2.0)
    run_id = first.generate()
    wait_for(lambda: first.state.phase == "preview_ready")
    first.leave()
    second = open_session(runtime, provider, "clip_m0")
    second.resume()
    assert second.state.phase == "preview_ready" and second.state.run_id == run_id
    assert second.state.preview is not None and second.state.preview["bpm"] == 120
    second.accept()
    assert (provider.snapshot.asset_for(provider.snapshot.clip("clip_m0")) or {})["bpm"] == 120  # type: ignore[arg-type]


def test_an_error_then_retry_after_fixing_the_field(world: Any) -> None:
    runtime, provider = world
    session = open_session(runtime, provider, "clip_n1")
    session.set_field("voice", "no-such-voice")
    session.generate()
    wait_for(lambda: session.state.phase == "failed", message="the failure")
    assert session.state.error and "voice" in session.state.error
    session.set_field("voice", "en-gb")
    session.generate()
    wait_for(lambda: session.state.phase == "preview_ready")
    assert (session.state.preview or {})["voice"] == "en-gb"


def test_someone_elses_accept_on_the_open_clip_rebases_the_draft(world: Any) -> None:
    runtime, provider = world
    session = open_session(runtime, provider, "clip_v0")
    session.set_field("aspect_ratio", "1:1")  # my unsaved edit
    other = open_session(runtime, provider, "clip_v0")
    other.set_field("prompt", "Their new prompt")
    other.generate()
    wait_for(lambda: other.state.phase == "preview_ready")
    other.accept()
    wait_for(lambda: session.draft.baseline["prompt"] == "Their new prompt")
    assert session.draft.draft["prompt"] == "Their new prompt"  # untouched field follows
    assert session.draft.draft["aspect_ratio"] == "1:1"  # my edit stays
