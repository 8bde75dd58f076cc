"""`new --from-script` as a library call: a twelve-segment lecture generated offline for real, timed by
its audio; placeholders without generation; and a failure that leaves nothing behind."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from tui_editor.core.errors import TuiEditorError
from tui_editor.core.script import STALE_NOT_GENERATED, LectureScript, Segment
from tui_editor.core.store import open_store
from tui_editor.generators.media_info import image_size
from tui_editor.generators.wav import wav_duration
from tui_editor.lectures.from_script import BuildProgress, build_from_script

CUES = ["calm piano"] * 4 + ["bright strings"] * 5 + ["calm piano"] * 3


def twelve_segments() -> LectureScript:
    return LectureScript(
        title="Leaves",
        summary="How leaves work.",
        segments=tuple(
            Segment(f"Part {i + 1}. Leaves catch light.", music=cue, format="map" if i % 3 == 0 else "image")
            for i, cue in enumerate(CUES)
        ),
    )


def _no_overlap(clips: list[Any]) -> None:
    ordered = sorted(clips, key=lambda c: c.start)
    for a, b in pairwise(ordered):
        assert a.end <= b.start, f"{a.name} overlaps {b.name}"


def test_a_twelve_segment_script_is_generated_and_timed_by_its_audio(
    make_settings: Callable[..., Any], data_dir: Path
) -> None:
    settings = make_settings()
    store = open_store(settings.database_url)
    seen: list[BuildProgress] = []
    lecture_id = build_from_script(store, settings, twelve_segments(), progress=seen.append, limit=3)
    snapshot = store.load_snapshot(lecture_id)
    voice, visual, music = (snapshot.track(t) for t in ("voice", "visual", "music"))
    assert (len(voice), len(visual), len(music)) == (12, 12, 3)
    for clip in voice:  # each narration clip exactly as long as its audio
        asset = snapshot.asset_for(clip)
        assert asset is not None and asset["file"]
        assert clip.duration == asset["duration_s"] == wav_duration(data_dir / asset["file"])
        assert not clip.stale
    for index, (narration, picture) in enumerate(zip(voice, visual, strict=True)):  # aligned to the segment
        assert (picture.start, picture.duration) == (narration.start, narration.duration)
        zoom = (1.0, 1.15) if index % 2 == 0 else (1.15, 1.0)  # a slow Ken Burns zoom, in then out
        assert (picture.params["start_scale"], picture.params["end_scale"]) == zoom
        asset = snapshot.asset_for(picture)
        assert asset is not None and image_size(data_dir / asset["file"]) == (asset["width"], asset["height"])
    for track in (voice, visual, music):
        _no_overlap(list(track))
    # Music spans its run of segments: 1-4, 5-9, 10-12.
    bounds = [(voice[0].start, voice[3].end), (voice[4].start, voice[8].end), (voice[9].start, voice[11].end)]
    assert [(m.start, m.end) for m in music] == [pytest.approx(b) for b in bounds]
    for clip in music:
        asset = snapshot.asset_for(clip)
        assert asset is not None and wav_duration(data_dir / asset["file"]) == pytest.approx(
            clip.duration, abs=0.01
        )
    # Progress: one item each, counting up to the total.
    assert [p.done for p in seen] == list(range(1, 28)) and seen[-1].total == 27
    # Nothing left over: no temporary folder, every file under media/ belongs to an asset.
    assert not [p for p in data_dir.iterdir() if p.name.startswith(".new-lecture-")]
    files = {p.relative_to(data_dir).as_posix() for p in (data_dir / "media").rglob("*") if p.is_file()}
    used = {a["file"] for kind in snapshot.assets.values() for a in kind.values()}
    assert files == used


def test_without_generation_the_clips_are_estimated_placeholders_marked_stale(
    make_settings: Callable[..., Any], data_dir: Path, db_url: str
) -> None:
    settings = make_settings(db_url)
    store = open_store(settings.database_url)
    lecture_id = build_from_script(store, settings, twelve_segments(), generate=False)
    snapshot = store.load_snapshot(lecture_id)
    assert len(snapshot.clips) == 27
    assert all(clip.stale == (STALE_NOT_GENERATED,) for clip in snapshot.clips)
    assert all(not a["file"] for kind in snapshot.assets.values() for a in kind.values())
    assert not (data_dir / "media").exists()


def test_a_failed_generation_leaves_no_lecture_and_no_files(
    make_settings: Callable[..., Any], data_dir: Path
) -> None:
    # A catalogued remote visual model without an API key: the narrations succeed, then a visual fails.
    settings = make_settings(generators__visual__model="bytedance/seedream-4")
    store = open_store(settings.database_url)
    with pytest.raises(TuiEditorError, match="visual"):
        build_from_script(store, settings, twelve_segments(), limit=2)
    assert store.list_lectures() == []
    assert not [p for p in data_dir.rglob("*") if p.is_file() and p.suffix in (".wav", ".png")]
    assert not [p for p in data_dir.iterdir() if p.name.startswith(".new-lecture-")]


class Stop(Exception):
    pass


def test_stopping_midway_leaves_no_lecture_and_no_files(
    make_settings: Callable[..., Any], data_dir: Path
) -> None:
    settings = make_settings()
    store = open_store(settings.database_url)

    def progress(item: BuildProgress) -> None:
        if item.done == 14:  # every narration and two visuals are done
            raise Stop

    with pytest.raises(Stop):
        build_from_script(store, settings, twelve_segments(), progress=progress, limit=2)
    assert store.list_lectures() == []
    assert not [p for p in data_dir.rglob("*") if p.is_file() and p.suffix in (".wav", ".png")]
    assert not [p for p in data_dir.iterdir() if p.name.startswith(".new-lecture-")]
