"""Offline background music: a small numpy synthesiser writing 16-bit mono WAV at 22,050 Hz.

The piece loops a four-chord progression in the requested key (I–V–vi–IV and friends in major, i–VI–III–VII
and friends in minor), one chord per 4/4 bar, played by a detuned pad, an optional arpeggio, a lead
melody, a bass line and a soft drum kit (a kick on every beat, hats, sometimes a snare on 2 and 4, a
fill every eighth bar). The prompt with the seed picks the progression, the melody (a walk over the scale
that lands on a chord tone each bar), the pad's voicing (register, open or close), timbres and patterns:
the same fields and seed give byte-identical files, another seed another tune. A few words steer the mood
("calm", "ambient"… soften the drums; "energetic", "upbeat"… drive them). Each bar is rendered once per
chord and then laid out on the timeline, so even ten minutes render in well under a second.

Fields: prompt (required), bpm (30–300, default 96), key (e.g. "C major", "F# minor", default "C major"),
duration_s (else `request.clip_duration`, else 8 s; at most 600 s), model (default "local/synth").
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tui_editor.core.kinds import MUSIC, MUSIC_KEYS
from tui_editor.generators.base import (
    GenerationError,
    GenerationRequest,
    GenerationResult,
    GuardedGenerator,
    ProgressFn,
    run_blocking,
)
from tui_editor.generators.wav import pcm16_bytes, wav_duration, write_wav

DEFAULT_MODEL = MUSIC.default_model
DEFAULT_BPM: int = MUSIC.field("bpm").default
DEFAULT_KEY: str = MUSIC.field("key").default
DEFAULT_DURATION_S = 8.0
MIN_DURATION_S, MAX_DURATION_S = MUSIC.field("duration_s").bounds
MIN_BPM, MAX_BPM = (int(bound) for bound in MUSIC.field("bpm").bounds)
SAMPLE_RATE = 22050
OUTPUT_NAME = "music.wav"

Signal = npt.NDArray[np.float64]

NOTE_PITCH_CLASSES: dict[str, int] = {
    "C": 0, "B#": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "Fb": 4, "E#": 5, "F": 5,
    "F#": 6, "Gb": 6, "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11, "Cb": 11,
}  # fmt: skip
SCALES: dict[str, tuple[int, ...]] = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
# Scale degrees (0 = tonic) of the four chords; the first of each list is the most likely.
PROGRESSIONS: dict[str, tuple[tuple[int, int, int, int], ...]] = {
    "major": ((0, 4, 5, 3), (0, 5, 3, 4), (0, 3, 5, 4), (0, 3, 4, 3)),  # I–V–vi–IV, I–vi–IV–V, …
    "minor": ((0, 5, 2, 6), (0, 3, 5, 4), (0, 6, 5, 6), (0, 5, 3, 6)),  # i–VI–III–VII, i–iv–VI–v, …
}
_CALM_WORDS = {"calm", "ambient", "soft", "gentle", "relax", "relaxing", "quiet", "peaceful", "chill", "lofi"}
_DRIVE_WORDS = {"energetic", "upbeat", "driving", "epic", "dance", "rock", "fast", "intense", "action"}


@dataclass(frozen=True)
class MusicKey:
    tonic: int
    """Pitch class of the tonic, 0 = C."""
    mode: str
    """"major" or "minor"."""

    @property
    def scale(self) -> tuple[int, ...]:
        """Pitch classes of the key's scale, tonic first."""
        return tuple((self.tonic + step) % 12 for step in SCALES[self.mode])

    def triad(self, degree: int) -> tuple[int, int, int]:
        """Pitch classes (root, third, fifth) of the diatonic triad on a 0-based scale degree."""
        scale = self.scale
        return scale[degree % 7], scale[(degree + 2) % 7], scale[(degree + 4) % 7]


def parse_key(text: str) -> MusicKey:
    """'F# minor' → MusicKey(6, 'minor'); accepts sharps/flats ('#', 'b', '♯', '♭') and 'maj'/'min'."""
    match = re.fullmatch(r"\s*([A-Ga-g])\s*([#b♯♭]?)\s*(major|minor|maj|min)?\s*", text)
    if not match:
        raise ValueError(text)
    letter, accidental, mode = match.groups()
    accidental = {"♯": "#", "♭": "b"}.get(accidental, accidental)
    name = letter.upper() + accidental
    if name not in NOTE_PITCH_CLASSES:
        raise ValueError(text)
    return MusicKey(NOTE_PITCH_CLASSES[name], "minor" if (mode or "major").startswith("min") else "major")


