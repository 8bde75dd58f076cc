"""Real failing disks for tests and the reliability benchmark: a small tmpfs that can be filled up or
remounted read-only. Mounting needs root, which the test machine and CI have (they are the same machine).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

FILLER = ".filler"


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=30)


@contextlib.contextmanager
def small_filesystem(mount_point: Path, size_kb: int = 8192) -> Iterator[Path]:
    """A fresh tmpfs of `size_kb` KiB mounted at `mount_point` for the duration of the block."""
    mount_point.mkdir(parents=True, exist_ok=True)
    _run("mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0755", "tmpfs", str(mount_point))
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False, capture_output=True, timeout=30)


def free_kb(mount_point: Path) -> int:
    stat = os.statvfs(mount_point)
    return stat.f_bavail * stat.f_frsize // 1024


def fill(mount_point: Path, leave_kb: int = 0) -> None:
    """Fill the filesystem until about `leave_kb` KiB remain free (0: completely full)."""
    filler = mount_point / FILLER
    with filler.open("ab") as out:
        block = b"\0" * 4096
        while free_kb(mount_point) > leave_kb:
            try:
                out.write(block if free_kb(mount_point) - leave_kb >= 4 else block[:1024])
                out.flush()
            except OSError:
                break


def unfill(mount_point: Path) -> None:
    """Give back the space `fill` took."""
    (mount_point / FILLER).unlink(missing_ok=True)


def set_readonly(mount_point: Path, readonly: bool = True) -> None:
    """Remount the filesystem read-only (or writable again)."""
    _run("mount", "-o", f"remount,{'ro' if readonly else 'rw'}", str(mount_point))


def leftovers(data_dir: Path) -> list[str]:
    """Half-written files left anywhere under `data_dir`: temporary names of atomic writes, and files
    in preview folders."""
    found = []
    for path in data_dir.rglob("*"):
        name = path.name
        if path.is_file() and (name.endswith((".part", ".tmp")) or "previews" in path.parts):
            found.append(str(path.relative_to(data_dir)))
    return sorted(found)
