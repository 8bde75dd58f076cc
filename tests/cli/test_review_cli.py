"""`undo`, `takes` and `regenerate --seed` through the real console script (issue 9 items 2–5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.cli.support import Cli, one_error_line

LECTURE = "Photosynthesis"
CLIP = "Intro visual"


def regenerate(cli: Cli, data: Path, *args: str) -> dict[str, Any]:
    result: dict[str, Any] = cli.json("regenerate", LECTURE, CLIP, *args, "--json", data_dir=data)
    return result


def test_takes_list_star_restore_and_undo(cli: Cli, demo_copy: Path) -> None:
    pending = regenerate(cli, demo_copy, "--prompt", "A red leaf", "--seed", "7")
    assert pending["seed"] == 7 and pending["status"] == "preview_ready"
    rejected = regenerate(cli, demo_copy, "--prompt", "A blue leaf", "--reject")
    accepted = regenerate(cli, demo_copy, "--prompt", "A gold leaf", "--accept")
    assert accepted["decided_by"] and isinstance(accepted["seed"], int)
    stack = cli.json("takes", LECTURE, CLIP, "--json", data_dir=demo_copy)
    assert [(t["id"], t["status"]) for t in stack] == [
        (accepted["id"], "current"),
        (rejected["id"], "rejected"),
        (pending["id"], "pending"),
    ]
    assert stack[1]["prompt"] == "A blue leaf" and (demo_copy / stack[1]["file"]).is_file()
    assert set(stack[0]) >= {
        "id",
        "run_id",
        "status",
        "seed",
        "starred",
        "created_at",
        "decided_at",
        "decided_by",
    }
    starred = cli.json("takes", LECTURE, CLIP, "--star", rejected["id"], "--json", data_dir=demo_copy)
    assert [t["starred"] for t in starred] == [False, True, False]
    assert "unstarred" in cli.ok("takes", LECTURE, CLIP, "--unstar", rejected["id"], data_dir=demo_copy)
    # undo the accept: the demo asset is back, the take pending again
    undone = cli.json("undo", LECTURE, "--json", data_dir=demo_copy)
    assert undone == {
        "run_id": accepted["id"],
        "clip_id": accepted["clip_id"],
        "undone": "accept",
        "status": "preview_ready",
        "revision": 3,
    }
    shown = cli.json("show", LECTURE, "--json", data_dir=demo_copy)
    assert shown["visuals"][0]["file"].endswith("demo.png")
    # the reject before it cannot be undone any more: the clip changed after it
    one_error_line(cli("undo", LECTURE, data_dir=demo_copy), 1)
    out = cli.ok("takes", LECTURE, CLIP, "--restore", rejected["id"], data_dir=demo_copy)
    assert "is current" in out
    revisions = cli.json("revisions", LECTURE, "--json", data_dir=demo_copy)
    assert [r["source"] for r in revisions[:3]] == ["take", "undo", "accept"]
    runs = cli.json("runs", "--lecture", LECTURE, "--json", data_dir=demo_copy)
    assert {r["id"]: r["seed"] for r in runs}[pending["id"]] == 7


def test_bad_take_arguments(cli: Cli, demo_copy: Path) -> None:
    one_error_line(cli("takes", LECTURE, CLIP, "--restore", "run_nope", data_dir=demo_copy), 1)
    one_error_line(cli("takes", LECTURE, CLIP, "--star", "a", "--unstar", "b", data_dir=demo_copy), 2)
    one_error_line(cli("takes", LECTURE, "No such clip", data_dir=demo_copy), 1)
    one_error_line(cli("undo", LECTURE, data_dir=demo_copy), 1)  # nothing decided yet
    one_error_line(cli("regenerate", LECTURE, CLIP, "--seed", "x", data_dir=demo_copy), 2)
    one_error_line(cli("regenerate", LECTURE, CLIP, "--seed", "-3", data_dir=demo_copy), 2)
    assert "No takes." in cli.ok("takes", LECTURE, CLIP, data_dir=demo_copy)


def test_the_same_seed_gives_the_same_visual(cli: Cli, demo_copy: Path) -> None:
    files = [
        (demo_copy / str(regenerate(cli, demo_copy, "--seed", seed)["preview"]["file"])).read_bytes()
        for seed in ("7", "7", "8")
    ]
    assert files[0] == files[1] and files[0] != files[2]
