"""Importing the web original's timelines into a real store: import → export gives the same clips, times
and parameters (over generated timelines); media beside the file is copied in, anything else becomes a
stale placeholder; paths that leave the file's folder are never read."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_editor.core.kinds import CLIP_PARAMS
from tui_editor.core.store import Store, open_store
from tui_editor.core.tutopanda import PARAM_KEYS, TRACK_FORMATS, snapshot_to_tutopanda
from tui_editor.generators.wav import write_wav
from tui_editor.lectures.media import Refused, source_beside
from tui_editor.lectures.tutopanda_import import import_tutopanda, read_tutopanda_file

FORMAT_OF = {f.key: f for f in TRACK_FORMATS}


def _param_value(key: str) -> st.SearchStrategy[Any]:
    spec = CLIP_PARAMS[PARAM_KEYS[key]]
    if spec.type == "str":  # NUL is refused on import (a test of its own below)
        return st.text(max_size=20).filter(lambda s: "\x00" not in s)
    low = spec.minimum if spec.minimum is not None else -1e6
    high = spec.maximum if spec.maximum is not None else 1e6
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


@st.composite
def clips(draw: st.DrawFn, track: str) -> list[dict[str, Any]]:
    fmt = FORMAT_OF[track]
    items = []
    for index in range(draw(st.integers(0, 5))):
        item: dict[str, Any] = {
            "id": f"{track}-{index}",
            "kind": fmt.kind,
            "name": draw(st.text(max_size=15).filter(lambda s: "\x00" not in s)),
            "startTime": draw(st.floats(0, 1e5, allow_nan=False)),
            "duration": draw(st.floats(0.001, 1e4, allow_nan=False)),
        }
        asset = draw(st.sampled_from([None, "a", "b", "c"]))
        if asset is not None:
            item[fmt.asset_key] = f"{track}-asset-{asset}"
        for key in draw(st.lists(st.sampled_from(list(PARAM_KEYS)), unique=True, max_size=4)):
            item[key] = draw(_param_value(key))
        items.append(item)
    return items


@st.composite
def timelines(draw: st.DrawFn) -> dict[str, Any]:
    tracks = {track: draw(clips(track)) for track in FORMAT_OF}
    ends = [c["startTime"] + c["duration"] for items in tracks.values() for c in items]
    return {
        "id": "t",
        "name": draw(st.text(min_size=1, max_size=20).filter(lambda s: s.strip() and "\x00" not in s)),
        "duration": max(ends, default=0.0),
        "tracks": {**tracks, "soundEffects": []},
    }


def _comparable(document: dict[str, Any]) -> dict[str, Any]:
    """Each track's clips without ids, in a fixed order, and which clips share an asset."""
    result: dict[str, Any] = {"name": document["name"].strip(), "duration": document["duration"]}
    for track, fmt in FORMAT_OF.items():
        items = document["tracks"][track]
        rows = [
            (json.dumps({k: v for k, v in c.items() if k not in ("id", fmt.asset_key)}, sort_keys=True), c)
            for c in items
        ]
        result[track] = sorted(row for row, _ in rows)
        groups: dict[Any, list[str]] = {}
        for row, clip in rows:
            groups.setdefault(clip.get(fmt.asset_key) or ("own", clip["id"]), []).append(row)
        result[f"{track}-sharing"] = sorted(sorted(group) for group in groups.values())
    result["soundEffects"] = document["tracks"]["soundEffects"]
    return result


def _import(store: Store, settings: Any, path: Path, document: dict[str, Any]) -> Any:
    path.write_text(json.dumps(document), encoding="utf-8")
    return import_tutopanda(store, settings, read_tutopanda_file(path))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(timelines())
def test_import_then_export_gives_the_same_clips_times_and_parameters(
    make_settings: Callable[..., Any], tmp_path: Path, document: dict[str, Any]
) -> None:
    settings_ = make_settings()
    store = open_store(settings_.database_url)
    try:
        result = _import(store, settings_, tmp_path / "timeline.json", document)
        exported = snapshot_to_tutopanda(store.load_snapshot(result.lecture_id))
    finally:
        store.close()
    assert _comparable(exported) == _comparable(document)


