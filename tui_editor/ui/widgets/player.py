"""The external audio player for `[ui] audio_player`.

`none` disables playback, `auto` looks for a player on `PATH` (`paplay`, `aplay`, `afplay`,
`ffplay -nodisp -autoexit`, `mpv --no-video`, `play`), anything else is a command line in which `{file}`
is replaced by the audio file's path (appended when absent). An MP3 is never given to a WAV-only player
(`aplay`). Players run without a shell through
`subprocess.Popen` and are stopped when the review closes.

Over SSH (`SSH_CONNECTION` set) a player would play on the remote box: there `playback_route` sends the
review's play key to a one-time link instead (`render.link_server`), unless `[ui] audio_player` names a
command (or `none`), which wins. A rendered clip in context (an MP4) needs a video-capable player: `auto`
looks for one of `VIDEO_PLAYERS`.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from ...render.link_server import over_ssh

NO_PLAYER_MESSAGE = "No audio player found — set [ui] audio_player"
PLAYER_DISABLED_MESSAGE = "Audio playback is off ([ui] audio_player = none)"

#: Players tried by `audio_player = "auto"`, in order (argv templates; `{file}` is the WAV path).
AUTO_PLAYERS: tuple[tuple[str, ...], ...] = (
    ("paplay", "{file}"),
    ("aplay", "-q", "{file}"),
    ("afplay", "{file}"),
    ("ffplay", "-nodisp", "-autoexit", "-loglevel", "quiet", "{file}"),
    ("mpv", "--no-video", "--really-quiet", "{file}"),
    ("play", "-q", "{file}"),
)

#: Players tried for a rendered video (the clip in context) by `audio_player = "auto"`, in order.
VIDEO_PLAYERS: tuple[tuple[str, ...], ...] = (
    ("mpv", "--really-quiet", "{file}"),
    ("ffplay", "-autoexit", "-loglevel", "quiet", "{file}"),
    ("vlc", "--play-and-exit", "{file}"),
    ("xdg-open", "{file}"),
    ("open", "{file}"),
)

PlaybackRoute = Literal["player", "link"]


def playback_route(setting: str, environ: Mapping[str, str] | None = None) -> PlaybackRoute:
    """Where the review's play key sends a preview: `"link"` (served over a one-time link) in an SSH
    session when `[ui] audio_player` is left at `auto`; `"player"` (an external program) otherwise."""
    choice = (setting or "").strip().lower()
    if choice in ("", "auto") and over_ssh(os.environ if environ is None else environ):
        return "link"
    return "player"


#: Players of `auto` that play WAV only (`aplay` would play an MP3's bytes as noise).
WAV_ONLY_PLAYERS = frozenset({"aplay"})


class PlayerError(Exception):
    """Playback is unavailable or failed; the message is fit for the user."""


def resolve_player(
    setting: str,
    *,
    path: str | None = None,
    candidates: Sequence[Sequence[str]] = AUTO_PLAYERS,
    audio_format: str = "wav",
) -> list[str] | None:
    """The argv template (with `{file}`) for `[ui] audio_player`, or None when playback is off/none found.

    `path` replaces `$PATH` for the `auto` search (tests); a custom command's program is looked up on it
    too, so a missing program is reported at once rather than as a failed process. `audio_format` ("wav"
    or "mp3") skips the `auto` players that cannot play it.
    """
    setting = (setting or "").strip()
    if not setting or setting.lower() == "none":
        return None
    if setting.lower() == "auto":
        for candidate in candidates:
            if audio_format != "wav" and candidate[0] in WAV_ONLY_PLAYERS:
                continue
            program = shutil.which(candidate[0], path=path)
            if program:
                return [program, *candidate[1:]]
        return None
    try:
        argv = shlex.split(setting)
    except ValueError:
        return None
    if not argv:
        return None
    program = shutil.which(argv[0], path=path) if not os.path.dirname(argv[0]) else argv[0]
    if not program:
        return None
    argv[0] = program
    if not any("{file}" in part for part in argv):
        argv.append("{file}")
    return argv


def _is_mp3(file: Path) -> bool:
    """Whether `file` holds MP3 (by its first bytes; the name may say anything)."""
    from ...generators.media_info import sniff_extension

    try:
        with file.open("rb") as fh:
            return sniff_extension(fh.read(64)) == "mp3"
    except OSError:
        return False


def player_command(template: Sequence[str], file: Path) -> list[str]:
    return [part.replace("{file}", str(file)) for part in template]


class AudioPlayer:
    """Plays one file at a time through an external program; `stop()` ends it (and is idempotent)."""

    def __init__(
        self, setting: str, *, path: str | None = None, candidates: Sequence[Sequence[str]] = AUTO_PLAYERS
    ) -> None:
        self.setting = setting
        self._search_path = path
        self._candidates = candidates
        self.template = resolve_player(setting, path=path, candidates=candidates)
        self._process: subprocess.Popen[bytes] | None = None
        self.file: Path | None = None

    @property
    def available(self) -> bool:
        return self.template is not None

    @property
    def unavailable_message(self) -> str:
        if (self.setting or "").strip().lower() == "none":
            return PLAYER_DISABLED_MESSAGE
        if (self.setting or "").strip().lower() in ("", "auto"):
            return NO_PLAYER_MESSAGE
        return f"Audio player {self.setting!r} not found — set [ui] audio_player"

    @property
    def is_playing(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return self._process

    def play(self, file: Path) -> list[str]:
        """Start playing `file` (stopping anything already playing); returns the command run."""
        if self.template is None:
            raise PlayerError(self.unavailable_message)
        if not Path(file).is_file():
            raise PlayerError(f"Audio file missing: {file}")
        template: list[str] | None = self.template
        if _is_mp3(Path(file)):
            template = resolve_player(
                self.setting, path=self._search_path, candidates=self._candidates, audio_format="mp3"
            )
            if template is None:
                raise PlayerError("No audio player for MP3 found — set [ui] audio_player")
        assert template is not None
        self.stop()
        command = player_command(template, Path(file))
        try:
            self._process = subprocess.Popen(  # noqa: S603 - argv from settings, no shell
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            raise PlayerError(f"Could not start {Path(command[0]).name}: {exc.strerror or exc}") from None
        self.file = Path(file)
        return command

    def stop(self) -> None:
        process, self._process = self._process, None
        self.file = None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                process.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=1)
        else:
            process.wait()
