"""Encoding a plan to MP4 with PyAV (FFmpeg's libraries, shipped inside the `av` wheel).

H.264 video (libx264, yuv420p, `crf` 23, preset `veryfast`) and AAC stereo audio at 48 kHz, with the MP4
index at the front (`+faststart`, so a browser can start playing before the whole file has arrived).
The file is written next to its destination under a hidden temporary name and renamed over it only once
complete: an error, a cancellation or ctrl+c leaves no half-written video behind (and an existing file
with the destination's name untouched).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .frames import load_picture, paint
from .mixer import Mixer
from .schedule import MediaProblem, RenderError, RenderInputError, RenderPlan, VisualSpan

if TYPE_CHECKING:
    import av.video.frame

ProgressCallback = Callable[[int, int], None]
"""Called as `progress(frames_done, frames_total)` after every frame."""

VIDEO_CODEC = "libx264"
AUDIO_CODEC = "aac"
AUDIO_BIT_RATE = 160_000


class RenderCancelled(RenderError):
    """`should_stop` asked the render to stop; nothing was written."""


@dataclass(frozen=True)
class RenderResult:
    file: Path
    width: int
    height: int
    fps: int
    frames: int
    duration_s: float
    range_start: float
    range_end: float
    wall_s: float
    problems: tuple[MediaProblem, ...]

    @property
    def speed(self) -> float:
        """Seconds of video made per second of wall time."""
        return self.duration_s / self.wall_s if self.wall_s > 0 else float("inf")

    def to_json(self) -> dict[str, Any]:
        return {
            "file": str(self.file),
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "frames": self.frames,
            "duration_s": round(self.duration_s, 6),
            "from_s": round(self.range_start, 6),
            "to_s": round(self.range_end, 6),
            "video_codec": "h264",
            "audio_codec": "aac",
            "seconds": round(self.wall_s, 3),
            "missing": [
                {"clip_id": p.clip_id, "clip_name": p.clip_name, "track": p.track, "reason": p.reason}
                for p in self.problems
            ],
        }


class _Pictures:
    """Decoded pictures by file (a few at a time) and ready-made frames of still spans."""

    def __init__(self, plan: RenderPlan) -> None:
        self.plan = plan
        self._pictures: OrderedDict[Path, Any] = OrderedDict()
        self._still: tuple[VisualSpan, Any] | None = None
        self._black: Any = None

    def _yuv(self, image: Any) -> Any:
        import av
        import numpy as np

        frame = av.VideoFrame.from_ndarray(np.asarray(image), format="rgb24").reformat(format="yuv420p")
        return frame.to_ndarray()

    def black(self) -> Any:
        if self._black is None:
            from PIL import Image

            self._black = self._yuv(Image.new("RGB", (self.plan.width, self.plan.height)))
        return self._black

    def picture(self, span: VisualSpan) -> Any:
        assert span.file is not None
        picture = self._pictures.get(span.file)
        if picture is None:
            try:
                picture = load_picture(span.file, self.plan.width, self.plan.height, span.motion)
            except RenderError as exc:
                problem = MediaProblem(span.clip_id, span.clip_name, "visual", exc.message)
                raise RenderError(f"cannot render: {problem.describe()}") from None
            self._pictures[span.file] = picture
            while len(self._pictures) > 4:
                self._pictures.popitem(last=False)
        return picture

    def frame(self, span: VisualSpan | None, index: int) -> av.video.frame.VideoFrame:
        import av

        plan = self.plan
        if span is None or span.file is None:
            return av.VideoFrame.from_ndarray(self.black(), format="yuv420p")
        if not span.motion.moves:
            if self._still is None or self._still[0] is not span:
                scale, x, y = span.motion.at(0.0)
                image = paint(self.picture(span), plan.width, plan.height, scale, x, y)
                self._still = (span, self._yuv(image))
            return av.VideoFrame.from_ndarray(self._still[1], format="yuv420p")
        scale, x, y = span.motion.at(span.progress(index, plan.fps))
        import numpy as np

        image = paint(self.picture(span), plan.width, plan.height, scale, x, y)
        return av.VideoFrame.from_ndarray(np.asarray(image), format="rgb24")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def encode(
    plan: RenderPlan,
    output: Path,
    *,
    progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
    preset: str = "veryfast",
    crf: int = 23,
) -> RenderResult:
    """Render `plan` into the MP4 file `output`, atomically. Raises `RenderError` (one line for the user)."""
    import av

    output = Path(output)
    if output.is_dir():
        raise RenderInputError(f"{output}: is a folder")
    if not output.parent.is_dir():
        raise RenderInputError(f"{output.parent}: no such folder")
    began = time.perf_counter()
    temp = output.parent / f".{output.name}.{secrets.token_hex(6)}.part"
    container: Any = None
    finished = False
    try:
        try:
            container = av.open(str(temp), "w", format="mp4", options={"movflags": "+faststart"})
        except OSError as exc:
            raise RenderError(f"cannot write {output}: {_one_line(exc)}") from None
        video = container.add_stream(VIDEO_CODEC, rate=plan.fps, options={"preset": preset, "crf": str(crf)})
        video.width, video.height, video.pix_fmt = plan.width, plan.height, "yuv420p"
        audio = container.add_stream(AUDIO_CODEC, rate=plan.sample_rate, layout="stereo")
        audio.bit_rate = AUDIO_BIT_RATE
        mixer = Mixer(plan)
        pictures = _Pictures(plan)
        spans = iter(plan.visuals)
        span = next(spans, None)
        samples_done = 0
        for index in range(plan.frames):
            if should_stop is not None and should_stop():
                raise RenderCancelled("render cancelled")
            while span is not None and span.end_frame <= index:
                span = next(spans, None)
            current = span if span is not None and span.first_frame <= index else None
            frame = pictures.frame(current, index)
            frame.pts = index
            for packet in video.encode(frame):
                container.mux(packet)
            due = round((index + 1) * plan.sample_rate / plan.fps)
            if due > samples_done:
                block = mixer.mix(samples_done, due - samples_done)
                audio_frame = av.AudioFrame.from_ndarray(block.T.copy(), format="fltp", layout="stereo")
                audio_frame.sample_rate = plan.sample_rate
                audio_frame.pts = samples_done
                for packet in audio.encode(audio_frame):
                    container.mux(packet)
                samples_done = due
            if progress is not None:
                progress(index + 1, plan.frames)
        for stream in (video, audio):
            for packet in stream.encode(None):
                container.mux(packet)
        container.close()
        container = None
        descriptor = os.open(temp, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temp, output)
        finished = True
    except RenderError:
        raise
    except av.FFmpegError as exc:
        raise RenderError(f"encoding failed: {_one_line(exc)}") from None
    except OSError as exc:
        raise RenderError(f"cannot write {output}: {exc.strerror or _one_line(exc)}") from None
    finally:
        if container is not None:
            with contextlib.suppress(Exception):
                container.close()
        if not finished:
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)
    return RenderResult(
        file=output.resolve(),
        width=plan.width,
        height=plan.height,
        fps=plan.fps,
        frames=plan.frames,
        duration_s=plan.duration,
        range_start=plan.range_start,
        range_end=plan.range_end,
        wall_s=time.perf_counter() - began,
        problems=plan.problems,
    )
