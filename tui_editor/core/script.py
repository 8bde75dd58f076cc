"""Lecture scripts: the web original's script JSON or plain text / Markdown, and the lecture they make.

A script is a list of segments. Each segment becomes a narration clip (its script is the segment's
narration) and a visual clip (a prompt made from the narration and the segment's suggested format), one
after the other on the timeline; consecutive segments with the same background-music cue share one music
clip. `plan_lecture` lays the clips out from the narrations' durations — measured audio, or an estimate
from the word count before anything is generated — and returns an import document for
`Store.create_lecture` together with the list of assets to generate.

Formats read by `parse_script`:

- JSON (the web original's lecture script): `{detailedSummary, segments: [{narration, backgroundMusic,
  effect, suggestedFormat}]}`. Keys it does not know are ignored; a missing or malformed segment key is an
  error naming the segment. An optional `title` is used as the lecture's title. `effect` (a sound effect)
  is read and checked but has no track here.
- Plain text or Markdown: one paragraph (lines up to a blank line) a segment; a leading `# Title` line is
  the title, other heading lines are skipped. Every segment gets the same quiet background cue.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .clock import new_id
from .errors import BadInputError
from .exchange import checked_text, json_type_name, read_text_file
from .kinds import KINDS, MUSIC, VISUAL

#: Speaking rate assumed before a narration exists (words per second; espeak's default 165 wpm ≈ 2.75).
WORDS_PER_SECOND = 2.5
#: The shortest segment an estimate gives (a one-word narration still gets time on screen).
MIN_ESTIMATE_S = 1.0
#: The longest music asset a kind allows; a longer stretch of one cue is split into several clips.
MAX_MUSIC_S = MUSIC.field("duration_s").bounds[1]
MIN_MUSIC_S = MUSIC.field("duration_s").bounds[0]
#: The cue every segment of a plain-text script shares.
PLAIN_MUSIC_CUE = "calm, unobtrusive background music for a lecture"
#: How much of a narration goes into its visual's prompt.
PROMPT_NARRATION_CHARS = 400
#: Limits that keep a hostile file from exhausting memory or the database.
MAX_SEGMENTS = 5000
MAX_TEXT_CHARS = 20000
MAX_SCRIPT_BYTES = 20 * 1024 * 1024

#: The zoom range of a visual's Ken Burns motion (1 = the whole picture).
KEN_BURNS_ZOOM = (1.0, 1.15)
SEGMENT_KEYS = ("narration", "backgroundMusic", "effect", "suggestedFormat")
#: How a suggested format reads at the start of a visual's prompt.
FORMAT_PHRASES = {"image": "An illustration", "map": "A map"}
STALE_NOT_GENERATED = "placeholder: not generated yet (created with --no-generate)"


@dataclass(frozen=True)
class Segment:
    narration: str
    music: str = ""
    """The background-music cue ("" for none)."""
    effect: str = ""
    format: str = "image"


@dataclass(frozen=True)
class LectureScript:
    title: str
    summary: str
    segments: tuple[Segment, ...]


def _text(value: Any, where: str, *, required: bool = False) -> str:
    return checked_text(value, where, MAX_TEXT_CHARS, required=required).strip()


def script_from_json(data: Any, *, default_title: str) -> LectureScript:
    """The web original's lecture script, checked; every problem names the segment and key."""
    if not isinstance(data, Mapping):
        raise BadInputError("a JSON script must be one object with a `segments` list")
    segments = data.get("segments")
    if not isinstance(segments, list):
        raise BadInputError("segments: expected a list of segments")
    if not segments:
        raise BadInputError("segments: the script has no segments")
    if len(segments) > MAX_SEGMENTS:
        raise BadInputError(f"segments: more than {MAX_SEGMENTS} segments")
    summary = _text(data.get("detailedSummary", ""), "detailedSummary")
    title = data.get("title")
    title = _text(title, "title") if title is not None else ""
    parsed = []
    for index, item in enumerate(segments):
        where = f"segment {index + 1}"
        if not isinstance(item, Mapping):
            raise BadInputError(f"{where}: expected an object, got {json_type_name(item)}")
        missing = [key for key in SEGMENT_KEYS if key not in item]
        if missing:
            raise BadInputError(f"{where}: missing {', '.join(repr(k) for k in missing)}")
        parsed.append(
            Segment(
                narration=_text(item["narration"], f"{where}: narration", required=True),
                music=_text(item["backgroundMusic"], f"{where}: backgroundMusic"),
                effect=_text(item["effect"], f"{where}: effect"),
                format=_text(item["suggestedFormat"], f"{where}: suggestedFormat") or "image",
            )
        )
    return LectureScript(title=title or default_title, summary=summary, segments=tuple(parsed))


_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
#: Markdown that is written, not spoken: list markers, quote marks, images, links, emphasis, code.
_MARKDOWN: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\s*(?:[-*+]|\d+[.)]|>+)\s+"), ""),
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), ""),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"(\*\*|\*|`+)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<!\w)(__|_)(?=\S)(.+?)(?<=\S)\1(?!\w)"), r"\2"),
)


