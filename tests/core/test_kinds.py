from __future__ import annotations

import dataclasses
import keyword
import string
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui_editor.core.kinds import (
    AUDIO,
    IMAGE,
    KINDS,
    MUSIC,
    NARRATION,
    VISUAL,
    AssetKind,
    FieldSpec,
    FieldType,
    GeneratorOption,
    ValidationError,
    get_kind,
    kind_for_track,
    request_flags,
)


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

    assert NARRATION.summary({"script": "Hi", "duration_s": 0, "voice": ""}) == "Hi [0.0s]"
    assert NARRATION.summary({"script": "Hi", "duration_s": "long", "voice": "en-gb"}) == "Hi [en-gb]"
    assert MUSIC.summary({"prompt": "Tune", "duration_s": 8.04, "bpm": 120}) == "Tune [8.0s · 120 bpm]"
    assert MUSIC.summary({"prompt": "Tune", "bpm": 0}) == "Tune"
    assert VISUAL.summary({"prompt": "Leaf", "aspect_ratio": ""}) == "Leaf"


def test_media_types() -> None:
    assert VISUAL.media is IMAGE and not IMAGE.is_audio
    assert NARRATION.media is AUDIO and MUSIC.media is AUDIO and AUDIO.is_audio
    assert IMAGE.extensions == ("png", "jpg", "webp") and AUDIO.extensions == ("wav", "mp3")


def test_defaults_are_the_fields_defaults() -> None:
    assert VISUAL.defaults == {"aspect_ratio": "16:9"}
    # An empty voice is the model's default voice (voices are named per model).
    assert NARRATION.defaults == {"voice": "", "emotion": "neutral", "language": "en"}
    assert MUSIC.defaults == {"bpm": 96, "key": "C major"}
    for kind in KINDS.values():
        assert kind.validate_request(kind.defaults) == kind.defaults


def test_every_kind_has_a_local_generator_and_every_catalogued_provider_has_one() -> None:
    for kind in KINDS.values():
        assert {choice.provider for choice in kind.models} <= set(kind.generators)
        assert "local" in kind.generators
        for factory in kind.generators.values():
            module, _, attribute = factory.path.partition(":")
            assert module.startswith("tui_editor.generators.") and attribute
            assert {spec.field for spec in factory.inputs} <= set(kind.editable_names)
    assert "openai" not in MUSIC.generators


def test_generator_options_fill_empty_fields_and_pass_the_rest_as_extras() -> None:
    # The configured voice reaches the generator as an extra: it applies only to models that have it.
    assert NARRATION.apply_generator_options({"script": "Hi"}, {"voice": "de", "rate": 200}) == (
        {"script": "Hi"},
        {"voice": "de", "rate": 200},
    )
    assert NARRATION.apply_generator_options({"voice": "fr", "script": "Hi"}, {}) == (
        {"voice": "fr", "script": "Hi"},
        {"voice": "", "rate": 165},
    )
    filling = dataclasses.replace(
        NARRATION, generator_options=(GeneratorOption(NARRATION.field("emotion"), request_field="emotion"),)
    )
    assert filling.apply_generator_options({"emotion": ""}, {})[0] == {"emotion": "neutral"}
    assert filling.apply_generator_options({"emotion": "calm"}, {})[0] == {"emotion": "calm"}
    assert MUSIC.apply_generator_options({"bpm": 90}, {}) == ({"bpm": 90}, {})


def test_every_narration_model_names_its_voices_and_the_default_prefers_piper() -> None:
    for choice in NARRATION.models:
        assert choice.voices, choice.id
        assert choice.default_voice == choice.voices[0]
    assert NARRATION.model_choice("local/piper").voices == ("joe",)  # type: ignore[union-attr]
    assert NARRATION.preferred_model == "local/piper" and NARRATION.default_model == "local/espeak"
    assert "tts-1: alloy" in NARRATION.field("voice").help


