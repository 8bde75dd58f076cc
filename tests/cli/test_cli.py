"""The command line through the real console script (`.venv/bin/tui-editor`) in subprocesses.

One demo data dir is built per test module (per xdist worker) and used by the tests that only read;
tests that change data work on a copy of it. Every failure must be one line on stderr, no traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.support import Cli, one_error_line
from tests.factories import EXPORT_KEYS, lecture_doc

RUN_KEYS = {"id", "lecture_id", "clip_id", "kind", "status", "error", "created_at", "updated_at"} | {
    "seed",
    "decided_by",
    "decided_at",
}
UNREACHABLE_PG = "postgresql+psycopg://postgres@127.0.0.1:1/test"


def _file_bytes(data_dir: Path, relative: str) -> bytes:
    path = data_dir / relative
    assert path.is_file(), f"{relative} is missing"
    return path.read_bytes()


def stored(data_dir: Path) -> dict[str, Any]:
    """What the data dir's database holds, read in-process (cheaper than more subprocesses):
    the export, `revisions --json` and `runs --json` of the demo lecture."""
    from tui_editor.core.store import open_store

    store = open_store(f"sqlite:///{data_dir / 'tui-editor.db'}")
    try:
        lecture_id = store.resolve_lecture("Photosynthesis")
        return {
            "export": store.export_lecture(lecture_id),
            "revisions": store.list_revisions(lecture_id),
            "runs": [r.to_json() for r in store.list_runs()],
        }
    finally:
        store.close()


def _clip_asset(export: dict[str, Any], clip_name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    for track, key in (("visual", "visuals"), ("voice", "narration"), ("music", "music")):
        for clip in export["timeline"][track]:
            if clip["name"] == clip_name:
                return clip, next(a for a in export[key] if a["id"] == clip["asset_id"])
    raise AssertionError(f"no clip {clip_name!r}")


# --- reading the demo ----------------------------------------------------------------------------


def test_demo_then_lectures_json_shows_it(cli: Cli, demo_dir: Path) -> None:
    lectures = cli.json("lectures", "--json", data_dir=demo_dir)
    assert len(lectures) == 1
    assert set(lectures[0]) == {"id", "title", "revision", "clips"}
    assert (lectures[0]["title"], lectures[0]["revision"], lectures[0]["clips"]) == ("Photosynthesis", 1, 14)
    assert lectures[0]["id"].startswith("lec_")


def test_demo_twice_is_idempotent(cli: Cli, demo_dir: Path) -> None:
    before = cli.json("lectures", "--json", data_dir=demo_dir)
    again = cli.ok("demo", data_dir=demo_dir)
    assert again.strip() == before[0]["id"]
    assert cli.json("lectures", "--json", data_dir=demo_dir) == before


def test_show_json_is_the_export_and_every_file_exists(cli: Cli, demo_dir: Path, tmp_path: Path) -> None:
    shown = cli.json("show", "Photosynthesis", "--json", data_dir=demo_dir)
    assert set(shown) == EXPORT_KEYS
    assert shown == stored(demo_dir)["export"]
    exported = cli.json("export", "Photosynthesis", data_dir=demo_dir)
    assert shown == exported
    out = tmp_path / "out.json"
    assert cli.ok("export", shown["id"], "-o", str(out), data_dir=demo_dir) == ""
    assert json.loads(out.read_text(encoding="utf-8")) == shown
    assert (shown["title"], shown["revision"]) == ("Photosynthesis", 1)
    assert {track: len(clips) for track, clips in shown["timeline"].items()} == {
        "visual": 6,
        "voice": 6,
        "music": 2,
    }
    assert (len(shown["visuals"]), len(shown["narration"]), len(shown["music"])) == (6, 6, 2)
    assert set(shown["timeline"]["voice"][0]) == {"id", "name", "start", "duration", "asset_id"}
    assert set(shown["visuals"][0]) == {
        "id",
        "prompt",
        "model",
        "aspect_ratio",
        "width",
        "height",
        "file",
        "updated_at",
    }
    for key in ("visuals", "narration", "music"):
        for asset in shown[key]:
            assert not Path(asset["file"]).is_absolute()
            assert (demo_dir / asset["file"]).stat().st_size > 0
    # The plain-text view names every clip.
    text = cli.ok("show", "Photosynthesis", data_dir=demo_dir)
    for clip in shown["timeline"]["visual"] + shown["timeline"]["music"]:
        assert clip["name"] in text


def test_python_dash_m_works_too(cli: Cli, demo_dir: Path) -> None:
    result = cli("lectures", "--json", data_dir=demo_dir, exe=[sys.executable, "-m", "tui_editor"])
    assert result.returncode == 0, result.stderr
    assert [x["title"] for x in json.loads(result.stdout)] == ["Photosynthesis"]


def test_revisions_json_shape(cli: Cli, demo_dir: Path) -> None:
    revisions = cli.json("revisions", "Photosynthesis", "--json", data_dir=demo_dir)
    assert len(revisions) == 1
    assert set(revisions[0]) == {"revision", "source", "run_id", "decided_by", "created_at", "changes"}
    assert (revisions[0]["revision"], revisions[0]["source"], revisions[0]["run_id"]) == (1, "import", None)
    assert (revisions[0]["decided_by"], revisions[0]["changes"]) == (None, [])
    assert revisions[0]["created_at"].endswith("+00:00")


# --- bad usage and failures ----------------------------------------------------------------------


def test_import_of_a_bad_file_exits_2_names_the_problem_and_adds_nothing(
    cli: Cli, demo_dir: Path, tmp_path: Path
) -> None:
    good = lecture_doc()
    missing_asset = lecture_doc()
    missing_asset["timeline"]["voice"][1]["asset_id"] = "nar_ghost"
    no_title = {k: v for k, v in good.items() if k != "title"}
    cases = {
        "not-json.json": ("{ this is not json", "not valid JSON"),
        "no-title.json": (json.dumps(no_title), "title"),
        "ghost.json": (json.dumps(missing_asset), "timeline.voice[1].asset_id"),
        "list.json": ("[]", "one JSON object"),
    }
    for name, (content, words) in cases.items():
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        line = one_error_line(cli("import", str(path), data_dir=demo_dir), 2)
        assert str(path) in line and words in line, line
    line = one_error_line(cli("import", str(tmp_path / "absent.json"), data_dir=demo_dir), 2)
    assert "absent.json" in line and "no such file" in line
    assert [x["title"] for x in cli.json("lectures", "--json", data_dir=demo_dir)] == ["Photosynthesis"]


@pytest.mark.parametrize(
    "args",
    [
        ["frobnicate", "now"],
        ["--bogus", "lectures"],
        ["lectures", "--bogus"],
        ["show"],
        ["restore", "Photosynthesis", "one"],
        ["regenerate", "Photosynthesis", "Intro visual", "--accept", "--reject"],
        ["runs", "--status", "bogus"],
    ],
    ids=" ".join,
)
def test_bad_usage_exits_2_with_one_line(cli: Cli, demo_dir: Path, args: list[str]) -> None:
    one_error_line(cli(*args, data_dir=demo_dir), 2)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["show", "No such lecture"], "No such lecture"),
        (["export", "lec_missing"], "lec_missing"),
        (["revisions", "Nope", "--json"], "Nope"),
        (["regenerate", "Photosynthesis", "No such clip", "--accept"], "No such clip"),
        (["accept", "run_missing"], "run_missing"),
        (["restore", "Photosynthesis", "99"], "99"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_not_found_exits_1_with_one_line(cli: Cli, demo_dir: Path, args: list[str], words: str) -> None:
    result = cli(*args, data_dir=demo_dir)
    assert words in one_error_line(result, 1)
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("[engine\nkind = 'local'\n", ("not valid TOML",)),
        ("[engine]\nturbo = true\n", ("unknown key", "engine.turbo")),
        ("[events]\npoll_interval_ms = 'fast'\n", ("events.poll_interval_ms",)),
        ("[engine]\nkind = 'cloud'\n", ("engine.kind",)),
        ("[database]\nurl = 5\n", ("database.url",)),
    ],
    ids=["invalid TOML", "unknown key", "bad value", "bad choice", "wrong type"],
)
def test_a_malformed_config_file_exits_2_naming_file_and_key(
    cli: Cli, demo_dir: Path, tmp_path: Path, content: str, words: tuple[str, ...]
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(content, encoding="utf-8")
    line = one_error_line(cli("--config", str(config), "lectures", data_dir=demo_dir), 2)
    assert str(config) in line, line
    for word in words:
        assert word in line, line


def test_a_missing_config_file_exits_2(cli: Cli, demo_dir: Path, tmp_path: Path) -> None:
    line = one_error_line(cli("--config", str(tmp_path / "nope.toml"), "lectures", data_dir=demo_dir), 2)
    assert "nope.toml" in line


def test_an_unreachable_database_exits_1_with_one_clear_line(cli: Cli, tmp_path: Path) -> None:
    result = cli("--db", UNREACHABLE_PG, "lectures", "--json", data_dir=tmp_path / "data")
    line = one_error_line(result, 1)
    assert "127.0.0.1" in line and ("unavailable" in line or "cannot" in line), line
    assert result.stdout == ""


# --- changing things -----------------------------------------------------------------------------


def test_export_then_import_shows_two_lectures(cli: Cli, demo_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "photo.json"
    cli.ok("export", "Photosynthesis", "-o", str(out), data_dir=demo_copy)
    imported = cli.json("import", str(out), "--json", data_dir=demo_copy)
    assert set(imported) == {"id", "title", "revision", "clips"}
    assert (imported["title"], imported["revision"], imported["clips"]) == ("Photosynthesis", 1, 14)
    lectures = cli.json("lectures", "--json", data_dir=demo_copy)
    assert len(lectures) == 2
    assert {x["title"] for x in lectures} == {"Photosynthesis"} and all(x["clips"] == 14 for x in lectures)
    assert imported["id"] in {x["id"] for x in lectures}
    # Two lectures share the title now: a title is ambiguous (bad input), an id is not.
    line = one_error_line(cli("show", "Photosynthesis", data_dir=demo_copy), 2)
    assert imported["id"] in line
    copy = cli.json("show", imported["id"], "--json", data_dir=demo_copy)
    original = json.loads(out.read_text(encoding="utf-8"))
    assert [c["name"] for c in copy["timeline"]["voice"]] == [
        c["name"] for c in original["timeline"]["voice"]
    ]


def test_control_characters_in_a_title_are_printed_escaped(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(lecture_doc(title="Evil \x1b[2J\x07 title")), encoding="utf-8")
    data = tmp_path / "data"
    lecture_id = cli.json("import", str(path), "--json", data_dir=data)["id"]
    for args in (("lectures",), ("show", lecture_id)):
        out = cli.ok(*args, data_dir=data)
        assert "\x1b" not in out and "\x07" not in out
        assert "Evil \\x1b[2J\\x07 title" in out


def test_demo_still_succeeds_after_a_copy_of_it_was_imported(
    cli: Cli, demo_copy: Path, tmp_path: Path
) -> None:
    """`demo` is documented as idempotent; a second lecture with the same title must not break it."""
    out = tmp_path / "photo.json"
    cli.ok("export", "Photosynthesis", "-o", str(out), data_dir=demo_copy)
    cli.ok("import", str(out), data_dir=demo_copy)
    result = cli("demo", data_dir=demo_copy)
    assert result.returncode == 0, result.stderr
    assert len(cli.json("lectures", "--json", data_dir=demo_copy)) == 2


REGENERATIONS = {
    "visual": ("Intro visual", ["--prompt", "A cactus in the desert at noon"], "prompt"),
    "narration": ("Intro narration", ["--script", "Cacti store water in thick stems."], "script"),
    "music": ("Opening bed", ["--prompt", "Fast banjo breakdown", "--bpm", "150"], "prompt"),
}


@pytest.mark.parametrize("kind", list(REGENERATIONS))
def test_regenerate_accept_commits_a_new_file_and_revision(cli: Cli, demo_copy: Path, kind: str) -> None:
    clip_name, flags, field = REGENERATIONS[kind]
    before = stored(demo_copy)["export"]
    clip, old_asset = _clip_asset(before, clip_name)
    old_bytes = _file_bytes(demo_copy, old_asset["file"])

    result = cli.json(
        "regenerate", "Photosynthesis", clip_name, *flags, "--accept", "--json", data_dir=demo_copy
    )

    assert RUN_KEYS | {"preview", "revision"} == set(result)
    assert (result["status"], result["kind"], result["clip_id"], result["error"]) == (
        "accepted",
        kind,
        clip["id"],
        None,
    )
    assert result["lecture_id"] == before["id"]
    assert result["revision"] == before["revision"] + 1 == 2
    preview = result["preview"]
    assert preview["id"] == old_asset["id"]  # asset ids survive regeneration
    assert preview[field] == flags[1]
    assert preview["file"] != old_asset["file"]
    assert _file_bytes(demo_copy, preview["file"]) != old_bytes
    # The committed file of the old version is still there, untouched.
    assert _file_bytes(demo_copy, old_asset["file"]) == old_bytes
    assert not (demo_copy / "previews" / result["id"]).exists()

    now = stored(demo_copy)
    after = now["export"]
    assert after["revision"] == 2
    _clip, new_asset = _clip_asset(after, clip_name)
    assert new_asset == preview
    assert new_asset[field] != old_asset[field]
    if kind == "music":
        assert new_asset["bpm"] == 150
    # Only this asset changed.
    for key in ("visuals", "narration", "music"):
        others_before = [a for a in before[key] if a["id"] != old_asset["id"]]
        others_after = [a for a in after[key] if a["id"] != old_asset["id"]]
        assert others_after == others_before
    assert [(r["revision"], r["source"], r["run_id"]) for r in now["revisions"]] == [
        (2, "accept", result["id"]),
        (1, "import", None),
    ]
    assert [(r["id"], r["status"]) for r in now["runs"]] == [(result["id"], "accepted")]


def test_regenerate_reject_changes_nothing(cli: Cli, demo_copy: Path) -> None:
    before = stored(demo_copy)
    _clip, asset = _clip_asset(before["export"], "Calvin cycle visual")
    old_bytes = _file_bytes(demo_copy, asset["file"])
    media_before = sorted(p.relative_to(demo_copy) for p in (demo_copy / "media").rglob("*"))

    result = cli.json(
        "regenerate",
        "Photosynthesis",
        "Calvin cycle visual",
        "--prompt",
        "Rejected",
        "--reject",
        "--json",
        data_dir=demo_copy,
    )

    assert result["status"] == "rejected" and "revision" not in result
    after = stored(demo_copy)
    assert after["export"] == before["export"]
    assert after["revisions"] == before["revisions"]
    assert [(r["id"], r["status"]) for r in after["runs"]] == [(result["id"], "rejected")]
    assert _file_bytes(demo_copy, asset["file"]) == old_bytes
    assert sorted(p.relative_to(demo_copy) for p in (demo_copy / "media").rglob("*")) == media_before
    assert not (demo_copy / "previews" / result["id"]).exists()


def test_no_wait_is_refused_by_the_local_engine(cli: Cli, demo_copy: Path) -> None:
    result = cli(
        "regenerate", "Photosynthesis", "Intro visual", "--prompt", "x", "--no-wait", data_dir=demo_copy
    )
    line = one_error_line(result, 2)
    assert "--no-wait" in line and "local engine" in line, line
    assert stored(demo_copy)["runs"] == []


def test_pending_preview_then_decisions_on_runs(cli: Cli, demo_copy: Path) -> None:
    # Without --accept/--reject the preview waits, and outlives the command.
    pending = cli.json(
        "regenerate",
        "Photosynthesis",
        "Summary narration",
        "--script",
        "Pending words.",
        "--json",
        data_dir=demo_copy,
    )
    assert pending["status"] == "preview_ready" and "revision" not in pending
    assert pending["preview"]["script"] == "Pending words."
    assert pending["preview"]["file"].startswith(f"previews/{pending['id']}/")
    assert (demo_copy / pending["preview"]["file"]).is_file()
    second = cli.json(
        "regenerate",
        "Photosynthesis",
        "Closing bed",
        "--prompt",
        "Second thoughts",
        "--json",
        data_dir=demo_copy,
    )
    assert second["status"] == "preview_ready"

    runs = cli.json("runs", "--json", data_dir=demo_copy)
    assert {r["id"]: r["status"] for r in runs} == {
        pending["id"]: "preview_ready",
        second["id"]: "preview_ready",
    }
    for run in runs:
        assert set(run) == RUN_KEYS
        assert run["created_at"].endswith("+00:00") and run["updated_at"].endswith("+00:00")
    waiting = cli.json(
        "runs", "--lecture", "Photosynthesis", "--status", "preview_ready", "--json", data_dir=demo_copy
    )
    assert len(waiting) == 2

    accepted = cli.json("accept", pending["id"], "--json", data_dir=demo_copy)
    assert (accepted["id"], accepted["status"], accepted["revision"]) == (pending["id"], "accepted", 2)
    rejected = cli.json("reject", second["id"], "--json", data_dir=demo_copy)
    assert rejected["status"] == "rejected"
    assert not (demo_copy / "previews" / second["id"]).exists()

    now = stored(demo_copy)
    _clip, asset = _clip_asset(now["export"], "Summary narration")
    assert asset["script"] == "Pending words." and asset["file"].startswith("media/narration/")

    # Decided runs cannot be decided or cancelled again.
    for command, run_id, status in (
        ("accept", pending["id"], "accepted"),
        ("reject", pending["id"], "accepted"),
        ("cancel", second["id"], "rejected"),
    ):
        line = one_error_line(cli(command, run_id, data_dir=demo_copy), 1)
        assert run_id in line and status in line, line
    assert [(r["revision"], r["run_id"]) for r in now["revisions"]] == [(2, pending["id"]), (1, None)]
    assert {r["id"]: r["status"] for r in stored(demo_copy)["runs"]} == {
        pending["id"]: "accepted",
        second["id"]: "rejected",
    }


def test_restore_brings_an_earlier_revision_back(cli: Cli, demo_copy: Path) -> None:
    original = stored(demo_copy)["export"]
    cli.json(
        "regenerate",
        "Photosynthesis",
        "Chloroplasts visual",
        "--prompt",
        "Neon chloroplasts",
        "--accept",
        "--json",
        data_dir=demo_copy,
    )
    out = cli.ok("restore", "Photosynthesis", "1", data_dir=demo_copy)
    assert "revision 3" in out
    now = stored(demo_copy)
    restored = now["export"]
    assert restored["revision"] == 3
    _clip, asset = _clip_asset(restored, "Chloroplasts visual")
    _clip, old = _clip_asset(original, "Chloroplasts visual")
    assert {k: v for k, v in asset.items() if k != "updated_at"} == {
        k: v for k, v in old.items() if k != "updated_at"
    }
    assert (demo_copy / asset["file"]).is_file()
    assert [(r["revision"], r["source"]) for r in now["revisions"]] == [
        (3, "restore"),
        (2, "accept"),
        (1, "import"),
    ]


def test_a_flag_that_does_not_fit_the_clip_kind_is_bad_usage(cli: Cli, demo_dir: Path) -> None:
    line = one_error_line(
        cli(
            "regenerate", "Photosynthesis", "Intro narration", "--prompt", "x", "--accept", data_dir=demo_dir
        ),
        2,
    )
    assert "--prompt" in line and "narration" in line
    assert stored(demo_dir)["runs"] == []
