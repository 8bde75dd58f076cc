"""The external audio player: found on PATH or configured, run as a real process, stopped."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.editor_support import fake_player
from tests.ui.media_support import wait_for_file, write_ramp_wav
from tui_editor.ui.widgets.player import (
    NO_PLAYER_MESSAGE,
    PLAYER_DISABLED_MESSAGE,
    AudioPlayer,
    PlayerError,
    resolve_player,
)


def test_auto_finds_the_first_known_player_on_path(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    fake_player(bin_dir, "ffplay", tmp_path / "r")
    assert resolve_player("auto", path=str(bin_dir)) == [
        str(bin_dir / "ffplay"),
        "-nodisp",
        "-autoexit",
        "-loglevel",
        "quiet",
        "{file}",
    ]
    fake_player(bin_dir, "paplay", tmp_path / "r")  # paplay comes first in the search order
    assert resolve_player("auto", path=str(bin_dir)) == [str(bin_dir / "paplay"), "{file}"]


def test_custom_commands_and_none(tmp_path: Path) -> None:
    program = fake_player(tmp_path / "bin", "myplayer", tmp_path / "r")
    path = str(tmp_path / "bin")
    assert resolve_player("myplayer --gain 3 {file}", path=path) == [str(program), "--gain", "3", "{file}"]
    assert resolve_player("myplayer", path=path) == [str(program), "{file}"]  # {file} appended
    assert resolve_player(f"{program} -x", path="") == [str(program), "-x", "{file}"]
    assert resolve_player("none", path=path) is None
    assert resolve_player("", path=path) is None
    assert resolve_player("not-installed {file}", path=path) is None
    assert AudioPlayer("not-installed", path=path).unavailable_message.startswith(
        "Audio player 'not-installed'"
    )
    assert AudioPlayer("none", path=path).unavailable_message == PLAYER_DISABLED_MESSAGE


def test_player_runs_a_real_process_with_the_file_and_stops_it(tmp_path: Path) -> None:
    record = tmp_path / "played.txt"
    fake_player(tmp_path / "bin", "aplay", record)
    audio = write_ramp_wav(tmp_path / "clip.wav")
    player = AudioPlayer("auto", path=str(tmp_path / "bin"))
    assert player.available
    command = player.play(audio)
    assert command == [str(tmp_path / "bin" / "aplay"), "-q", str(audio)]
    assert wait_for_file(record).splitlines() == ["-q", str(audio)]
    assert player.is_playing
    process = player.process
    assert process is not None
    player.stop()
    assert process.poll() is not None and not player.is_playing
    player.stop()  # idempotent


def test_no_player_found_is_a_clear_message(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    player = AudioPlayer("auto", path=str(tmp_path / "empty"))
    assert not player.available
    assert player.unavailable_message == NO_PLAYER_MESSAGE == "No audio player found — set [ui] audio_player"
    with pytest.raises(PlayerError, match="No audio player found"):
        player.play(write_ramp_wav(tmp_path / "a.wav"))


def test_player_refuses_a_missing_file(tmp_path: Path) -> None:
    fake_player(tmp_path / "bin", "paplay", tmp_path / "r")
    player = AudioPlayer("auto", path=str(tmp_path / "bin"))
    with pytest.raises(PlayerError, match="Audio file missing"):
        player.play(tmp_path / "nothing.wav")


def test_an_mp3_is_never_given_to_a_wav_only_player(tmp_path: Path) -> None:
    from tests.audio_files import write_mp3

    mp3 = write_mp3(tmp_path / "speech.wav", seconds=0.3)  # the name says WAV; the bytes say MP3
    bin_dir = tmp_path / "bin"
    fake_player(bin_dir, "aplay", tmp_path / "r1")
    player = AudioPlayer("auto", path=str(bin_dir))
    with pytest.raises(PlayerError, match="MP3"):
        player.play(mp3)
    fake_player(bin_dir, "mpv", tmp_path / "r2")
    try:
        command = player.play(mp3)
        assert Path(command[0]).name == "mpv" and command[-1] == str(mp3)
    finally:
        player.stop()