def spoken_text(line: str) -> str:
    """A Markdown line as it is to be spoken: list markers, images, link targets, emphasis and code marks
    removed."""
    for pattern, replacement in _MARKDOWN:
        line = pattern.sub(replacement, line)
    return line.strip()


def script_from_text(text: str, *, default_title: str) -> LectureScript:
    """A plain-text or Markdown script: one paragraph a segment, `# Title` first for the title."""
    title = ""
    paragraphs: list[list[str]] = [[]]
    seen_text = False
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            if not seen_text and not title and len(heading.group(1)) == 1:
                title = heading.group(2).strip()
            paragraphs.append([])
            continue
        if not line.strip():
            paragraphs.append([])
            continue
        text = spoken_text(line)
        if text:
            seen_text = True
            paragraphs[-1].append(text)
    segments = [
        Segment(narration=" ".join(lines), music=PLAIN_MUSIC_CUE, effect="", format="image")
        for lines in paragraphs
        if lines
    ]
    if not segments:
        raise BadInputError("the script has no paragraphs to narrate")
    if len(segments) > MAX_SEGMENTS:
        raise BadInputError(f"the script has more than {MAX_SEGMENTS} paragraphs")
    for index, segment in enumerate(segments):
        _text(segment.narration, f"segment {index + 1}", required=True)
    title = title.replace("\x00", "")[:500]
    return LectureScript(title=title or default_title, summary="", segments=tuple(segments))


def parse_script(text: str, *, default_title: str) -> LectureScript:
    """A script from its text: JSON when it starts with `{`, plain text or Markdown otherwise."""
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno}, column {exc.colno}"
            raise BadInputError(f"not valid JSON ({where}: {exc.msg})") from None
        except (RecursionError, ValueError):
            raise BadInputError("not valid JSON") from None
        return script_from_json(data, default_title=default_title)
    return script_from_text(text, default_title=default_title)


def title_from(text: str) -> str:
    """`text` (a file name, a command-line argument) made storable as a title: undecodable bytes (lone
    surrogates) become `?`, NULs go, and it is at most 500 characters."""
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "").strip()[:500]


def read_script_file(path: str | Path, *, title: str | None = None) -> LectureScript:
    """Read a script file; every problem is a `BadInputError` naming the file."""
    file = Path(path)
    text = read_text_file(file, max_bytes=MAX_SCRIPT_BYTES)
    default = title_from(file.stem.replace("_", " ").replace("-", " ")) or "Untitled lecture"
    try:
        script = parse_script(text, default_title=default)
    except BadInputError as exc:
        raise BadInputError(f"{file}: {exc.message}") from None
    if title is not None:
        if not title_from(title):
            raise BadInputError("--title: must not be empty")
        script = LectureScript(title=title_from(title), summary=script.summary, segments=script.segments)
    return script


# --- the lecture a script makes --------------------------------------------------------------------


def estimate_seconds(text: str) -> float:
    """How long a narration will take to speak, before it is spoken."""
    return max(MIN_ESTIMATE_S, round(len(text.split()) / WORDS_PER_SECOND, 2))


def visual_prompt(segment: Segment) -> str:
    """The prompt of a segment's visual: its suggested format, then (the start of) its narration."""
    narration = " ".join(segment.narration.split())
    if len(narration) > PROMPT_NARRATION_CHARS:
        cut = narration[:PROMPT_NARRATION_CHARS].rsplit(" ", 1)[0]
        narration = cut + "…"
    fmt = segment.format.strip() or "image"
    lead = FORMAT_PHRASES.get(fmt.lower(), f"A {fmt}")
    return f"{lead} for a lecture: {narration}"


@dataclass
class AssetJob:
    """One asset of a planned lecture to generate: `asset` is its row in the plan, filled in place."""

    kind: str
    asset: dict[str, Any]
    label: str
    seed: int
    clip_duration: float
    segment: int | None = None
    """The segment (0-based) a narration belongs to."""


@dataclass
class LecturePlan:
    """An import document for `Store.create_lecture(..., keep_ids=True)` and the assets to generate."""

    lecture: dict[str, Any]
    jobs: list[AssetJob] = field(default_factory=list)

    def jobs_of(self, kind: str) -> list[AssetJob]:
        return [job for job in self.jobs if job.kind == kind]

    def mark_stale(self, reason: str) -> None:
        for clip in self.lecture["clips"]:
            clip["stale"] = [reason]


def _music_spans(
    segments: Sequence[Segment], starts: Sequence[float], durations: Sequence[float]
) -> list[tuple[str, float, float, int, int]]:
    """(cue, start, duration, first segment, last segment) of each music clip: runs of one cue, split so
    that no clip is longer than a music asset may be."""
    spans: list[tuple[str, float, float, int, int]] = []
    index = 0
    while index < len(segments):
        cue = segments[index].music
        last = index
        while last + 1 < len(segments) and segments[last + 1].music == cue:
            last += 1
        if cue:
            start = starts[index]
            end = starts[last] + durations[last]  # the next segment's start, to the bit
            pieces = max(1, math.ceil((end - start) / MAX_MUSIC_S - 1e-9))
            bounds = [start + (end - start) * piece / pieces for piece in range(pieces)] + [end]
            for piece_start, piece_end in itertools.pairwise(bounds):
                spans.append((cue, piece_start, span(piece_start, piece_end), index, last))
        index = last + 1
    return spans


