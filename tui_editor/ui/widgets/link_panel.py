"""A file served over a one-time link, shown with the line that forwards its port (review modal and session).

Over SSH (`player.playback_route` says "link") a play key must not start a player on the remote box, where
nobody hears it. Instead `LinkPanel.serve` serves the file through `render.link_server.LinkServer` (one
file, 127.0.0.1, a random port, a one-time token) and shows the link — an OSC 8 hyperlink where the
terminal supports it — and the `ssh -L` command to run on the reviewer's own machine.

One panel serves at most one file: serving another one, `stop()`, or the panel leaving the screen stops
the server (its port is freed and its thread joined). The panel is hidden while nothing is served.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from ...render.link_server import LinkServer, ssh_forward_command

_PLAIN_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,10}")


def served_name(label: str, path: Path) -> str:
    """The file name in the link: `label` plus the file's extension when it is a plain one ("preview.wav").

    The stored file name never appears in the URL; an odd extension (spaces, non-ASCII) is left off.
    """
    suffix = path.suffix.lower()
    return label + suffix if _PLAIN_SUFFIX.fullmatch(suffix) else label


def link_text(url: str, what: str, forward_command: str) -> Text:
    """What the panel shows: the link (a hyperlink style) and the command that forwards its port."""
    text = Text()
    text.append(f"Open {what} in your browser (the link works once):\n", style="bold")
    text.append(url, style=Style(link=url, underline=True))
    text.append("\nForward its port first, on your own machine:\n", style="bold")
    text.append(forward_command)
    return text


class LinkPanel(Static):
    """Serves one file at a time over a one-time link and shows the link; hidden while nothing is served."""

    DEFAULT_CSS = """
    LinkPanel { height: auto; }
    LinkPanel.-idle { display: none; }
    """

    def __init__(self, *, id: str | None = None, classes: str = "") -> None:  # noqa: A002 - Textual's name
        super().__init__("", id=id, classes=f"{classes} -idle".strip(), markup=False)
        self._server: LinkServer | None = None

    @property
    def server(self) -> LinkServer | None:
        """The link being served now, if any."""
        return self._server

    def serve(self, path: Path, *, label: str, what: str) -> str | None:
        """Serve `path` as `label` + its extension through a new one-time link and show it.

        The previous link stops first. Returns why it could not (one line for the user), or None.
        `what` names the file in the panel's text ("the preview").
        """
        self.stop()
        if not path.is_file():
            return f"Nothing to serve: the file of {what} is missing"
        try:
            server = LinkServer(path, name=served_name(label, path))
        except (OSError, ValueError) as exc:
            return f"Could not serve {what}: {exc}"
        self._server = server
        self.update(link_text(server.url, what, ssh_forward_command(server.port, os.environ)))
        self.remove_class("-idle")
        self.call_after_refresh(self.scroll_visible)
        return None

    def serve_asset(
        self, data_dir: Path, asset: Mapping[str, Any] | None, *, label: str, what: str
    ) -> str | None:
        """Serve an asset's media file (checked to lie under `data_dir`); as `serve`."""
        from ...render.schedule import media_file

        path, reason = media_file(data_dir, asset)
        if path is None:
            self.stop()
            return f"Nothing to serve: {reason}"
        return self.serve(path, label=label, what=what)

    def stop(self) -> None:
        """Stop the server (idempotent) and hide the panel."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()
            self.update("")
            self.add_class("-idle")

    def on_unmount(self) -> None:
        self.stop()
