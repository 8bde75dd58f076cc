"""Previews over SSH (a one-time link instead of a player on the remote box) and the clip in context.

Pilot tests on the real stack (SQLite, LocalEngine, local generators); the link is fetched over real HTTP.
"""

from __future__ import annotations

from pathlib import Path

import av
import httpx
import pytest
from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from tests.ui.editor_support import (
    SSH_CONNECTION,
    EditorHostApp,
    fake_player,
    link_threads,
    open_env,
    open_review,
    shown_link,
    static_text,
    wait_until,
)
from tui_editor.render.link_server import USED_MESSAGE
from tui_editor.ui.screens.clip_editor import ClipEditorScreen
from tui_editor.ui.widgets.player import playback_route

SIZE = (100, 30)


def test_the_route_follows_ssh_and_the_setting() -> None:
    assert playback_route("auto", {"SSH_CONNECTION": SSH_CONNECTION}) == "link"
    assert playback_route("auto", {}) == "player"
    assert playback_route("mpv {file}", {"SSH_CONNECTION": SSH_CONNECTION}) == "player"  # a set player wins
    assert playback_route("none", {"SSH_CONNECTION": SSH_CONNECTION}) == "player"  # off stays off


@pytest.mark.parametrize(("clip_id", "suffix"), [("clip_n0", ".wav"), ("clip_v0", ".png")])
async def test_over_ssh_play_serves_the_preview_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clip_id: str, suffix: str
) -> None:
    monkeypatch.setenv("SSH_CONNECTION", SSH_CONNECTION)
    with open_env(tmp_path / "data", ui__audio_player="auto") as env:
        app = EditorHostApp(env, clip_id=clip_id)
        async with app.run_test(size=SIZE) as pilot:
            review = await open_review(pilot, app)
            assert review.check_action("play", ()) is True  # images too: the browser shows them
            await pilot.press("p")
            await wait_until(pilot, lambda: review.link is not None, what="the link")
            url, port, ssh_line = shown_link(app, "#review-link")
            assert ssh_line.startswith(f"ssh -L {port}:127.0.0.1:{port} ") and ssh_line.endswith("@10.9.8.7")
            assert url.split("?")[0].endswith("/preview" + suffix)
            content = review.query_one("#review-link", Static).content
            assert isinstance(content, Text)  # the URL carries a link style: an OSC 8 hyperlink
            assert any(isinstance(s.style, Style) and s.style.link == url for s in content.spans)
            preview_file = env.settings.data_path / review.preview["file"]  # type: ignore[index]

            base = url.split("?")[0]
            assert httpx.get(base).status_code == 403  # no token
            assert httpx.get(base + "?token=not-the-token").status_code == 403
            first = httpx.get(url)
            assert first.status_code == 200 and first.content == preview_file.read_bytes()
            second = httpx.get(url)  # one use: the same link again is refused
            assert second.status_code == 410 and USED_MESSAGE in second.text

            await pilot.press("p")  # again: a new link, the old server stopped
            await wait_until(pilot, lambda: shown_link(app, "#review-link")[0] != url, what="a new link")
            with pytest.raises(httpx.ConnectError):
                httpx.get(url, timeout=2)
            new_url = shown_link(app, "#review-link")[0]
            assert httpx.get(new_url).content == preview_file.read_bytes()

            await pilot.press("escape")  # closing the review stops the server
            await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen))
            with pytest.raises(httpx.ConnectError):
                httpx.get(new_url, timeout=2)
            assert link_threads() == []


async def test_a_set_audio_player_still_wins_over_ssh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSH_CONNECTION", SSH_CONNECTION)
    record = tmp_path / "played.txt"
    script = fake_player(tmp_path / "tools", "myplayer", record)
    with open_env(tmp_path / "data", ui__audio_player=f"{script} {{file}}") as env:
        app = EditorHostApp(env, clip_id="clip_n0")
        async with app.run_test(size=SIZE) as pilot:
            review = await open_review(pilot, app)
            await pilot.press("p")
            await wait_until(pilot, lambda: record.exists() and record.read_text().strip(), what="the player")
            assert review.link is None
            await pilot.press("escape")


async def test_the_clip_in_context_over_ssh_is_a_rendered_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSH_CONNECTION", SSH_CONNECTION)
    with open_env(tmp_path / "data", ui__audio_player="auto") as env:
        app = EditorHostApp(env, clip_id="clip_n1")  # 5–10 s of a 10 s lecture: context 2–10 s
        async with app.run_test(size=SIZE) as pilot:
            review = await open_review(pilot, app)
            assert review.check_action("play_context", ()) is True
            await pilot.press("c")
            await wait_until(pilot, lambda: review.link is not None, timeout=90, what="the context link")
            url, _port, _ssh = shown_link(app, "#review-link")
            assert url.split("?")[0].endswith("/context.mp4")
            video = tmp_path / "context.mp4"
            video.write_bytes(httpx.get(url).content)
            with av.open(str(video)) as container:
                assert abs((container.duration or 0) / 1e6 - 8.0) <= 1 / 24
                assert container.streams.video[0].codec_context.name == "h264"
                assert container.streams.audio[0].codec_context.name == "aac"
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen))


async def test_the_clip_in_context_plays_with_a_video_player(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = tmp_path / "played.txt"
    fake_player(tmp_path / "bin", "mpv", record)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with open_env(tmp_path / "data", ui__audio_player="auto") as env:
        app = EditorHostApp(env, clip_id="clip_v0")
        async with app.run_test(size=SIZE) as pilot:
            review = await open_review(pilot, app)
            await pilot.press("c")
            await wait_until(pilot, lambda: record.exists() and record.read_text().strip(), timeout=90)
            played = Path(record.read_text().splitlines()[-1])
            assert played.suffix == ".mp4" and played.is_file()
            assert "Playing the clip in context with mpv" in static_text(app, "#review-status")
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, ClipEditorScreen))
            assert not played.exists()  # the temporary render is gone with the review
            assert review._context_player is not None and not review._context_player.is_playing
