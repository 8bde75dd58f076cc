"""Offline narration: intelligible speech from the bundled espeak-ng (`espeakng-loader` wheel).

The speech itself is synthesised in a short-lived child process (`_espeak_child.py`, ~15 ms start-up):
libespeak-ng keeps DSP state in C statics that no API call resets, so in-process synthesis of the same
text twice gives different bytes; a fresh process per request is byte-for-byte deterministic, never
blocks the event loop and isolates the app from the C library. The parent process loads the library
only to list voices (`list_voices`), once, under a module-level lock (the library is process-global and
not thread-safe).

Fields: script (required), voice (espeak voice or language code: "en-us", "en-gb", "de", "fr", …,
optionally with a variant such as "en-us+f3"), emotion (mapped to pitch and pitch range), language
(stored as given), model (stored as given, default "local/espeak"). `request.extra["rate"]` sets the
speaking rate in words per minute (80–450, default 165); `request.extra["voice"]` (the configured default
voice) is used when the request names none and espeak-ng has it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import difflib
import os
import re
import sys
import tempfile
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
from tui_editor.generators.voices import choose_voice
from tui_editor.generators.wav import wav_duration, write_wav

_RATE = NARRATION.generator_option("rate").setting
DEFAULT_MODEL = "local/espeak"
_MODEL = NARRATION.model_choice(DEFAULT_MODEL)
assert _MODEL is not None
DEFAULT_VOICE: str = _MODEL.default_voice
DEFAULT_RATE: int = _RATE.default
MIN_RATE, MAX_RATE = (int(bound) for bound in _RATE.bounds)
OUTPUT_NAME = "narration.wav"

_CHILD_SCRIPT = Path(__file__).with_name("_espeak_child.py")
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_ESPEAK_INITIALIZE_DONT_EXIT = 0x8000

# emotion → (pitch 0-100, pitch range 0-100); espeak has no emotions, so they colour the intonation.
_EMOTION_PROSODY: dict[str, tuple[int, int]] = {
    "neutral": (50, 50),
    "happy": (58, 70),
    "cheerful": (58, 70),
    "excited": (64, 85),
    "enthusiastic": (62, 80),
    "surprised": (66, 90),
    "sad": (40, 25),
    "calm": (45, 35),
    "soothing": (44, 30),
    "serious": (42, 40),
    "angry": (46, 75),
}

# A sentence ends after . ! ? … and any closing quotes/brackets, before whitespace; so does a blank line.
_SENTENCE_BOUNDARY = re.compile(r"(?<=[.!?…])([\"'”’)\]]*)\s+|\n\s*\n")

_LOCK = threading.Lock()
_voice_table: dict[str, str] | None = None  # lower-cased language code / identifier / name → identifier
_voice_codes: tuple[str, ...] = ()
_variants: dict[str, str] = {}  # lower-cased variant name → file name in espeak-ng-data/voices/!v


class _EspeakVoice(ctypes.Structure):
    _fields_ = [  # ctypes layout of espeak_VOICE
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


def _paths() -> tuple[str, str]:
    """(library path, data folder) of the bundled espeak-ng."""
    try:
        import espeakng_loader
    except ImportError as exc:
        raise GenerationError(
            "Offline narration needs the espeakng-loader package (pip install espeakng-loader)",
            retryable=False,
        ) from exc
    try:
        return str(espeakng_loader.get_library_path()), str(espeakng_loader.get_data_path())
    except Exception as exc:  # the loader raises RuntimeError when its data folder is missing
        raise GenerationError(f"espeak-ng is not installed correctly: {exc}", retryable=False) from exc


def _parse_languages(address: int) -> list[tuple[int, str]]:
    """espeak_VOICE.languages: (priority byte, NUL-terminated code) pairs, ended by a 0 priority."""
    result: list[tuple[int, str]] = []
    while address:
        priority = ctypes.string_at(address, 1)[0]
        if priority == 0:
            break
        code = ctypes.string_at(address + 1)
        result.append((priority, code.decode("utf-8", "replace")))
        address += 2 + len(code)
    return result


def _load_voice_table() -> dict[str, str]:
    """Initialise espeak-ng in this process once (under `_LOCK`) and index its voices."""
    global _voice_table, _voice_codes
    with _LOCK:
        if _voice_table is not None:
            return _voice_table
        lib_path, data_path = _paths()
        try:
            lib: Any = ctypes.CDLL(lib_path)
        except OSError as exc:
            raise GenerationError(f"Cannot load the espeak-ng library: {exc}", retryable=False) from exc
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_EspeakVoice))
        if (
            lib.espeak_Initialize(
                _AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), _ESPEAK_INITIALIZE_DONT_EXIT
            )
            <= 0
        ):
            raise GenerationError(
                "espeak-ng failed to initialise (its data folder is unusable)", retryable=False
            )
        voices = lib.espeak_ListVoices(None)
        # (priority, order) decides which voice a shared language code such as "en" means.
        best: dict[str, tuple[int, int, str]] = {}
        exact: dict[str, str] = {}
        index = 0
        while voices and voices[index]:
            voice = voices[index].contents
            identifier = (voice.identifier or b"").decode("utf-8", "replace")
            name = (voice.name or b"").decode("utf-8", "replace").strip()
            if identifier:
                exact[identifier.lower()] = identifier
                exact.setdefault(identifier.rsplit("/", 1)[-1].lower(), identifier)
                if name:
                    exact.setdefault(name.lower(), identifier)
                for priority, code in _parse_languages(voice.languages or 0):
                    key = code.lower()
                    if key not in best or (priority, index) < best[key][:2]:
                        best[key] = (priority, index, identifier)
            index += 1
        table = {**exact, **{code: entry[2] for code, entry in best.items()}}
        variant_dir = Path(data_path) / "voices" / "!v"
        if variant_dir.is_dir():
            _variants.update({p.name.lower(): p.name for p in variant_dir.iterdir() if p.is_file()})
        _voice_codes = tuple(sorted(best))
        _voice_table = table
        return table


def list_voices() -> list[str]:
    """Voice codes the local narration accepts (espeak-ng language codes: "de", "en-gb", "en-us", …).

    Identifiers such as "gmw/en-US" and a variant suffix such as "en-us+f3" (see `list_variants`) are
    accepted too.
    """
    _load_voice_table()
    return list(_voice_codes)


def list_variants() -> list[str]:
    """Voice variants that can follow a voice after "+" ("f3", "m2", "klatt", "whisper", …)."""
    _load_voice_table()
    return sorted(_variants.values(), key=str.lower)


def resolve_voice(voice: str) -> str | None:
    """The espeak-ng voice identifier (plus any "+variant") for a user's voice, or None if unknown."""
    table = _load_voice_table()
    base, plus, variant = voice.strip().partition("+")
    identifier = table.get(base.strip().lower().replace("_", "-"))
    if identifier is None:
        return None
    if not plus:
        return identifier
    variant_file = _variants.get(variant.strip().lower())
    return f"{identifier}+{variant_file}" if variant_file else None


