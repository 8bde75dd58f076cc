"""The review's previews over SSH and in context (mixed into `ReviewScreen`).

- Over SSH (`widgets.player.playback_route` says "link"), the play key serves the preview — audio or
  image — through a one-time link on the remote box's 127.0.0.1, shown with the `ssh -L` line that
  forwards its port (`widgets.link_panel.LinkPanel`, shared with the review session). Pressing play again
  makes a new link (the old one stops); closing the review stops the server.
- "In context" (`c`): the range around the clip, a few seconds either side, is rendered with the preview
  in place of the clip's asset (640×360, `render.render_lecture` in a thread worker) and played with a
  video player (`[ui] audio_player`, or one of `VIDEO_PLAYERS` for `auto`) — or, over SSH, served as above.
  Neighbours whose media is missing render black / silent; the temporary video is deleted on close.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from ...render.link_server import LinkServer
from ..widgets.link_panel import LinkPanel
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
    _link_panel: LinkPanel | None = None
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
    def link_panel(self) -> LinkPanel:
        """Where the one-time link is shown (composed by the review screen, in its scrolling part)."""
        if self._link_panel is None:
            self._link_panel = LinkPanel(id="review-link")
        return self._link_panel

    @property
    def link(self) -> LinkServer | None:
        """The link being served now, if any."""
        return self.link_panel.server

    def share_preview(self) -> None:
        """Serve the preview's media file through a new one-time link and show it."""
        self._show_link_outcome(
            self.link_panel.serve_asset(self.data_dir, self.preview, label="preview", what="the preview")
        )

    def _show_link_outcome(self, problem: str | None) -> None:
        if problem is not None:
            self._say(problem, warn=True)
            return
        self._player_message = None  # the link says it all
        self._refresh_view()

    def stop_sharing(self) -> None:
        """Stop the link server, a context render under way and its player; delete the rendered file."""
        self.link_panel.stop()
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
            problem = self.link_panel.serve(output, label="context", what="the clip in context")
            self._show_link_outcome(problem)
            return
        if self._context_player is None:
            self._context_player = AudioPlayer(self.audio_setting, candidates=VIDEO_PLAYERS)
        try:
            command = self._context_player.play(output)
        except PlayerError as exc:
            self._say(f"{exc} (the clip in context needs a video player such as mpv)", warn=True)
            return
        self._say(f"Playing the clip in context with {Path(command[0]).name}…")
