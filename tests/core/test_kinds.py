from __future__ import annotations

import pytest

from tui_editor.core.kinds import KINDS, MUSIC, NARRATION, VISUAL, ValidationError, get_kind, kind_for_track


def test_strings_are_asset_specific() -> None:
    assert NARRATION.generate_label == "Generate Narration"
    assert NARRATION.generating_label == "Generating…"
    assert NARRATION.review_label == "Review Narration"
    assert NARRATION.preview_title == "Preview Generated Narration"
    assert NARRATION.accept_label == "Accept & Replace Narration"
    assert NARRATION.reject_label == "Reject"
    assert VISUAL.accept_label == "Accept & Replace Visual"
    assert MUSIC.preview_title == "Preview Generated Music"


def test_tracks_map_to_kinds() -> None:
    assert kind_for_track("voice") is NARRATION
    assert kind_for_track("visual") is VISUAL and kind_for_track("music") is MUSIC
    with pytest.raises(ValidationError):
        kind_for_track("subtitles")
    with pytest.raises(ValidationError):
        get_kind("video")


def test_every_kind_has_its_default_model_in_its_catalogue() -> None:
    for kind in KINDS.values():
        choice = kind.model_choice(kind.default_model)
        assert choice is not None and choice.provider == "local"


def test_original_models_are_offered() -> None:
    assert {"bytedance/seedream-4", "google/nano-banana", "qwen/qwen-image"} <= {m.id for m in VISUAL.models}
    assert "minimax/speech-02-hd" in {m.id for m in NARRATION.models}
    assert "stability-ai/stable-audio-2.5" in {m.id for m in MUSIC.models}


@pytest.mark.parametrize(
    ("kind", "values", "message"),
    [
        (VISUAL, {"aspect_ratio": "5:4"}, "aspect_ratio"),
        (VISUAL, {"prompt": ""}, "prompt"),
        (VISUAL, {"width": 5}, "no field width"),
        (MUSIC, {"bpm": 1000}, "bpm"),
        (MUSIC, {"bpm": "fast"}, "bpm"),
        (MUSIC, {"bpm": 90.5}, "bpm"),
        (MUSIC, {"duration_s": float("nan")}, "duration_s"),
        (MUSIC, {"key": "H major"}, "key"),
        (NARRATION, {"script": 5}, "script"),
        (NARRATION, {"model": " "}, "model"),
    ],
)
def test_request_validation_names_the_field(kind, values, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match=message):
        kind.validate_request(values)


def test_request_validation_coerces_numbers() -> None:
    assert MUSIC.validate_request({"bpm": "120", "duration_s": 12}) == {"bpm": 120, "duration_s": 12.0}


def test_extract_preview_reads_the_asset_and_rejects_junk() -> None:
    asset = {"id": "n", "script": "Hi", "model": "m", "duration_s": 1.5}
    assert NARRATION.extract_preview({"asset": asset}) == asset
    assert NARRATION.extract_preview({"narration_asset": asset}) == asset
    assert NARRATION.extract_preview({"asset": {"script": "Hi", "bogus": 1}}) is None
    assert NARRATION.extract_preview(None) is None
    assert NARRATION.extract_preview({"asset": "nope"}) is None


def test_summary() -> None:
    assert NARRATION.summary({"script": "Hello\nthere", "duration_s": 2.25, "voice": "en-us"}) == (
        "Hello there [2.2s · en-us]"
    )
    assert VISUAL.summary({"prompt": "Leaf", "aspect_ratio": "16:9"}) == "Leaf [16:9]"
    assert MUSIC.summary(None) == "(no asset)"