def _png(path: Path, size: tuple[int, int] = (64, 48)) -> None:
    from PIL import Image

    Image.new("RGB", size, (10, 120, 40)).save(path)


def _wav(path: Path, seconds: float) -> None:
    write_wav(path, b"\x01\x00" * int(22050 * seconds), 22050)


def _snapshot(visual_url: str, voice_url: str, music_url: str | None = None) -> dict[str, Any]:
    music: dict[str, Any] = {
        "id": "m",
        "kind": "music",
        "name": "Bed",
        "startTime": 0,
        "duration": 4,
        "volume": 0.4,
    }
    if music_url:
        music["audioUrl"] = music_url
    return {
        "revision": 2,
        "timeline": {
            "name": "Snapshot",
            "tracks": {
                "visual": {
                    "clips": [
                        {
                            "id": "v",
                            "kind": "kenBurns",
                            "name": "Pic",
                            "startTime": 0,
                            "duration": 4,
                            "imageAssetId": "i",
                            "imageUrl": visual_url,
                            "endScale": 1.3,
                        }
                    ]
                },
                "voice": {
                    "clips": [
                        {
                            "id": "n",
                            "kind": "voice",
                            "name": "Talk",
                            "startTime": 0,
                            "duration": 2,
                            "narrationAssetId": "a",
                            "audioUrl": voice_url,
                        }
                    ]
                },
                "music": {"clips": [music]},
                "soundEffects": {"clips": []},
            },
        },
        "images": [{"id": "i", "prompt": "A green field"}],
    }


def test_media_beside_the_file_is_copied_in_and_the_rest_become_stale_placeholders(
    make_settings: Callable[..., Any], tmp_path: Path, data_dir: Path, db_url: str
) -> None:
    folder = tmp_path / "export"
    (folder / "media").mkdir(parents=True)
    _png(folder / "media" / "field.png", (160, 90))
    _wav(folder / "media" / "talk.mp3", 1.5)  # a WAV under a wrong name: its bytes decide
    settings_ = make_settings(db_url)
    store = open_store(settings_.database_url)
    result = _import(store, settings_, folder / "snap.json", _snapshot("media/field.png", "media/talk.mp3"))
    snapshot = store.load_snapshot(result.lecture_id)
    visual, voice, music = (snapshot.track(t)[0] for t in ("visual", "voice", "music"))
    picture, speech, bed = (snapshot.asset_for(c) for c in (visual, voice, music))
    assert picture is not None and speech is not None and bed is not None
    assert (picture["width"], picture["height"], picture["aspect_ratio"]) == (160, 90, "16:9")
    assert picture["prompt"] == "A green field" and picture["file"].endswith(".png")
    assert (data_dir / picture["file"]).read_bytes() == (folder / "media" / "field.png").read_bytes()
    assert speech["file"].endswith(".wav") and speech["duration_s"] == pytest.approx(1.5)
    assert not visual.stale and not voice.stale and visual.params == {"end_scale": 1.3}
    assert bed["file"] == "" and bed["duration_s"] == 4.0 and music.params == {"volume": 0.4}
    assert music.stale == ("imported without media: regenerate it",)
    assert any("batch --stale" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ("https://example.com/a.png", "URL"),
        ("/etc/passwd", "absolute"),
        ("../outside.png", "leaving"),
        ("media/../../outside.png", "leaving"),
        ("media/link.png", "link"),
        ("media/missing.png", "not found"),
        ("media/text.png", "not an image"),
        ("C:\\\\x.png", "absolute"),
    ],
)
def test_media_that_cannot_be_used_is_never_read_and_becomes_a_placeholder(
    make_settings: Callable[..., Any], tmp_path: Path, data_dir: Path, ref: str, reason: str
) -> None:
    folder = tmp_path / "export"
    (folder / "media").mkdir(parents=True)
    _png(tmp_path / "outside.png")
    os.symlink(tmp_path / "outside.png", folder / "media" / "link.png")
    (folder / "media" / "text.png").write_text("not an image", encoding="utf-8")
    settings_ = make_settings()
    store = open_store(settings_.database_url)
    result = _import(store, settings_, folder / "snap.json", _snapshot(ref, "media/none.wav"))
    snapshot = store.load_snapshot(result.lecture_id)
    visual = snapshot.track("visual")[0]
    assert len(visual.stale) == 1 and reason in visual.stale[0], visual.stale
    asset = snapshot.asset_for(visual)
    assert asset is not None and asset["file"] == "" and asset["prompt"] == "A green field"
    copied = [p for p in data_dir.rglob("*") if p.is_file() and p.suffix == ".png"]
    assert copied == []