def _unknown_voice_message(voice: str) -> str:
    base, plus, variant = voice.strip().partition("+")
    if plus and resolve_voice(base) is not None:
        variants = list_variants()
        return (
            f"Unknown voice variant {variant.strip()!r} for espeak-ng; try one of: "
            f"{', '.join(v for v in variants if v.lower() in ('f1', 'f2', 'f3', 'm1', 'm2', 'm3', 'klatt'))}"
            f" ({len(variants)} available)"
        )
    codes = list_voices()
    suggestions = difflib.get_close_matches(voice.lower(), codes, n=4, cutoff=0.5)
    for common in ("en-us", "en-gb", "de", "fr", "es", "it"):
        if common in codes and common not in suggestions:
            suggestions.append(common)
    return (
        f"Unknown voice {voice!r} for espeak-ng; try one of: {', '.join(suggestions[:8])} "
        f"({len(codes)} available)"
    )


def voice_problem(voice: str) -> str | None:
    """The `local/espeak` voice catalogue: None when espeak-ng has `voice`, else what it has."""
    return None if resolve_voice(voice) is not None else _unknown_voice_message(voice)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of the sentences (and paragraphs) of `text`, blanks skipped."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_BOUNDARY.finditer(text):
        end = match.end(1) if match.group(1) is not None else match.start()
        if text[start:end].strip():
            spans.append((start, end))
        start = match.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


@dataclass(frozen=True)
class _Settings:
    script: str
    model: str
    voice: str
    voice_id: str
    emotion: str
    language: str
    rate: int
    pitch: int
    pitch_range: int


@dataclass(frozen=True)
class SpokenFields:
    """What every offline voice reads from a narration request: the words, the voice, rate and emotion."""

    script: str
    voice: str
    rate: float
    """Words per minute (`extra["rate"]`, checked)."""
    emotion: str
    language: str


def spoken_fields(model: str, fields: Mapping[str, Any], extra: Mapping[str, Any]) -> SpokenFields:
    """Check and read a narration request's spoken fields for `model` (one `GenerationError` each)."""
    script = fields.get("script")
    if not isinstance(script, str) or not script.strip():
        raise GenerationError("The narration script is empty: write what should be said", retryable=False)
    voice = choose_voice(NARRATION.name, model, fields.get("voice"), extra.get("voice"))
    rate = extra.get("rate", DEFAULT_RATE)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or rate != rate:
        raise GenerationError(
            f"Speaking rate must be a number of words per minute, got {rate!r}", retryable=False
        )
    if not MIN_RATE <= rate <= MAX_RATE:
        raise GenerationError(
            f"Speaking rate must be between {MIN_RATE} and {MAX_RATE} words per minute, got {rate:g}",
            retryable=False,
        )
    return SpokenFields(
        script=script,
        voice=voice,
        rate=float(rate),
        emotion=str(fields.get("emotion") or "").strip() or NARRATION.field("emotion").default,
        language=str(fields.get("language") or "").strip() or NARRATION.field("language").default,
    )