def canonical_key_name(key: MusicKey) -> str:
    """The spelling the music kind stores ("C# major", "Eb minor", …) for a parsed key."""
    return _CANONICAL_KEYS[key]


_CANONICAL_KEYS: dict[MusicKey, str] = {parse_key(name): name for name in MUSIC_KEYS}


@dataclass(frozen=True)
class _Style:
    progression: tuple[int, int, int, int]
    harmonics: tuple[float, ...]
    detune_cents: float
    pad_attack: float
    pad_rhythm: str  # "sustain" | "halves" | "quarters"
    arpeggio: str  # "" | "up" | "down" | "updown"
    arp_steps_per_beat: int
    arp_decay: float
    bass_pattern: str  # "one-three" | "beats" | "root-fifth" | "eighths"
    hat_pattern: str  # "offbeats" | "eighths" | "sixteenths"
    snare: bool
    kick_sweep: float
    """Hz the kick starts above its (key-tuned) resting pitch."""
    drum_gain: float
    intro: bool
    voicing_low: int
    """The lowest MIDI note the pad's chords may use (their register)."""
    voicing_open: bool
    """Open voicing: the chord's middle note an octave up."""
    melody: tuple[tuple[float, float, int], ...]
    """The lead line over the four-bar loop: (start beat 0–16, length in beats, scale step; step 0 is
    the tonic of the octave from middle C, 7 the next octave's)."""
    melody_gain: float


