"""The web original's timeline files: both shapes read, parameters kept, every malformed document one
clear error naming where (fuzzed)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_editor.core.errors import BadInputError
from tui_editor.core.tutopanda import PARAM_KEYS, parse_tutopanda


def timeline() -> dict[str, Any]:
    return {
        "id": "tl-1",
        "name": "Volcanoes",
        "duration": 12,
        "tracks": {
            "visual": [
                {
                    "id": "v1",
                    "kind": "kenBurns",
                    "name": "Crater",
                    "startTime": 0,
                    "duration": 6,
                    "imageAssetId": "img-1",
                    "startScale": 1,
                    "endScale": 1.2,
                    "startX": 0,
                    "startY": 0,
                    "endX": -10,
                    "endY": 5,
                },
                {
                    "id": "v2",
                    "kind": "kenBurns",
                    "name": "Lava",
                    "startTime": 6,
                    "duration": 6,
                    "imageAssetId": "img-1",
                },
            ],
            "voice": [
                {
                    "id": "n1",
                    "kind": "voice",
                    "name": "Intro",
                    "startTime": 0,
                    "duration": 5.5,
                    "narrationAssetId": "nar-1",
                    "volume": 1,
                }
            ],
            "music": [
                {
                    "id": "m1",
                    "kind": "music",
                    "name": "Bed",
                    "startTime": 0,
                    "duration": 12,
                    "musicAssetId": "mus-1",
                    "volume": 0.3,
                    "fadeInDuration": 1,
                    "fadeOutDuration": 2.5,
                }
            ],
            "soundEffects": [{"id": "s1", "kind": "soundFx", "name": "Boom", "startTime": 3, "duration": 1}],
        },
    }


def test_a_timeline_keeps_times_names_parameters_and_shared_assets() -> None:
    parsed = parse_tutopanda(timeline())
    assert parsed.title == "Volcanoes" and parsed.revision is None
    by_id = {c["source_id"]: c for c in parsed.clips}
    assert set(by_id) == {"v1", "v2", "n1", "m1"}  # the sound effect is left out, with a warning
    assert "1 sound-effect clip" in parsed.warnings[0]
    assert by_id["v1"]["params"] == {
        "start_scale": 1.0,
        "end_scale": 1.2,
        "start_x": 0.0,
        "start_y": 0.0,
        "end_x": -10.0,
        "end_y": 5.0,
    }
    assert by_id["m1"]["params"] == {"volume": 0.3, "fade_in_s": 1.0, "fade_out_s": 2.5}
    assert by_id["v1"]["asset"] == by_id["v2"]["asset"]  # one image, two clips
    assert (by_id["n1"]["start"], by_id["n1"]["duration"], by_id["n1"]["name"]) == (0.0, 5.5, "Intro")


def test_a_snapshot_reads_clips_under_tracks_and_their_media_paths() -> None:
    source = timeline()
    tracks = source["tracks"]
    tracks["visual"][0]["imageUrl"] = "media/crater.png"
    tracks["voice"][0]["audioUrl"] = "media/intro.wav"
    snapshot = {
        "revision": 7,
        "timeline": {**source, "tracks": {key: {"clips": clips} for key, clips in tracks.items()}},
        "images": [{"id": "img-1", "prompt": "A glowing crater"}, "junk"],
        "narration": [{"id": "nar-1", "finalScript": "Volcanoes are vents."}],
    }
    parsed = parse_tutopanda(snapshot)
    assert parsed.revision == 7 and len(parsed.clips) == 4
    assets = {a.track: a for a in parsed.assets.values()}
    assert assets["visual"].media == "media/crater.png" and assets["visual"].text == "A glowing crater"
    assert assets["voice"].media == "media/intro.wav" and assets["voice"].text == "Volcanoes are vents."
    assert assets["music"].media is None


def _at(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    *parents, last = path.split(".")
    node: Any = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is KeyError:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        ("tracks", [], ("tracks",)),
        ("tracks.sparkles", [], ("unknown track", "sparkles")),
        ("tracks.visual", "x", ("tracks.visual", "list")),
        ("tracks.visual.0", 3, ("tracks.visual[0]", "object")),
        ("tracks.visual.0.id", KeyError, ("tracks.visual[0].id",)),
        ("tracks.voice.0.id", "v1", ("tracks.voice[0].id", "duplicate")),
        ("tracks.visual.1.kind", "voice", ("tracks.visual[1].kind", "kenBurns")),
        ("tracks.visual.0.startTime", -1, ("tracks.visual[0].startTime", "at least 0")),
        ("tracks.visual.0.startTime", "0", ("tracks.visual[0].startTime", "number")),
        ("tracks.visual.0.duration", 0, ("tracks.visual[0].duration", "greater than 0")),
        ("tracks.music.0.volume", True, ("tracks.music[0].volume", "number")),
        ("tracks.music.0.volume", 11, ("tracks.music[0].volume", "between")),
        ("tracks.visual.0.endScale", 0, ("tracks.visual[0].endScale",)),
        ("tracks.music.0.fadeInDuration", -2, ("tracks.music[0].fadeInDuration",)),
        ("tracks.voice.0.name", None, ("tracks.voice[0].name", "text")),
        ("tracks.voice.0.narrationAssetId", 5, ("tracks.voice[0].narrationAssetId",)),
        ("tracks.soundEffects.0.startTime", None, ("tracks.soundEffects[0].startTime",)),
        ("duration", "long", ("duration",)),
        ("name", ["x"], ("name",)),
    ],
)
def test_a_malformed_timeline_names_the_problem(path: str, value: Any, words: tuple[str, ...]) -> None:
    with pytest.raises(BadInputError) as caught:
        parse_tutopanda(_at(timeline(), path, value))
    for word in words:
        assert word in caught.value.message


JSON_SCALARS = (
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=True) | st.text(max_size=6)
)
CLIP_KEYS = ["id", "kind", "name", "startTime", "duration", "imageAssetId", "imageUrl", *PARAM_KEYS]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["tracks.visual.0", "tracks.voice.0", "tracks.music.0", "tracks", "tracks.visual.1", ""]),
    st.sampled_from(CLIP_KEYS + ["clips", "visual", "revision"]),
    st.recursive(
        JSON_SCALARS,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
        max_leaves=6,
    ),
)
def test_any_damage_is_a_clean_result_or_one_clear_error(where: str, key: str, value: Any) -> None:
    doc = _at(timeline(), f"{where}.{key}" if where else key, value)
    try:
        parse_tutopanda(doc)
    except BadInputError as exc:
        assert exc.message and "\n" not in exc.message and len(exc.message) < 400


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        JSON_SCALARS,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    ["timeline", "tracks", "clips", "visual", "voice", "name", "revision", *CLIP_KEYS]
                ),
                inner,
                max_size=4,
            )
        ),
        max_leaves=15,
    )
)
def test_any_json_at_all_is_a_timeline_or_one_clear_error(data: Any) -> None:
    try:
        parse_tutopanda(data)
    except BadInputError as exc:
        assert exc.message and "\n" not in exc.message


def test_lone_surrogates_and_nul_characters_are_refused() -> None:
    for bad in ("\ud800", "a\x00b"):
        with pytest.raises(BadInputError, match=r"tracks\.voice\[0\]\.name"):
            parse_tutopanda(_at(timeline(), "tracks.voice.0.name", bad))


def test_times_are_bounded_so_that_every_end_is_finite() -> None:
    with pytest.raises(BadInputError, match=r"tracks\.visual\[0\]\.startTime: must be at most"):
        parse_tutopanda(_at(timeline(), "tracks.visual.0.startTime", 1e308))
    with pytest.raises(BadInputError, match=r"tracks\.music\[0\]\.duration: must be at most"):
        parse_tutopanda(_at(timeline(), "tracks.music.0.duration", 1e300))
