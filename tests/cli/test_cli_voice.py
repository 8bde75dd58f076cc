"""`regenerate` with voices named per model, and the neural voice (`local/piper`) from the command line."""

from __future__ import annotations

from pathlib import Path

from tests.cli.support import Cli, one_error_line
from tui_editor.generators.wav import wav_info


def test_a_voice_the_model_does_not_have_is_refused_before_any_run(cli: Cli, demo_copy: Path) -> None:
    """`en-us` is an espeak name: with `tts-1` it is refused at once, naming tts-1's voices (no run,
    nothing sent to OpenAI)."""
    result = cli(
        "regenerate", "Photosynthesis", "Intro narration", "--model", "tts-1", "--voice", "en-us",
        data_dir=demo_copy,
    )  # fmt: skip
    line = one_error_line(result, 2)
    assert "tts-1 has no voice 'en-us'; its voices: alloy, ash, coral" in line
    assert cli.json("runs", "--json", data_dir=demo_copy) == []


def test_a_narration_regenerates_offline_with_the_neural_voice(cli: Cli, demo_copy: Path) -> None:
    result = cli.json(
        "regenerate", "Photosynthesis", "Intro narration", "--model", "local/piper", "--voice", "",
        "--script", "Plants turn light into sugar.", "--accept", "--json",
        data_dir=demo_copy,
    )  # fmt: skip
    assert (result["status"], result["error"]) == ("accepted", None)
    preview = result["preview"]
    assert (preview["model"], preview["voice"]) == ("local/piper", "joe")
    info = wav_info(demo_copy / preview["file"])
    assert 1.0 < info.duration_s < 5.0
    assert preview["duration_s"] == round(info.duration_s, 2)
