"""Lecture import/export JSON: the export serializer, and validation that names the problem.

The format is the export JSON of DESIGN.md §5: `snapshot_to_export` writes it (`Store.export_lecture`,
revision rows), `validate_lecture` checks a whole document before anything is written, and
`Store.create_lecture` then inserts it in one transaction, so nothing is ever half-imported.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from .clock import as_utc
from .errors import BadInputError
from .kinds import (
    EXPORT_LIST_OF_KIND,
    KINDS,
    TRACK_NAMES,
    ValidationError,
    kind_for_track,
    validate_clip_params,
    validate_stale_reasons,
)
from .paths import UnsafePathError, check_relative, data_file
from .safe_text import escape_char, visible
from .snapshot import ClipView, LectureSnapshot


def asset_json(asset: Mapping[str, Any]) -> dict[str, Any]:
    """An asset in its export/JSON form (times as ISO strings)."""
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asset.items()}


def snapshot_to_export(snapshot: LectureSnapshot) -> dict[str, Any]:
    """The documented export JSON of a lecture."""

    def clip_json(clip: ClipView) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": clip.id,
            "name": clip.name,
            "start": clip.start,
            "duration": clip.duration,
            "asset_id": clip.asset_id,
        }
        if clip.stale:
            data["stale"] = list(clip.stale)
        if clip.params:
            data["params"] = dict(clip.params)
        return data

    def assets_of(kind: str) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for clip in snapshot.track(KINDS[kind].track):
            asset = snapshot.asset(kind, clip.asset_id)
            if asset is not None and clip.asset_id not in seen:
                seen[clip.asset_id] = asset_json(asset)
        return list(seen.values())

    return {
        "id": snapshot.id,
        "title": snapshot.title,
        "summary": snapshot.summary,
        "revision": snapshot.revision,
        "updated_at": snapshot.updated_at.isoformat(),
        **{key: assets_of(kind) for kind, key in EXPORT_LIST_OF_KIND.items()},
        "timeline": {
            track: [clip_json(c) for c in snapshot.track(track)] for track in ("visual", "voice", "music")
        },
    }


#: The largest export file `import` reads (a 100,000-clip lecture is about 50 MB); `/dev/zero` is refused.
MAX_IMPORT_BYTES = 256 * 1024 * 1024
#: Dates an import accepts (a database or a time zone conversion fails outside them).
MIN_YEAR, MAX_YEAR = 1900, 9999


def _number(value: Any, where: str, *, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadInputError(f"{where}: expected a number, got {_shown(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise BadInputError(f"{where}: must be a finite number ≥ {minimum:g}") from None
    if not math.isfinite(number) or number < minimum:
        raise BadInputError(f"{where}: must be a finite number ≥ {minimum:g}")
    return number


def _shown(value: Any) -> str:
    """A short, printable rendering of a JSON value for a message."""
    text = json.dumps(value, ensure_ascii=True, default=str) if not isinstance(value, int) else "a number"
    return text if len(text) <= 60 else text[:59] + "…"


def _date(value: Any, where: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(_text(value, where))
        result = as_utc(parsed)
    except ValueError:
        raise BadInputError(f"{where}: not an ISO date-time") from None
    except OverflowError:
        parsed = result = datetime.min
    if not MIN_YEAR <= result.year <= MAX_YEAR or not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise BadInputError(f"{where}: the year must be between {MIN_YEAR} and {MAX_YEAR}")
    return result


def _check_strings(data: Any) -> None:
    """Refuse text a database cannot store: lone surrogates and NUL characters, in keys and values.

    Iterative, so a deeply nested document cannot exhaust the stack.
    """
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            texts = [(node, where)]
        elif isinstance(node, Mapping):
            texts = [(key, f"{where}.{key}".lstrip(".") if _plain(key) else where) for key in node]
            stack.extend(
                (value, f"{where}.{key}".lstrip(".") if _plain(key) else where) for key, value in node.items()
            )
        elif isinstance(node, list):
            stack.extend((value, f"{where}[{index}]") for index, value in enumerate(node))
            continue
        else:
            continue
        for text, place in texts:
            bad = next((c for c in text if c == "\x00" or "\ud800" <= c <= "\udfff"), None)
            if bad is not None:
                what = "a NUL character" if bad == "\x00" else "a lone surrogate"
                raise BadInputError(f"{place or '(top level)'}: text holds {what} ({escape_char(bad)})")


def _plain(key: Any) -> bool:
    return (
        isinstance(key, str)
        and key.isprintable()
        and len(key) <= 40
        and not any("\ud800" <= c <= "\udfff" for c in key)
    )


def _text(value: Any, where: str, *, required: bool = True) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise BadInputError(f"{where}: expected {'non-empty ' if required else ''}text")
    return value


def validate_lecture(data: Any, *, data_dir: Path | None = None) -> dict[str, Any]:
    """Check an export document and return `{title, summary, assets: {kind: [...]}, clips: [...]}`.

    An asset's `file` must be a relative path inside the data directory (no `..`, not absolute); with
    `data_dir` it is also resolved there, so a symlink that leads out is refused too.
    """
    if not isinstance(data, Mapping):
        raise BadInputError("the file must hold one JSON object (a lecture export)")
    _check_strings(data)
    title = _text(data.get("title"), "title")
    summary = _text(data.get("summary", ""), "summary", required=False)
    assets: dict[str, list[dict[str, Any]]] = {}
    known: dict[str, set[str]] = {}
    for kind, key in EXPORT_LIST_OF_KIND.items():
        items = data.get(key, [])
        if not isinstance(items, list):
            raise BadInputError(f"{key}: expected a list")
        spec = KINDS[kind]
        clean_items = []
        ids: set[str] = set()
        for index, item in enumerate(items):
            where = f"{key}[{index}]"
            if not isinstance(item, Mapping):
                raise BadInputError(f"{where}: expected an object")
            asset_id = _text(item.get("id"), f"{where}.id")
            if asset_id in ids:
                raise BadInputError(f"{where}.id: duplicate asset id {asset_id!r}")
            ids.add(asset_id)
            try:
                clean = spec.validate_asset(item)
            except ValidationError as exc:
                raise BadInputError(f"{where}.{exc}") from None
            updated = item.get("updated_at")
            if updated is not None:
                clean["updated_at"] = _date(updated, f"{where}.updated_at")
            if clean.get("file"):
                try:
                    check_relative(clean["file"], "file")
                    if data_dir is not None:
                        data_file(data_dir, clean["file"])
                except UnsafePathError as exc:
                    raise BadInputError(f"{where}.file: {exc.message}") from None
            if not clean.get("model"):
                raise BadInputError(f"{where}.model: expected non-empty text")
            for field in spec.fields:  # every row the same columns: a field left out gets its default
                if clean.get(field.name) is None and field.column_default is not None:
                    clean[field.name] = field.column_default
            clean_items.append(clean)
        assets[kind] = clean_items
        known[kind] = ids
    timeline = data.get("timeline")
    if not isinstance(timeline, Mapping):
        raise BadInputError("timeline: expected an object with visual, voice and music lists")
    unknown_tracks = set(timeline) - set(TRACK_NAMES)
    if unknown_tracks:
        raise BadInputError(f"timeline: unknown track {sorted(unknown_tracks)[0]!r}")
    clips: list[dict[str, Any]] = []
    clip_ids: set[str] = set()
    for track in TRACK_NAMES:
        items = timeline.get(track, [])
        if not isinstance(items, list):
            raise BadInputError(f"timeline.{track}: expected a list")
        kind = kind_for_track(track).name
        for index, item in enumerate(items):
            where = f"timeline.{track}[{index}]"
            if not isinstance(item, Mapping):
                raise BadInputError(f"{where}: expected an object")
            clip_id = _text(item.get("id"), f"{where}.id")
            if clip_id in clip_ids:
                raise BadInputError(f"{where}.id: duplicate clip id {clip_id!r}")
            clip_ids.add(clip_id)
            asset_id = _text(item.get("asset_id"), f"{where}.asset_id")
            if asset_id not in known[kind]:
                raise BadInputError(f"{where}.asset_id: no {kind} asset with id {asset_id!r} in the file")
            clips.append(
                {
                    "id": clip_id,
                    "track": track,
                    "name": _text(item.get("name"), f"{where}.name"),
                    "start": _number(item.get("start"), f"{where}.start"),
                    "duration": _number(item.get("duration"), f"{where}.duration"),
                    "asset_id": asset_id,
                    **_clip_state(item, where),
                }
            )
    return {"id": data.get("id"), "title": title, "summary": summary, "assets": assets, "clips": clips}


def json_type_name(value: Any) -> str:
    """How an error message names a JSON value's type ("text", "a number", "a list", …)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "an object"


