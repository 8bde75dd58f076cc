"""Paths built from data stay inside the data directory — checked before anything is touched.

Run, asset and lecture ids, imported `file` fields and file names a provider sends come from other
people and other programs. Every path made from them goes through this module, which resolves it (a
symlink is followed to where it really points) and checks that it lies inside the data directory; a
path that does not is `UnsafePathError`, raised before anything is read, written or deleted.

Ids this program makes (`core.clock.new_id`: `run_3f9c2a1b7d3e`) are checked against `SAFE_ID` where
they are read back and turned into a folder or file name, so an id such as `../../x` planted in the
database is refused as an id, not merely caught as a path.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path, PurePosixPath, PureWindowsPath

from .errors import TuiEditorError
from .safe_text import visible

SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
"""An id that is safe as one path segment: letters, digits, `_` and `-`, no dots, no separators."""


class UnsafePathError(TuiEditorError):
    """A path built from data would leave the data directory (or an id is not a safe path segment)."""


def check_id(value: object, what: str = "id") -> str:
    """`value` if it is an id that is safe as a folder or file name; else `UnsafePathError`."""
    if not isinstance(value, str) or SAFE_ID.fullmatch(value) is None:
        shown = visible(repr(value)[:80])
        raise UnsafePathError(f"refusing {what} {shown}: not a valid id")
    return value


def is_inside(path: Path, root: Path) -> bool:
    """Whether `path` (resolved, symlinks followed) lies inside `root` (resolved), or is `root`."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError, ValueError):  # a symlink loop, an unresolvable name
        return False


def check_relative(relative: object, what: str = "file") -> str:
    """A stored relative path (an asset's `file`) as text, refusing what could never be inside.

    Refused without looking at the disk: non-text, empty, absolute (POSIX or Windows, `~`), NUL
    characters and `..` segments. Whether a symlink leads out is checked by `inside`.
    """
    if not isinstance(relative, str) or not relative.strip():
        raise UnsafePathError(f"refusing {what}: expected a relative path inside the data directory")
    shown = visible(relative[:120])
    if "\x00" in relative:
        raise UnsafePathError(f"refusing {what} '{shown}': contains a NUL character")
    posix, windows = PurePosixPath(relative), PureWindowsPath(relative)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or relative.startswith(("~", "\\")):
        raise UnsafePathError(
            f"refusing {what} '{shown}': an absolute path, not one inside the data directory"
        )
    if ".." in posix.parts or ".." in windows.parts:
        raise UnsafePathError(f"refusing {what} '{shown}': it leads out of the data directory (..)")
    return relative


def inside(root: Path, *parts: str | Path, what: str = "path") -> Path:
    """`root / parts…`, checked to lie inside `root` once resolved (symlinks followed).

    Each part that is text is checked with `check_relative` first. Returns the joined (unresolved)
    path, so a caller's messages and relative names stay as they were.
    """
    path = Path(root)
    for part in parts:
        text = part.as_posix() if isinstance(part, Path) else part
        path = path / check_relative(text, what)
    if not is_inside(path, Path(root)):
        shown = visible("/".join(str(p) for p in parts)[:120])
        raise UnsafePathError(f"refusing {what} '{shown}': it leads out of the data directory")
    return path


def data_file(data_dir: Path, relative: object, what: str = "file") -> Path:
    """The file a stored `file` field names, under `data_dir`; `UnsafePathError` when it would leave it."""
    return inside(data_dir, check_relative(relative, what), what=what)


def id_folder(root: Path, *ids: str, what: str = "id") -> Path:
    """`root/<id>/<id>…` for ids checked with `check_id`, then checked to lie inside `root`."""
    return inside(root, *(check_id(value, what) for value in ids), what=what)


def relative_name(path: Path, data_dir: Path, what: str = "file") -> str:
    """`path` relative to `data_dir` (POSIX form), or `UnsafePathError` when it is not inside it."""
    resolved, root = Path(path).resolve(), Path(data_dir).resolve()
    if not resolved.is_relative_to(root):
        raise UnsafePathError(f"refusing {what} '{visible(str(path)[:120])}': not inside the data directory")
    return resolved.relative_to(root).as_posix()


class MadeFolders:
    """The folders `make` created on the way to new files, so that a rollback can take away again
    those it left empty (a failed import leaves no `media/<kind>/<asset>/` behind)."""

    def __init__(self) -> None:
        self._made: list[Path] = []  # outermost first

    def make(self, folder: Path) -> None:
        """`mkdir -p folder`, remembering each folder that did not exist before."""
        missing: list[Path] = []
        walk = folder
        while not walk.exists() and walk.parent != walk:
            missing.append(walk)
            walk = walk.parent
        folder.mkdir(parents=True, exist_ok=True)
        self._made.extend(reversed(missing))

    def remove_empty(self) -> None:
        """Remove the folders made here that are empty now, innermost first (others are left alone)."""
        for folder in reversed(self._made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        self._made = []
