"""`tui-editor batch`, `retime`, `clear-stale`, `show --json` overflow and `export --revisions`, run as the
real console script against a real loopback HTTP provider (tests/generators/fake_provider.py)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.support import Cli, one_error_line
from tests.generators.fake_provider import ENV, FakeProvider, Reply


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    server = FakeProvider().start()
    try:
        yield server
    finally:
        server.stop()


def lecture_of(cli: Cli, data_dir: Path) -> str:
    [lecture] = cli.json("lectures", "--json", data_dir=data_dir)
    return str(lecture["id"])


def with_provider(cli: Cli, fake: FakeProvider) -> Path:
    config = cli.home / "batch-config.toml"
    config.write_text(
        f"""
[providers.openai]
base_url = "{fake.base_url}"
api_key_env = "OPENAI_API_KEY"
max_retries = 0
backoff_s = 0.0
timeout_s = 10.0

[pricing."gpt-image-1"]
per_image = 0.04
"""
    )
    cli.env.update(ENV)
    cli.env["TUI_EDITOR_CONFIG"] = str(config)
    return config


def run_json(cli: Cli, *args: str, data_dir: Path) -> tuple[int, Any]:
    result = cli(*args, data_dir=data_dir)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def test_estimate_then_a_batch_with_one_500_leaves_one_failure_that_retry_alone_reruns(
    cli: Cli, demo_copy: Path, fake: FakeProvider
) -> None:
    with_provider(cli, fake)
    lecture = lecture_of(cli, demo_copy)
    visuals = [c["id"] for c in cli.json("show", lecture, "--json", data_dir=demo_copy)["timeline"]["visual"]]
    args = ("batch", lecture, "--track", "visual", "--set", "model=gpt-image-1")

    # The estimate starts nothing: 6 runs at $0.04, 20 s each (no past runs) on 2 workers.
    assert cli.json(*args, "--estimate", "--json", data_dir=demo_copy) == {
        "runs": 6,
        "cost_usd": 0.24,
        "eta_s": 60.0,
    }
    text = cli.ok(*args, "--estimate", data_dir=demo_copy)
    assert "6 runs · cost $0.24 · ETA 1m 00s (concurrency 2)" in text
    assert "no past runs of gpt-image-1: 20 s each assumed" in text
    assert fake.received("POST") == []

    # The provider answers 500 once: with one run at a time, that is the first visual clip's request.
    fake.script("POST", "/v1/images/generations", Reply(500, {"error": {"message": "upstream exploded"}}))
    code, summary = run_json(cli, *args, "--concurrency", "1", "--json", data_dir=demo_copy)
    assert code == 1
    assert [f["clip_id"] for f in summary["failed"]] == [visuals[0]]
    assert "500" in summary["failed"][0]["error"] and summary["failed"][0]["run_id"].startswith("run_")
    assert sorted(s["clip_id"] for s in summary["succeeded"]) == sorted(visuals[1:])
    assert len(fake.received("POST", "/v1/images/generations")) == 6

    # --retry reruns only the failed one.
    code, again = run_json(cli, "batch", "--retry", summary["batch_id"], "--json", data_dir=demo_copy)
    assert code == 0, again
    assert again["batch_id"] == summary["batch_id"] and again["failed"] == []
    assert [s["clip_id"] for s in again["succeeded"]] == [visuals[0]]
    assert len(fake.received("POST", "/v1/images/generations")) == 7
    # They are ordinary previews waiting for a decision.
    pending = cli.json(
        "runs", "--lecture", lecture, "--status", "preview_ready", "--json", data_dir=demo_copy
    )
    assert sorted(r["clip_id"] for r in pending) == sorted(visuals)
    # Nothing left to retry.
    code, none = run_json(cli, "batch", "--retry", summary["batch_id"], "--json", data_dir=demo_copy)
    assert (code, none["succeeded"], none["failed"]) == (0, [], [])


def test_voice_batch_with_accept_prints_a_line_per_run_and_a_summary(cli: Cli, demo_copy: Path) -> None:
    lecture = lecture_of(cli, demo_copy)
    out = cli.ok("batch", lecture, "--track", "voice", "--set", "voice=en-gb", "--accept", data_dir=demo_copy)
    lines = out.strip().splitlines()
    assert [line.split()[0] for line in lines[:6]] == [f"[{n}/6]" for n in range(1, 7)]
    assert all(" accepted " in line for line in lines[:6])
    assert lines[6].startswith("Batch batch_") and lines[6].endswith("6 succeeded, 0 failed")
    shown = cli.json("show", lecture, "--json", data_dir=demo_copy)
    assert {a["voice"] for a in shown["narration"]} == {"en-gb"}
    revisions = cli.json("revisions", lecture, "--json", data_dir=demo_copy)
    assert [r["source"] for r in revisions[:6]] == ["accept"] * 6
    assert all(r["decided_by"] for r in revisions[:6])


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        ((), 2, "choose the clips"),
        (("--all", "--set", "nonsense=1"), 2, "no selected clip has that field"),
        (("--all", "--set", "novalue"), 2, "FIELD=VALUE"),
        (("--track", "music", "--set", "bpm=9999"), 2, "bpm"),
        (("--all", "--concurrency", "0"), 2, "concurrency"),
        (("--clips", "clip_nope"), 1, "clip_nope"),
    ],
)
def test_batch_bad_input_is_one_line(
    cli: Cli, demo_dir: Path, args: tuple[str, ...], code: int, needle: str
) -> None:
    lecture = lecture_of(cli, demo_dir)
    line = one_error_line(cli("batch", lecture, *args, "--estimate", data_dir=demo_dir), code)
    assert needle in line


def test_batch_retry_of_an_unknown_batch_fails(cli: Cli, demo_dir: Path) -> None:
    assert "batch_nope" in one_error_line(cli("batch", "--retry", "batch_nope", data_dir=demo_dir), 1)


# --- timing and history ----------------------------------------------------------------------------

LONG_SCRIPT = (
    "Plants need three things: light from the sun, water from the soil and carbon dioxide from the air. "
    "All three come together inside the leaf, where tiny green structures collect the light and turn it "
    "into chemical energy that the plant stores for later, long after the sun has set."
)


def test_a_longer_narration_marks_the_visual_stale_and_retime_removes_the_overlap(
    cli: Cli, demo_copy: Path, tmp_path: Path
) -> None:
    lecture = lecture_of(cli, demo_copy)
    before = cli.json("show", lecture, "--json", data_dir=demo_copy)
    narration = before["timeline"]["voice"][1]
    cli.ok("regenerate", lecture, narration["id"], "--script", LONG_SCRIPT, "--accept", data_dir=demo_copy)

    shown = cli.json("show", lecture, "--json", data_dir=demo_copy)
    voice = {c["id"]: c for c in shown["timeline"]["voice"]}
    assert voice[narration["id"]]["overflow_s"] > 0
    assert all("overflow_s" not in c for c in shown["timeline"]["visual"])
    stale = {c["id"]: c.get("stale") for track in shown["timeline"].values() for c in track if c.get("stale")}
    overlapping = before["timeline"]["visual"][1]["id"]
    assert stale[overlapping] == ["narration changed at rev 2"]

    retimed = cli.json("retime", lecture, "--pad", "0.5", "--json", data_dir=demo_copy)
    assert retimed["revision"] == 3 and retimed["clips"]
    after = cli.json("show", lecture, "--json", data_dir=demo_copy)
    assert all("overflow_s" not in c for track in after["timeline"].values() for c in track)
    for clips in after["timeline"].values():  # no overlaps on any track
        for a, b in zip(clips, clips[1:], strict=False):
            assert b["start"] >= a["start"] + a["duration"] - 1e-6
    assert cli.json("revisions", lecture, "--json", data_dir=demo_copy)[0]["source"] == "retime"

    # Clearing a stale mark explicitly; regenerating and accepting the other stale clips clears theirs.
    cleared = cli.json("clear-stale", lecture, overlapping, "--json", data_dir=demo_copy)
    assert cleared["cleared"] == [overlapping]
    still = sorted(k for k in stale if k != overlapping)
    assert cli.json("batch", lecture, "--stale", "--estimate", "--json", data_dir=demo_copy)["runs"] == len(
        still
    )
    done = cli.json("batch", lecture, "--stale", "--accept", "--json", data_dir=demo_copy)
    assert sorted(s["clip_id"] for s in done["succeeded"]) == still and done["failed"] == []
    final = cli.json("show", lecture, "--json", data_dir=demo_copy)
    assert not any(c.get("stale") for track in final["timeline"].values() for c in track)
    assert cli.json("clear-stale", lecture, "--json", data_dir=demo_copy)["cleared"] == []

    # One canonical file per revision; a diff of two of them shows only what changed.
    out = tmp_path / "revs"
    cli.ok("export", lecture, "--revisions", str(out), data_dir=demo_copy)
    files = sorted(p.name for p in out.iterdir())
    assert files == [f"{n:04d}.json" for n in range(1, 5 + len(still))]
    first = (out / "0001.json").read_text()
    assert first == json.dumps(json.loads(first), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert json.loads(first)["timeline"] == {
        t: [{k: v for k, v in c.items() if k != "stale"} for c in clips]
        for t, clips in before["timeline"].items()
    }
    diff = subprocess.run(
        ["git", "diff", "--no-index", "--unified=0", str(out / "0001.json"), str(out / "0002.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert diff.returncode == 1, diff.stderr
    changed = [
        line[1:].strip()
        for line in diff.stdout.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed, diff.stdout
    # Only the narration's asset fields and the new stale marks: no clip id, name or time changed.
    for line in changed:
        assert line.split(":")[0].strip('"') in {"duration_s", "file", "script", "stale", "]", "[", "],"} or (
            line.startswith('"narration changed')
        ), line
