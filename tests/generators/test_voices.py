"""Voices are named per model: a voice the model does not have is refused, with those it has."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui_editor.core.kinds import NARRATION
from tui_editor.generators.base import GenerationError
from tui_editor.generators.voices import check_request, choose_voice

TTS_1 = ("alloy", "ash", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer")


def test_each_model_refuses_a_voice_it_does_not_have_naming_those_it_has() -> None:
    with pytest.raises(GenerationError) as info:
        check_request("narration", "tts-1", {"voice": "en-us"})
    assert str(info.value) == f"tts-1 has no voice 'en-us'; its voices: {', '.join(TTS_1)}"
    assert not info.value.retryable
    with pytest.raises(GenerationError, match="local/piper has no voice 'alloy'; its voices: joe"):
        check_request("narration", "local/piper", {"voice": "alloy"})
    with pytest.raises(GenerationError, match=r"Unknown voice 'joe' for espeak-ng; try one of: .*en-us"):
        check_request("narration", "local/espeak", {"voice": "joe"})


def test_espeak_takes_its_whole_installed_catalogue_and_variants() -> None:
    for voice in ("en-us", "de", "pt-br", "en-us+f3", "gmw/en-US"):
        check_request("narration", "local/espeak", {"voice": voice})


def test_an_empty_voice_is_the_model_s_default_and_the_configured_one_applies_where_it_fits() -> None:
    check_request("narration", "tts-1", {"voice": ""})
    assert choose_voice("narration", "tts-1", "") == "alloy"
    assert choose_voice("narration", "local/piper", None) == "joe"
    assert choose_voice("narration", "local/espeak", "  ") == "en-us"
    assert choose_voice("narration", "tts-1", "", "nova") == "nova"
    assert choose_voice("narration", "tts-1", "", "en-gb") == "alloy"  # configured, but tts-1 lacks it
    assert choose_voice("narration", "local/espeak", "", "en-gb") == "en-gb"


def test_models_outside_the_catalogue_and_kinds_without_voices_pass() -> None:
    assert choose_voice("narration", "someone/else", "anything") == "anything"
    check_request("visual", "local/pillow", {"prompt": "x"})


@given(st.text(max_size=20))
def test_a_closed_voice_list_accepts_exactly_its_voices(voice: str) -> None:
    choice = NARRATION.model_choice("tts-1")
    assert choice is not None
    try:
        chosen = choose_voice("narration", "tts-1", voice)
    except GenerationError as exc:
        assert voice.strip() and voice.strip() not in TTS_1
        assert "its voices: alloy" in str(exc)
    else:
        assert chosen == (voice.strip() or "alloy")
        assert chosen in choice.voices
