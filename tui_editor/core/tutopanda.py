"""The web original's timeline files ("tutopanda"): read them, check them, write a lecture back as one.

Two shapes are read:

- the timeline JSON `{id, name, duration, tracks: {visual, voice, music, soundEffects: [clip, ...]}}`;
- a timeline snapshot: `{revision, timeline: {..., tracks: {<track>: {clips: [clip, ...]}}}}` (a track may
  also be a plain list there), whose clips carry `imageUrl` / `audioUrl`.

A clip is `{id, kind, name, startTime, duration, imageAssetId | narrationAssetId | musicAssetId, volume?,
fadeInDuration?, fadeOutDuration?, effectName?, startScale?, endScale?, startX?, startY?, endX?, endY?}`.
Times, names and the optional parameters are kept (as the clip's `params`, `core.kinds.CLIP_PARAMS`);
keys it does not know are ignored. Clips naming the same asset id share one asset. This editor has no
sound-effects track: `soundEffects` clips are checked, counted and left out (a warning says how many), and
an export writes that track empty.

`parse_tutopanda` returns the clips and the assets they need, each with the media path its clips name
(if any) for the importer to look for; `snapshot_to_tutopanda` writes a lecture back as a timeline JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import BadInputError
from .exchange import checked_text, json_type_name
from .kinds import CLIP_PARAMS, NOT_A_NUMBER
from .snapshot import LectureSnapshot


@dataclass(frozen=True)
class TrackFormat:
    """How one of our tracks is written in a tutopanda timeline."""

    key: str  # the key under `tracks`
    track: str  # our track
    kind: str  # the clips' `kind`
    asset_key: str  # the clip key naming its asset
    url_key: str  # the clip key naming its media file (snapshots)


TRACK_FORMATS: tuple[TrackFormat, ...] = (
    TrackFormat("visual", "visual", "kenBurns", "imageAssetId", "imageUrl"),
    TrackFormat("voice", "voice", "voice", "narrationAssetId", "audioUrl"),
    TrackFormat("music", "music", "music", "musicAssetId", "audioUrl"),
)
SOUND_EFFECTS = TrackFormat("soundEffects", "", "soundFx", "effectAssetId", "audioUrl")
TRACK_KEYS = tuple(f.key for f in TRACK_FORMATS) + (SOUND_EFFECTS.key,)

#: A clip's optional presentation keys and the clip parameter (`CLIP_PARAMS`) each one is kept as.
PARAM_KEYS: dict[str, str] = {
    "volume": "volume",
    "fadeInDuration": "fade_in_s",
    "fadeOutDuration": "fade_out_s",
    "effectName": "effect",
    "startScale": "start_scale",
    "endScale": "end_scale",
    "startX": "start_x",
    "startY": "start_y",
    "endX": "end_x",
    "endY": "end_y",
}
#: Where the asset lists of a lecture-content document keep each track's assets (prompts, scripts, files).
CONTENT_LISTS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    # track: (list key, text keys in order of preference, media keys)
    "visual": ("images", ("prompt",), ("sourceUrl", "imageUrl", "url")),
    "voice": ("narration", ("finalScript", "draftScript", "prompt"), ("audioUrl",)),
    "music": ("music", ("prompt",), ("audioUrl",)),
}
MAX_CLIPS = 100_000
#: The latest time a clip may start or the longest it may last (about four months): sums stay finite.
MAX_SECONDS = 1e7
MAX_NAME_CHARS = 500
MAX_ID_CHARS = 200
MAX_TEXT_CHARS = 20_000


@dataclass
class ImportedAsset:
    """An asset the imported clips need: what is known of it, and where its media should be."""

    key: str
    track: str
    name: str
    """The name of the first clip that uses it."""
    media: str | None = None
    """The media path (or URL) the document gives, as written."""
    text: str | None = None
    """Its prompt or script, when the document carries its asset lists."""
    clip_duration: float = 0.0


@dataclass
class TutopandaTimeline:
    title: str
    revision: int | None
    clips: list[dict[str, Any]]
    """`{source_id, track, name, start, duration, asset, params}`; `asset` is an `ImportedAsset.key`."""
    assets: dict[str, ImportedAsset]
    warnings: list[str] = field(default_factory=list)


def _number(value: Any, where: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadInputError(f"{where}: expected a number, got {json_type_name(value)}")
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise BadInputError(f"{where}: expected a finite number")
    if number < 0 or (positive and number == 0):
        raise BadInputError(f"{where}: must be {'greater than 0' if positive else 'at least 0'}")
    if number > MAX_SECONDS:
        raise BadInputError(f"{where}: must be at most {MAX_SECONDS:g} seconds")
    return number


def _params(item: Mapping[str, Any], where: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, name in PARAM_KEYS.items():
        value = item.get(key)
        if value is None:
            continue
        spec = CLIP_PARAMS[name]
        if spec.type == "str":
            params[name] = checked_text(value, f"{where}.{key}", 200)
            continue
        problem = spec.number_problem(value)
        if problem == NOT_A_NUMBER:  # an imported document's error also names what it found
            problem += f", got {json_type_name(value)}"
        if problem is not None:
            raise BadInputError(f"{where}.{key}: {problem}")
        params[name] = float(value)
    return params


def _content_assets(data: Mapping[str, Any]) -> dict[str, dict[str, tuple[str | None, str | None]]]:
    """(text, media) of each asset id in a lecture-content document's asset lists; malformed entries
    are passed over (the lists only add prompts and files to what the timeline says)."""
    found: dict[str, dict[str, tuple[str | None, str | None]]] = {}
    for track, (list_key, text_keys, media_keys) in CONTENT_LISTS.items():
        entries = data.get(list_key)
        by_id: dict[str, tuple[str | None, str | None]] = {}
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
                continue
            text = next((v for k in text_keys if isinstance(v := entry.get(k), str) and v.strip()), None)
            media = next((v for k in media_keys if isinstance(v := entry.get(k), str) and v.strip()), None)
            by_id[entry["id"]] = (text[:MAX_TEXT_CHARS] if text else None, media)
        found[track] = by_id
    return found


def _clips_of(value: Any, where: str) -> list[Any]:
    if isinstance(value, Mapping):
        value = value.get("clips")
        where = f"{where}.clips"
    if not isinstance(value, list):
        raise BadInputError(f"{where}: expected a list of clips, got {json_type_name(value)}")
    return value


def parse_tutopanda(data: Any) -> TutopandaTimeline:
    """Check a timeline or timeline snapshot; every problem names where it is."""
    if not isinstance(data, Mapping):
        raise BadInputError("the file must hold one JSON object (a tutopanda timeline)")
    timeline: Any = data
    revision: int | None = None
    prefix = "tracks"
    if "timeline" in data and "tracks" not in data:
        timeline = data["timeline"]
        prefix = "timeline.tracks"
        if not isinstance(timeline, Mapping):
            raise BadInputError(f"timeline: expected an object, got {json_type_name(timeline)}")
        raw_revision = data.get("revision", timeline.get("revision"))
        if raw_revision is not None:
            if isinstance(raw_revision, bool) or not isinstance(raw_revision, int) or raw_revision < 0:
                raise BadInputError("revision: expected a whole number ≥ 0")
            revision = raw_revision
    name = timeline.get("name", data.get("name", data.get("title", "")))
    title = checked_text(name if name is not None else "", "name", MAX_NAME_CHARS).strip()
    if timeline.get("duration") is not None:
        _number(timeline["duration"], "duration")
    tracks = timeline.get("tracks")
    if not isinstance(tracks, Mapping):
        raise BadInputError(f"{prefix}: expected an object with {', '.join(TRACK_KEYS)}")
    unknown = [key for key in tracks if key not in TRACK_KEYS]
    if unknown:
        raise BadInputError(f"{prefix}: unknown track {str(unknown[0])[:40]!r}")
    content = _content_assets(data)
    clips: list[dict[str, Any]] = []
    assets: dict[str, ImportedAsset] = {}
    seen: set[str] = set()
    skipped = 0
    for fmt in (*TRACK_FORMATS, SOUND_EFFECTS):
        if tracks.get(fmt.key) is None:
            continue
        items = _clips_of(tracks[fmt.key], f"{prefix}.{fmt.key}")
        for index, item in enumerate(items):
            where = f"{prefix}.{fmt.key}[{index}]"
            if not isinstance(item, Mapping):
                raise BadInputError(f"{where}: expected an object, got {json_type_name(item)}")
            clip_id = checked_text(item.get("id"), f"{where}.id", MAX_ID_CHARS, required=True)
            if clip_id in seen:
                raise BadInputError(f"{where}.id: duplicate clip id {clip_id!r}")
            seen.add(clip_id)
            if len(seen) > MAX_CLIPS:
                raise BadInputError(f"{prefix}: more than {MAX_CLIPS} clips")
            kind = item.get("kind")
            if kind is not None and kind != fmt.kind:
                shown = str(kind)[:40] if isinstance(kind, str) else json_type_name(kind)
                wanted = f"expected {fmt.kind!r} on the {fmt.key} track"
                raise BadInputError(f"{where}.kind: {wanted}, not {shown!r}")
            clip_name = checked_text(item.get("name"), f"{where}.name", MAX_NAME_CHARS)
            start = _number(item.get("startTime"), f"{where}.startTime")
            duration = _number(item.get("duration"), f"{where}.duration", positive=True)
            params = _params(item, where)
            asset_ref = item.get(fmt.asset_key)
            if asset_ref is not None:
                asset_ref = checked_text(asset_ref, f"{where}.{fmt.asset_key}", MAX_ID_CHARS, required=True)
            media = item.get(fmt.url_key)
            if media is not None:
                media = checked_text(media, f"{where}.{fmt.url_key}", 4096)
            if fmt is SOUND_EFFECTS:
                skipped += 1
                continue
            key = f"{fmt.track}:{asset_ref}" if asset_ref is not None else f"{fmt.track}:clip:{clip_id}"
            asset = assets.get(key)
            if asset is None:
                text, listed_media = content.get(fmt.track, {}).get(asset_ref or "", (None, None))
                asset = assets[key] = ImportedAsset(
                    key=key, track=fmt.track, name=clip_name, text=text, media=listed_media
                )
            asset.media = asset.media or media or None
            asset.clip_duration = max(asset.clip_duration, duration)
            clips.append(
                {
                    "source_id": clip_id,
                    "track": fmt.track,
                    "name": clip_name,
                    "start": start,
                    "duration": duration,
                    "asset": key,
                    "params": params,
                }
            )
    warnings = []
    if skipped:
        warnings.append(
            f"left out {skipped} sound-effect clip{'s' if skipped != 1 else ''}: "
            "this editor has no sound-effects track"
        )
    return TutopandaTimeline(title=title, revision=revision, clips=clips, assets=assets, warnings=warnings)


def snapshot_to_tutopanda(snapshot: LectureSnapshot) -> dict[str, Any]:
    """A lecture as the web original's timeline JSON (`soundEffects` empty: there is no such track)."""
    tracks: dict[str, list[dict[str, Any]]] = {}
    for fmt in TRACK_FORMATS:
        items = []
        for clip in snapshot.track(fmt.track):
            item: dict[str, Any] = {
                "id": clip.id,
                "kind": fmt.kind,
                "name": clip.name,
                "startTime": clip.start,
                "duration": clip.duration,
                fmt.asset_key: clip.asset_id,
            }
            for key, name in PARAM_KEYS.items():
                if name in clip.params:
                    item[key] = clip.params[name]
            items.append(item)
        tracks[fmt.key] = items
    tracks[SOUND_EFFECTS.key] = []
    duration = max((clip.end for clip in snapshot.clips), default=0.0)
    return {"id": snapshot.id, "name": snapshot.title, "duration": duration, "tracks": tracks}


def dumps(document: Mapping[str, Any]) -> str:
    """A timeline document as the text `export --format tutopanda` writes."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