def _style(prompt: str, seed: int, bpm: int, mode: str) -> _Style:
    digest = hashlib.sha256(f"music\0{prompt.strip().lower()}\0{seed}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    words = set(re.findall(r"[a-z]+", prompt.lower()))
    calm, drive = bool(words & _CALM_WORDS), bool(words & _DRIVE_WORDS) and not words & _CALM_WORDS

    progressions = PROGRESSIONS[mode]
    progression = progressions[int(rng.choice(len(progressions), p=[0.4, 0.2, 0.2, 0.2]))]
    harmonics = (
        1.0,
        float(rng.uniform(0.2, 0.5)),
        float(rng.uniform(0.05, 0.22)),
        float(rng.uniform(0.0, 0.1)),
    )
    pad_rhythm = str(rng.choice(["sustain", "halves", "quarters"], p=[0.5, 0.3, 0.2]))
    arpeggio = str(rng.choice(["", "up", "down", "updown"], p=[0.3, 0.3, 0.2, 0.2]))
    bass_pattern = str(rng.choice(["one-three", "beats", "root-fifth", "eighths"]))
    hat_pattern = str(rng.choice(["offbeats", "eighths", "sixteenths"], p=[0.45, 0.4, 0.15]))
    snare = bool(rng.random() < 0.55)
    drum_gain = float(rng.uniform(0.85, 1.1))
    if calm:
        pad_rhythm, hat_pattern, snare, drum_gain = "sustain", "offbeats", False, drum_gain * 0.7
        bass_pattern = "one-three" if bass_pattern == "eighths" else bass_pattern
    elif drive:
        bass_pattern, snare, drum_gain = "eighths", True, drum_gain * 1.15
        hat_pattern = "sixteenths" if bpm <= 110 else "eighths"
    if hat_pattern == "sixteenths" and bpm > 140:
        hat_pattern = "eighths"
    melody = _melody(rng, progression, calm)
    return _Style(
        progression=progression,
        harmonics=harmonics,
        detune_cents=float(rng.uniform(3.0, 9.0)),
        pad_attack=float(rng.uniform(0.04, 0.35)),
        pad_rhythm=pad_rhythm,
        arpeggio=arpeggio,
        arp_steps_per_beat=2 if bpm > 120 or rng.random() < 0.6 else 4,
        arp_decay=float(rng.uniform(5.0, 11.0)),
        bass_pattern=bass_pattern,
        hat_pattern=hat_pattern,
        snare=snare,
        kick_sweep=float(rng.uniform(80.0, 130.0)),
        drum_gain=drum_gain,
        intro=bool(rng.random() < 0.5),
        voicing_low=int(rng.integers(50, 59)),
        voicing_open=bool(rng.random() < 0.4),
        melody=melody,
        melody_gain=float(rng.uniform(0.07, 0.1)) * (0.7 if calm else 1.0),
    )


# One bar's melody rhythms: (start beat, length in beats) of each note.
_RHYTHMS: tuple[tuple[tuple[float, float], ...], ...] = (
    ((0.0, 1.0), (1.0, 1.0), (2.0, 2.0)),
    ((0.0, 1.5), (1.5, 0.5), (2.0, 1.0), (3.0, 1.0)),
    ((0.0, 2.0), (2.0, 1.0), (3.0, 1.0)),
    ((0.0, 0.5), (0.5, 0.5), (1.0, 1.0), (2.0, 1.5), (3.5, 0.5)),
    ((0.0, 3.0), (3.0, 1.0)),
    ((0.0, 1.0), (1.0, 0.5), (1.5, 0.5), (2.0, 2.0)),
    ((0.5, 1.0), (1.5, 1.0), (2.5, 1.5)),
)
_CALM_RHYTHMS = (0, 2, 4, 6)


def _melody(
    rng: np.random.Generator, progression: tuple[int, int, int, int], calm: bool
) -> tuple[tuple[float, float, int], ...]:
    """A lead line over the four chords: each bar a rhythm, a walk over the scale that starts each bar
    on a tone of its chord (so it sits on the harmony) and moves mostly by step."""
    notes: list[tuple[float, float, int]] = []
    step = int(rng.integers(2, 7))
    rhythms = _CALM_RHYTHMS if calm else tuple(range(len(_RHYTHMS)))
    for bar, degree in enumerate(progression):
        rhythm = _RHYTHMS[int(rng.choice(rhythms))]
        for index, (start, length) in enumerate(rhythm):
            if index == 0:  # the chord tone nearest to where the line is
                tones = [d + 7 * octave for d in (degree, degree + 2, degree + 4) for octave in (-1, 0, 1)]
                candidates = sorted((t for t in tones if 0 <= t <= 11), key=lambda t: (abs(t - step), t))
                step = candidates[int(rng.integers(0, 2))]
            else:
                step = int(np.clip(step + int(rng.choice([-2, -1, -1, 1, 1, 2, 3])), 0, 11))
            notes.append((4.0 * bar + start, length, step))
    return tuple(notes)


def melody_notes(key: MusicKey, style: _Style) -> list[int]:
    """The MIDI notes of the lead line, in order."""
    scale = SCALES[key.mode]
    return [60 + key.tonic + 12 * (step // 7) + scale[step % 7] for _start, _length, step in style.melody]


def pad_voicing(key: MusicKey, style: _Style, degree: int) -> list[int]:
    """The MIDI notes the pad plays for the chord on a scale degree, low to high."""
    notes = sorted(_in_register(pc, style.voicing_low) for pc in key.triad(degree))
    if style.voicing_open:
        notes[1] += 12
    return sorted(notes)


def _midi_hz(midi: float) -> float:
    return float(440.0 * 2.0 ** ((midi - 69) / 12))


def _in_register(pitch_class: int, low: int) -> int:
    """The MIDI note of `pitch_class` in the octave [low, low + 12)."""
    return low + (pitch_class - low) % 12


def _envelope(n: int, attack_s: float, hold_s: float, release_s: float) -> Signal:
    """Linear attack to 1, hold, then a linear release to 0 (all in seconds), `n` samples long."""
    t = np.arange(n) / SAMPLE_RATE
    attack = np.minimum(1.0, t / max(attack_s, 1e-3))
    release = np.clip(1.0 - (t - hold_s) / max(release_s, 1e-3), 0.0, 1.0)
    return np.minimum(attack, release)


class _Bar:
    """An accumulation buffer for one bar plus room for ringing tails."""

    def __init__(self, bar_s: float, tail_s: float) -> None:
        self.samples = np.zeros(int(math.ceil((bar_s + tail_s) * SAMPLE_RATE)) + 1)

    def add(self, start_s: float, sound: Signal) -> None:
        start = int(round(start_s * SAMPLE_RATE))
        end = min(len(self.samples), start + len(sound))
        if end > start:
            self.samples[start:end] += sound[: end - start]


def _tone(freq: float, n: int, harmonics: tuple[float, ...], detune_cents: float = 0.0) -> Signal:
    t = np.arange(n) / SAMPLE_RATE
    out = np.zeros(n)
    # A centre oscillator plus two quieter detuned ones: a gentle chorus rather than a deep tremolo.
    spreads = ((0.0, 1.0), (-detune_cents, 0.3), (detune_cents, 0.3)) if detune_cents else ((0.0, 1.0),)
    for cents, level in spreads:
        f = freq * 2.0 ** (cents / 1200)
        for k, amplitude in enumerate(harmonics, start=1):
            if amplitude and f * k < SAMPLE_RATE / 2.2:
                out += level * amplitude * np.sin(2 * np.pi * f * k * t)
    return out / (sum(level for _, level in spreads) * sum(harmonics))


def _render_harmony(key: MusicKey, style: _Style, beat_s: float) -> list[Signal]:
    """Pad + arpeggio of each chord of the progression, one bar each (with tails)."""
    bar_s = 4 * beat_s
    bars: list[Signal] = []
    for degree in style.progression:
        triad = key.triad(degree)
        bar = _Bar(bar_s, 0.8)
        pad_notes = pad_voicing(key, style, degree)
        hits: dict[str, list[tuple[float, int]]] = {
            "sustain": [(0.0, 4)],
            "halves": [(0.0, 2), (2.0, 2)],
            "quarters": [(float(b), 1) for b in range(4)],
        }
        for beat, length in hits[style.pad_rhythm]:
            hold = length * beat_s * (0.97 if style.pad_rhythm == "sustain" else 0.8)
            release = 0.6 if style.pad_rhythm == "sustain" else 0.25
            n = int((hold + release) * SAMPLE_RATE)
            env = _envelope(n, min(style.pad_attack, hold / 2), hold, release)
            gain = 0.3 if style.pad_rhythm == "sustain" else 0.25
            for midi in pad_notes:
                sound = _tone(_midi_hz(midi), n, style.harmonics, style.detune_cents)
                bar.add(beat * beat_s, gain * env * sound)
        if style.arpeggio:
            tones = sorted(_in_register(pc, 67) for pc in triad)
            tones.append(tones[0] + 12)
            order = {"up": tones, "down": tones[::-1], "updown": tones + tones[-2:0:-1]}[style.arpeggio]
            step_s = beat_s / style.arp_steps_per_beat
            n = int(min(0.9, step_s * 3) * SAMPLE_RATE)
            t = np.arange(n) / SAMPLE_RATE
            pluck_env = np.exp(-t * style.arp_decay) * np.minimum(1.0, t / 0.004)
            pluck_env[-64:] *= np.linspace(1.0, 0.0, 64)
            for step in range(4 * style.arp_steps_per_beat):
                midi = order[step % len(order)]
                accent = 1.0 if step % style.arp_steps_per_beat == 0 else 0.75
                sound = _tone(_midi_hz(midi), n, (1.0, 0.35, 0.12))
                bar.add(step * step_s, 0.09 * accent * pluck_env * sound)
        _add_melody(bar, key, style, beat_s, len(bars))
        bars.append(bar.samples)
    return bars


def _add_melody(bar: _Bar, key: MusicKey, style: _Style, beat_s: float, index: int) -> None:
    """The lead line's notes of bar `index` of the loop: a soft, slightly breathy sine lead."""
    midis = melody_notes(key, style)
    for (start, length, _step), midi in zip(style.melody, midis, strict=True):
        if not 4 * index <= start < 4 * (index + 1):
            continue
        hold = length * beat_s * 0.9
        n = int((hold + 0.12) * SAMPLE_RATE)
        t = np.arange(n) / SAMPLE_RATE
        env = _envelope(n, 0.02, hold, 0.12) * (0.75 + 0.25 * np.exp(-t * 4))
        sound = _tone(_midi_hz(midi), n, (1.0, 0.18, 0.06))
        bar.add((start - 4 * index) * beat_s, style.melody_gain * env * sound)


def _render_bass(key: MusicKey, style: _Style, beat_s: float) -> list[Signal]:
    """The bass line under each chord of the progression, one bar each."""
    bar_s = 4 * beat_s
    bars: list[Signal] = []
    for degree in style.progression:
        root, _, fifth = key.triad(degree)
        low = _in_register(root, 36)
        high = low + (fifth - root) % 12
        notes: list[tuple[float, float, int]] = {  # (start beat, length in beats, midi)
            "one-three": [(0.0, 1.8, low), (2.0, 1.8, low)],
            "beats": [(float(b), 0.85, low) for b in range(4)],
            "root-fifth": [(0.0, 1.8, low), (2.0, 0.9, high), (3.0, 0.9, low)],
            "eighths": [(b / 2, 0.42, low if b % 8 != 6 else high) for b in range(8)],
        }[style.bass_pattern]
        bar = _Bar(bar_s, 0.3)
        for start, length, midi in notes:
            hold = length * beat_s
            n = int((hold + 0.06) * SAMPLE_RATE)
            t = np.arange(n) / SAMPLE_RATE
            env = _envelope(n, 0.006, hold, 0.06) * (0.7 + 0.3 * np.exp(-t * 6))
            bar.add(start * beat_s, 0.36 * env * _tone(_midi_hz(midi), n, (1.0, 0.3, 0.08)))
        bars.append(bar.samples)
    return bars


def _render_drums(key: MusicKey, style: _Style, beat_s: float, noise_seed: int) -> tuple[Signal, Signal]:
    """(a normal bar, a fill bar) of kick, hats and snare; kick and snare body are tuned to the key."""
    rng = np.random.default_rng(noise_seed)
    bar_s = 4 * beat_s

    n_kick = int(0.35 * SAMPLE_RATE)
    t = np.arange(n_kick) / SAMPLE_RATE
    kick_hz = _midi_hz(_in_register(key.tonic, 28))  # 41–78 Hz
    sweep = 2 * np.pi * (kick_hz * t + (style.kick_sweep / 28.0) * (1 - np.exp(-28.0 * t)))
    kick = np.sin(sweep) * np.exp(-t * 9.0) * np.minimum(1.0, t / 0.002)
    kick[-64:] *= np.linspace(1.0, 0.0, 64)

    n_hat = int(0.05 * SAMPLE_RATE)
    t = np.arange(n_hat) / SAMPLE_RATE
    hat = np.diff(rng.standard_normal(n_hat + 2), n=2) / 2.0 * np.exp(-t * 75.0)

    snare_hz = _midi_hz(_in_register(key.triad(0)[2], 51))  # the key's fifth, 156–294 Hz
    n_snare = int(0.22 * SAMPLE_RATE)
    t = np.arange(n_snare) / SAMPLE_RATE
    noise = np.diff(rng.standard_normal(n_snare + 1)) / 1.4
    snare = (
        0.6 * noise * np.exp(-t * 22.0) + 0.5 * np.sin(2 * np.pi * snare_hz * t) * np.exp(-t * 30.0)
    ) * np.minimum(1.0, t / 0.002)
    snare[-64:] *= np.linspace(1.0, 0.0, 64)

    g = style.drum_gain
    hat_steps = {"offbeats": [b + 0.5 for b in range(4)], "eighths": [b / 2 for b in range(8)]}.get(
        style.hat_pattern, [b / 4 for b in range(16)]
    )
    bars: list[Signal] = []
    for fill in (False, True):
        bar = _Bar(bar_s, 0.4)
        for beat in range(4):
            bar.add(beat * beat_s, g * (0.55 if beat == 0 else 0.45) * kick)
        for i, step in enumerate(hat_steps):
            velocity = 0.07 if step % 1 == 0.5 else 0.045
            if fill and step >= 3:
                continue
            bar.add(step * beat_s, g * velocity * (1.0 + 0.15 * (i % 3 == 0)) * hat)
        if style.snare:
            for beat in (1, 3):
                bar.add(beat * beat_s, g * 0.2 * snare)
        if fill:  # a short snare roll into the next bar
            for k, step in enumerate((3.0, 3.25, 3.5, 3.75)):
                bar.add(step * beat_s, g * (0.1 + 0.04 * k) * snare)
        bars.append(bar.samples)
    return bars[0], bars[1]


def _arrange(
    harmony: list[Signal],
    bass: list[Signal],
    drums: tuple[Signal, Signal],
    style: _Style,
    beat_s: float,
    n: int,
) -> npt.NDArray[np.float32]:
    bar_s = 4 * beat_s
    out = np.zeros(n, dtype=np.float32)
    bar_count = int(math.ceil(n / (bar_s * SAMPLE_RATE)))
    intro = style.intro and bar_count >= 6
    for index in range(bar_count):
        chord = index % 4
        start = int(round(index * bar_s * SAMPLE_RATE))
        layers = [harmony[chord], bass[chord]]
        if not (intro and index == 0):
            is_fill = index % 8 == 7 and index < bar_count - 1
            layers.append(drums[1] if is_fill else drums[0])
        for layer in layers:
            end = min(n, start + len(layer))
            if end > start:
                out[start:end] += layer[: end - start].astype(np.float32)
    return out


def _master(mix: npt.NDArray[np.float32], duration_s: float) -> bytes:
    """Fade in/out, normalise to -1.5 dBFS peak and convert to 16-bit PCM."""
    n = len(mix)
    fade_in = min(n, int(0.01 * SAMPLE_RATE))
    mix[:fade_in] *= np.linspace(0.0, 1.0, fade_in, dtype=np.float32)
    fade_out = min(n, int(min(2.0, 0.2 * duration_s) * SAMPLE_RATE))
    if fade_out > 0:
        curve = 0.5 * (1 + np.cos(np.linspace(0.0, np.pi, fade_out)))
        mix[n - fade_out :] *= curve.astype(np.float32)
    peak = float(np.max(np.abs(mix))) if n else 0.0
    if peak > 0:
        mix *= np.float32(0.84 / peak)
    return pcm16_bytes(mix)


@dataclass(frozen=True)
class _Settings:
    prompt: str
    model: str
    bpm: int
    key_name: str
    key: MusicKey
    duration_s: float


def _number(value: Any, name: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise GenerationError(f"{name} must be a number, got {value!r}", retryable=False)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise GenerationError(f"{name} must be a number, got {value!r}", retryable=False) from None
    if not math.isfinite(number):
        raise GenerationError(f"{name} must be a finite number, got {value!r}", retryable=False)
    return number


def _settings(fields: Mapping[str, Any], clip_duration: float) -> _Settings:
    prompt = fields.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise GenerationError("The music prompt is empty: describe the music you want", retryable=False)
    bpm_value = _number(fields.get("bpm"), "bpm")
    bpm = DEFAULT_BPM if bpm_value is None else bpm_value
    if bpm != int(bpm) or not MIN_BPM <= bpm <= MAX_BPM:
        raise GenerationError(
            f"bpm must be a whole number from {MIN_BPM} to {MAX_BPM}, got {bpm:g}", retryable=False
        )
    key_name = str(fields.get("key") or "").strip() or DEFAULT_KEY
    try:
        key = parse_key(key_name)
    except ValueError:
        raise GenerationError(
            f"Unknown key {key_name!r}: use a note and a mode, e.g. 'C major', 'F# minor', 'Eb major'",
            retryable=False,
        ) from None
    duration = _number(fields.get("duration_s"), "duration_s")
    if duration is None or duration <= 0:
        duration = clip_duration if clip_duration and clip_duration > 0 else DEFAULT_DURATION_S
    duration = min(MAX_DURATION_S, max(MIN_DURATION_S, duration))
    return _Settings(
        prompt=prompt,
        model=str(fields.get("model") or "").strip() or DEFAULT_MODEL,
        bpm=int(bpm),
        key_name=canonical_key_name(key),
        key=key,
        duration_s=duration,
    )


class LocalMusicGenerator(GuardedGenerator):
    """A synthesised instrumental loop in the requested key and tempo (`music.wav`)."""

    failure = "Local music synthesis failed"

    async def _generate(self, request: GenerationRequest, progress: ProgressFn) -> GenerationResult:
        settings = _settings(request.fields, request.clip_duration)
        total = 6
        progress(0, total, f"Composing in {settings.key_name} at {settings.bpm} bpm")

        style = _style(settings.prompt, request.seed, settings.bpm, settings.key.mode)
        beat_s = 60.0 / settings.bpm
        harmony = await run_blocking(_render_harmony, settings.key, style, beat_s)
        progress(1, total, "Rendered chords")

        bass = await run_blocking(_render_bass, settings.key, style, beat_s)
        progress(2, total, "Rendered bass line")

        noise_seed = int.from_bytes(hashlib.sha256(f"drums\0{request.seed}".encode()).digest()[:8], "little")
        drums = await run_blocking(_render_drums, settings.key, style, beat_s, noise_seed)
        progress(3, total, "Rendered drums")

        n = int(round(settings.duration_s * SAMPLE_RATE))
        mix = await run_blocking(_arrange, harmony, bass, drums, style, beat_s, n)
        progress(4, total, "Arranged")

        pcm = await run_blocking(_master, mix, settings.duration_s)
        del mix
        progress(5, total, "Mastered")

        target = Path(request.out_dir) / OUTPUT_NAME
        await run_blocking(write_wav, target, pcm, SAMPLE_RATE)
        duration = round(await run_blocking(wav_duration, target), 2)
        progress(total, total, f"Saved {OUTPUT_NAME} ({duration:.1f} s)")
        return GenerationResult(
            file=target.resolve(),
            fields={
                "prompt": settings.prompt,
                "model": settings.model,
                "duration_s": duration,
                "bpm": settings.bpm,
                "key": settings.key_name,
            },
        )
