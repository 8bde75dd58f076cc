"""The review's previews over SSH and in context (mixed into `ReviewScreen`).

- Over SSH (`widgets.player.playback_route` says "link"), the play key serves the preview — audio or
  image — through a one-time link on the remote box's 127.0.0.1 (`render.link_server`) and shows the link
  (an OSC 8 hyperlink where the terminal supports it) with the `ssh -L` line that forwards its port.
  Pressing play again makes a new link (the old one stops); closing the review stops the server.
- "In context" (`c`): the range around the clip, a few seconds either side, is rendered with the preview
  in place of the clip's asset (640×360, `render.render_lecture` in a thread worker) and played with a
  video player (`[ui] audio_player`, or one of `VIDEO_PLAYERS` for `auto`) — or, over SSH, served as above.
  Neighbours whose media is missing render black / silent; the temporary video is deleted on close.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.style import Style
from rich.text import Text
from textual.screen import Screen
from textual.widgets import Static

from ...render.link_server import LinkServer, ssh_forward_command
from ..widgets.player import VIDEO_PLAYERS, AudioPlayer, PlayerError, playback_route, resolve_player

if TYPE_CHECKING:
    from ...core.editor import ClipSession
    from ...core.kinds import AssetKind

CONTEXT_SECONDS = 3.0
"""How much of the timeline before and after the clip the context preview shows."""
CONTEXT_SIZE = (640, 360)
CONTEXT_FPS = 24


if TYPE_CHECKING:
    _ScreenBase = Screen[None]
else:  # a plain mixin at run time: it must not change the screen's CSS (Textual styles follow the MRO)
    _ScreenBase = object


class ReviewSharing(_ScreenBase):
    """Mixed into `ReviewScreen` ahead of its other bases; uses its session, preview and status line."""

    session: ClipSession
    kind: AssetKind
    preview: Mapping[str, Any] | None
    preview_token: int | None
    _player_message: str | None
    _link: LinkServer | None = None
    _context_player: AudioPlayer | None = None
    _context_dir: Path | None = None
    _context_stop: threading.Event | None = None
    _context_count = 0
    _context_possible: bool | None = None

    # provided by the review screen
    @property
    def data_dir(self) -> Path:
        raise NotImplementedError

    @property
    def audio_setting(self) -> str:
        raise NotImplementedError

    def _refresh_view(self) -> None:
        raise NotImplementedError

    # --- the one-time link ----------------------------------------------------------------------
    @property
    def link(self) -> LinkServer | None:
        """The link being served now, if any."""
        return self._link

    def share_preview(self) -> None:
        """Serve the preview's media file through a new one-time link and show it."""
        from ...render.schedule import media_file

        path, reason = media_file(self.data_dir, self.preview)
        if path is None or not path.is_file():
            self._say(f"Nothing to serve: {reason or 'the preview file is missing'}", warn=True)
            return
        self._share(path, "preview" + (path.suffix.lower() if path.suffix.isascii() else ""), "the preview")

    def _share(self, path: Path, name: str, what: str) -> None:
        self._stop_link()
        try:
            self._link = LinkServer(path, name=name if name.count(".") == 1 else "preview")
        except (OSError, ValueError) as exc:
            self._say(f"Could not serve {what}: {exc}", warn=True)
            return
        url = self._link.url
        text = Text()
        text.append(f"Open {what} in your browser (the link works once):\n", style="bold")
        text.append(url, style=Style(link=url, underline=True))
        text.append("\nForward its port first, on your own machine:\n", style="bold")
        text.append(ssh_forward_command(self._link.port, os.environ))
        shown = self.query("#review-link")
        if shown:
            widget = shown.first(Static)
            widget.update(text)
        else:
            widget = Static(text, id="review-link", markup=False)
            widget.styles.height = "auto"
            body = self.query("#review-body")  # inside the scrolling part: the buttons stay in view
            (body.first() if body else self).mount(widget)
        widget.call_after_refresh(widget.scroll_visible)
        self._player_message = None  # the link says it all
        self._refresh_view()

    def _stop_link(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            link.stop()

    def stop_sharing(self) -> None:
        """Stop the link server, a context render under way and its player; delete the rendered file."""
        self._stop_link()
        if self._context_stop is not None:
            self._context_stop.set()
        if self._context_player is not None:
            self._context_player.stop()
        if self._context_dir is not None:
            shutil.rmtree(self._context_dir, ignore_errors=True)
            self._context_dir = None

    def _say(self, message: str, *, warn: bool = False) -> None:
        self._player_message = message
        if warn:
            self.notify(message, severity="warning", markup=False)  # may hold names and file errors
        self._refresh_view()

    # --- the clip in context --------------------------------------------------------------------
    def can_play_context(self) -> bool:
        """Whether `c` can play anything: over a link, or with a video player found (looked up once)."""
        if self._context_possible is None:
            self._context_possible = playback_route(self.audio_setting) == "link" or (
                resolve_player(self.audio_setting, candidates=VIDEO_PLAYERS) is not None
            )
        return self._context_possible

    def action_play_context(self) -> None:
        if self._context_stop is not None and not self._context_stop.is_set():
            return  # one render at a time
        if not self.preview:
            return
        clip = self.session.clip
        snapshot = self.session.provider.snapshot
        fields = {k: v for k, v in self.preview.items() if k != "id"}
        snapshot = snapshot.with_asset(self.kind.name, clip.asset_id, fields)
        start = max(0.0, clip.start - CONTEXT_SECONDS)
        end = min(snapshot.duration, clip.end + CONTEXT_SECONDS)
        if self._context_dir is None:
            self._context_dir = Path(tempfile.mkdtemp(prefix="tui-editor-context-"))
        self._context_count += 1
        output = self._context_dir / f"context-{self._context_count}.mp4"
        stop = self._context_stop = threading.Event()
        self._say(f"Rendering the clip in context ({end - start:.0f} s)…")
        data_dir = self.data_dir

        def render() -> None:
            from ...render import RenderError, render_lecture

            try:
                render_lecture(
                    snapshot,
                    data_dir,
                    output,
                    width=CONTEXT_SIZE[0],
                    height=CONTEXT_SIZE[1],
                    fps=CONTEXT_FPS,
                    start=start,
                    end=end,
                    allow_missing=True,
                    should_stop=stop.is_set,
                    preset="ultrafast",
                )
            except RenderError as exc:
                outcome: tuple[Path | None, str] = (None, exc.message)
            else:
                outcome = (output, "")
            if stop.is_set():
                return
            with contextlib.suppress(RuntimeError):  # the app is shutting down
                self.app.call_from_thread(self._context_rendered, *outcome)

        self.run_worker(render, thread=True, group="review-context", exit_on_error=False)

    def _context_rendered(self, output: Path | None, error: str) -> None:
        if self._context_stop is not None:
            self._context_stop.set()  # done: the next `c` may render again
        if not self.is_mounted:
            return
        if output is None:
            self._say(f"Could not render the clip in context: {error}", warn=True)
            return
        if playback_route(self.audio_setting) == "link":
            self._share(output, "context.mp4", "the clip in context")
            return
        if self._context_player is None:
            self._context_player = AudioPlayer(self.audio_setting, candidates=VIDEO_PLAYERS)
        try:
            command = self._context_player.play(output)
        except PlayerError as exc:
            self._say(f"{exc} (the clip in context needs a video player such as mpv)", warn=True)
            return
        self._say(f"Playing the clip in context with {Path(command[0]).name}…")
