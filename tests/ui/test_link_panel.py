"""`LinkPanel`: one file over a one-time link, shown; hostile asset paths refused; stopped with the panel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.app import App, ComposeResult

from tests.ui.editor_support import SSH_CONNECTION, link_threads, shown_link
from tui_editor.ui.widgets.link_panel import LinkPanel, served_name


class PanelApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LinkPanel(id="link")


def test_the_served_name_keeps_only_a_plain_extension() -> None:
    assert served_name("preview", Path("previews/run_1/narration.WAV")) == "preview.wav"
    assert served_name("current", Path("a/b.png")) == "current.png"
    assert served_name("preview", Path("a/b.w av")) == "preview"  # odd extensions are left off
    assert served_name("preview", Path("a/b.wäv")) == "preview"
    assert served_name("preview", Path("a/noext")) == "preview"


async def test_serves_shows_and_stops_with_the_panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSH_CONNECTION", SSH_CONNECTION)
    data = tmp_path / "data"
    (data / "media").mkdir(parents=True)
    (data / "media" / "take.wav").write_bytes(b"RIFF-not-really")
    (tmp_path / "secret.txt").write_text("outside the data dir")
    app = PanelApp()
    async with app.run_test(size=(80, 10)) as pilot:
        panel = app.query_one(LinkPanel)
        assert not panel.display and panel.server is None  # hidden while nothing is served

        hostile: dict[str, Any] = {"file": "../secret.txt"}
        problem = panel.serve_asset(data, hostile, label="preview", what="the preview")
        assert problem == "Nothing to serve: its media file lies outside the data directory"
        assert panel.serve_asset(data, {"file": "media/gone.wav"}, label="preview", what="the preview") == (
            "Nothing to serve: the file of the preview is missing"
        )
        assert panel.server is None and not panel.display

        assert (
            panel.serve_asset(data, {"file": "media/take.wav"}, label="preview", what="the preview") is None
        )
        await pilot.pause()
        assert panel.display
        url, _port, ssh_line = shown_link(app, "#link")
        assert url.split("?")[0].endswith("/preview.wav") and ssh_line.endswith("@10.9.8.7")
        assert httpx.get(url).content == b"RIFF-not-really"
        assert len(link_threads()) == 1
        await panel.remove()  # the panel leaves the screen: its server stops
        with pytest.raises(httpx.ConnectError):
            httpx.get(url, timeout=2)
        assert link_threads() == []
