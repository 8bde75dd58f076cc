"""`tui-editor export LECTURE --format tutopanda -o FILE --with-media`: the timeline with its media.

Each asset's committed file is copied once into `<FILE's folder>/<FILE's stem>-media/<asset id>.<ext>`
and its clips name it (`imageUrl` / `audioUrl`, relative to FILE), so `import --format tutopanda FILE`
elsewhere brings the media back. A stored file path is read only if it lies inside the data dir.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from ..core.errors import BadInputError
from ..core.paths import is_inside
from ..core.snapshot import LectureSnapshot
from ..core.tutopanda import TRACK_FORMATS, snapshot_to_tutopanda


def export_with_media(snapshot: LectureSnapshot, data_dir: Path, output: Path) -> tuple[dict[str, Any], int]:
    """The timeline document with media paths, and how many files were copied beside `output`."""
    document = snapshot_to_tutopanda(snapshot)
    folder = output.parent / f"{output.stem}-media"
    copied: dict[str, str] = {}
    for fmt in TRACK_FORMATS:
        for item in document["tracks"][fmt.key]:
            clip = snapshot.clip(item["id"])
            if clip is None:
                continue
            asset = snapshot.asset_for(clip)
            if asset is None or not asset.get("file"):
                continue
            if clip.asset_id not in copied:
                source = data_dir / str(asset["file"])
                suffix = source.suffix.lower()
                if suffix.lstrip(".") not in clip.kind.media.extensions:
                    continue
                if not is_inside(source, data_dir) or not source.is_file():
                    continue
                target = folder / f"{clip.asset_id}{suffix}"
                if not is_inside(target, folder):
                    continue
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, target)
                except OSError as exc:
                    raise BadInputError(f"{target}: cannot write: {exc.strerror or exc}") from None
                copied[clip.asset_id] = f"{folder.name}/{target.name}"
            item[fmt.url_key] = copied[clip.asset_id]
    return document, len(copied)