def test_the_regenerate_flags_of_the_real_kinds() -> None:
    flags = {flag.option: flag for flag in request_flags()}
    assert list(flags) == [
        "--prompt",
        "--model",
        "--aspect-ratio",
        "--script",
        "--voice",
        "--emotion",
        "--language",
        "--duration",
        "--bpm",
        "--key",
    ]
    assert flags["--duration"].field == "duration_s" and flags["--duration"].kinds == ("music",)
    assert flags["--duration"].metavar == "DURATION"
    assert flags["--prompt"].kinds == ("visual", "music")
    assert flags["--bpm"].type == "int" and "30–300" in flags["--bpm"].help
    assert "16:9" in flags["--aspect-ratio"].help and "(visual)" in flags["--aspect-ratio"].help
    editable = {spec.name for kind in KINDS.values() for spec in kind.editable_fields}
    assert {flag.field for flag in flags.values()} == editable


# --- the flags are derived from whatever kinds there are -------------------------------------------

_names = st.text(string.ascii_lowercase + "_", min_size=1, max_size=12).filter(
    lambda name: name[0] != "_" and not keyword.iskeyword(name)
)
_types: st.SearchStrategy[FieldType] = st.sampled_from(["text", "str", "int", "float", "choice"])


@st.composite
def _fields(draw: st.DrawFn, name: str, type_: FieldType) -> FieldSpec:
    low = draw(st.none() | st.integers(-100, 100))
    high = draw(st.none() | st.integers(101, 1000))
    choices = tuple(draw(st.lists(_names, min_size=1, max_size=4, unique=True))) if type_ == "choice" else ()
    numeric = type_ in ("int", "float")
    return FieldSpec(
        name,
        name.title(),
        type_,
        editable=draw(st.booleans()),
        choices=choices,
        minimum=low if numeric else None,
        maximum=high if numeric else None,
        help=draw(st.sampled_from(["", "what it is"])),
    )


@st.composite
def _kinds(draw: st.DrawFn) -> dict[str, AssetKind]:
    # One type per field name across kinds (a shared name is one flag); each kind picks some names.
    names = draw(st.lists(_names, min_size=1, max_size=8, unique=True))
    types = {name: draw(_types) for name in names}
    kinds: dict[str, AssetKind] = {}
    for index in range(draw(st.integers(1, 4))):
        picked = draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names), unique=True))
        fields = tuple(draw(_fields(name, types[name])) for name in picked)
        kinds[f"kind{index}"] = AssetKind(
            name=f"kind{index}",  # type: ignore[arg-type]
            track="visual",
            label=f"Kind {index}",
            fields=fields,
            media=IMAGE,
            models=(),
            default_model="",
            generators={},
            preview_key=f"kind{index}_asset",
            summary_field=fields[0].name,
        )
    return kinds


@given(_kinds())
def test_every_editable_field_of_every_kind_has_one_flag(kinds: dict[str, AssetKind]) -> None:
    flags = request_flags(kinds)
    by_field = {flag.field: flag for flag in flags}
    assert len(by_field) == len(flags) == len({flag.option for flag in flags})
    editable: dict[str, list[str]] = {}
    for kind in kinds.values():
        for spec in kind.fields:
            if spec.editable:
                editable.setdefault(spec.name, []).append(kind.name)
    assert set(by_field) == set(editable)
    for name, owners in editable.items():
        flag = by_field[name]
        spec = next(k.field(name) for k in kinds.values() if k.name == owners[0])
        assert flag.option == "--" + name.replace("_", "-")
        assert flag.kinds == tuple(owners) and flag.type == spec.type
        assert flag.help.endswith(f"({', '.join(owners)})")
        for kind_name in owners:
            limits = kinds[kind_name].field(name).limits
            assert limits in flag.help


@given(_names, _types, _types)
def test_a_field_name_with_two_types_is_refused(name: str, first: FieldType, second: FieldType) -> None:
    def kind(index: int, type_: FieldType) -> AssetKind:
        spec = FieldSpec(name, name, type_)
        return AssetKind(
            name=f"k{index}",  # type: ignore[arg-type]
            track="visual",
            label="K",
            fields=(spec,),
            media=IMAGE,
            models=(),
            default_model="",
            generators={},
            preview_key="k",
            summary_field=name,
        )

    kinds: dict[str, Any] = {"a": kind(0, first), "b": kind(1, second)}
    if first == second:
        assert [flag.field for flag in request_flags(kinds)] == [name]
    else:
        with pytest.raises(ValueError, match=name):
            request_flags(kinds)