def span(start: float, end: float) -> float:
    """The duration from `start` to `end`, never so long in floating point that `start + duration`
    passes `end` (a clip ending there must not overlap the one that starts there)."""
    duration = end - start
    while duration > 0 and start + duration > end:
        duration = math.nextafter(duration, 0.0)
    return duration


def complete_assets(lecture: dict[str, Any]) -> dict[str, Any]:
    """`lecture` with every asset carrying every field of its kind (the column default where it has
    none): `Store.create_lecture` inserts each kind's assets in one statement of one shape."""
    for kind, assets in lecture["assets"].items():
        defaults = {spec.name: spec.column_default for spec in KINDS[kind].fields}
        lecture["assets"][kind] = [defaults | asset for asset in assets]
    return lecture


def ken_burns(index: int) -> dict[str, float]:
    """The slow zoom a segment's visual gets, as the web original gives its visuals: in on even
    segments, out on odd ones (clip parameters, `core.kinds.CLIP_PARAMS`)."""
    low, high = KEN_BURNS_ZOOM
    start, end = (low, high) if index % 2 == 0 else (high, low)
    return {"start_scale": start, "end_scale": end}


def plan_lecture(
    script: LectureScript,
    durations: Sequence[float] | None,
    models: Mapping[str, str],
    *,
    narration_ids: Sequence[str] | None = None,
) -> LecturePlan:
    """The lecture a script makes, laid out from its narrations' `durations` (None: estimated).

    Segments follow one another without gaps: each narration clip is exactly as long as its duration, the
    segment's visual covers the same time, and each music clip spans its run of segments. `models` gives
    the model each kind is stored with; `narration_ids` keeps the ids of narrations already generated.
    """
    segments = script.segments
    if durations is None:
        durations = [estimate_seconds(s.narration) for s in segments]
    if len(durations) != len(segments):
        raise ValueError("one duration per segment is needed")
    starts: list[float] = []
    clock = 0.0
    for duration in durations:
        starts.append(clock)
        clock += duration
    width = len(str(len(segments)))
    visuals: list[dict[str, Any]] = []
    narrations: list[dict[str, Any]] = []
    music: list[dict[str, Any]] = []
    clips: list[dict[str, Any]] = []
    jobs: list[AssetJob] = []
    for index, (segment, start, duration) in enumerate(zip(segments, starts, durations, strict=True)):
        padded = f"{index + 1:0{width}d}"
        narration_id = narration_ids[index] if narration_ids else new_id("nar")
        narration = {
            "id": narration_id,
            "script": segment.narration,
            "model": models["narration"],
            "duration_s": 0.0,
            "file": "",
        }
        visual = {
            "id": new_id("vis"),
            "prompt": visual_prompt(segment),
            "model": models["visual"],
            "aspect_ratio": VISUAL.field("aspect_ratio").default,
            "file": "",
        }
        narrations.append(narration)
        visuals.append(visual)
        jobs.append(AssetJob("narration", narration, f"segment {padded} narration", 1000 + index, 0.0, index))
        jobs.append(AssetJob("visual", visual, f"segment {padded} visual", 2000 + index, duration))
        for track, asset_id, name, params in (
            ("voice", narration_id, f"Segment {padded} narration", None),
            ("visual", visual["id"], f"Segment {padded} visual", ken_burns(index)),
        ):
            clips.append(
                {
                    "id": new_id("clip"),
                    "track": track,
                    "name": name,
                    "start": start,
                    "duration": duration,
                    "asset_id": asset_id,
                    "params": params,
                }
            )
    for position, (cue, start, duration, first, last) in enumerate(_music_spans(segments, starts, durations)):
        number = position + 1
        which = f"segment {first + 1}" if first == last else f"segments {first + 1}–{last + 1}"
        asset: dict[str, Any] = {
            "id": new_id("mus"),
            "prompt": cue,
            "model": models["music"],
            "duration_s": round(min(MAX_MUSIC_S, max(MIN_MUSIC_S, duration)), 3),
            **{name: value for name, value in MUSIC.defaults.items() if name != "model"},
            "file": "",
        }
        music.append(asset)
        jobs.append(AssetJob("music", asset, f"music {number} ({which})", 3000 + number, duration))
        clips.append(
            {
                "id": new_id("clip"),
                "track": "music",
                "name": f"Music {number} ({which})",
                "start": start,
                "duration": duration,
                "asset_id": asset["id"],
            }
        )
    lecture = {
        "id": new_id("lec"),
        "title": script.title,
        "summary": script.summary,
        "assets": {"visual": visuals, "narration": narrations, "music": music},
        "clips": clips,
    }
    return LecturePlan(lecture=lecture, jobs=jobs)
