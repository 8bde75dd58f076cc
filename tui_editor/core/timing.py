"""Timing that follows the narration: how far a clip's audio overruns it, which clips overlap it, and
the retime plan (each narration as long as its audio plus a pad, the rest of every track rippled).

Which kind's clips set the timing, and which field holds their audio length, come from `core.kinds`
(`AssetKind.sets_timing`, `audio_seconds_field`).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from typing import Any

from .kinds import kind_for_track
from .snapshot import ClipView, LectureSnapshot

#: Differences below this many seconds are rounding, not timing changes.
EPSILON = 1e-6


def audio_seconds(track: str, asset: Mapping[str, Any] | None) -> float | None:
    """The audio length of a timing clip's asset (None for other clips, or when it has no audio)."""
    kind = kind_for_track(track)
    if not kind.sets_timing or not asset:
        return None
    value = asset.get(kind.audio_seconds_field)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return float(value)


def overflow_s(snapshot: LectureSnapshot, clip: ClipView) -> float | None:
    """Seconds by which a timing clip's audio is longer than the clip (None when it is not)."""
    seconds = audio_seconds(clip.track, snapshot.asset_for(clip))
    if seconds is None or seconds <= clip.duration + EPSILON:
        return None
    return round(seconds - clip.duration, 3)


def overlaps(start: float, end: float, other_start: float, other_end: float) -> bool:
    """Whether [start, end) and [other_start, other_end) share some time (touching is not overlapping)."""
    return other_start < end - EPSILON and start < other_end - EPSILON


def stale_neighbours(
    narration: Mapping[str, Any],
    old_seconds: float | None,
    new_seconds: float | None,
    clips: Iterable[Mapping[str, Any]],
) -> list[str]:
    """Ids of the other tracks' clips overlapping a timing clip whose audio changed length: the clip's
    span, extended to the longer of the old and new audio."""
    start = float(narration["start"])
    end = start + max(float(narration["duration"]), old_seconds or 0.0, new_seconds or 0.0)
    return [
        c["id"]
        for c in clips
        if c["track"] != narration["track"]
        and overlaps(start, end, float(c["start"]), float(c["start"]) + float(c["duration"]))
    ]


def retime_plan(snapshot: LectureSnapshot, pad: float) -> dict[str, dict[str, float]]:
    """New `{start, duration}` of every clip that moves when each timing clip becomes its audio + `pad`.

    Time is mapped piecewise-linearly: inside each timing clip old time is stretched (or shrunk) to its
    new length, outside it moves by the shifts before it. The map is continuous and increasing, so
    clips that touched still touch, gaps keep their length, and nothing that did not overlap overlaps.
    Timing clips without audio keep their length. Times are rounded to the millisecond.
    """
    knots_old: list[float] = [0.0]
    knots_new: list[float] = [0.0]
    targets: dict[str, float] = {}
    timing = sorted(
        (c for c in snapshot.clips if kind_for_track(c.track).sets_timing), key=lambda c: (c.start, c.id)
    )
    for clip in timing:
        seconds = audio_seconds(clip.track, snapshot.asset_for(clip))
        if seconds is None:
            continue
        new_duration = round(seconds + pad, 3)
        targets[clip.id] = new_duration
        if clip.start < knots_old[-1] - EPSILON or clip.duration <= EPSILON:
            continue  # overlapping (or empty) timing clips cannot stretch the map; they just get their length
        start_new = _map(knots_old, knots_new, clip.start)
        if clip.start > knots_old[-1] + EPSILON:
            knots_old.append(clip.start)
            knots_new.append(start_new)
        knots_old.append(clip.end)
        knots_new.append(start_new + new_duration)
    plan: dict[str, dict[str, float]] = {}
    for clip in snapshot.clips:
        start = round(_map(knots_old, knots_new, clip.start), 3)
        if clip.id in targets:
            duration = targets[clip.id]
        else:
            duration = round(_map(knots_old, knots_new, clip.end) - start, 3)
        duration = max(duration, 0.0)
        if abs(start - clip.start) > EPSILON or abs(duration - clip.duration) > EPSILON:
            plan[clip.id] = {"start": start, "duration": duration}
    return plan


def _map(old: list[float], new: list[float], t: float) -> float:
    """The piecewise-linear map through the knots (old[i] → new[i]); slope 1 after the last knot."""
    i = bisect.bisect_right(old, t) - 1
    if i < 0:
        return t
    if i >= len(old) - 1:
        return new[-1] + (t - old[-1])
    span = old[i + 1] - old[i]
    if span <= EPSILON:
        return new[i + 1]
    return new[i] + (t - old[i]) * (new[i + 1] - new[i]) / span