def _settings(fields: Mapping[str, Any], extra: Mapping[str, Any]) -> _Settings:
    spoken = spoken_fields(DEFAULT_MODEL, fields, extra)
    script, voice, rate, emotion = spoken.script, spoken.voice, spoken.rate, spoken.emotion
    voice_id = resolve_voice(voice)
    if voice_id is None:
        raise GenerationError(_unknown_voice_message(voice), retryable=False)
    pitch, pitch_range = _EMOTION_PROSODY.get(emotion.lower(), _EMOTION_PROSODY["neutral"])
    return _Settings(
        script=script,
        model=str(fields.get("model") or "").strip() or DEFAULT_MODEL,
        voice=voice,
        voice_id=voice_id,
        emotion=emotion,
        language=spoken.language,
        rate=round(rate),
        pitch=pitch,
        pitch_range=pitch_range,
    )


class LocalNarrationGenerator(GuardedGenerator):
    """Speech from espeak-ng, written as 16-bit mono WAV (`narration.wav`) into the run's folder."""

    failure = "Local narration failed"

    async def _generate(self, request: GenerationRequest, progress: ProgressFn) -> GenerationResult:
        settings = await run_blocking(_settings, request.fields, request.extra)
        spans = sentence_spans(settings.script)
        sentences = max(1, len(spans))
        total = sentences + 1  # one step per sentence spoken, one for writing the file
        progress(0, total, f"Starting espeak-ng ({settings.voice})")

        out_dir = Path(request.out_dir)
        target = out_dir / OUTPUT_NAME
        fd, pcm_name = tempfile.mkstemp(dir=out_dir, prefix=".narration.", suffix=".pcm")
        os.close(fd)
        pcm_path = Path(pcm_name)
        try:
            sample_rate = await self._synthesise(settings, request.seed, pcm_path, spans, total, progress)
            pcm = await run_blocking(pcm_path.read_bytes)
            if not any(pcm):
                raise GenerationError(
                    "espeak-ng produced no sound for this script: does it contain words?", retryable=False
                )
            await run_blocking(write_wav, target, pcm, sample_rate)
        finally:
            with contextlib.suppress(OSError):
                pcm_path.unlink()
        duration = round(await run_blocking(wav_duration, target), 2)
        progress(total, total, f"Saved {OUTPUT_NAME} ({duration:.1f} s)")
        return GenerationResult(
            file=target.resolve(),
            fields={
                "script": settings.script,
                "model": settings.model,
                "voice": settings.voice,
                "emotion": settings.emotion,
                "language": settings.language,
                "duration_s": duration,
            },
        )

    async def _synthesise(
        self,
        settings: _Settings,
        seed: int,
        pcm_path: Path,
        spans: list[tuple[int, int]],
        total: int,
        progress: ProgressFn,
    ) -> int:
        """Run the child synthesis, relaying progress per sentence; returns the sample rate.

        A cancel arrives at an `await` on the child's output; the `finally` then kills the child.
        """
        lib_path, data_path = _paths()
        if not sys.executable:
            raise GenerationError("Cannot start espeak-ng: no Python interpreter path", retryable=False)
        args = [
            lib_path,
            data_path,
            settings.voice_id,
            str(settings.rate),
            str(settings.pitch),
            str(settings.pitch_range),
            str(seed & 0x7FFFFFFF),
            str(pcm_path),
        ]
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-I",
            "-S",
            str(_CHILD_SCRIPT),
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        stderr_task = asyncio.ensure_future(process.stderr.read())
        time_limit = 30.0 + 0.05 * len(settings.script)
        sample_rate = 0
        reported = 0
        try:
            process.stdin.write(settings.script.encode("utf-8"))
            with contextlib.suppress(ConnectionError):
                await process.stdin.drain()
            process.stdin.close()
            async with asyncio.timeout(time_limit):
                while line := await process.stdout.readline():
                    tag, _, value = line.decode("ascii", "replace").strip().partition(" ")
                    if tag == "R":
                        sample_rate = int(value)
                    elif tag == "P":
                        # The word at 1-based `position` has started: every sentence before it is spoken.
                        position = int(value) - 1
                        done = sum(1 for start, _ in spans[1:] if start <= position)
                        while reported < done:
                            reported += 1
                            progress(reported, total, f"Spoke sentence {reported} of {total - 1}")
                            await asyncio.sleep(0)  # a cancel from the progress callback lands here
            code = await process.wait()
            errors = (await stderr_task).decode("utf-8", "replace").strip()
            if code == 3:
                raise GenerationError(_unknown_voice_message(settings.voice), retryable=False)
            if code != 0 or sample_rate <= 0:
                # One line: the child's last word (a traceback's last line names the error).
                detail = errors.splitlines()[-1].strip() if errors else f"exit status {code}"
                raise GenerationError(f"espeak-ng failed: {detail}", retryable=True)
            while reported < total - 1:
                reported += 1
                progress(reported, total, f"Spoke sentence {reported} of {total - 1}")
                await asyncio.sleep(0)
            return sample_rate
        except TimeoutError:
            raise GenerationError("espeak-ng took too long to speak this script", retryable=True) from None
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
            if not stderr_task.done():
                stderr_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await stderr_task
