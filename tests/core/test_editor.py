"""`ClipSession` — the seed's draft and flow rules end to end, on the real engine and generators.

The session, its flow and the provider change only on one thread: the hub's thread only queues events,
and `World.settle` delivers them (and runs a due reload) on the test's thread, as the App does on its.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import wait_for
from tests.factories import lecture_doc, write_seed_media
from tui_editor.core.editor import ClipSession
from tui_editor.core.errors import BadInputError
from tui_editor.core.events import RunEventData
from tui_editor.core.exchange import validate_lecture
from tui_editor.core.provider import LectureEditorProvider
from tui_editor.core.snapshot import Asset
from tui_editor.runs.runtime import Runtime, open_runtime


class World:
    """A runtime, the lecture's provider, and the sessions opened on it, all fed on this thread."""

    def __init__(self, runtime: Runtime, provider: LectureEditorProvider) -> None:
        self.runtime = runtime
        self.provider = provider
        self.sessions: list[ClipSession] = []
        self.events: queue.Queue[RunEventData] = queue.Queue()
        self.subscription = runtime.hub.subscribe(self.events.put, lecture_id=provider.lecture_id)

    def open_session(self, clip_id: str) -> ClipSession:
        session = ClipSession(self.provider, self.runtime.engine, clip_id)
        self.sessions.append(session)
        return session

    def settle(self) -> None:
        """Deliver the events that arrived so far, then run the reload if it is due."""
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                break
            self.provider.handle_event(event)
            for session in self.sessions:
                if not session.closed:
                    session.handle_event(event)
        self.provider.run_due_refresh()

    def wait(self, predicate: Callable[[], Any], message: str = "") -> None:
        def settled() -> Any:
            self.settle()
            return predicate()

        wait_for(settled, message=message)


def asset_of(provider: LectureEditorProvider, clip_id: str) -> Asset | None:
    clip = provider.snapshot.clip(clip_id)
    assert clip is not None
    return provider.snapshot.asset_for(clip)


@pytest.fixture
def world(make_settings: Any, data_dir: Path) -> Iterator[World]:
    runtime = open_runtime(make_settings())
    doc = lecture_doc()
    write_seed_media(doc, data_dir)
    lecture_id = runtime.store.create_lecture(validate_lecture(doc) | {"id": doc["id"]}, keep_ids=True)
    store = runtime.store
    provider = LectureEditorProvider(store.load_snapshot(lecture_id), lambda: store.load_snapshot(lecture_id))
    world = World(runtime, provider)
    yield world
    world.subscription.close()
    provider.close()
    runtime.close()


def test_accept_updates_draft_and_provider_at_once(world: World, data_dir: Path) -> None:
    provider = world.provider
    session = world.open_session("clip_n0")
    session.set_field("script", "Plants make sugar from light.")
    assert session.is_dirty
    session.generate()
    world.wait(lambda: session.state.phase == "preview_ready", message="the preview")
    preview = session.state.preview
    assert preview is not None and preview["script"] == "Plants make sugar from light."
    assert (data_dir / preview["file"]).is_file()
    session.open_review()
    session.accept()
    committed = asset_of(provider, "clip_n0")
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
    provider.refresh_now()
    assert asset_of(provider, "clip_n0") == committed


def test_reject_keeps_the_draft_and_leaving_reverts_it(world: World) -> None:
    session = world.open_session("clip_v1")
    session.set_field("prompt", "A purple leaf")
    session.generate()
    world.wait(lambda: session.state.phase == "preview_ready")
    session.reject()
    assert session.draft.draft["prompt"] == "A purple leaf" and session.is_dirty
    assert (session.asset or {})["prompt"] == "Visual prompt 1"
    session.leave()
    assert session.draft.draft["prompt"] == "Visual prompt 1" and not session.is_dirty


def test_reopening_a_clip_recovers_its_pending_preview(world: World) -> None:
    provider = world.provider
    first = world.open_session("clip_m0")
    first.set_field("bpm", 120)
    first.set_field("duration_s", 2.0)
    run_id = first.generate()
    world.wait(lambda: first.state.phase == "preview_ready")
    first.leave()
    second = world.open_session("clip_m0")
    second.resume()
    assert second.state.phase == "preview_ready" and second.state.run_id == run_id
    assert second.state.preview is not None and second.state.preview["bpm"] == 120
    second.accept()
    assert (asset_of(provider, "clip_m0") or {})["bpm"] == 120


def test_a_refused_start_then_retry_after_fixing_the_field(world: World) -> None:
    session = world.open_session("clip_n1")
    session.set_field("voice", "no-such-voice")
    with pytest.raises(BadInputError, match="voice"):  # refused before any run is made
        session.generate()
    assert session.state.phase not in ("generating", "preview_ready")
    session.set_field("voice", "en-gb")
    session.generate()
    world.wait(lambda: session.state.phase == "preview_ready")
    assert (session.state.preview or {})["voice"] == "en-gb"


def test_someone_elses_accept_on_the_open_clip_rebases_the_draft(world: World) -> None:
    session = world.open_session("clip_v0")
    session.set_field("aspect_ratio", "1:1")  # my unsaved edit
    other = world.open_session("clip_v0")
    other.set_field("prompt", "Their new prompt")
    other.generate()
    world.wait(lambda: other.state.phase == "preview_ready")
    other.accept()
    world.wait(lambda: session.draft.baseline["prompt"] == "Their new prompt")
    assert session.draft.draft["prompt"] == "Their new prompt"  # untouched field follows
    assert session.draft.draft["aspect_ratio"] == "1:1"  # my edit stays