def test_source_beside_accepts_only_files_inside_the_folder(tmp_path: Path) -> None:
    document = tmp_path / "doc.json"
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ok.wav").write_bytes(b"x")
    assert source_beside(document, "sub/ok.wav") == tmp_path / "sub" / "ok.wav"
    assert source_beside(document, "./sub/ok.wav") == tmp_path / "sub" / "ok.wav"
    for bad in ("", "sub", "\x00", "file:///etc/passwd", "sub/../sub/ok.wav", 5, None):
        assert isinstance(source_beside(document, bad), Refused), bad


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_no_reference_ever_escapes_the_folder(ref: str) -> None:
    base = Path("/nonexistent-base-folder/sub")
    found = source_beside(base / "doc.json", ref)
    assert isinstance(found, Refused)  # nothing exists there; and nothing outside is ever returned


def test_a_failed_create_removes_the_copied_files(
    make_settings: Callable[..., Any], tmp_path: Path, data_dir: Path
) -> None:
    folder = tmp_path / "export"
    (folder / "media").mkdir(parents=True)
    _png(folder / "media" / "field.png")
    settings_ = make_settings()
    store = open_store(settings_.database_url)
    with store.write() as conn:  # the database refuses the lecture: create_lecture fails after the copy
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse_lectures BEFORE INSERT ON lecture BEGIN SELECT RAISE(ABORT, 'full'); END"
        )
    try:
        with pytest.raises(Exception, match="full"):  # noqa: PT011 - whatever the store raises
            _import(store, settings_, folder / "snap.json", _snapshot("media/field.png", "x.wav"))
    finally:
        store.close()
    assert not [p for p in data_dir.rglob("*") if p.is_file() and p.suffix == ".png"]


TEXTS = st.text(st.characters(max_codepoint=0x10FFFF, exclude_categories=()), max_size=8)
VALUES = (
    st.none()
    | st.booleans()
    | st.integers(-3, 10**6)
    | st.floats()
    | TEXTS
    | st.lists(st.integers(), max_size=2)
)
CLIP_FIELDS = [
    "id",
    "kind",
    "name",
    "startTime",
    "duration",
    "imageAssetId",
    "imageUrl",
    "audioUrl",
    *PARAM_KEYS,
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(["visual", "voice", "music", "soundEffects"]),
    st.sampled_from(CLIP_FIELDS),
    VALUES,
    st.sampled_from(["name", "duration", "id", None]),
    VALUES,
)
def test_any_damaged_timeline_imports_cleanly_or_is_one_clear_error(
    make_settings: Callable[..., Any],
    tmp_path: Path,
    track: str,
    field: str,
    value: Any,
    top: str | None,
    top_value: Any,
) -> None:
    from tui_editor.core.errors import BadInputError

    clip: dict[str, Any] = {"id": "c", "name": "Clip", "startTime": 0, "duration": 2}
    clip[field] = value
    document: dict[str, Any] = {"name": "Fuzz", "tracks": {track: [clip]}}
    if top is not None:
        document[top] = top_value
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(document, ensure_ascii=True), encoding="utf-8")  # lone surrogates as \ud800
    settings_ = make_settings()
    store = open_store(settings_.database_url)
    try:
        try:
            result = import_tutopanda(store, settings_, read_tutopanda_file(path))
        except BadInputError as exc:
            assert exc.message.startswith(f"{path}: ") and "\n" not in exc.message
            return
        snapshot_to_tutopanda(store.load_snapshot(result.lecture_id))
    finally:
        store.close()
