"""The one-file preview link: real HTTP on loopback, one-time token, nothing else served."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_editor.render.link_server import COOKIE, LinkServer, over_ssh, ssh_forward_command

DATA = bytes(range(256)) * 40


def serve(folder: Path) -> LinkServer:
    file = folder / "secret name\x1b.wav"
    file.write_bytes(DATA)
    return LinkServer(file, name="preview.wav")


@pytest.fixture
def link(tmp_path: Path) -> Iterator[LinkServer]:
    with serve(tmp_path) as server:
        yield server


@pytest.fixture(scope="module")
def shared_link(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LinkServer]:
    with serve(tmp_path_factory.mktemp("link")) as server:
        yield server


def base(link: LinkServer) -> str:
    return f"http://127.0.0.1:{link.port}"


def test_the_token_is_served_once_then_the_browser_keeps_its_session(link: LinkServer) -> None:
    assert link.url.startswith(f"http://127.0.0.1:{link.port}/preview.wav?token=")
    first = httpx.get(link.url)
    assert first.status_code == 200 and first.content == DATA
    assert first.headers["content-type"] == "audio/x-wav" and first.headers["cache-control"] == "no-store"
    session = first.cookies[COOKIE]
    again = httpx.get(link.url)  # the same link again, without the session: used up
    assert again.status_code == 410 and "already used" in again.text
    with httpx.Client(cookies={COOKIE: session}) as browser:
        assert browser.get(link.url).content == DATA
        ranged = browser.get(f"{base(link)}/preview.wav", headers={"Range": "bytes=10-19"})
        assert ranged.status_code == 206 and ranged.content == DATA[10:20]
        assert ranged.headers["content-range"] == f"bytes 10-19/{len(DATA)}"
        assert browser.get(f"{base(link)}/preview.wav", headers={"Range": "bytes=-5"}).content == DATA[-5:]
        assert browser.get(f"{base(link)}/preview.wav", headers={"Range": "bytes=99999-"}).status_code == 416
    assert httpx.get(f"{base(link)}/preview.wav", cookies={COOKIE: "guess"}).status_code == 403


def test_nothing_else_is_served(link: LinkServer) -> None:
    token = link.token
    assert httpx.get(f"{base(link)}/preview.wav").status_code == 403
    assert httpx.get(f"{base(link)}/preview.wav?token=wrong").status_code == 403
    assert httpx.get(f"{base(link)}/preview.wav?token={token[:-1]}").status_code == 403
    assert httpx.get(f"{base(link)}/preview.wav?token={token}&token={token}").status_code == 403
    for path in (
        "/",
        "/secret%20name.wav",
        "/%2e%2e/preview.wav",
        "/preview.wav/",
        "/x/preview.wav",
        "/favicon.ico",
    ):
        response = httpx.get(f"{base(link)}{path}?token={token}")
        assert response.status_code == 404, path
        assert DATA[:50] not in response.content
    assert httpx.post(f"{base(link)}/preview.wav?token={token}").status_code == 501
    assert link.uses == 0  # none of that spent the token
    assert httpx.head(link.url).status_code == 200 and link.uses == 1


def test_stop_frees_the_port(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"png")
    with LinkServer(tmp_path / "a.png", name="preview.png") as link:
        assert httpx.get(link.url).content == b"png"
        port = link.port
    assert not link.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/preview.png", timeout=2)
    link.stop()  # idempotent


def test_a_vanished_file_is_404(tmp_path: Path) -> None:
    (tmp_path / "a.wav").write_bytes(b"x")
    with LinkServer(tmp_path / "a.wav", name="preview.wav") as link:
        (tmp_path / "a.wav").unlink()
        assert httpx.get(link.url).status_code == 404


@settings(max_examples=60, deadline=None)
@given(
    token=st.text(max_size=60),
    cookie=st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=";"), max_size=40
    ),
)
def test_guessed_tokens_and_cookies_are_refused(shared_link: LinkServer, token: str, cookie: str) -> None:
    response = httpx.get(
        f"{base(shared_link)}/preview.wav", params={"token": token}, cookies={COOKIE: cookie}
    )
    assert response.status_code == 403


def test_the_ssh_forward_line() -> None:
    user = os.environ.get("USER") or os.environ.get("LOGNAME") or ""
    env = {"SSH_CONNECTION": "10.0.0.9 51234 10.0.0.5 22"}
    assert over_ssh(env) and not over_ssh({}) and not over_ssh({"SSH_CONNECTION": " "})
    line = ssh_forward_command(8123, env)
    assert line.startswith("ssh -L 8123:127.0.0.1:8123 ") and line.endswith("@10.0.0.5")
    if user:
        assert f" {user}@" in line
    assert "-p 2222" in ssh_forward_command(8123, {"SSH_CONNECTION": "a 1 host.example 2222"})
    hostile = ssh_forward_command(1, {"SSH_CONNECTION": "a 1 \x1b]0;pwned\x07 22"})
    assert "\x1b" not in hostile and hostile.endswith("@HOST")
    assert ssh_forward_command(1, {}).endswith("@HOST")
