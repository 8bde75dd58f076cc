"""Atomic file writes (`files.py`), shared by the local generators, the WAV writer and the downloads."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from tui_editor.generators.files import AtomicFile, atomic_write_bytes

from .local_support import files


def test_atomic_write_bytes_writes_replaces_and_leaves_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    assert atomic_write_bytes(target, b"first") == target.resolve()
    assert atomic_write_bytes(target, b"second") == target.resolve()
    assert target.read_bytes() == b"second"
    assert files(tmp_path) == ["out.bin"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def failing_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert files(tmp_path) == ["out.bin"]


def test_atomic_file_commits_under_a_name_chosen_afterwards(tmp_path: Path) -> None:
    with AtomicFile(tmp_path, "download") as out:
        out.write(b"\x89PNG")
        out.write(b"...")
        assert out.size == 7
        assert files(tmp_path) == [out.temp_path.name]
        assert out.temp_path.name.startswith(".download.") and out.temp_path.name.endswith(".part")
        path = out.commit(tmp_path / "download.png")
    assert path == (tmp_path / "download.png").resolve()
    assert path.read_bytes() == b"\x89PNG..."
    assert files(tmp_path) == ["download.png"]


def test_leaving_without_commit_discards_the_temporary_file(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), AtomicFile(tmp_path, "x") as out:
        out.write(b"partial")
        raise RuntimeError("cancelled mid-download")
    with AtomicFile(tmp_path, "y") as out:
        out.write(b"never committed")
    assert files(tmp_path) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_written_files_get_the_usual_permissions(tmp_path: Path) -> None:
    """Unlike `mkstemp`'s 0600, a generated file is as readable as any other file the user creates."""
    umask = os.umask(0o022)
    try:
        path = atomic_write_bytes(tmp_path / "shared.png", b"data")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
