"""The offline espeak-ng narration generator: real speech, voices, rate, determinism, progress, cancel."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tui_editor.core.kinds import NARRATION
from tui_editor.generators import local_narration
from tui_editor.generators.base import (
    GenerationError,
    GenerationResult,
    Generator,
)
from tui_editor.generators.local_narration import LocalNarrationGenerator, list_voices, resolve_voice
from tui_editor.generators.wav import read_wav, wav_info

from .local_support import ProgressLog, files, request, run_until_cancelled

SENTENCE = "The mitochondrion is the powerhouse of the cell."
TWO_SENTENCES = "Hello and welcome to this lecture. Today we look at how cells divide."


async def _speak(out_dir: Path, script: str = TWO_SENTENCES, *, extra: Any = None, seed: int = 0,
                 **fields: Any) -> GenerationResult:  # fmt: skip
    return await LocalNarrationGenerator().generate(
        request("narration", out_dir, seed=seed, extra=extra, script=script, **fields),
        ProgressLog(),
    )


def _samples(path: Path) -> np.ndarray:
    samples, _ = read_wav(path)
    return samples[:, 0]


def _pitch(path: Path) -> float:
    """Median fundamental frequency (Hz) of the voiced 46 ms frames, by autocorrelation."""
    samples, rate = _samples(path), 22050
    size = 1024
    estimates = []
    for start in range(0, len(samples) - size, size // 2):
        frame = samples[start : start + size]
        if np.sqrt(np.mean(frame**2)) < 0.05:
            continue
        frame = frame - frame.mean()
        corr = np.correlate(frame, frame, "full")[size - 1 :]
        low, high = rate // 400, rate // 60
        lag = low + int(np.argmax(corr[low:high]))
        if corr[lag] > 0.3 * corr[0]:
            estimates.append(rate / lag)
    assert len(estimates) > 10
    return float(np.median(estimates))


def test_it_is_a_generator() -> None:
    generator: Generator = LocalNarrationGenerator()
    assert generator is not None


async def test_speech_is_a_non_silent_16_bit_mono_wav(tmp_path: Path) -> None:
    result = await _speak(tmp_path)

    assert result.file == (tmp_path / "narration.wav").resolve()
    assert files(tmp_path) == ["narration.wav"]
    info = wav_info(result.file)
    assert (info.channels, info.sample_width, info.sample_rate) == (1, 2, 22050)
    samples = _samples(result.file)
    assert np.sqrt(np.mean(samples**2)) > 0.02  # clearly audible, not a whisper of noise
    assert np.max(np.abs(samples)) > 0.2
    # Speech has pauses: a good share of 20 ms frames is much quieter than the loud ones.
    frames = samples[: len(samples) // 441 * 441].reshape(-1, 441)
    energy = np.sqrt((frames**2).mean(axis=1))
    assert (energy < 0.1 * energy.max()).mean() > 0.1
    assert result.fields["duration_s"] == round(info.duration_s, 2)
    assert 2.0 < result.fields["duration_s"] < 8.0


async def test_result_fields_pass_through_and_default(tmp_path: Path) -> None:
    result = await _speak(tmp_path / "a")
    assert set(result.fields) == {"script", "model", "voice", "emotion", "language", "duration_s"}
    assert result.fields["script"] == TWO_SENTENCES
    assert result.fields["model"] == "local/espeak"
    assert result.fields["voice"] == "en-us"
    assert result.fields["emotion"] == "neutral"
    assert result.fields["language"] == "en"
    NARRATION.validate_asset(dict(result.fields))

    result = await _speak(tmp_path / "b", voice="de", emotion="excited", language="de", model="custom/espeak")
    assert {k: result.fields[k] for k in ("voice", "emotion", "language", "model")} == {
        "voice": "de",
        "emotion": "excited",
        "language": "de",
        "model": "custom/espeak",
    }


async def test_duration_grows_with_the_text(tmp_path: Path) -> None:
    one = await _speak(tmp_path / "one", SENTENCE)
    four = await _speak(tmp_path / "four", " ".join([SENTENCE] * 4))
    ratio = four.fields["duration_s"] / one.fields["duration_s"]
    assert 3.0 < ratio < 5.0


async def test_rate_changes_the_duration(tmp_path: Path) -> None:
    slow = await _speak(tmp_path / "slow", extra={"rate": 110})
    normal = await _speak(tmp_path / "normal")
    fast = await _speak(tmp_path / "fast", extra={"rate": 300})
    assert slow.fields["duration_s"] > normal.fields["duration_s"] > fast.fields["duration_s"]
    assert slow.fields["duration_s"] / fast.fields["duration_s"] > 1.8


async def test_different_voices_sound_different(tmp_path: Path) -> None:
    results = {
        voice: await _speak(tmp_path / voice.replace("+", "_"), SENTENCE, voice=voice)
        for voice in ("en-us", "en-gb", "de", "en-us+f3")
    }
    audio = {voice: result.file.read_bytes() for voice, result in results.items()}
    assert len(set(audio.values())) == len(audio)
    # A female variant speaks about an octave higher.
    assert _pitch(results["en-us+f3"].file) > 1.5 * _pitch(results["en-us"].file)


async def test_emotion_colours_the_pitch(tmp_path: Path) -> None:
    sad = await _speak(tmp_path / "sad", SENTENCE, emotion="sad")
    excited = await _speak(tmp_path / "excited", SENTENCE, emotion="excited")
    unknown = await _speak(tmp_path / "unknown", SENTENCE, emotion="pensive")
    neutral = await _speak(tmp_path / "neutral", SENTENCE)
    assert _pitch(excited.file) > _pitch(sad.file) * 1.15
    assert unknown.file.read_bytes() == neutral.file.read_bytes()  # unknown emotions speak neutrally
    assert unknown.fields["emotion"] == "pensive"


async def test_same_request_gives_identical_bytes_even_after_other_requests(tmp_path: Path) -> None:
    first = (await _speak(tmp_path / "a", seed=3)).file.read_bytes()
    await _speak(tmp_path / "b", "Something else entirely, spoken in between.", voice="fr")
    second = (await _speak(tmp_path / "c", seed=3)).file.read_bytes()
    assert first == second


async def test_concurrent_generations_do_not_interfere(tmp_path: Path) -> None:
    alone = (await _speak(tmp_path / "alone")).file.read_bytes()
    results = await asyncio.gather(
        *(_speak(tmp_path / f"c{i}", voice=voice) for i, voice in enumerate(("en-us", "de", "en-us", "fr")))
    )
    assert results[0].file.read_bytes() == alone == results[2].file.read_bytes()
    assert results[1].file.read_bytes() != alone


def test_list_voices() -> None:
    voices = list_voices()
    assert voices == sorted(voices)
    assert {"en-us", "en-gb", "en", "de", "fr", "es"} <= set(voices)
    assert len(voices) > 50
    assert all(resolve_voice(voice) for voice in voices)
    assert resolve_voice("EN_US") == resolve_voice("en-us") == "gmw/en-US"
    assert resolve_voice("en-us+f3") == "gmw/en-US+f3"
    assert resolve_voice("gmw/en-US") == "gmw/en-US"
    assert resolve_voice("klingon-ish") is None
    assert resolve_voice("en-us+no-such-variant") is None
    assert "f3" in local_narration.list_variants()


async def test_unknown_voice_lists_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(GenerationError) as info:
        await _speak(tmp_path, voice="xx-nowhere")
    assert info.value.retryable is False
    assert "xx-nowhere" in str(info.value)
    assert "en-us" in str(info.value) and "de" in str(info.value)
    assert files(tmp_path) == []

    with pytest.raises(GenerationError, match="variant 'robotic'") as info:
        await _speak(tmp_path, voice="en-us+robotic")
    assert info.value.retryable is False
    assert "f3" in str(info.value)
    assert files(tmp_path) == []


@pytest.mark.parametrize("script", ["", "   \n\t "])
async def test_empty_script_is_refused(tmp_path: Path, script: str) -> None:
    with pytest.raises(GenerationError, match="empty") as info:
        await _speak(tmp_path, script)
    assert info.value.retryable is False
    assert files(tmp_path) == []


@pytest.mark.parametrize("rate", [10, 2000, "fast", True])
async def test_bad_rate_is_refused(tmp_path: Path, rate: object) -> None:
    with pytest.raises(GenerationError, match="rate") as info:
        await _speak(tmp_path, extra={"rate": rate})
    assert info.value.retryable is False


async def test_progress_steps_follow_the_sentences(tmp_path: Path) -> None:
    log = ProgressLog()
    script = "First sentence here. Second one follows! And a third? Yes.\n\nA new paragraph"
    await LocalNarrationGenerator().generate(request("narration", tmp_path, script=script), log)
    log.assert_complete()
    assert log.steps == [0, 1, 2, 3, 4, 5, 6]  # five sentences, then the file
    assert "sentence 5 of 5" in log.calls[5][2]


def test_sentence_spans() -> None:
    text = "One. Two!  Three?\n\nFour (five.) six"
    spans = local_narration.sentence_spans(text)
    assert [text[a:b] for a, b in spans] == ["One.", "Two!", "Three?", "Four (five.)", "six"]
    assert local_narration.sentence_spans("  ") == []


@pytest.mark.parametrize("cancel_at", [0, 1, 2])
async def test_cancel_mid_generation_raises_and_writes_nothing(tmp_path: Path, cancel_at: int) -> None:
    log = ProgressLog(cancel_at=cancel_at)
    script = " ".join([SENTENCE] * 3)
    await run_until_cancelled(
        LocalNarrationGenerator().generate(request("narration", tmp_path, script=script), log)
    )
    assert files(tmp_path) == []  # neither narration.wav nor the child's temporary PCM file
    assert log.steps[-1] == cancel_at


async def test_a_two_sentence_narration_is_fast(tmp_path: Path) -> None:
    await _speak(tmp_path / "warm")  # voice table loaded once per process
    started = time.perf_counter()
    await _speak(tmp_path / "timed")
    assert time.perf_counter() - started < 1.0


async def test_child_failures_become_retryable_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken_child.py"
    broken.write_text("import sys\nsys.stderr.write('segfault-ish failure')\nsys.exit(7)\n")
    monkeypatch.setattr(local_narration, "_CHILD_SCRIPT", broken)
    out_dir = tmp_path / "run"
    with pytest.raises(GenerationError, match="segfault-ish failure") as info:
        await _speak(out_dir)
    assert info.value.retryable is True
    assert files(out_dir) == []


async def test_a_cancel_stops_the_speech_child_promptly(tmp_path: Path) -> None:
    script = " ".join([SENTENCE] * 1000)  # ~10 s of synthesis if nothing stopped it
    log = ProgressLog(cancel_at=1)
    await run_until_cancelled(
        LocalNarrationGenerator().generate(request("narration", tmp_path, script=script), log)
    )
    assert log.cancelled_at is not None
    assert time.monotonic() - log.cancelled_at < 3.0  # the child was killed, not waited for (~10 s)
    assert files(tmp_path) == []
