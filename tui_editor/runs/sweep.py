"""The start-up sweep: delete media files that nothing in the database refers to.

An accept copies the preview into `media/` first and commits the asset pointing at it second; a process
killed in between leaves a file nobody refers to (and a copy killed halfway, a hidden temporary file).
The sweep removes exactly those: files under `media/` that no asset, revision, run or take refers to
(`core.media_refs.references_in`, the one list of references), older than a grace period — a file this
young may be another process's accept that has not committed yet. Nothing outside `media/` is touched,
and a symlink is never followed. Empty folders stay (an accept may be about to use one).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..core.media_refs import references_in
from ..core.store import Store

log = logging.getLogger(__name__)

#: A file younger than this may belong to an accept still on its way to the commit.
GRACE_S = 15 * 60.0


@dataclass
class SweepReport:
    removed: list[str] = field(default_factory=list)
    kept_young: int = 0
    referenced: int = 0


def _normalise(reference: str, data_dir: Path) -> str | None:
    """A stored reference as a path relative to the data dir (posix), or None when it points outside."""
    path = Path(reference)
    if not path.is_absolute():
        path = data_dir / path
    try:
        return Path(os.path.normpath(path)).relative_to(data_dir).as_posix()
    except ValueError:
        return None


def sweep_orphan_media(
    store: Store, data_dir: Path, *, grace_s: float = GRACE_S, now: float | None = None
) -> SweepReport:
    """Delete unreferenced files under `data_dir/media` older than `grace_s` seconds; report what went."""
    report = SweepReport()
    data_dir = Path(os.path.abspath(data_dir))
    media = data_dir / "media"
    if not media.is_dir() or media.is_symlink():
        return report
    # A file promoted and committed after this read is young, so kept: an accept on its way to the
    # commit never loses its file.
    with store.read() as conn:
        referenced = {p for r in references_in(conn) if (p := _normalise(r, data_dir)) is not None}
    now = time.time() if now is None else now
    for folder, dirs, files in os.walk(media, followlinks=False):
        for name in files:
            path = Path(folder) / name
            relative = path.relative_to(data_dir).as_posix()
            if relative in referenced:
                report.referenced += 1
                continue
            try:
                age = now - path.lstat().st_mtime
                if age < grace_s:
                    report.kept_young += 1
                    continue
                path.unlink()
            except OSError as exc:
                log.warning("sweep: cannot remove %s: %s", relative, exc.strerror or exc)
                continue
            report.removed.append(relative)
        for name in list(dirs):
            path = Path(folder) / name
            if path.is_symlink():
                dirs.remove(name)
    if report.removed:
        log.info("sweep: removed %d unreferenced media file(s)", len(report.removed))
    return report
