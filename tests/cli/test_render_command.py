"""`tui-editor render`: a real subprocess renders the demo; the MP4 is decoded; bad input and ctrl+c."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import av

from tests.cli.support import TUI, Cli, one_error_line


def test_render_a_range_of_the_demo_as_json(cli: Cli, demo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "demo.mp4"
    result = cli(
        "render", "Photosynthesis", "-o", str(out), "--from", "8", "--to", "12",
        "--size", "160x90", "--fps", "10", "--json", data_dir=demo_dir,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["file"] == str(out.resolve()) and report["missing"] == []
    assert (report["width"], report["height"], report["fps"], report["frames"]) == (160, 90, 10, 40)
    assert (report["from_s"], report["to_s"], report["duration_s"]) == (8.0, 12.0, 4.0)
    assert "render: 100% (40/40 frames)" in result.stderr  # progress lines when stderr is no terminal
    with av.open(str(out)) as container:
        assert abs((container.duration or 0) / 1e6 - 4.0) <= 0.1
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.audio[0].codec_context.name == "aac"


def test_bad_input_is_one_line_and_exit_2(cli: Cli, demo_dir: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "x.mp4")
    for args, words in (
        (("--size", "161x90"), "must be even"),
        (("--size", "big"), "WIDTHxHEIGHT"),
        (("--from", "500"), "past the end"),
        (("--from", "5", "--to", "4"), "empty"),
        (("--fps", "0"), "fps"),
        (("-o", str(tmp_path / "no-such-folder" / "x.mp4")), "no such folder"),
    ):
        line = one_error_line(cli("render", "Photosynthesis", "-o", out, *args, data_dir=demo_dir), 2)
        assert words in line, line
    assert "name it .mp4" in one_error_line(
        cli("render", "Photosynthesis", "-o", str(tmp_path / "x.avi"), data_dir=demo_dir), 2
    )
    assert (
        "no lecture"
        in one_error_line(cli("render", "No such lecture", "-o", out, data_dir=demo_dir), 1).lower()
    )
    assert list(tmp_path.iterdir()) == []


def test_missing_media_names_the_clip(cli: Cli, demo_copy: Path, tmp_path: Path) -> None:
    lecture = cli.json("show", "Photosynthesis", "--json", data_dir=demo_copy)
    visual = lecture["visuals"][0]
    (demo_copy / visual["file"]).unlink()
    clip = next(c for c in lecture["timeline"]["visual"] if c["asset_id"] == visual["id"])
    out = tmp_path / "x.mp4"
    line = one_error_line(cli("render", "Photosynthesis", "-o", str(out), data_dir=demo_copy), 1)
    assert clip["id"] in line and clip["name"] in line and "missing" in line
    assert not out.exists()
    result = cli(
        "render", "Photosynthesis", "-o", str(out), "--to", "1", "--size", "64x36", "--fps", "5",
        "--allow-missing", "--json", data_dir=demo_copy,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert [m["clip_id"] for m in json.loads(result.stdout)["missing"]] == [clip["id"]]


def test_ctrl_c_leaves_no_half_file(cli: Cli, demo_dir: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    process = subprocess.Popen(
        [str(TUI), "--data-dir", str(demo_dir), "render", "Photosynthesis", "-o", str(out_dir / "x.mp4")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli.env,
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 120
    while "render: 10%" not in process.stderr.readline():  # started writing: a temp file exists
        assert time.monotonic() < deadline and process.poll() is None
    assert [p.name.endswith(".part") for p in out_dir.iterdir()] == [True]
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert err.strip().splitlines()[-1] == "tui-editor: interrupted"
    assert list(out_dir.iterdir()) == []
