"""Media files coming into the data dir: where they may come from, where they go, what they are.

`source_beside` decides whether a path written in an imported document may be read: it must be relative,
stay inside the document's folder once every link is resolved, and name a regular file. `MediaStager`
puts files under `<data dir>/media/<kind>/<asset id>/` (atomically, never overwriting) and removes them
again if the lecture they belong to is not created, so a failed build or import leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from ..core.kinds import get_kind
from ..core.paths import MadeFolders, is_inside
from ..generators.media_info import audio_duration, image_size, sniff_extension

#: The largest media file an import copies in.
MAX_MEDIA_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class Refused:
    """Why a referenced media file is not used."""

    reason: str


def source_beside(document: Path, ref: Any) -> Path | Refused:
    """The file a document's media reference names, if it may be read; else why not.

    Accepted: a relative path whose parts include no `..`, inside the document's folder after resolving
    links, naming a regular file. URLs are not downloaded; absolute paths are refused.
    """
    if not isinstance(ref, str) or not ref.strip():
        return Refused("no media path")
    text = ref.strip()
    if "\x00" in text or len(text) > 4096:
        return Refused("not a usable path")
    if "://" in text or text.lower().startswith(("data:", "blob:", "file:")):
        return Refused("a URL (media is not downloaded)")
    posix, windows = PurePosixPath(text), PureWindowsPath(text)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or text.startswith("\\"):
        return Refused("an absolute path (only paths beside the file are read)")
    if ".." in posix.parts or ".." in windows.parts:
        return Refused("a path leaving the file's folder")
    folder = document.parent
    candidate = folder / posix
    if not is_inside(candidate, folder):
        return Refused("a link leaving the file's folder")
    try:
        if not candidate.is_file():
            return Refused("not found beside the file (or not a regular file)")
        if candidate.stat().st_size > MAX_MEDIA_BYTES:
            return Refused(f"larger than {MAX_MEDIA_BYTES // 1024**3} GB")
    except OSError:
        return Refused("not readable")
    return candidate


def sniff(kind: str, path: Path) -> str | Refused:
    """The file's format (its extension) if it is media of the kind, sniffed from its bytes (never
    taken from its name); else why it is not."""
    spec = get_kind(kind)
    try:
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError as exc:
        return Refused(f"not readable ({exc.strerror or exc})")
    extension = sniff_extension(head)
    if extension is None or extension not in spec.media.extensions:
        return Refused(f"not an {spec.media.name} file ({', '.join(spec.media.extensions)})")
    return extension


def measure(kind: str, path: Path) -> dict[str, Any] | Refused:
    """A media file's measured asset fields (visual: width, height; audio: duration_s), or why they
    cannot be read. `path` must carry the extension `sniff` found."""
    spec = get_kind(kind)
    if spec.media.is_audio:
        duration = audio_duration(path)
        if duration is None or duration != duration or duration <= 0:
            return Refused("audio whose length cannot be read")
        return {"duration_s": float(duration)}
    size = image_size(path)
    if size is None:
        return Refused("an image that cannot be read")
    return {"width": size[0], "height": size[1]}


class MediaStager:
    """Places media files under the data dir; `rollback` removes all of them again."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.placed: list[Path] = []
        self.folders = MadeFolders()

    def target_for(self, kind: str, asset_id: str, stem: str, extension: str) -> Path:
        folder = self.data_dir / "media" / get_kind(kind).name / asset_id
        target = folder / f"{stem}-{secrets.token_hex(3)}.{extension}"
        if not is_inside(target, self.data_dir / "media") or target.parent != folder:
            raise ValueError(f"refusing to write outside the data dir: {asset_id!r}")
        return target

    def place(self, kind: str, asset_id: str, source: Path, *, stem: str, extension: str, move: bool) -> Path:
        """Copy (or move) `source` to the asset's media folder as `<stem>-<random>.<extension>`; returns
        the placed file."""
        target = self.target_for(kind, asset_id, stem, extension)
        self.folders.make(target.parent)
        partial = target.with_name(f".{target.name}.part")
        try:
            if move:
                shutil.move(str(source), partial)
            else:
                shutil.copyfile(source, partial, follow_symlinks=True)
            os.replace(partial, target)
        except BaseException:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            raise
        self.placed.append(target)
        return target

    def relative(self, path: Path) -> str:
        """A placed file's path as assets store it: relative to the data dir, with `/`."""
        return path.relative_to(self.data_dir).as_posix()

    def discard(self, path: Path) -> None:
        """Delete one placed file (it turned out unusable)."""
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()
        with contextlib.suppress(ValueError):
            self.placed.remove(path)

    def rollback(self) -> None:
        """Delete every file placed so far and the folders made for them that are empty without them."""
        for path in self.placed:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        self.placed = []
        self.folders.remove_empty()
