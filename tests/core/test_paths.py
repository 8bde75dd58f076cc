"""Paths built from data never leave the data directory; ids read back are checked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile import bad_ids, traversal_paths
from tui_editor.core.clock import new_id
from tui_editor.core.paths import (
    MadeFolders,
    UnsafePathError,
    check_id,
    data_file,
    id_folder,
    inside,
    is_inside,
    relative_name,
)

FAST = settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(traversal_paths())
def test_traversal_is_refused(tmp_path: Path, relative: str) -> None:
    root = tmp_path / "data"
    root.mkdir(exist_ok=True)
    with pytest.raises(UnsafePathError) as caught:
        data_file(root, relative)
    assert caught.value.message.startswith("refusing file")
    assert "\x00" not in caught.value.message


@FAST
@given(bad_ids())
def test_bad_ids_are_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(UnsafePathError):
        id_folder(tmp_path, value, what="run id")
    with pytest.raises(UnsafePathError):
        check_id(value)


@given(st.sampled_from(["run", "vis", "nar", "mus", "lec", "clip"]))
def test_ids_the_program_makes_are_safe(prefix: str) -> None:
    value = new_id(prefix)
    assert check_id(value) == value


@FAST
@given(st.lists(st.text(st.sampled_from("abc-_"), min_size=1, max_size=5), min_size=1, max_size=4))
def test_ordinary_relative_paths_are_inside(tmp_path: Path, parts: list[str]) -> None:
    relative = "/".join(parts)
    assert data_file(tmp_path, relative) == tmp_path / relative


def test_symlink_out_of_the_data_dir_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "data"
    (root / "media").mkdir(parents=True)
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"x")
    (root / "media" / "link.png").symlink_to(outside)
    (root / "media" / "dirlink").symlink_to(tmp_path)
    with pytest.raises(UnsafePathError):
        data_file(root, "media/link.png")
    with pytest.raises(UnsafePathError):
        data_file(root, "media/dirlink/secret.png")
    # a symlink that stays inside is fine
    (root / "media" / "real.png").write_bytes(b"x")
    (root / "media" / "inner.png").symlink_to(root / "media" / "real.png")
    assert data_file(root, "media/inner.png") == root / "media" / "inner.png"


def test_symlink_loop_is_refused_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    assert not is_inside(tmp_path / "a", tmp_path / "elsewhere")
    with pytest.raises(UnsafePathError):
        inside(tmp_path / "elsewhere", "../a")


def test_relative_name(tmp_path: Path) -> None:
    (tmp_path / "media").mkdir()
    assert relative_name(tmp_path / "media" / "x.png", tmp_path) == "media/x.png"
    with pytest.raises(UnsafePathError):
        relative_name(tmp_path.parent / "x.png", tmp_path)


def test_data_dir_itself_may_be_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "media").mkdir(parents=True)
    link = tmp_path / "link"
    os.symlink(real, link)
    assert data_file(link, "media/x.png") == link / "media" / "x.png"


def test_made_folders_removes_only_the_empty_ones_it_made(tmp_path: Path) -> None:
    existing = tmp_path / "media"
    existing.mkdir()
    folders = MadeFolders()
    folders.make(existing / "visual" / "vis_1")
    folders.make(existing / "visual" / "vis_2")
    folders.make(existing / "music" / "mus_1")
    (existing / "visual" / "vis_2" / "kept.png").write_bytes(b"x")  # not empty: stays, and so do its parents
    folders.make(existing / "visual" / "vis_1")  # already there: nothing new to remember
    folders.remove_empty()
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "media",  # it existed before
        "media/visual",
        "media/visual/vis_2",
        "media/visual/vis_2/kept.png",
    ]
    folders.remove_empty()  # nothing is remembered any more
    assert (existing / "visual" / "vis_2").is_dir()
