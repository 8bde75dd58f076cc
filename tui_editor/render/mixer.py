"""The audio mix: every narration and music span of a plan, summed into stereo float32 at 48 kHz.

Sources are decoded once when first needed and dropped when no later span uses them, so a long lecture
holds only the media playing around the current position. WAV files are read with `generators.wav` (the
one WAV reader that gets streamed headers right); anything else (MP3, float WAV) is decoded by PyAV.
Everything is resampled to the plan's rate with FFmpeg's resampler and mixed to stereo (mono is copied
to both channels, more than two channels are averaged). Peaks of the sum above `LIMIT_KNEE` are bent
smoothly towards full scale (`soft_limit`) instead of clipping hard.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .schedule import AudioSpan, MediaProblem, RenderError, RenderPlan

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Samples = npt.NDArray[np.float32]


LIMIT_KNEE = 0.8
"""Below this level samples pass unchanged; above it they approach ±1 along a tanh curve."""


def soft_limit(samples: Samples) -> Samples:
    """`samples` within -1..1: unchanged up to the knee, smoothly bent above it (in place)."""
    import numpy as np

    magnitude = np.abs(samples)
    loud = magnitude > LIMIT_KNEE
    if loud.any():
        room = 1.0 - LIMIT_KNEE
        bent = LIMIT_KNEE + room * np.tanh((magnitude[loud] - LIMIT_KNEE) / room)
        samples[loud] = np.sign(samples[loud]) * bent
    return samples


def _stereo(samples: Samples) -> Samples:
    import numpy as np

    if samples.ndim == 1:
        samples = samples[:, None]
    channels = samples.shape[1]
    if channels == 2:
        return np.ascontiguousarray(samples, dtype=np.float32)
    mono = samples.mean(axis=1, dtype=np.float32) if channels > 1 else samples[:, 0]
    return np.ascontiguousarray(np.stack([mono, mono], axis=1), dtype=np.float32)


def _resample(samples: Samples, rate: int, target: int) -> Samples:
    """(frames, 2) float32 at `rate` → the same at `target`, through FFmpeg's resampler."""
    import av
    import numpy as np

    if rate == target or len(samples) == 0:
        return samples
    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=target)
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples.T), format="fltp", layout="stereo")
    frame.sample_rate = rate
    frame.pts = 0
    parts = [f.to_ndarray() for f in resampler.resample(frame)]
    parts += [f.to_ndarray() for f in resampler.resample(None)]
    if not parts:
        return np.zeros((0, 2), dtype=np.float32)
    return np.ascontiguousarray(np.concatenate(parts, axis=1).T, dtype=np.float32)


def _decode_with_av(path: Path, target: int) -> Samples:
    import av
    import numpy as np

    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=target)
    parts = []
    with av.open(str(path)) as container:
        if not container.streams.audio:
            raise RenderError("has no audio stream")
        for frame in container.decode(audio=0):
            parts += [f.to_ndarray() for f in resampler.resample(frame)]
    parts += [f.to_ndarray() for f in resampler.resample(None)]
    if not parts:
        return np.zeros((0, 2), dtype=np.float32)
    return np.ascontiguousarray(np.concatenate(parts, axis=1).T, dtype=np.float32)


def decode_audio(path: Path, target: int) -> Samples:
    """All of `path`'s audio as (frames, 2) float32 in -1..1 at `target` Hz. Raises on unreadable files."""
    from ..generators.wav import WavError, read_wav

    if path.suffix.lower() == ".wav":
        try:
            samples, rate = read_wav(path)
        except WavError:
            pass  # not integer PCM (or not quite WAV): let FFmpeg try
        else:
            return _resample(_stereo(samples), rate, target)
    return _decode_with_av(path, target)


class Mixer:
    """Mixes a plan's audio one block at a time: `mix(first_sample, count)` → (count, 2) float32."""

    def __init__(self, plan: RenderPlan, *, decode: Callable[[Path, int], Samples] = decode_audio) -> None:
        self.plan = plan
        self.rate = plan.sample_rate
        self._decode = decode
        self._spans = sorted((s for s in plan.audio if s.file is not None), key=lambda s: s.start)
        self._next = 0
        self._active: list[AudioSpan] = []
        self._users: Counter[Path] = Counter(s.file for s in self._spans if s.file is not None)
        self._sources: dict[Path, Samples] = {}

    def _source(self, span: AudioSpan) -> Samples:
        assert span.file is not None
        source = self._sources.get(span.file)
        if source is None:
            try:
                source = self._decode(span.file, self.rate)
            except Exception as exc:  # noqa: BLE001 - any decoder failure becomes one line naming the clip
                text = exc.message if isinstance(exc, RenderError) else str(exc).strip()
                detail = text.splitlines()[0] if text else type(exc).__name__
                problem = MediaProblem(span.clip_id, span.clip_name, span.track, f"cannot read it: {detail}")
                raise RenderError(f"cannot render: {problem.describe()}") from None
            self._sources[span.file] = source
        return source

    def _retire(self, span: AudioSpan) -> None:
        assert span.file is not None
        self._users[span.file] -= 1
        if self._users[span.file] <= 0:
            self._sources.pop(span.file, None)

    def mix(self, first: int, count: int) -> Samples:
        """Samples `[first, first + count)` of the output (call with increasing `first`)."""
        import numpy as np

        out = np.zeros((count, 2), dtype=np.float32)
        rate = self.rate
        block_start, block_end = first / rate, (first + count) / rate
        while self._next < len(self._spans) and self._spans[self._next].start < block_end:
            self._active.append(self._spans[self._next])
            self._next += 1
        still: list[AudioSpan] = []
        for span in self._active:
            if span.end <= block_start:
                self._retire(span)
                continue
            self._add(out, span, first, count)
            if span.end < block_end:
                self._retire(span)
            else:
                still.append(span)
        self._active = still
        return soft_limit(out)

    def _add(self, out: Samples, span: AudioSpan, first: int, count: int) -> None:
        import numpy as np

        rate = self.rate
        lo = max(first, round(span.start * rate))
        hi = min(first + count, round(span.end * rate))
        if hi <= lo:
            return
        source = self._source(span)
        if len(source) == 0:
            return
        positions = np.arange(lo, hi, dtype=np.int64)
        media = positions - round(span.start * rate) + round(span.media_offset * rate)
        if span.loop:
            media %= len(source)
            keep = slice(None)
            chunk = source[media]
        else:
            valid = media < len(source)
            if not valid.any():
                return
            keep = valid  # type: ignore[assignment]
            chunk = source[media[valid]]
        gain = self._gain(span, positions[keep] / rate)
        out[positions[keep] - first] += chunk * gain[:, None]

    @staticmethod
    def _gain(span: AudioSpan, times: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
        import numpy as np

        local = times - span.clip_start
        gain = np.full(len(times), span.volume, dtype=np.float64)
        if span.fade_in_s > 0:
            gain *= np.clip(local / span.fade_in_s, 0.0, 1.0)
        if span.fade_out_s > 0:
            gain *= np.clip((span.clip_duration - local) / span.fade_out_s, 0.0, 1.0)
        return gain.astype(np.float32)
