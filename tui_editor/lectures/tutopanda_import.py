"""`tui-editor import --format tutopanda FILE`: the web original's timeline as a new lecture.

Media a clip names by a path beside the file (inside its folder, links resolved) is copied under the data
dir after its bytes show it is an image or audio of the clip's kind; everything else — URLs, absolute
paths, paths leaving the folder, missing or unreadable files, clips with no media at all — becomes a
placeholder asset whose clips are marked stale with the reason, ready for `batch --stale`. The lecture is
created in one `Store.create_lecture` call; if that fails, the copied files are removed again.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from ..core.clock import new_id
from ..core.errors import BadInputError
from ..core.exchange import load_json_file
from ..core.kinds import ASPECT_RATIOS, ValidationError, kind_for_track
from ..core.script import complete_assets, title_from
from ..core.store import Store
from ..core.tutopanda import ImportedAsset, TutopandaTimeline, parse_tutopanda
from .from_script import configured_models
from .media import MediaStager, Refused, measure, sniff, source_beside


@dataclass(frozen=True)
class TutopandaFile:
    path: Path
    timeline: TutopandaTimeline


@dataclass
class ImportResult:
    lecture_id: str
    warnings: list[str] = field(default_factory=list)
    placeholders: int = 0
    copied: int = 0


def read_tutopanda_file(path: str | Path) -> TutopandaFile:
    """Read and check a timeline file; every problem is a `BadInputError` naming the file."""
    file = Path(path)
    data = load_json_file(file)
    try:
        timeline = parse_tutopanda(data)
    except BadInputError as exc:
        raise BadInputError(f"{file}: {exc.message}") from None
    if not timeline.title:
        timeline.title = title_from(file.stem.replace("_", " ").replace("-", " ")) or "Imported lecture"
    return TutopandaFile(file, timeline)


def nearest_aspect_ratio(width: int, height: int) -> str:
    """The listed aspect ratio closest to width:height."""

    def ratio(text: str) -> float:
        w, h = text.split(":")
        return float(w) / float(h)

    return min(ASPECT_RATIOS, key=lambda text: abs(ratio(text) - width / height))


def _shown(ref: str) -> str:
    short = ref if len(ref) <= 80 else ref[:77] + "…"
    return repr(short)


def import_tutopanda(store: Store, settings: Settings, document: TutopandaFile) -> ImportResult:
    """Create the lecture a checked timeline describes, copying in the media found beside its file."""
    timeline = document.timeline
    models = configured_models(settings)
    data_dir = settings.data_path
    data_dir.mkdir(parents=True, exist_ok=True)
    stager = MediaStager(data_dir)
    result = ImportResult(lecture_id="", warnings=list(timeline.warnings))
    try:
        assets: dict[str, list[dict[str, Any]]] = {"visual": [], "narration": [], "music": []}
        ids: dict[str, str] = {}
        stale: dict[str, str] = {}
        for key, imported in timeline.assets.items():
            spec = kind_for_track(imported.track)
            asset_id = new_id(spec.name[:3])
            ids[key] = asset_id
            fields, reason = _asset_fields(imported, asset_id, stager, document.path)
            fields["model"] = models[spec.name]
            if reason is not None:
                stale[key] = reason
                result.placeholders += 1
            else:
                result.copied += 1
            try:
                clean = spec.validate_asset({"id": asset_id, **fields})
            except ValidationError as exc:  # every value was checked on the way: say which asset if not
                raise BadInputError(f"asset of clip {imported.name!r}: {exc}") from None
            assets[spec.name].append(clean)
        clips = [
            {
                "id": new_id("clip"),
                "track": clip["track"],
                "name": clip["name"],
                "start": clip["start"],
                "duration": clip["duration"],
                "asset_id": ids[clip["asset"]],
                "stale": [stale[clip["asset"]]] if clip["asset"] in stale else None,
                "params": clip["params"] or None,
            }
            for clip in timeline.clips
        ]
        lecture = {
            "id": new_id("lec"),
            "title": timeline.title,
            "summary": "",
            "assets": assets,
            "clips": clips,
        }
        result.lecture_id = store.create_lecture(complete_assets(lecture), source="import", keep_ids=True)
    except BaseException:
        stager.rollback()
        raise
    if result.placeholders:
        result.warnings.append(
            f"{result.placeholders} asset{'s' if result.placeholders != 1 else ''} without media: "
            "placeholders marked stale (regenerate them with `batch --stale`)"
        )
    return result


def _asset_fields(
    imported: ImportedAsset, asset_id: str, stager: MediaStager, document: Path
) -> tuple[dict[str, Any], str | None]:
    """The asset's fields and, for a placeholder, why it has no media."""
    spec = kind_for_track(imported.track)
    text = (imported.text or imported.name or "").strip() or f"Imported {spec.label.lower()}"
    fields: dict[str, Any] = {spec.summary_field: text, "file": ""}
    if "duration_s" in spec.editable_names:  # music: as long as its clip (within the field's limits)
        low, high = spec.field("duration_s").bounds
        fields["duration_s"] = min(high, max(low, imported.clip_duration))
    if imported.media is None:
        return fields, "imported without media: regenerate it"
    source = source_beside(document, imported.media)
    if isinstance(source, Refused):
        return fields, f"media {_shown(imported.media)} not imported: {source.reason}"
    extension = sniff(spec.name, source)
    if isinstance(extension, Refused):
        return fields, f"media {_shown(imported.media)} not imported: {extension.reason}"
    try:
        placed = stager.place(spec.name, asset_id, source, stem="import", extension=extension, move=False)
    except OSError as exc:
        return fields, f"media {_shown(imported.media)} not imported: cannot copy ({exc.strerror or exc})"
    measured = measure(spec.name, placed)
    if isinstance(measured, Refused):
        stager.discard(placed)
        return fields, f"media {_shown(imported.media)} not imported: {measured.reason}"
    for name, value in measured.items():  # a value outside the field's limits is left at its default
        with contextlib.suppress(ValidationError):
            fields[name] = spec.field(name).coerce(value)
    if "width" in measured and "height" in measured and measured["height"]:
        fields["aspect_ratio"] = nearest_aspect_ratio(measured["width"], measured["height"])
    fields["file"] = stager.relative(placed)
    return fields, None
