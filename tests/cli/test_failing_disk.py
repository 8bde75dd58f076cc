"""A failing disk fails fast (issue 13, item 3), on a real filesystem: a small tmpfs filled up or
remounted read-only.

Every command that writes ends within seconds with one error line and exit 1, leaves no run in flight
and no half file; the commands that only read keep working on a read-only disk.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.support import Cli, one_error_line
from tests.disk_support import fill, leftovers, set_readonly, small_filesystem, unfill
from tests.factories import lecture_doc, write_seed_media

#: Generous: the point is seconds, not the 600 s the waiting command used to sit out.
FAST_S = 30.0


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with small_filesystem(tmp_path / "disk", size_kb=6144) as mount:
        yield mount


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    (tmp_path / "home").mkdir()
    return Cli(tmp_path / "home")


def _seed(cli: Cli, data_dir: Path) -> str:
    """A small lecture (with media) imported into `data_dir`; returns its id."""
    doc = lecture_doc()
    write_seed_media(doc, data_dir)
    source = data_dir.parent / "lecture.json"
    source.write_text(json.dumps(doc))
    lecture: dict[str, str] = cli.json("import", str(source), "--json", data_dir=data_dir)
    source.unlink()
    return lecture["id"]


def beside_the_database(data_dir: Path) -> list[str]:
    """Everything under `data_dir` but the database's own files."""
    database = ("tui-editor.db", "tui-editor.db-wal", "tui-editor.db-shm")
    return sorted(p.relative_to(data_dir).as_posix() for p in data_dir.rglob("*") if p.name not in database)


def _active_runs(cli: Cli, data_dir: Path) -> list[str]:
    runs = cli.json("runs", "--json", data_dir=data_dir)
    return [r["id"] for r in runs if r["status"] in ("queued", "generating")]


def _timed(cli: Cli, *args: str, data_dir: Path) -> tuple[float, object]:
    started = time.monotonic()
    result = cli(*args, data_dir=data_dir)
    return time.monotonic() - started, result


@pytest.mark.parametrize("clip", ["Visual 0", "Narration 0", "Music 0"])
@pytest.mark.parametrize("leave_kb", [40, 160])
def test_a_generation_on_a_full_disk_ends_fast_with_one_line(
    cli: Cli, disk: Path, clip: str, leave_kb: int
) -> None:
    data_dir = disk / "data"
    lecture = _seed(cli, data_dir)
    fill(disk, leave_kb)
    started = time.monotonic()
    result = cli("regenerate", lecture, clip, "--timeout", "300", data_dir=data_dir)
    elapsed = time.monotonic() - started
    assert elapsed < FAST_S, f"took {elapsed:.1f} s"
    if result.returncode != 0:  # with a little room left a small file may still fit
        line = one_error_line(result, 1)
        assert "full" in line or "No space" in line or "disk I/O" in line, line
    unfill(disk)
    assert _active_runs(cli, data_dir) == []
    assert leftovers(data_dir) == [] or result.returncode == 0


@pytest.mark.parametrize("leave_kb", [0, 24])
def test_an_accept_on_a_full_disk_fails_and_can_be_retried(cli: Cli, disk: Path, leave_kb: int) -> None:
    data_dir = disk / "data"
    lecture = _seed(cli, data_dir)
    run = cli.json("regenerate", lecture, "Narration 0", "--json", data_dir=data_dir)
    assert run["status"] == "preview_ready"
    media_before = sorted(p for p in (data_dir / "media").rglob("*") if p.is_file())
    fill(disk, leave_kb)
    elapsed, result = _timed(cli, "accept", run["id"], data_dir=data_dir)
    assert elapsed < FAST_S
    one_error_line(result, 1)  # type: ignore[arg-type]
    unfill(disk)
    assert sorted(p for p in (data_dir / "media").rglob("*") if p.is_file()) == media_before
    assert [p for p in data_dir.rglob("*") if p.name.endswith((".tmp", ".part"))] == []
    runs = {r["id"]: r["status"] for r in cli.json("runs", "--json", data_dir=data_dir)}
    assert runs[run["id"]] == "preview_ready"  # nothing decided: the user can try again
    accepted = cli.json("accept", run["id"], "--json", data_dir=data_dir)
    assert accepted["status"] == "accepted"


def test_import_and_restore_on_a_full_disk_change_nothing(cli: Cli, disk: Path, tmp_path: Path) -> None:
    data_dir = disk / "data"
    lecture = _seed(cli, data_dir)
    cli.json("regenerate", lecture, "Visual 0", "--accept", "--json", data_dir=data_dir)
    revisions = cli.json("revisions", lecture, "--json", data_dir=data_dir)
    document = tmp_path / "other.json"
    document.write_text(json.dumps(lecture_doc(title="Another", visuals=30, narrations=30, music=10)))
    fill(disk, 0)
    for args in (("import", str(document)), ("restore", lecture, "1")):
        elapsed, result = _timed(cli, *args, data_dir=data_dir)
        assert elapsed < FAST_S, args
        one_error_line(result, 1)  # type: ignore[arg-type]
    unfill(disk)
    assert [x["title"] for x in cli.json("lectures", "--json", data_dir=data_dir)] == ["Test lecture"]
    assert cli.json("revisions", lecture, "--json", data_dir=data_dir) == revisions


