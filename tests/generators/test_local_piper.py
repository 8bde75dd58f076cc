"""The offline Piper narration (`local/piper`, the `voice` extra): real neural speech, voices, pace, cancel.

The extra is in the `test` extra too, so these tests always run (never skip).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tui_editor.core.kinds import NARRATION
from tui_editor.generators.base import GenerationError, GenerationResult, Generator
from tui_editor.generators.local_piper import PiperNarrationGenerator, load_voice
from tui_editor.generators.wav import read_wav, wav_info

from .local_support import ProgressLog, files, request, run_until_cancelled

SENTENCE = "The mitochondrion is the powerhouse of the cell."
TWO_SENTENCES = "Hello and welcome to this lecture. Today we look at how cells divide."


async def _speak(out_dir: Path, script: str = SENTENCE, *, extra: Any = None, log: ProgressLog | None = None,
                 **fields: Any) -> GenerationResult:  # fmt: skip
    return await PiperNarrationGenerator().generate(
        request("narration", out_dir, extra=extra, script=script, model="local/piper", **fields),
        log if log is not None else ProgressLog(),
    )


def test_it_is_a_generator() -> None:
    generator: Generator = PiperNarrationGenerator()
    assert generator is not None


async def test_a_sentence_becomes_audible_speech_of_a_plausible_length(tmp_path: Path) -> None:
    log = ProgressLog()
    result = await _speak(tmp_path, log=log)

    assert result.file == (tmp_path / "narration.wav").resolve()
    assert files(tmp_path) == ["narration.wav"]
    info = wav_info(result.file)
    assert (info.channels, info.sample_width, info.sample_rate) == (1, 2, 22050)
    # Eight words at a natural pace (~150–200 words a minute, plus Piper's short lead-in and tail).
    assert 1.8 < info.duration_s < 5.0, info.duration_s
    samples, _ = read_wav(result.file)
    mono = samples[:, 0]
    assert float(np.max(np.abs(mono))) > 0.9  # normalised to full scale, as Piper does
    frames = mono[: len(mono) // 441 * 441].reshape(-1, 441)
    energy = np.sqrt((frames**2).mean(axis=1))
    assert (energy > 0.05).mean() > 0.4  # mostly voiced, not a click in silence
    assert (energy < 0.1 * energy.max()).mean() > 0.05  # with the pauses of speech
    assert dict(result.fields) == {
        "script": SENTENCE,
        "model": "local/piper",
        "voice": "joe",
        "emotion": "neutral",
        "language": "en",
        "duration_s": round(info.duration_s, 2),
    }
    NARRATION.validate_asset(result.fields, partial=True)
    log.assert_complete()


async def test_the_voice_is_loaded_once_per_process_and_reused(tmp_path: Path) -> None:
    assert load_voice("joe") is load_voice("joe")
    await _speak(tmp_path / "warm")
    started = time.perf_counter()
    await _speak(tmp_path / "timed", TWO_SENTENCES)
    assert time.perf_counter() - started < 5.0  # no second load (measured ~0.4 s on one core)


async def test_a_voice_the_model_does_not_have_is_refused_with_those_it_has(tmp_path: Path) -> None:
    with pytest.raises(GenerationError) as info:
        await _speak(tmp_path, voice="en-us")  # an espeak name
    assert str(info.value) == "local/piper has no voice 'en-us'; its voices: joe"
    assert not info.value.retryable
    assert files(tmp_path) == []


async def test_no_voice_is_the_model_s_default_and_a_configured_voice_applies_only_if_it_has_it(
    tmp_path: Path,
) -> None:
    # `[generators.narration] voice = "en-us"` (an espeak voice) must not break the Piper model.
    result = await _speak(tmp_path, voice="", extra={"voice": "en-us"})
    assert result.fields["voice"] == "joe"


async def test_the_speaking_rate_sets_the_pace(tmp_path: Path) -> None:
    slow = await _speak(tmp_path / "slow", TWO_SENTENCES, extra={"rate": 110})
    fast = await _speak(tmp_path / "fast", TWO_SENTENCES, extra={"rate": 260})
    assert slow.fields["duration_s"] > 1.6 * fast.fields["duration_s"]
    with pytest.raises(GenerationError, match="between 80 and 450"):
        await _speak(tmp_path / "bad", extra={"rate": 20})


@pytest.mark.parametrize("script", ["", "   ", "...", "?!"])
async def test_a_script_without_words_is_refused(tmp_path: Path, script: str) -> None:
    with pytest.raises(GenerationError) as info:
        await _speak(tmp_path, script)
    assert not info.value.retryable
    assert files(tmp_path) == []


@pytest.mark.parametrize("cancel_at", [0, 1, 2])
async def test_cancel_between_steps_raises_and_writes_nothing(tmp_path: Path, cancel_at: int) -> None:
    log = ProgressLog(cancel_at=cancel_at)
    await run_until_cancelled(
        PiperNarrationGenerator().generate(
            request("narration", tmp_path, script=" ".join([SENTENCE] * 4), model="local/piper"), log
        )
    )
    assert files(tmp_path) == []
    assert log.steps[-1] == cancel_at


async def test_a_long_script_stops_within_a_sentence_of_the_cancel(tmp_path: Path) -> None:
    log = ProgressLog(cancel_at=2)
    await run_until_cancelled(
        PiperNarrationGenerator().generate(
            request("narration", tmp_path, script=" ".join([SENTENCE] * 200), model="local/piper"), log
        )
    )
    assert log.cancelled_at is not None
    assert time.monotonic() - log.cancelled_at < 3.0  # one sentence, not the ~200 left
    assert files(tmp_path) == []
