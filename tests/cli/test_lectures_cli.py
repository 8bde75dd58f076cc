"""`new --from-script`, `import --format tutopanda` and `export --format tutopanda` through the real
console script: results on stdout, progress on stderr (a bar on a terminal, lines otherwise), bad input
one line and exit 2."""

from __future__ import annotations

import json
import os
import select
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.cli.support import TUI, Cli, one_error_line


def _script(path: Path, count: int = 3) -> Path:
    segments = [
        {"narration": f"Part {i}.", "backgroundMusic": "calm", "effect": "", "suggestedFormat": "image"}
        for i in range(count)
    ]
    path.write_text(json.dumps({"detailedSummary": "S", "segments": segments}), encoding="utf-8")
    return path


def test_new_from_a_script_prints_the_lecture_and_one_progress_line_per_item(
    cli: Cli, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    result = cli(
        "new",
        "--from-script",
        str(_script(tmp_path / "talk.json")),
        "--title",
        "Talk",
        "--json",
        data_dir=data_dir,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["title"] == "Talk" and summary["clips"] == 7 and summary["revision"] == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 7 and lines[0].startswith("[1/7] ") and lines[-1].startswith("[7/7] ")
    shown = cli.json("show", summary["id"], "--json", data_dir=data_dir)
    voice = shown["timeline"]["voice"]
    narration = {a["id"]: a for a in shown["narration"]}
    assert all(c["duration"] == narration[c["asset_id"]]["duration_s"] > 0 for c in voice)


def test_new_without_generation_makes_stale_placeholders(cli: Cli, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    script = tmp_path / "notes.md"
    script.write_text("# Notes\n\nOne.\n\nTwo three four.\n", encoding="utf-8")
    out = cli.ok("new", "--from-script", str(script), "--no-generate", data_dir=data_dir)
    assert out.startswith("Created 'Notes' as lec_") and "(5 clips)" in out
    shown = cli.json("show", "Notes", "--json", data_dir=data_dir)
    clips = [c for track in shown["timeline"].values() for c in track]
    assert clips and all(c["stale"] for c in clips)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (
            '{"segments": [{"narration": "x", "effect": "", "suggestedFormat": "image"}]}',
            "segment 1: missing",
        ),
        ('{"segments": [', "not valid JSON"),
        ("\n\n", "no paragraphs"),
    ],
)
def test_a_bad_script_is_one_line_and_exit_2(cli: Cli, tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    line = one_error_line(cli("new", "--from-script", str(path), data_dir=tmp_path / "data"), 2)
    assert words in line
    assert not (tmp_path / "data" / "media").exists()


def test_new_on_a_terminal_draws_a_progress_bar(cli: Cli, tmp_path: Path) -> None:
    master, slave = os.openpty()
    try:
        process = subprocess.Popen(
            [
                str(TUI),
                "--data-dir",
                str(tmp_path / "data"),
                "new",
                "--from-script",
                str(_script(tmp_path / "t.json", 2)),
            ],
            stdout=subprocess.PIPE,
            stderr=slave,
            env=cli.env | {"COLUMNS": "100", "TERM": "xterm-256color"},
            cwd=tmp_path,
        )
        os.close(slave)
        slave = -1
        screen = b""
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            assert ready, "no output within 60 s"
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            screen += chunk
        assert process.wait(timeout=60) == 0
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)
    text = screen.decode("utf-8", "replace")
    assert "━" in text and "5/5" in text  # rich's bar and its count


def _timeline() -> dict[str, Any]:
    return {
        "id": "t",
        "name": "Rivers",
        "duration": 10,
        "tracks": {
            "visual": [
                {
                    "id": "v",
                    "kind": "kenBurns",
                    "name": "Delta",
                    "startTime": 0,
                    "duration": 10,
                    "imageAssetId": "i",
                    "startScale": 1,
                    "endScale": 1.25,
                    "endX": 12.5,
                }
            ],
            "voice": [
                {
                    "id": "n",
                    "kind": "voice",
                    "name": "Talk",
                    "startTime": 0.5,
                    "duration": 8.25,
                    "narrationAssetId": "a",
                    "volume": 0.9,
                }
            ],
            "music": [
                {
                    "id": "m",
                    "kind": "music",
                    "name": "Bed",
                    "startTime": 0,
                    "duration": 10,
                    "musicAssetId": "b",
                    "volume": 0.25,
                    "fadeInDuration": 1,
                    "fadeOutDuration": 3,
                }
            ],
            "soundEffects": [{"id": "s", "kind": "soundFx", "name": "Splash", "startTime": 2, "duration": 1}],
        },
    }


def _strip_ids(document: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "imageAssetId", "narrationAssetId", "musicAssetId")
    return {
        "name": document["name"],
        "duration": document["duration"],
        "tracks": {
            track: [{k: v for k, v in clip.items() if k not in keys} for clip in clips]
            for track, clips in document["tracks"].items()
        },
    }


def test_a_tutopanda_timeline_imports_and_exports_back_equal(cli: Cli, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    source = tmp_path / "rivers.json"
    source.write_text(json.dumps(_timeline()), encoding="utf-8")
    result = cli("import", "--format", "tutopanda", str(source), "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["clips"] == 3
    warnings = result.stderr.strip().splitlines()
    assert all(w.startswith("tui-editor: warning: ") for w in warnings)
    assert any("sound-effect" in w for w in warnings) and any("batch --stale" in w for w in warnings)
    out = tmp_path / "out.json"
    cli.ok("export", summary["id"], "--format", "tutopanda", "-o", str(out), data_dir=data_dir)
    exported = json.loads(out.read_text(encoding="utf-8"))
    expected = _timeline()
    expected["tracks"]["soundEffects"] = []  # there is no such track here (the warning said so)
    assert _strip_ids(exported) == json.loads(json.dumps(_strip_ids(expected)), parse_int=float)


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ("[]", "one JSON object"),
        (
            '{"name": "x", "tracks": {"visual": [{"id": "v", "name": "a", "startTime": -1, "duration": 1}]}}',
            "tracks.visual[0].startTime",
        ),
        ('{"name": "x", "tracks": {"lasers": []}}', "unknown track"),
        (
            '{"timeline": {"tracks": {"music": {"clips": [{"id": "m", "name": "b", "startTime": 0, '
            '"duration": 1, "volume": "loud"}]}}}}',
            "timeline.tracks.music[0].volume",
        ),
        ("{nope", "not valid JSON"),
    ],
)
def test_a_malformed_timeline_is_one_line_and_exit_2(
    cli: Cli, tmp_path: Path, document: str, words: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(document, encoding="utf-8")
    line = one_error_line(cli("import", "--format", "tutopanda", str(path), data_dir=tmp_path / "data"), 2)
    assert words in line


def test_importing_a_timeline_without_the_format_says_which_format_it_needs(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "timeline.json"
    path.write_text(json.dumps(_timeline()), encoding="utf-8")
    line = one_error_line(cli("import", str(path), data_dir=tmp_path / "data"), 2)
    assert "--format tutopanda" in line


def test_a_lecture_exported_with_its_media_imports_elsewhere_with_the_same_media(
    cli: Cli, tmp_path: Path
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    made = json.loads(
        cli.ok("new", "--from-script", str(_script(tmp_path / "s.json", 2)), "--json", data_dir=first)
    )
    out = tmp_path / "out" / "talk.json"
    out.parent.mkdir()
    result = cli(
        "export", made["id"], "--format", "tutopanda", "-o", str(out), "--with-media", data_dir=first
    )
    assert result.returncode == 0 and "copied 5 media files" in result.stderr, result.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    urls = [
        c.get("imageUrl") or c.get("audioUrl")
        for t in ("visual", "voice", "music")
        for c in document["tracks"][t]
    ]
    assert all(u and u.startswith("talk-media/") for u in urls)
    imported = cli("import", "--format", "tutopanda", str(out), "--json", data_dir=second)
    assert imported.returncode == 0 and imported.stderr == "", imported.stderr  # no placeholders
    a = cli.json("show", made["id"], "--json", data_dir=first)
    b = cli.json("show", json.loads(imported.stdout)["id"], "--json", data_dir=second)
    for key in ("visuals", "narration", "music"):
        files_a = sorted((first / x["file"]).read_bytes() for x in a[key])
        files_b = sorted((second / x["file"]).read_bytes() for x in b[key])
        assert files_a == files_b
    assert _times(a) == _times(b)


def _times(doc: dict[str, Any]) -> list[tuple[str, str, float, float]]:
    return sorted((t, c["name"], c["start"], c["duration"]) for t, cs in doc["timeline"].items() for c in cs)


def test_with_media_needs_an_output_file_and_the_tutopanda_format(cli: Cli, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    made = json.loads(
        cli.ok(
            "new",
            "--from-script",
            str(_script(tmp_path / "s.json", 1)),
            "--no-generate",
            "--json",
            data_dir=data_dir,
        )
    )
    assert "-o FILE" in one_error_line(
        cli("export", made["id"], "--format", "tutopanda", "--with-media", data_dir=data_dir), 2
    )
    line = one_error_line(
        cli("export", made["id"], "-o", str(tmp_path / "x.json"), "--with-media", data_dir=data_dir), 2
    )
    assert "--format tutopanda" in line
