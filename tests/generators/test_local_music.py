"""The offline numpy music generator: duration, tempo, key, variety, determinism, progress, cancel."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tui_editor.core.kinds import MUSIC, MUSIC_KEYS
from tui_editor.generators import local_music
from tui_editor.generators.base import (
    GenerationError,
    GenerationResult,
    Generator,
)
from tui_editor.generators.local_music import LocalMusicGenerator, MusicKey, parse_key
from tui_editor.generators.wav import read_wav, wav_info

from .local_support import ProgressLog, files, request, run_until_cancelled

PROMPT = "warm lo-fi background for a biology lecture"
NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


async def _compose(
    out_dir: Path, *, seed: int = 0, clip_duration: float = 0.0, **fields: Any
) -> GenerationResult:
    fields.setdefault("prompt", PROMPT)
    return await LocalMusicGenerator().generate(
        request("music", out_dir, seed=seed, clip_duration=clip_duration, **fields),
        ProgressLog(),
    )


def _samples(path: Path) -> np.ndarray:
    samples, rate = read_wav(path)
    assert rate == 22050
    mono: np.ndarray = samples.mean(axis=1)
    return mono


def _beat_period(samples: np.ndarray, expected_s: float) -> float:
    """The onset-strength autocorrelation peak (s) between 0.6× and 1.5× the expected beat."""
    hop, window = 220, 1024  # ~10 ms steps of a ~46 ms RMS window (longer than a low kick's period)
    energy = np.concatenate([[0.0], np.cumsum(samples.astype(np.float64) ** 2)])
    starts = np.arange(0, len(samples) - window, hop)
    envelope = np.sqrt((energy[starts + window] - energy[starts]) / window)
    onsets = np.maximum(0.0, np.diff(envelope))
    onsets -= onsets.mean()
    corr = np.correlate(onsets, onsets, "full")[len(onsets) - 1 :]
    frame_s = hop / 22050
    low, high = int(0.6 * expected_s / frame_s), int(1.5 * expected_s / frame_s) + 1
    return (low + int(np.argmax(corr[low:high]))) * frame_s


def _chroma(samples: np.ndarray) -> np.ndarray:
    """Share of spectral energy (60 Hz – 2 kHz) per pitch class, C = 0."""
    spectrum = np.abs(np.fft.rfft(samples)) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / 22050)
    band = (freqs >= 60) & (freqs <= 2000)
    classes = np.round(12 * np.log2(freqs[band] / 440.0) + 69).astype(int) % 12
    chroma = np.bincount(classes, weights=spectrum[band], minlength=12)
    normalised: np.ndarray = chroma / chroma.sum()
    return normalised


def test_it_is_a_generator() -> None:
    generator: Generator = LocalMusicGenerator()
    assert generator is not None


async def test_music_is_a_16_bit_wav_of_the_requested_length(tmp_path: Path) -> None:
    result = await _compose(tmp_path, duration_s=6.5, bpm=100, key="A minor")

    assert result.file == (tmp_path / "music.wav").resolve()
    assert files(tmp_path) == ["music.wav"]
    info = wav_info(result.file)
    assert (info.sample_width, info.sample_rate) == (2, 22050)
    assert info.channels in (1, 2)
    assert info.duration_s == pytest.approx(6.5, abs=0.001)
    samples = _samples(result.file)
    assert 0.3 < np.max(np.abs(samples)) < 1.0  # loud enough, never clipped
    assert np.sqrt(np.mean(samples**2)) > 0.05
    assert result.fields == {
        "prompt": PROMPT,
        "model": "local/synth",
        "duration_s": 6.5,
        "bpm": 100,
        "key": "A minor",
    }
    MUSIC.validate_asset(dict(result.fields))


async def test_duration_falls_back_to_the_clip_then_eight_seconds_and_is_capped(tmp_path: Path) -> None:
    assert (await _compose(tmp_path / "clip", clip_duration=3.25)).fields["duration_s"] == 3.25
    assert (await _compose(tmp_path / "default")).fields["duration_s"] == 8.0
    assert (await _compose(tmp_path / "explicit", clip_duration=3.25, duration_s=2)).fields[
        "duration_s"
    ] == 2.0
    capped = await _compose(tmp_path / "capped", duration_s=1000, bpm=240)
    assert capped.fields["duration_s"] == 600.0
    assert wav_info(capped.file).duration_s == pytest.approx(600.0)


def test_defaults() -> None:
    assert (local_music.DEFAULT_BPM, local_music.DEFAULT_KEY) == (96, "C major")


@pytest.mark.parametrize("bpm", [72, 96, 128, 150])
async def test_the_beat_follows_the_bpm(tmp_path: Path, bpm: int) -> None:
    result = await _compose(tmp_path, duration_s=16, bpm=bpm)
    beat = 60.0 / bpm
    assert _beat_period(_samples(result.file), beat) == pytest.approx(beat, rel=0.04)


async def test_a_different_bpm_is_not_mistaken_for_the_requested_one(tmp_path: Path) -> None:
    """Sanity check of the measurement: 90 bpm music does not show a 140 bpm beat."""
    result = await _compose(tmp_path, duration_s=16, bpm=90)
    assert _beat_period(_samples(result.file), 60.0 / 140) != pytest.approx(60.0 / 140, rel=0.04)


@pytest.mark.parametrize("key", ["C major", "A minor", "F# minor", "Eb major", "Bb minor"])
async def test_the_strongest_pitch_classes_belong_to_the_key(tmp_path: Path, key: str) -> None:
    result = await _compose(tmp_path, duration_s=12, key=key)
    chroma = _chroma(_samples(result.file))
    scale = set(parse_key(key).scale)
    # Drums and short bass notes smear a little energy over every pitch class; the harmony dominates.
    strongest = [int(i) for i in np.argsort(chroma)[::-1][:4]]
    assert set(strongest) <= scale, [NAMES[i] for i in strongest]
    assert chroma[sorted(scale)].sum() > 0.7


async def test_different_keys_have_different_spectra(tmp_path: Path) -> None:
    c_major = _chroma(_samples((await _compose(tmp_path / "c", key="C major", duration_s=10)).file))
    fs_minor = _chroma(_samples((await _compose(tmp_path / "fs", key="F# minor", duration_s=10)).file))
    assert int(np.argmax(c_major)) != int(np.argmax(fs_minor))
    assert np.corrcoef(c_major, fs_minor)[0, 1] < 0.3
    # F#, the tonic of F# minor, is foreign to C major
    assert fs_minor[6] > 3 * c_major[6]


async def test_prompt_and_seed_vary_the_music_deterministically(tmp_path: Path) -> None:
    first = (await _compose(tmp_path / "a", prompt="calm ambient study music", seed=1)).file.read_bytes()
    again = (await _compose(tmp_path / "b", prompt="calm ambient study music", seed=1)).file.read_bytes()
    other_prompt = (await _compose(tmp_path / "c", prompt="energetic upbeat intro", seed=1)).file.read_bytes()
    other_seed = (await _compose(tmp_path / "d", prompt="calm ambient study music", seed=2)).file.read_bytes()
    assert first == again
    assert len({first, other_prompt, other_seed}) == 3


def test_styles_differ_between_prompts() -> None:
    styles = {local_music._style(f"prompt number {i}", 0, 96, "major") for i in range(12)}
    assert len({s.progression for s in styles}) > 1
    assert len({s.bass_pattern for s in styles}) > 1
    assert len({s.arpeggio for s in styles}) > 1
    calm = local_music._style("calm ambient piano", 0, 96, "major")
    drive = local_music._style("energetic upbeat intro", 0, 96, "major")
    assert calm.drum_gain < drive.drum_gain and not calm.snare and drive.snare


def test_parse_key() -> None:
    assert parse_key("F# minor") == MusicKey(6, "minor")
    assert parse_key("eb MAJOR".lower()) == MusicKey(3, "major")
    assert parse_key("Bb") == MusicKey(10, "major")
    assert parse_key("C♯ min") == MusicKey(1, "minor")
    assert parse_key("A minor").scale == (9, 11, 0, 2, 4, 5, 7)
    assert MusicKey(0, "major").triad(4) == (7, 11, 2)  # V of C is G B D
    assert all(local_music.canonical_key_name(parse_key(name)) == name for name in MUSIC_KEYS)
    for bad in ("H major", "C lydian", "", "C## major"):
        with pytest.raises(ValueError):
            parse_key(bad)


async def test_key_spelling_is_stored_as_the_kind_spells_it(tmp_path: Path) -> None:
    result = await _compose(tmp_path, key="Db minor", duration_s=2)
    assert result.fields["key"] == "C# minor"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"prompt": " "}, "prompt is empty"),
        ({"key": "H dorian"}, "Unknown key"),
        ({"bpm": 500}, "bpm"),
        ({"bpm": 12.5}, "bpm"),
        ({"bpm": "fast"}, "bpm"),
        ({"duration_s": "long"}, "duration_s"),
    ],
)
async def test_bad_requests_are_not_retryable(tmp_path: Path, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(GenerationError, match=message) as info:
        await _compose(tmp_path, **fields)
    assert info.value.retryable is False
    assert files(tmp_path) == []


async def test_progress_is_reported_in_order_up_to_the_total(tmp_path: Path) -> None:
    log = ProgressLog()
    await LocalMusicGenerator().generate(request("music", tmp_path, prompt=PROMPT), log)
    log.assert_complete()
    assert log.steps == [0, 1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("cancel_at", [0, 2, 4, 5])
async def test_cancel_mid_generation_raises_and_writes_nothing(tmp_path: Path, cancel_at: int) -> None:
    log = ProgressLog(cancel_at=cancel_at)
    await run_until_cancelled(LocalMusicGenerator().generate(request("music", tmp_path, prompt=PROMPT), log))
    assert files(tmp_path) == []
    assert log.steps[-1] == cancel_at


async def test_thirty_seconds_render_quickly(tmp_path: Path) -> None:
    await _compose(tmp_path / "warm", duration_s=1)
    started = time.perf_counter()
    await _compose(tmp_path / "timed", duration_s=30, bpm=140)
    assert time.perf_counter() - started < 1.0


async def test_library_failures_become_generation_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("numpy had a bad day")

    monkeypatch.setattr(local_music, "_render_bass", broken)
    with pytest.raises(GenerationError, match="numpy had a bad day") as info:
        await _compose(tmp_path)
    assert info.value.retryable is True
    assert files(tmp_path) == []


# --- seeds: the same seed the same bytes, another seed another tune ----------------------------


def test_another_seed_changes_the_melody_and_the_voicing() -> None:
    key = parse_key("A minor")
    styles = {seed: local_music._style(PROMPT, seed, 96, key.mode) for seed in range(12)}
    melodies = {tuple(local_music.melody_notes(key, style)) for style in styles.values()}
    assert len(melodies) == 12  # every seed its own note sequence
    seven, eight = styles[7], styles[8]
    assert local_music.melody_notes(key, seven) != local_music.melody_notes(key, eight)
    assert [local_music.pad_voicing(key, seven, d) for d in seven.progression] != [
        local_music.pad_voicing(key, eight, d) for d in eight.progression
    ]
    voicings = {(style.voicing_low, style.voicing_open) for style in styles.values()}
    assert len(voicings) > 4


def test_the_melody_stays_in_the_key_and_lands_on_the_chords() -> None:
    for seed in range(20):
        for key_name in ("C major", "F# minor"):
            key = parse_key(key_name)
            style = local_music._style("any prompt", seed, 110, key.mode)
            notes = local_music.melody_notes(key, style)
            assert {note % 12 for note in notes} <= set(key.scale)
            assert all(55 <= note <= 90 for note in notes)
            for (start, _length, _step), note in zip(style.melody, notes, strict=True):
                if start % 4 == 0:  # the first note of a bar is a tone of the bar's chord
                    chord = key.triad(style.progression[int(start // 4)])
                    assert note % 12 in chord


async def test_the_same_seed_gives_identical_bytes_and_another_a_different_tune(tmp_path: Path) -> None:
    fields: dict[str, Any] = {"prompt": PROMPT, "key": "C major", "bpm": 96, "duration_s": 10}
    seven = (await _compose(tmp_path / "7", seed=7, **fields)).file.read_bytes()
    seven_again = (await _compose(tmp_path / "7b", seed=7, **fields)).file.read_bytes()
    eight_result = await _compose(tmp_path / "8", seed=8, **fields)
    assert seven == seven_again
    assert eight_result.file.read_bytes() != seven
    # The difference is the notes, not only the timbre: the spectra's pitch content differs.
    a = _chroma(_samples(tmp_path / "7" / "music.wav"))
    b = _chroma(_samples(eight_result.file))
    assert np.abs(a - b).sum() > 0.05
