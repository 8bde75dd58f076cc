"""One espeak-ng synthesis in a fresh process (run as a script by `local_narration`, never imported).

Why a child process: libespeak-ng keeps DSP state in C statics (pitch-flutter phase, automatic gain,
cycle counters in wavegen.c) that survive between calls and even `espeak_Terminate`, so the same text
synthesised twice in one process gives slightly different samples. A fresh process per request makes the
output byte-identical for identical requests, and keeps a crash in the C library out of the app. Start-up
costs ~15 ms (`python -I -S`, stdlib only: this file must not import anything outside the stdlib).

Usage: python -I -S _espeak_child.py LIB DATA VOICE RATE PITCH RANGE SEED PCM_OUT  (text on stdin, UTF-8)

stdout protocol, one line each, flushed:
  R <sample rate>      after initialisation
  P <text position>    as synthesis advances (1-based character position of the current word)
  D <samples>          when done; PCM_OUT then holds little-endian 16-bit mono samples
Exit codes: 0 ok, 2 library/initialisation failure, 3 voice not found, 4 synthesis failure, 5 bad usage.
"""

from __future__ import annotations

import contextlib
import ctypes
import sys
from typing import Any

AUDIO_OUTPUT_SYNCHRONOUS = 2
ESPEAK_INITIALIZE_DONT_EXIT = 0x8000
ESPEAK_RATE, ESPEAK_VOLUME, ESPEAK_PITCH, ESPEAK_RANGE = 1, 2, 3, 4
ESPEAK_CHARS_UTF8 = 1
POS_CHARACTER = 1
EVENT_LIST_TERMINATED, EVENT_WORD, EVENT_SENTENCE = 0, 1, 2


class EspeakEvent(ctypes.Structure):
    _fields_ = [  # ctypes layout of espeak_EVENT
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


SYNTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(EspeakEvent)
)


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    if len(argv) != 8:
        sys.stderr.write("usage: LIB DATA VOICE RATE PITCH RANGE SEED PCM_OUT\n")
        return 5
    lib_path, data_path, voice, rate, pitch, pitch_range, seed, pcm_out = argv
    try:
        lib: Any = ctypes.CDLL(lib_path)
    except OSError as exc:
        sys.stderr.write(f"cannot load espeak-ng library: {exc}\n")
        return 2
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_SetSynthCallback.argtypes = [SYNTH_CALLBACK]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_SetParameter.restype = ctypes.c_int
    lib.espeak_Synth.argtypes = [
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    lib.espeak_Synth.restype = ctypes.c_int
    lib.espeak_Synchronize.restype = ctypes.c_int

    sample_rate = lib.espeak_Initialize(
        AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), ESPEAK_INITIALIZE_DONT_EXIT
    )
    if sample_rate <= 0:
        sys.stderr.write("espeak-ng failed to initialise (data folder missing or wrong version)\n")
        return 2
    _say(f"R {sample_rate}")

    text = sys.stdin.buffer.read()
    if lib.espeak_SetVoiceByName(voice.encode()) != 0:
        sys.stderr.write(f"voice not found: {voice}\n")
        return 3
    for parameter, value in ((ESPEAK_RATE, rate), (ESPEAK_PITCH, pitch), (ESPEAK_RANGE, pitch_range)):
        lib.espeak_SetParameter(parameter, int(value), 0)
    lib.espeak_SetParameter(ESPEAK_VOLUME, 100, 0)
    if hasattr(lib, "espeak_ng_SetRandSeed"):
        lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        lib.espeak_ng_SetRandSeed(int(seed))

    total = 0
    last_position = 0
    write_error: list[str] = []
    try:
        out = open(pcm_out, "wb")  # noqa: SIM115 - closed below, where a full disk is reported too
    except OSError as exc:
        sys.stderr.write(f"cannot write the speech: {exc.strerror or exc}\n")
        return 5
    with contextlib.closing(_QuietClose(out)):

        def on_audio(wav: Any, count: int, events: Any) -> int:
            nonlocal total, last_position
            if wav and count > 0:
                try:
                    out.write(ctypes.string_at(wav, count * 2))
                except OSError as exc:  # a full disk: stop speaking (1 aborts), report it once
                    write_error.append(exc.strerror or str(exc))
                    return 1
                total += count
            index = 0
            while events and events[index].type != EVENT_LIST_TERMINATED:
                event = events[index]
                if event.type in (EVENT_WORD, EVENT_SENTENCE) and event.text_position > last_position:
                    last_position = event.text_position
                    _say(f"P {last_position}")
                index += 1
            return 0

        callback = SYNTH_CALLBACK(on_audio)  # must stay referenced while espeak may call it
        lib.espeak_SetSynthCallback(callback)
        buffer = ctypes.create_string_buffer(text)  # NUL-terminated
        status = lib.espeak_Synth(buffer, len(text) + 1, 0, POS_CHARACTER, 0, ESPEAK_CHARS_UTF8, None, None)
        if status != 0:
            sys.stderr.write(f"espeak_Synth failed with status {status}\n")
            return 4
        if lib.espeak_Synchronize() != 0 and not write_error:
            sys.stderr.write("espeak_Synchronize failed\n")
            return 4
        if not write_error:
            try:
                out.flush()
            except OSError as exc:
                write_error.append(exc.strerror or str(exc))
    if write_error:
        sys.stderr.write(f"cannot write the speech: {write_error[0]}\n")
        return 5
    _say(f"D {total}")
    return 0


class _QuietClose:
    """Closes a file without raising: a failed final flush (a full disk) is reported by the caller."""

    def __init__(self, file: Any) -> None:
        self.file = file

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.file.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