def test_reading_commands_work_on_a_read_only_disk(cli: Cli, disk: Path, tmp_path: Path) -> None:
    data_dir = disk / "data"
    lecture = _seed(cli, data_dir)
    before = {p: p.read_bytes() for p in data_dir.rglob("*") if p.is_file()}
    set_readonly(disk)
    try:
        assert [x["id"] for x in cli.json("lectures", "--json", data_dir=data_dir)] == [lecture]
        assert "Visual 0" in cli.ok("show", lecture, data_dir=data_dir)
        exported = cli.json("export", lecture, data_dir=data_dir)
        assert exported["title"] == "Test lecture"
        cli.ok("export", lecture, "-o", str(tmp_path / "out.json"), data_dir=data_dir)
        assert json.loads((tmp_path / "out.json").read_text()) == exported
        # A command that writes says so in one line, fast.
        elapsed, result = _timed(cli, "regenerate", lecture, "Visual 0", data_dir=data_dir)
        assert elapsed < FAST_S
        one_error_line(result, 1)  # type: ignore[arg-type]
    finally:
        set_readonly(disk, False)
    assert {p: p.read_bytes() for p in data_dir.rglob("*") if p.is_file()} == before


def test_reading_commands_work_on_a_full_disk(cli: Cli, disk: Path) -> None:
    data_dir = disk / "data"
    lecture = _seed(cli, data_dir)
    fill(disk, 0)
    assert [x["id"] for x in cli.json("lectures", "--json", data_dir=data_dir)] == [lecture]
    assert cli.json("export", lecture, data_dir=data_dir)["title"] == "Test lecture"


def test_export_to_a_full_disk_leaves_no_half_file(cli: Cli, disk: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    lecture_doc_path = tmp_path / "big.json"
    lecture_doc_path.write_text(json.dumps(lecture_doc(visuals=200, narrations=200, music=50)))
    lecture = cli.json("import", str(lecture_doc_path), "--json", data_dir=data_dir)["id"]
    target = disk / "out.json"
    target.write_text("the previous export\n")
    fill(disk, 8)
    result = cli("export", lecture, "-o", str(target), data_dir=data_dir)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert target.read_text() == "the previous export\n"  # whole or not at all
    assert sorted(p.name for p in disk.iterdir()) == sorted([".filler", "out.json"])


@pytest.mark.parametrize("leave_kb", [300, 2500])
def test_the_demo_on_a_full_disk_leaves_nothing_and_says_why(cli: Cli, disk: Path, leave_kb: int) -> None:
    """`demo` (also what the editor's first start runs) generates ~4.5 MB of media: with less room it
    fails in one line, with no lecture and no media left behind; with room again it succeeds."""
    data_dir = disk / "data"
    assert cli.json("lectures", "--json", data_dir=data_dir) == []  # the database exists, empty
    fill(disk, leave_kb)
    elapsed, result = _timed(cli, "demo", data_dir=data_dir)
    assert elapsed < FAST_S
    line = one_error_line(result, 1)  # type: ignore[arg-type]
    assert "demo lecture" in line or "database" in line, line
    assert "unexpected" not in line
    unfill(disk)
    assert cli.json("lectures", "--json", data_dir=data_dir) == []
    assert beside_the_database(data_dir) == []  # no file, no empty folder
    assert cli.ok("demo", data_dir=data_dir).strip()
    assert [x["title"] for x in cli.json("lectures", "--json", data_dir=data_dir)] == ["Photosynthesis"]


@pytest.mark.parametrize("leave_kb", [100, 400])
def test_a_lecture_from_a_script_on_a_full_disk_leaves_nothing(cli: Cli, disk: Path, leave_kb: int) -> None:
    """`new --from-script` generates every asset: with too little room it fails in one line and leaves
    no lecture, no media file and no empty media folder; with room again the same script builds."""
    data_dir = disk / "data"
    script = disk.parent / "script.json"
    segment = {"backgroundMusic": "calm", "effect": "", "suggestedFormat": "image"}
    segments = [{**segment, "narration": f"Part {i} of the talk."} for i in range(6)]
    script.write_text(json.dumps({"detailedSummary": "Talk", "segments": segments}), encoding="utf-8")
    assert cli.json("lectures", "--json", data_dir=data_dir) == []
    fill(disk, leave_kb)
    elapsed, result = _timed(cli, "new", "--from-script", str(script), data_dir=data_dir)
    assert elapsed < FAST_S
    assert isinstance(result, subprocess.CompletedProcess) and result.returncode == 1, result
    *progress, line = result.stderr.strip().splitlines()  # progress lines, then the one error line
    assert all(p.startswith("[") for p in progress) and line.startswith("tui-editor: "), result.stderr
    assert "No space" in line and "unexpected" not in line, line
    unfill(disk)
    assert cli.json("lectures", "--json", data_dir=data_dir) == []
    assert beside_the_database(data_dir) == []
    assert cli.json("new", "--from-script", str(script), "--json", data_dir=data_dir)["clips"] > 0
