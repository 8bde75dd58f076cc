"""The render schedule (pure): Ken Burns parameters, frame ownership, audio spans, ranges, media paths."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.render.support import clip, snapshot_of
from tui_editor.core.errors import BadInputError
from tui_editor.render.schedule import (
    DEFAULT_MOTION,
    STILL,
    Motion,
    RenderError,
    RenderInputError,
    media_file,
    motion_for,
    plan_render,
    resolve_range,
)


def test_motion_defaults_follow_the_web_original() -> None:
    assert motion_for({}) == DEFAULT_MOTION and DEFAULT_MOTION.moves
    assert motion_for({"effect": "None"}) == STILL and not STILL.moves
    assert motion_for({"volume": 0.5}) == DEFAULT_MOTION  # no Ken Burns parameter: the gentle default
    assert motion_for({"start_scale": 1.2}) == Motion(1.2, 1.2, 0, 0, 0, 0)  # end takes the start
    assert motion_for({"start_x": 10.0, "end_y": -5.0}) == Motion(1.0, 1.0, 10.0, 0.0, 10.0, -5.0)
    move = Motion(1.0, 2.0, 0.0, 0.0, 100.0, -50.0)
    assert move.at(0.5) == (1.5, 50.0, -25.0)
    assert move.at(-1) == move.at(0) and move.at(7) == move.at(1)


def test_a_later_visual_is_on_top_and_spans_cover_their_frames(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"x")
    snapshot = snapshot_of(
        [
            clip("v1", "visual", 0.0, 3.0, "a"),
            clip("v2", "visual", 1.0, 1.0, "a"),
            clip("v3", "visual", 4.0, 1.0, "a"),
        ],
        {"visual": {"a": {"file": "a.png"}}},
    )
    plan = plan_render(snapshot, tmp_path, width=64, height=36, fps=10)
    assert plan.frames == 50 and plan.duration == 5.0
    spans = [(s.clip_id, s.first_frame, s.end_frame) for s in plan.visuals]
    assert spans == [("v1", 0, 10), ("v2", 10, 20), ("v1", 20, 30), ("v3", 40, 50)]  # 3–4 s: a black gap
    assert plan.visuals[2].progress(25, 10) == pytest.approx(2.5 / 3)  # progress through the clip itself


def test_audio_spans_in_a_range_start_inside_their_clip(tmp_path: Path) -> None:
    (tmp_path / "n.wav").write_bytes(b"x")
    snapshot = snapshot_of(
        [
            clip("n", "voice", 1.0, 4.0, "n", {"volume": 2.0, "fade_in_s": 1.0, "fade_out_s": 2.0}),
            clip("m", "music", 0.0, 10.0, "m"),
        ],
        {"narration": {"n": {"file": "n.wav"}}, "music": {"m": {"file": "n.wav"}}},
    )
    plan = plan_render(snapshot, tmp_path, width=64, height=36, fps=10, start=2.0, end=4.0)
    (music, voice) = sorted(plan.audio, key=lambda s: s.track)
    assert (voice.start, voice.end, voice.media_offset, voice.clip_start) == (0.0, 2.0, 1.0, -1.0)
    assert not voice.loop and music.loop
    assert voice.gain_at(-0.5) == pytest.approx(1.0)  # half-way through the fade-in, volume 2
    assert voice.gain_at(0.5) == pytest.approx(2.0)
    assert voice.gain_at(2.0) == pytest.approx(1.0)  # one second before the end of a 2 s fade-out
    assert plan.problems == () and not plan.visuals


def test_ranges_and_sizes_are_checked() -> None:
    assert resolve_range(10.0, None, None) == (0.0, 10.0)
    assert resolve_range(10.0, 8.0, 99.0) == (8.0, 10.0)  # an end past the timeline is clamped
    for start, end in ((5.0, 5.0), (10.0, None), (-1.0, None), (math.nan, None), (2.0, 1.0)):
        with pytest.raises(RenderInputError):
            resolve_range(10.0, start, end)
    with pytest.raises(RenderInputError, match="nothing to render"):
        resolve_range(0.0, None, None)
    snapshot = snapshot_of([clip("v", "visual", 0, 1, "a")], {"visual": {"a": {"file": "a.png"}}})
    for size in ((321, 180), (2, 2), (10_000, 720)):
        with pytest.raises(RenderInputError) as caught:
            plan_render(snapshot, Path("/nonexistent"), width=size[0], height=size[1])
        assert caught.value.exit_code == BadInputError.exit_code == 2
    with pytest.raises(RenderInputError, match="fps"):
        plan_render(snapshot, Path("/nonexistent"), fps=0)


def test_missing_media_is_reported_per_clip(tmp_path: Path) -> None:
    snapshot = snapshot_of(
        [clip("v", "visual", 0, 1, "a"), clip("n", "voice", 0, 1, "b"), clip("m", "music", 0, 1, "zzz")],
        {"visual": {"a": {"file": "../../etc/passwd"}}, "narration": {"b": {"file": ""}}},
    )
    with pytest.raises(RenderError) as caught:
        plan_render(snapshot, tmp_path, width=64, height=36)
    assert caught.value.exit_code == 1
    message = caught.value.message
    assert "outside the data directory" in message and "v name" in message and "--allow-missing" in message
    plan = plan_render(snapshot, tmp_path, width=64, height=36, allow_missing=True)
    assert [(p.clip_id, p.reason) for p in plan.problems] == [
        ("v", "its media file lies outside the data directory"),
        ("m", "its asset is missing"),
        ("n", "its asset has no media file"),
    ]
    assert all(s.file is None for s in plan.visuals) and all(s.file is None for s in plan.audio)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_hostile_media_paths_never_leave_the_data_dir(
    tmp_path_factory: pytest.TempPathFactory, raw: str
) -> None:
    root = tmp_path_factory.getbasetemp() / "data"
    root.mkdir(exist_ok=True)
    path, reason = media_file(root, {"file": raw})
    if path is None:
        assert reason
    else:
        assert path.is_relative_to(root.resolve())


clips_strategy = st.lists(
    st.tuples(
        st.sampled_from(["visual", "voice", "music"]),
        st.floats(0, 20, allow_nan=False),
        st.floats(0.01, 10, allow_nan=False),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(clips_strategy, st.sampled_from([1, 24, 30]), st.floats(0, 1), st.floats(0, 1))
def test_spans_tile_the_output(
    tmp_path_factory: pytest.TempPathFactory,
    layout: list[tuple[str, float, float]],
    fps: int,
    a: float,
    b: float,
) -> None:
    root = tmp_path_factory.getbasetemp() / "tiles"
    root.mkdir(exist_ok=True)
    kinds = {"visual": "visual", "voice": "narration", "music": "music"}
    clips = [clip(f"c{i}", track, start, dur, f"a{i}") for i, (track, start, dur) in enumerate(layout)]
    assets = {kind: {} for kind in kinds.values()}  # type: dict[str, dict[str, dict[str, str]]]
    for i, (track, _s, _d) in enumerate(layout):
        assets[kinds[track]][f"a{i}"] = {"file": "x"}
    snapshot = snapshot_of(clips, assets)
    lo, hi = sorted((a * snapshot.duration, b * snapshot.duration))
    try:
        plan = plan_render(snapshot, root, width=64, height=36, fps=fps, start=lo, end=hi, allow_missing=True)
    except RenderInputError:
        assert hi <= lo
        return
    assert plan.frames == max(1, round((min(hi, snapshot.duration) - lo) * fps))  # at least one frame
    previous = 0
    for span in plan.visuals:  # in order, disjoint, inside the output
        assert previous <= span.first_frame < span.end_frame <= plan.frames
        previous = span.end_frame
    for audio in plan.audio:
        assert 0 <= audio.start < audio.end <= plan.duration + 1e-9
        assert audio.media_offset >= 0
