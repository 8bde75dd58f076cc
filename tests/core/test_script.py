"""Lecture scripts: both formats read, every bad script names its problem, and the lecture a script makes
is laid out from its narrations (exact narration clips, aligned visuals, music over its runs, no overlap)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_editor.core.errors import BadInputError
from tui_editor.core.script import (
    MAX_MUSIC_S,
    PLAIN_MUSIC_CUE,
    LectureScript,
    Segment,
    estimate_seconds,
    parse_script,
    plan_lecture,
    read_script_file,
    script_from_json,
    spoken_text,
    visual_prompt,
)

MODELS = {"visual": "local/pillow", "narration": "local/espeak", "music": "local/synth"}


def segment(narration: str = "Plants use light.", music: str = "calm", fmt: str = "image") -> dict[str, Any]:
    return {"narration": narration, "backgroundMusic": music, "effect": "chime", "suggestedFormat": fmt}


def test_the_web_originals_script_is_read_and_extra_keys_are_ignored() -> None:
    data = {
        "detailedSummary": "All about leaves.",
        "segments": [segment("One.", fmt="map") | {"extra": [1, 2]}, segment("Two.")],
        "somethingElse": True,
    }
    script = script_from_json(data, default_title="leaves")
    assert script.title == "leaves" and script.summary == "All about leaves."
    assert [s.narration for s in script.segments] == ["One.", "Two."]
    assert script.segments[0].format == "map" and script.segments[0].music == "calm"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ([], ("object",)),
        ({"detailedSummary": "x"}, ("segments",)),
        ({"segments": []}, ("no segments",)),
        ({"segments": "abc"}, ("segments", "list")),
        ({"segments": [segment(), 7]}, ("segment 2", "object")),
        (
            {"segments": [segment(), {"narration": "x", "effect": "", "suggestedFormat": "image"}]},
            ("segment 2", "backgroundMusic"),
        ),
        (
            {
                "segments": [
                    segment(),
                    segment(),
                    {"backgroundMusic": "", "effect": "", "suggestedFormat": ""},
                ]
            },
            ("segment 3", "narration"),
        ),
        ({"segments": [segment(narration="   ")]}, ("segment 1", "narration", "empty")),
        ({"segments": [segment(music=None)]}, ("segment 1", "backgroundMusic", "text")),  # type: ignore[arg-type]
        ({"segments": [segment()], "detailedSummary": 3}, ("detailedSummary",)),
    ],
)
def test_a_bad_json_script_names_the_segment_and_the_key(data: Any, words: Sequence[str]) -> None:
    with pytest.raises(BadInputError) as caught:
        script_from_json(data, default_title="t")
    for word in words:
        assert word in caught.value.message


def test_a_markdown_script_takes_its_title_and_one_paragraph_a_segment() -> None:
    text = (
        "# Photosynthesis\n\nLight reaches the leaf.\nIt is absorbed.\n\n## Part two\n\nSugar is made.\n\n\n"
    )
    script = parse_script(text, default_title="file")
    assert script.title == "Photosynthesis"
    assert [s.narration for s in script.segments] == [
        "Light reaches the leaf. It is absorbed.",
        "Sugar is made.",
    ]
    assert {s.music for s in script.segments} == {PLAIN_MUSIC_CUE}


def test_a_plain_script_without_a_title_uses_the_default_and_an_empty_one_is_refused() -> None:
    assert parse_script("Just one paragraph.", default_title="notes").title == "notes"
    with pytest.raises(BadInputError, match="no paragraphs"):
        parse_script("# Only a title\n\n   \n", default_title="x")


def test_read_script_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "my-talk.json"
    path.write_text(json.dumps({"segments": [segment(), {"narration": "x"}]}), encoding="utf-8")
    with pytest.raises(BadInputError) as caught:
        read_script_file(path)
    assert caught.value.message.startswith(f"{path}: segment 2: missing")
    with pytest.raises(BadInputError, match="no such file"):
        read_script_file(tmp_path / "missing.md")
    (tmp_path / "talk.md").write_text("Hello there.", encoding="utf-8")
    assert read_script_file(tmp_path / "talk.md").title == "talk"
    assert read_script_file(tmp_path / "talk.md", title="Mine").title == "Mine"
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(BadInputError, match="UTF-8"):
        read_script_file(tmp_path / "bad.txt")


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "segments",
                        "narration",
                        "backgroundMusic",
                        "effect",
                        "suggestedFormat",
                        "detailedSummary",
                        "x",
                    ]
                ),
                inner,
                max_size=5,
            )
        ),
        max_leaves=20,
    )
)
def test_any_json_is_a_script_or_one_clear_error(data: Any) -> None:
    try:
        script = script_from_json(data, default_title="t")
    except BadInputError as exc:
        assert exc.message and "\n" not in exc.message
    else:
        assert script.segments and all(s.narration for s in script.segments)


def test_the_visual_prompt_says_the_format_and_the_narration() -> None:
    assert visual_prompt(Segment("A river delta.", format="map")) == "A map for a lecture: A river delta."
    assert visual_prompt(Segment("x")).startswith("An illustration for a lecture")
    long = visual_prompt(Segment("word " * 500))
    assert len(long) < 500 and long.endswith("…")


def _script(cues: Sequence[str]) -> LectureScript:
    return LectureScript(
        "T", "", tuple(Segment(f"Segment {i} words here.", music=c) for i, c in enumerate(cues))
    )


def _overlaps(clips: list[dict[str, Any]]) -> bool:
    ordered = sorted(clips, key=lambda c: c["start"])
    return any(a["start"] + a["duration"] > b["start"] for a, b in pairwise(ordered))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(["", "calm", "upbeat"]), st.floats(0.05, 400, allow_nan=False)),
        min_size=1,
        max_size=12,
    )
)
def test_the_plan_follows_the_narrations(segments: list[tuple[str, float]]) -> None:
    cues = [cue for cue, _ in segments]
    durations = [duration for _, duration in segments]
    plan = plan_lecture(_script(cues), durations, MODELS)
    clips = plan.lecture["clips"]
    by_track = {track: [c for c in clips if c["track"] == track] for track in ("visual", "voice", "music")}
    for track in by_track.values():
        assert not _overlaps(track)
    voice = sorted(by_track["voice"], key=lambda c: c["start"])
    visual = sorted(by_track["visual"], key=lambda c: c["start"])
    assert [c["duration"] for c in voice] == durations  # exactly as long as the audio
    assert [(c["start"], c["duration"]) for c in visual] == [(c["start"], c["duration"]) for c in voice]
    assert voice[0]["start"] == 0
    for a, b in pairwise(voice):
        assert b["start"] == pytest.approx(a["start"] + a["duration"])
    # Music covers exactly the segments that have a cue, one clip per run (split only past the maximum).
    covered = sum(c["duration"] for c in by_track["music"])
    assert covered == pytest.approx(sum(d for cue, d in segments if cue))
    assert all(c["duration"] <= MAX_MUSIC_S + 1e-6 for c in by_track["music"])
    runs = sum(1 for i, cue in enumerate(cues) if cue and (i == 0 or cues[i - 1] != cue))
    assert len(by_track["music"]) >= runs
    if all(d * len(durations) <= MAX_MUSIC_S for d in durations):
        assert len(by_track["music"]) == runs
    # Every clip names an asset of its kind in the plan, and every asset is a job.
    assets = plan.lecture["assets"]
    ids = {kind: {a["id"] for a in items} for kind, items in assets.items()}
    kind_of = {"visual": "visual", "voice": "narration", "music": "music"}
    assert all(c["asset_id"] in ids[kind_of[c["track"]]] for c in clips)
    assert len(plan.jobs) == sum(len(items) for items in assets.values())


def test_consecutive_segments_with_one_cue_share_one_music_clip() -> None:
    plan = plan_lecture(_script(["calm", "calm", "upbeat", "calm"]), [2.0, 3.0, 4.0, 5.0], MODELS)
    music = sorted((c for c in plan.lecture["clips"] if c["track"] == "music"), key=lambda c: c["start"])
    assert [(c["start"], c["duration"]) for c in music] == [(0.0, 5.0), (5.0, 4.0), (9.0, 5.0)]
    assert [a["prompt"] for a in plan.lecture["assets"]["music"]] == ["calm", "upbeat", "calm"]


def test_without_durations_the_plan_is_estimated_from_the_words() -> None:
    plan = plan_lecture(_script(["calm"]), None, MODELS)
    voice = next(c for c in plan.lecture["clips"] if c["track"] == "voice")
    assert voice["duration"] == estimate_seconds("Segment 0 words here.") == 1.6
    plan.mark_stale("because")
    assert all(c["stale"] == ["because"] for c in plan.lecture["clips"])


@pytest.mark.parametrize(
    ("line", "spoken"),
    [
        ("- a **bold** point", "a bold point"),
        ("1. first _item_ here", "first item here"),
        ("> quoted `code` here", "quoted code here"),
        ("See [the docs](https://example.com) now", "See the docs now"),
        ("![a diagram](figure.png)", ""),
        ("snake_case_name stays", "snake_case_name stays"),
        ("2 * 3 * 4 = 24", "2 * 3 * 4 = 24"),
    ],
)
def test_markdown_marks_are_not_spoken(line: str, spoken: str) -> None:
    assert spoken_text(line) == spoken


def test_a_paragraph_of_only_an_image_is_no_segment() -> None:
    script = parse_script("# T\n\n![figure](a.png)\n\n- One *point*.\n- Two.\n", default_title="x")
    assert [s.narration for s in script.segments] == ["One point. Two."]
