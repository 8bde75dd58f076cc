"""A lecture's timeline as a render schedule: which picture each video frame shows, which audio plays when.

Pure: no decoding, no encoding, no I/O beyond resolving media paths. `plan_render` turns a snapshot and
the output settings into a `RenderPlan` in *output* time (0 = the start of the rendered range):

- Video: frame `n` shows the timeline at `start + n / fps`. Where visual clips overlap, the one that
  starts later is on top (a tie: the later name). Frames no visual covers are black.
- Ken Burns (`Motion`): the clip's `params` as in the web original — `start_scale`/`end_scale` (1 = the
  picture covers the frame), `start_x`/`start_y`/`end_x`/`end_y` (a translation applied before the zoom,
  in pixels of a 1920-pixel-wide frame, scaled to the output size), interpolated linearly over the clip's
  own duration, so a range render shows the same motion as the whole render. A missing end value takes
  the start value. A clip with none of these parameters gets a gentle default zoom (`DEFAULT_MOTION`,
  1.0 → 1.08, centred); `effect = "none"` (or `"static"`) keeps the picture still.
- Audio: every narration and music clip plays its media from the clip's start, cut at the clip's end, at
  `volume` (default 1) with linear `fade_in_s`/`fade_out_s` at the clip's own start and end. Music shorter
  than its clip loops; narration plays once (silence after it). Time outside every clip is silent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import TuiEditorError
from ..core.paths import UnsafePathError, data_file
from ..core.safe_text import visible
from ..core.snapshot import ClipView, LectureSnapshot

REFERENCE_WIDTH = 1920.0
"""Ken Burns offsets are pixels of a frame this wide (the web original's), scaled to the output width."""
SAMPLE_RATE = 48_000
"""The rendered audio's sample rate (stereo AAC)."""
STILL_EFFECTS = ("none", "static", "still")
"""`effect` values that turn the default motion off."""
MAX_SIZE = 7680
MIN_SIZE = 16
MAX_FPS = 120


class RenderError(TuiEditorError):
    """A lecture cannot be rendered (missing media, a write failed); the message names the clip or file."""


class RenderInputError(RenderError):
    """The render was asked for something impossible (a bad size, frame rate or range): bad input."""

    exit_code = 2


@dataclass(frozen=True)
class Motion:
    """A Ken Burns move: zoom and offset at the clip's start and end (linear in between)."""

    start_scale: float = 1.0
    end_scale: float = 1.0
    start_x: float = 0.0
    start_y: float = 0.0
    end_x: float = 0.0
    end_y: float = 0.0

    @property
    def moves(self) -> bool:
        return (self.start_scale, self.start_x, self.start_y) != (self.end_scale, self.end_x, self.end_y)

    def at(self, progress: float) -> tuple[float, float, float]:
        """(scale, x, y) at `progress` (0 = the clip's start, 1 = its end; clamped)."""
        t = min(1.0, max(0.0, progress))
        return (
            self.start_scale + (self.end_scale - self.start_scale) * t,
            self.start_x + (self.end_x - self.start_x) * t,
            self.start_y + (self.end_y - self.start_y) * t,
        )


STILL = Motion()
DEFAULT_MOTION = Motion(start_scale=1.0, end_scale=1.08)
_MOTION_PARAMS = ("start_scale", "end_scale", "start_x", "start_y", "end_x", "end_y")


def _number(params: Mapping[str, Any], name: str) -> float | None:
    value = params.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def motion_for(params: Mapping[str, Any]) -> Motion:
    """The Ken Burns move of a visual clip's `params` (see the module docstring for the defaults)."""
    effect = params.get("effect")
    if isinstance(effect, str) and effect.strip().lower() in STILL_EFFECTS:
        return STILL
    values = {name: _number(params, name) for name in _MOTION_PARAMS}
    if all(v is None for v in values.values()):
        return DEFAULT_MOTION
    start_scale = values["start_scale"] or 1.0  # a zoom of 0 is no picture: treat as unset
    start_x = values["start_x"] or 0.0
    start_y = values["start_y"] or 0.0
    return Motion(
        start_scale=start_scale,
        end_scale=values["end_scale"] or start_scale,
        start_x=start_x,
        start_y=start_y,
        end_x=start_x if values["end_x"] is None else values["end_x"],
        end_y=start_y if values["end_y"] is None else values["end_y"],
    )


def audio_gain(params: Mapping[str, Any]) -> tuple[float, float, float]:
    """(volume, fade_in_s, fade_out_s) of an audio clip's `params`; defaults 1, 0, 0."""
    volume = _number(params, "volume")
    fade_in = _number(params, "fade_in_s")
    fade_out = _number(params, "fade_out_s")
    return (
        1.0 if volume is None else max(0.0, volume),
        max(0.0, fade_in or 0.0),
        max(0.0, fade_out or 0.0),
    )


@dataclass(frozen=True)
class MediaProblem:
    """A clip whose media cannot be used (missing file, outside the data dir, no file at all)."""

    clip_id: str
    clip_name: str
    track: str
    reason: str

    def describe(self) -> str:
        """One line naming the clip; names and ids come from anywhere: non-printables are escaped."""
        name, clip_id = (visible(text[:80]) for text in (self.clip_name, self.clip_id))
        return f"{self.track} clip '{name}' ({clip_id}): {visible(self.reason[:300])}"


@dataclass(frozen=True)
class VisualSpan:
    """Frames `[first_frame, end_frame)` show `file` (None: missing media, drawn black) with `motion`."""

    clip_id: str
    clip_name: str
    file: Path | None
    first_frame: int
    end_frame: int
    clip_start: float
    """The clip's start, in output seconds (negative when the range starts inside it)."""
    clip_duration: float
    motion: Motion

    def progress(self, frame: int, fps: int) -> float:
        """How far through its clip frame `frame` is (0..1), for the Ken Burns move."""
        if self.clip_duration <= 0:
            return 0.0
        return (frame / fps - self.clip_start) / self.clip_duration


@dataclass(frozen=True)
class AudioSpan:
    """`file` plays in output seconds `[start, end)`, from `media_offset` seconds into the media."""

    clip_id: str
    clip_name: str
    track: str
    file: Path | None
    start: float
    end: float
    media_offset: float
    clip_start: float
    """The clip's start in output seconds (fades are measured from the clip's own start and end)."""
    clip_duration: float
    volume: float
    fade_in_s: float
    fade_out_s: float
    loop: bool

    def gain_at(self, t: float) -> float:
        """The gain at output time `t` (volume times the fades)."""
        local = t - self.clip_start
        gain = self.volume
        if self.fade_in_s > 0:
            gain *= min(1.0, max(0.0, local / self.fade_in_s))
        if self.fade_out_s > 0:
            gain *= min(1.0, max(0.0, (self.clip_duration - local) / self.fade_out_s))
        return gain


@dataclass(frozen=True)
class RenderPlan:
    width: int
    height: int
    fps: int
    range_start: float
    """Where the output starts on the timeline (seconds)."""
    frames: int
    visuals: tuple[VisualSpan, ...]
    audio: tuple[AudioSpan, ...]
    problems: tuple[MediaProblem, ...] = field(default=())
    sample_rate: int = SAMPLE_RATE

    @property
    def duration(self) -> float:
        """The output's duration: a whole number of frames."""
        return self.frames / self.fps

    @property
    def range_end(self) -> float:
        return self.range_start + self.duration

    @property
    def samples(self) -> int:
        return round(self.frames * self.sample_rate / self.fps)


def check_size(width: int, height: int, fps: int) -> None:
    """Refuse output settings H.264 (yuv420p) cannot take: odd or absurd sizes, frame rates out of range."""
    for label, value in (("width", width), ("height", height)):
        if not MIN_SIZE <= value <= MAX_SIZE:
            raise RenderInputError(f"{label} must be between {MIN_SIZE} and {MAX_SIZE} pixels, got {value}")
        if value % 2:
            raise RenderInputError(f"{label} must be even (H.264 with yuv420p), got {value}")
    if not 1 <= fps <= MAX_FPS:
        raise RenderInputError(f"fps must be between 1 and {MAX_FPS}, got {fps}")


def media_file(data_dir: Path, asset: Mapping[str, Any] | None) -> tuple[Path | None, str]:
    """The asset's media file under `data_dir`, or (None, why not). Paths leaving the data dir are refused."""
    if asset is None:
        return None, "its asset is missing"
    raw = asset.get("file")
    if not isinstance(raw, str) or not raw.strip():
        return None, "its asset has no media file"
    relative = raw.split("?", 1)[0].split("#", 1)[0]
    try:
        return data_file(Path(data_dir), relative, "media file").resolve(), ""
    except UnsafePathError:
        return None, "its media file lies outside the data directory"
    except (OSError, RuntimeError, ValueError):
        return None, "its media path is not valid"


def resolve_range(duration: float, start: float | None, end: float | None) -> tuple[float, float]:
    """The (start, end) to render: the whole timeline by default; an end past the timeline is clamped."""
    if duration <= 0:
        raise RenderInputError("the lecture has no clips: nothing to render")
    lo = 0.0 if start is None else start
    hi = duration if end is None else min(end, duration)
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo < 0:
        raise RenderInputError("--from and --to must be finite and not negative")
    if lo >= duration:
        raise RenderInputError(f"--from {lo:g} is past the end of the timeline ({duration:g} s)")
    if hi <= lo:
        raise RenderInputError(f"the range {lo:g}–{hi:g} s is empty (--to must be after --from)")
    return lo, hi


def _frame_at(t: float, fps: int) -> int:
    """The first frame whose time is at or after `t` (output seconds); tolerant of float noise."""
    return math.ceil(t * fps - 1e-6)


def _visual_spans(
    clips: Sequence[ClipView], snapshot: LectureSnapshot, data_dir: Path, t0: float, frames: int, fps: int
) -> tuple[list[VisualSpan], list[MediaProblem]]:
    ordered = sorted(clips, key=lambda c: (c.start, c.name, c.id))
    owner = [-1] * frames
    problems: list[MediaProblem] = []
    for index, clip in enumerate(ordered):
        first = max(0, _frame_at(clip.start - t0, fps))
        end = min(frames, _frame_at(clip.end - t0, fps))
        if end > first:
            owner[first:end] = [index] * (end - first)
    spans: list[VisualSpan] = []
    files: dict[int, Path | None] = {}
    frame = 0
    while frame < frames:
        index = owner[frame]
        run_end = frame + 1
        while run_end < frames and owner[run_end] == index:
            run_end += 1
        if index >= 0:
            clip = ordered[index]
            if index not in files:
                path, reason = media_file(data_dir, snapshot.asset_for(clip))
                if path is not None and not path.is_file():
                    path, reason = None, "its media file is missing"
                if path is None:
                    problems.append(MediaProblem(clip.id, clip.name, clip.track, reason))
                files[index] = path
            spans.append(
                VisualSpan(
                    clip_id=clip.id,
                    clip_name=clip.name,
                    file=files[index],
                    first_frame=frame,
                    end_frame=run_end,
                    clip_start=clip.start - t0,
                    clip_duration=clip.duration,
                    motion=motion_for(clip.params),
                )
            )
        frame = run_end
    return spans, problems


def _audio_spans(
    clips: Sequence[ClipView], snapshot: LectureSnapshot, data_dir: Path, t0: float, t1: float
) -> tuple[list[AudioSpan], list[MediaProblem]]:
    spans: list[AudioSpan] = []
    problems: list[MediaProblem] = []
    for clip in sorted(clips, key=lambda c: (c.start, c.track, c.name, c.id)):
        start, end = max(clip.start, t0), min(clip.end, t1)
        if end <= start or clip.duration <= 0:
            continue
        path, reason = media_file(data_dir, snapshot.asset_for(clip))
        if path is not None and not path.is_file():
            path, reason = None, "its media file is missing"
        if path is None:
            problems.append(MediaProblem(clip.id, clip.name, clip.track, reason))
        volume, fade_in, fade_out = audio_gain(clip.params)
        spans.append(
            AudioSpan(
                clip_id=clip.id,
                clip_name=clip.name,
                track=clip.track,
                file=path,
                start=start - t0,
                end=end - t0,
                media_offset=start - clip.start,
                clip_start=clip.start - t0,
                clip_duration=clip.duration,
                volume=volume,
                fade_in_s=fade_in,
                fade_out_s=fade_out,
                loop=clip.track == "music",
            )
        )
    return spans, problems


def plan_render(
    snapshot: LectureSnapshot,
    data_dir: Path,
    *,
    width: int = 1280,
    height: int = 720,
    fps: int = 30,
    start: float | None = None,
    end: float | None = None,
    allow_missing: bool = False,
) -> RenderPlan:
    """The schedule for rendering `snapshot` (or its range `start`–`end`, in seconds).

    Missing media raise `RenderError` naming the clip(s), unless `allow_missing`: then those clips render
    black / silent and are listed in `RenderPlan.problems`.
    """
    check_size(width, height, fps)
    t0, t1 = resolve_range(snapshot.duration, start, end)
    frames = max(1, round((t1 - t0) * fps))
    visuals, visual_problems = _visual_spans(snapshot.track("visual"), snapshot, data_dir, t0, frames, fps)
    audio_clips = [*snapshot.track("voice"), *snapshot.track("music")]
    audio, audio_problems = _audio_spans(audio_clips, snapshot, data_dir, t0, t0 + frames / fps)
    problems = (*visual_problems, *audio_problems)
    if problems and not allow_missing:
        shown = "; ".join(p.describe() for p in problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise RenderError(f"cannot render: {shown}{more} — regenerate it, or use --allow-missing")
    return RenderPlan(
        width=width,
        height=height,
        fps=fps,
        range_start=t0,
        frames=frames,
        visuals=tuple(visuals),
        audio=tuple(audio),
        problems=problems,
    )
