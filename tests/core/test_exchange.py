"""Lecture import/export: every bad input names its problem; export → import gives the same lecture."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.factories import EXPORT_KEYS, lecture_doc, write_seed_media
from tui_editor.core.errors import BadInputError
from tui_editor.core.exchange import read_lecture_file, validate_lecture
from tui_editor.core.store import open_store

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    """A mutation that sets `value` at a dotted path such as `timeline.visual.0.start`."""

    def apply(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return apply


def _drop(path: str) -> Mutation:
    def apply(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[last]

    return apply


def _duplicate_asset(doc: dict[str, Any]) -> None:
    doc["visuals"].append(dict(doc["visuals"][0], prompt="Another"))


def _duplicate_clip(doc: dict[str, Any]) -> None:
    doc["timeline"]["voice"][0]["id"] = "clip_v0"


# (case id, mutation, words the message must contain)
BAD_DOCUMENTS: list[tuple[str, Mutation, tuple[str, ...]]] = [
    ("missing title", _drop("title"), ("title",)),
    ("blank title", _set("title", "   "), ("title",)),
    ("title not text", _set("title", 42), ("title",)),
    ("summary not text", _set("summary", ["x"]), ("summary",)),
    ("assets not a list", _set("visuals", {"id": "vis_0"}), ("visuals", "list")),
    ("asset not an object", _set("narration.0", "nar_0"), ("narration[0]", "object")),
    ("asset without id", _drop("music.0.id"), ("music[0].id",)),
    ("asset without prompt", _drop("visuals.1.prompt"), ("visuals[1].prompt",)),
    ("asset without model", _drop("narration.0.model"), ("narration[0].model",)),
    ("unknown asset field", _set("visuals.0.colour", "red"), ("visuals[0]", "colour")),
    ("width not a number", _set("visuals.0.width", "wide"), ("visuals[0].width",)),
    ("bpm is a boolean", _set("music.0.bpm", True), ("music[0].bpm",)),
    ("bpm not whole", _set("music.0.bpm", 100.5), ("music[0].bpm",)),
    ("script not text", _set("narration.1.script", 7), ("narration[1].script",)),
    ("bad aspect ratio", _set("visuals.0.aspect_ratio", "5:4"), ("visuals[0].aspect_ratio", "5:4")),
    ("bad music key", _set("music.0.key", "H major"), ("music[0].key", "H major")),
    ("NaN duration_s", _set("narration.0.duration_s", float("nan")), ("narration[0].duration_s", "finite")),
    ("bad updated_at", _set("visuals.0.updated_at", "last tuesday"), ("visuals[0].updated_at", "ISO")),
    ("duplicate asset id", _duplicate_asset, ("visuals[2].id", "duplicate", "vis_0")),
    ("no timeline", _drop("timeline"), ("timeline",)),
    ("timeline not an object", _set("timeline", []), ("timeline",)),
    ("unknown track", _set("timeline.subtitles", []), ("unknown track", "subtitles")),
    ("track not a list", _set("timeline.voice", {}), ("timeline.voice", "list")),
    ("clip not an object", _set("timeline.music.0", 3), ("timeline.music[0]", "object")),
    ("clip without id", _drop("timeline.visual.0.id"), ("timeline.visual[0].id",)),
    ("clip without name", _drop("timeline.voice.1.name"), ("timeline.voice[1].name",)),
    ("duplicate clip id", _duplicate_clip, ("timeline.voice[0].id", "duplicate", "clip_v0")),
    ("clip to a missing asset", _set("timeline.visual.1.asset_id", "vis_9"), ("timeline.visual[1]", "vis_9")),
    (
        "clip to an asset of another kind",
        _set("timeline.visual.0.asset_id", "nar_0"),
        ("timeline.visual[0].asset_id", "visual", "nar_0"),
    ),
    (
        "music clip to a visual asset",
        _set("timeline.music.0.asset_id", "vis_0"),
        ("timeline.music[0].asset_id", "music", "vis_0"),
    ),
    ("start not a number", _set("timeline.visual.0.start", "0"), ("timeline.visual[0].start", "number")),
    ("start is a boolean", _set("timeline.visual.0.start", False), ("timeline.visual[0].start",)),
    ("negative start", _set("timeline.voice.1.start", -1.5), ("timeline.voice[1].start",)),
    ("NaN start", _set("timeline.visual.0.start", float("nan")), ("timeline.visual[0].start", "finite")),
    ("infinite duration", _set("timeline.music.0.duration", float("inf")), ("timeline.music[0].duration",)),
    ("negative duration", _set("timeline.visual.1.duration", -5), ("timeline.visual[1].duration",)),
    ("stale not a list", _set("timeline.visual.0.stale", "old"), ("timeline.visual[0].stale",)),
    ("stale reason not text", _set("timeline.visual.0.stale", [3]), ("timeline.visual[0].stale",)),
    ("params not an object", _set("timeline.music.0.params", [1]), ("timeline.music[0].params",)),
    (
        "unknown clip parameter",
        _set("timeline.music.0.params", {"speed": 2}),
        ("timeline.music[0].params", "speed"),
    ),
    (
        "volume out of range",
        _set("timeline.music.0.params", {"volume": 1e308}),
        ("timeline.music[0].params.volume",),
    ),
    (
        "volume not a number",
        _set("timeline.music.0.params", {"volume": "loud"}),
        ("timeline.music[0].params.volume", "number"),
    ),
]


@pytest.mark.parametrize(("mutate", "words"), [pytest.param(m, w, id=name) for name, m, w in BAD_DOCUMENTS])
def test_validate_lecture_names_the_problem(mutate: Mutation, words: tuple[str, ...]) -> None:
    doc = lecture_doc()
    mutate(doc)
    with pytest.raises(BadInputError) as info:
        validate_lecture(doc)
    message = info.value.message
    assert "\n" not in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert info.value.exit_code == 2


@pytest.mark.parametrize("data", [None, [], "lecture", 3, [lecture_doc()]], ids=repr)
def test_validate_lecture_wants_one_object(data: Any) -> None:
    with pytest.raises(BadInputError, match="one JSON object"):
        validate_lecture(data)


def test_validate_lecture_returns_the_clean_document() -> None:
    doc = lecture_doc()
    doc["visuals"][0]["updated_at"] = "2024-01-02T03:04:05+00:00"
    before = copy.deepcopy(doc)
    clean = validate_lecture(doc)
    assert clean["title"] == "Test lecture" and clean["summary"] == "A lecture for tests"
    assert [a["id"] for a in clean["assets"]["visual"]] == ["vis_0", "vis_1"]
    assert clean["assets"]["visual"][0]["updated_at"].isoformat() == "2024-01-02T03:04:05+00:00"
    assert [(c["id"], c["track"], c["asset_id"]) for c in clean["clips"]] == [
        ("clip_v0", "visual", "vis_0"),
        ("clip_v1", "visual", "vis_1"),
        ("clip_n0", "voice", "nar_0"),
        ("clip_n1", "voice", "nar_1"),
        ("clip_m0", "music", "mus_0"),
    ]
    assert all(isinstance(c["start"], float) for c in clean["clips"])
    # The input is not modified.
    assert doc == before


# --- files ---------------------------------------------------------------------------------------


def _write(tmp_path: Path, content: str | bytes, name: str = "lecture.json") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "words"),
    [
        pytest.param("{ not json", ("not valid JSON", "line 1"), id="not JSON"),
        pytest.param("", ("not valid JSON",), id="empty"),
        pytest.param('{"title": "x",}', ("not valid JSON",), id="trailing comma"),
        pytest.param("[1, 2]", ("one JSON object",), id="a list"),
        pytest.param('"lecture"', ("one JSON object",), id="a string"),
        pytest.param("null", ("one JSON object",), id="null"),
        pytest.param(b"\xff\xfe{\x00}\x00", ("UTF-8",), id="UTF-16"),
        pytest.param(b'{"title": "caf\xe9"}', ("UTF-8",), id="latin-1"),
        pytest.param("[" * 100_000, ("not valid JSON",), id="nested too deep"),
        pytest.param('{"title": ' + "9" * 5000 + "}", ("not valid JSON",), id="integer too long"),
    ],
)
def test_read_lecture_file_names_the_file_and_the_problem(
    tmp_path: Path, content: str | bytes, words: tuple[str, ...]
) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(BadInputError) as info:
        read_lecture_file(path)
    message = info.value.message
    assert message.startswith(f"{path}: "), message
    assert "\n" not in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_read_lecture_file_reports_nan_in_a_json_file(tmp_path: Path) -> None:
    text = json.dumps(lecture_doc()).replace('"start": 0.0', '"start": NaN', 1)
    assert "NaN" in text
    with pytest.raises(BadInputError, match=r"timeline\.visual\[0\]\.start: must be a finite number"):
        read_lecture_file(_write(tmp_path, text))


def test_read_lecture_file_missing_or_a_directory(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="no such file") as info:
        read_lecture_file(tmp_path / "nope.json")
    assert str(tmp_path / "nope.json") in info.value.message
    with pytest.raises(BadInputError, match="is a directory"):
        read_lecture_file(tmp_path)


def test_read_lecture_file_prefixes_validation_errors_with_the_file(tmp_path: Path) -> None:
    doc = lecture_doc()
    doc["timeline"]["voice"][0]["asset_id"] = "vis_0"
    path = _write(tmp_path, json.dumps(doc))
    with pytest.raises(BadInputError) as info:
        read_lecture_file(path)
    assert info.value.message == (
        f"{path}: timeline.voice[0].asset_id: no narration asset with id 'vis_0' in the file"
    )


def test_read_lecture_file_accepts_a_good_file(tmp_path: Path) -> None:
    path = _write(tmp_path, json.dumps(lecture_doc(title="Gut")))
    assert read_lecture_file(path) == validate_lecture(lecture_doc(title="Gut"))


# --- round trip ----------------------------------------------------------------------------------


def _without_ids(export: dict[str, Any]) -> dict[str, Any]:
    """An export with ids replaced by positions (clip → asset links kept), and lecture id/time dropped."""
    data = copy.deepcopy(export)
    for key in ("id", "updated_at", "revision"):
        data.pop(key)
    names: dict[str, str] = {}
    for key in ("visuals", "narration", "music"):
        for index, asset in enumerate(data[key]):
            names[asset["id"]] = f"{key}#{index}"
            asset["id"] = names[asset["id"]]
    for track, clips in data["timeline"].items():
        for index, clip in enumerate(clips):
            clip["id"] = f"{track}#{index}"
            clip["asset_id"] = names[clip["asset_id"]]
    return data


def test_export_then_import_gives_an_equal_lecture(db_url: str, data_dir: Path, tmp_path: Path) -> None:
    doc = lecture_doc(title="Round trip ✓", visuals=3)
    doc["summary"] = "Unicode — “quotes” and emoji 🌱"
    doc["timeline"]["visual"][2]["asset_id"] = "vis_0"  # a shared asset
    doc["visuals"].pop(2)  # …and no orphan
    doc["narration"][1]["updated_at"] = "2023-07-08T09:10:11.123456+00:00"
    doc["timeline"]["visual"][0]["stale"] = ["narration changed at rev 3"]
    doc["timeline"]["music"][0]["params"] = {"volume": 0.4, "fade_in_s": 1.5, "effect": "fade"}
    write_seed_media(doc, data_dir)
    store = open_store(db_url)
    try:
        original_id = store.create_lecture(validate_lecture(doc))
        store.commit_asset(
            lecture_id=original_id,
            kind="music",
            asset_id=store.load_snapshot(original_id).track("music")[0].asset_id,
            fields={"bpm": 133, "key": "F# minor"},
            base_revision=1,
            source="edit",
        )
        exported = store.export_lecture(original_id)
        assert exported["revision"] == 2
        path = tmp_path / "export.json"
        path.write_text(json.dumps(exported, ensure_ascii=False), encoding="utf-8")

        copy_id = store.create_lecture(read_lecture_file(path))
        assert copy_id != original_id
        again = store.export_lecture(copy_id)
    finally:
        store.close()

    assert again["revision"] == 1
    assert _without_ids(again) == _without_ids(exported)
    # Clip state (why it is stale, its presentation parameters) travels with the clip.
    assert again["timeline"]["visual"][0]["stale"] == ["narration changed at rev 3"]
    assert again["timeline"]["music"][0]["params"] == {"volume": 0.4, "fade_in_s": 1.5, "effect": "fade"}
    assert "stale" not in again["timeline"]["visual"][1] and "params" not in again["timeline"]["voice"][0]
    # Asset times survive the trip (they are what preview caches are keyed by).
    assert [a["updated_at"] for a in again["narration"]] == [a["updated_at"] for a in exported["narration"]]
    assert exported["narration"][1]["updated_at"] == "2023-07-08T09:10:11.123456+00:00"
    # New ids everywhere; the shared asset is still shared.
    assert not {a["id"] for a in again["visuals"]} & {a["id"] for a in exported["visuals"]}
    assert again["timeline"]["visual"][0]["asset_id"] == again["timeline"]["visual"][2]["asset_id"]
    assert set(exported) == EXPORT_KEYS
    assert set(exported["timeline"]) == {"visual", "voice", "music"}
    assert set(exported["timeline"]["voice"][0]) == {"id", "name", "start", "duration", "asset_id"}