def checked_text(value: Any, where: str, limit: int, *, required: bool = False) -> str:
    """A text field of an imported document: text, no NUL, valid Unicode, at most `limit` characters."""
    if not isinstance(value, str):
        raise BadInputError(f"{where}: expected text, got {json_type_name(value)}")
    if required and not value.strip():
        raise BadInputError(f"{where}: must not be empty")
    if "\x00" in value:
        raise BadInputError(f"{where}: contains a NUL character")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadInputError(f"{where}: not valid Unicode (a lone surrogate)") from None
    if len(value) > limit:
        raise BadInputError(f"{where}: longer than {limit} characters")
    return value


def _clip_state(item: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A clip's optional `stale` reasons and `params`, checked."""
    state: dict[str, Any] = {}
    try:
        if item.get("stale") is not None:
            state["stale"] = list(validate_stale_reasons(item["stale"]))
        if item.get("params") is not None:
            state["params"] = validate_clip_params(item["params"])
    except ValidationError as exc:
        raise BadInputError(f"{where}.{exc}") from None
    return state


def _read_limited(file: Path, max_bytes: int = MAX_IMPORT_BYTES) -> bytes:
    """The file's bytes, or `BadInputError` once it is larger than `max_bytes`."""
    chunks: list[bytes] = []
    size = 0
    with file.open("rb") as handle:
        while chunk := handle.read(4 * 1024 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise BadInputError(f"{visible(str(file))}: larger than {max_bytes // (1024 * 1024)} MB")
            chunks.append(chunk)
    return b"".join(chunks)


def read_lecture_file(path: str | Path, *, data_dir: Path | None = None) -> dict[str, Any]:
    """Read and validate an export file; every problem is a `BadInputError` naming the file.

    `data_dir`: where the lecture's media files live (see `validate_lecture`)."""
    file = Path(path)
    data = load_json_file(file)
    try:
        return validate_lecture(data, data_dir=data_dir)
    except BadInputError as exc:
        raise BadInputError(f"{visible(str(file))}: {exc.message}") from None


def read_text_file(file: Path, *, max_bytes: int = MAX_IMPORT_BYTES) -> str:
    """A UTF-8 text file's contents (a byte-order mark is fine); every problem names the file."""
    try:
        return _read_limited(file, max_bytes).decode("utf-8-sig")
    except FileNotFoundError:
        raise BadInputError(f"{file}: no such file") from None
    except IsADirectoryError:
        raise BadInputError(f"{file}: is a directory") from None
    except UnicodeDecodeError:
        raise BadInputError(f"{file}: not UTF-8 text") from None
    except OSError as exc:
        raise BadInputError(f"{file}: cannot read: {exc.strerror}") from None


def load_json_file(file: Path) -> Any:
    """The JSON value in a file; every problem (missing, unreadable, not JSON) names the file."""
    text = read_text_file(file)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInputError(
            f"{file}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise BadInputError(f"{file}: not valid JSON (nested too deeply)") from None
    except ValueError as exc:  # e.g. an integer longer than Python's digit limit
        raise BadInputError(f"{file}: not valid JSON ({exc})") from None
    return data
