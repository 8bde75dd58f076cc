"""The shared HTTP machinery, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import logging
import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from tui_editor.generators.base import GenerationError
from tui_editor.generators.http_client import (
    MAX_RETRY_AFTER_S,
    ProviderClient,
    parse_retry_after,
    provider_message,
)

from .conftest import SettingsFactory
from .fake_provider import (
    JPEG_BYTES,
    PNG_BYTES,
    SECRET,
    FakeProvider,
    Reply,
)
from .local_support import cancel_when

# --- pure helpers -------------------------------------------------------------------------------


def test_retry_after_seconds_dates_and_caps() -> None:
    now = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("0.2") == pytest.approx(0.2)
    assert parse_retry_after(" 3 ") == 3.0
    assert parse_retry_after("-5") == 0.0
    assert parse_retry_after("3600") == MAX_RETRY_AFTER_S
    assert parse_retry_after(format_datetime(now + timedelta(seconds=7), usegmt=True), now=now) == 7.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=7), usegmt=True), now=now) == 0.0
    assert (
        parse_retry_after(format_datetime(now + timedelta(hours=2), usegmt=True), now=now)
        == MAX_RETRY_AFTER_S
    )
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("nan") is None


def test_provider_message_shapes() -> None:
    assert provider_message(b'{"error": {"message": "Invalid size"}}') == "Invalid size"
    assert provider_message(b'{"error": "quota exceeded"}') == "quota exceeded"
    assert provider_message(b'{"detail": "Prediction input failed validation"}') == (
        "Prediction input failed validation"
    )
    assert provider_message(
        b'{"title": "Input validation failed", "detail": "bad input",'
        b' "invalid_fields": [{"description": "prompt is required"}]}'
    ) == ("bad input; prompt is required")
    assert provider_message(b'{"detail": [{"msg": "field required"}]}') == "field required"
    assert provider_message(b"upstream   exploded\n") == "upstream exploded"
    assert provider_message(b"<html><body>502</body></html>") is None
    assert provider_message(b"") is None
    assert provider_message(b'{"something": "else"}') is None
    assert provider_message(b"[1, 2]") is None
    assert len(provider_message(b'{"detail": "' + b"x" * 5000 + b'"}') or "") <= 300


# --- the client against the loopback server -----------------------------------------------------


async def test_request_sends_bearer_key_and_parses_json(
    fake: FakeProvider, openai_settings: SettingsFactory, env: dict[str, str]
) -> None:
    fake.script("POST", "/v1/echo", Reply(json={"ok": True}))
    async with ProviderClient(openai_settings(), provider="OpenAI", environ=env) as http:
        data = await http.request_json("POST", "/v1/echo", json_body={"a": 1})
    assert data == {"ok": True}
    (request,) = fake.received("POST", "/v1/echo")
    assert request.headers["authorization"] == f"Bearer {SECRET}"
    assert request.json == {"a": 1}
    assert request.headers["user-agent"].startswith("tui-editor")


async def test_key_is_read_at_call_time(fake: FakeProvider, openai_settings: SettingsFactory) -> None:
    environ: dict[str, str] = {}
    client = ProviderClient(openai_settings(), provider="OpenAI", environ=environ)
    environ["OPENAI_API_KEY"] = "sk-late-key-0000"
    fake.script("GET", "/v1/x", Reply(json={}))
    async with client as http:
        await http.request_json("GET", "/v1/x")
    assert fake.received("GET", "/v1/x")[0].headers["authorization"] == "Bearer sk-late-key-0000"


async def test_missing_key_fails_before_any_request(
    fake: FakeProvider, openai_settings: SettingsFactory
) -> None:
    with pytest.raises(GenerationError) as caught:
        async with ProviderClient(openai_settings(), provider="OpenAI", environ={"OPENAI_API_KEY": "  "}):
            pass
    assert "set the environment variable OPENAI_API_KEY" in str(caught.value)
    assert caught.value.retryable is False
    assert fake.requests == []


async def test_missing_key_read_from_os_environ(
    fake: FakeProvider, openai_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(GenerationError, match="set the environment variable OPENAI_API_KEY"):
        async with ProviderClient(openai_settings(), provider="OpenAI"):
            pass
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-os-environ")
    fake.script("GET", "/v1/x", Reply(json={}))
    async with ProviderClient(openai_settings(), provider="OpenAI") as http:
        await http.request_json("GET", "/v1/x")
    assert fake.received("GET", "/v1/x")[0].headers["authorization"] == "Bearer sk-from-os-environ"


def test_repr_and_headers_keep_the_key_private(openai_settings: SettingsFactory, env: dict[str, str]) -> None:
    client = ProviderClient(openai_settings(), provider="OpenAI", environ=env)
    assert SECRET not in repr(client)
    assert "OPENAI_API_KEY" in repr(client)
    # the key goes only to the provider's own origin, never to a host it links to
    assert "Authorization" in client._headers(client.url("/v1/x"), None)
    assert "Authorization" not in client._headers("https://cdn.example.invalid/out.png", None)


def test_url_joining(openai_settings: SettingsFactory, env: dict[str, str]) -> None:
    client = ProviderClient(
        openai_settings(base_url="http://127.0.0.1:9/v1/"), provider="OpenAI", environ=env
    )
    assert client.url("/v1/images/generations") == "http://127.0.0.1:9/v1/images/generations"
    client = ProviderClient(
        openai_settings(base_url="http://127.0.0.1:9/proxy"), provider="OpenAI", environ=env
    )
    assert client.url("/v1/audio/speech") == "http://127.0.0.1:9/proxy/v1/audio/speech"
    assert client.url("http://127.0.0.1:9/files/a.png") == "http://127.0.0.1:9/files/a.png"


async def test_429_retry_after_is_honoured(
    fake: FakeProvider, openai_settings: SettingsFactory, env: dict[str, str]
) -> None:
    fake.script(
        "GET",
        "/v1/x",
        Reply(429, {"error": {"message": "slow down"}}, headers={"Retry-After": "0.2"}),
        Reply(json={"ok": 1}),
    )
    started = time.monotonic()
    async with ProviderClient(openai_settings(backoff_s=0), provider="OpenAI", environ=env) as http:
        assert await http.request_json("GET", "/v1/x") == {"ok": 1}
    assert time.monotonic() - started >= 0.2
    assert len(fake.received("GET", "/v1/x")) == 2


async def test_429_with_http_date_retry_after(
    fake: FakeProvider, openai_settings: SettingsFactory, env: dict[str, str]
) -> None:
    past = format_datetime(datetime.now(UTC) - timedelta(seconds=30), usegmt=True)
    fake.script("GET", "/v1/x", Reply(429, headers={"Retry-After": past}), Reply(json={"ok": 2}))
    async with ProviderClient(openai_settings(backoff_s=5), provider="OpenAI", environ=env) as http:
        assert await http.request_json("GET", "/v1/x") == {"ok": 2}
    assert len(fake.received("GET", "/v1/x")) == 2


async def test_500_then_success(
    fake: FakeProvider, openai_settings: SettingsFactory, env: dict[str, str]
) -> None:
    fake.script(
        "POST", "/v1/x", Reply(500, {"error": {"message": "boom"}}), Reply(503), Reply(json={"ok": 3})
    )
    async with ProviderClient(openai_settings(max_retries=2), provider="OpenAI", environ=env) as http:
        assert await http.request_json("POST", "/v1/x", json_body={}) == {"ok": 3}
    assert len(fake.received("POST", "/v1/x")) == 3


async def test_gives_up_after_max_retries_with_exponential_backoff(
    fake: FakeProvider, openai_settings: SettingsFactory, env: dict[str, str]
) -> None:
    fake.script("POST", "/v1/x", *[Reply(500, {"error": {"message": "the model is overloaded"}})] * 5)
    settings = openai_settings(max_retries=2, backoff_s=0.05)
    started = time.monotonic()
    with pytest.raises(GenerationError) as caught:
        async with ProviderClient(settings, provider="OpenAI", environ=env) as http:
            await http.request_json("POST", "/v1/x", what="image generation")
    # backoff_s * 2**0 + backoff_s * 2**1, each with jitter (at least half of it)
    assert time.monotonic() - started >= (0.05 + 0.1) / 2
    message = str(caught.value)
    assert message == (
        "OpenAI: image generation failed — HTTP 500 Internal Server Error — the model is overloaded "
        "(gave up after 3 attempts)"
    )
    assert caught.value.retryable is True
    assert len(fake.received("POST", "/v1/x")) == 3


async def test_rate_limit_exhausted(
    fake: FakeProvider, openai_settings: SettingsFactory, env: dict[str, str]
) -> None:
    fake.script(
        "GET", "/v1/x", *[Reply(429, {"error": {"message": "quota"}}, headers={"Retry-After": "0"})] * 3
    )
    with pytest.raises(GenerationError, match=r"rate limited \(HTTP 429 Too Many Requests — quota\)"):
        async with ProviderClient(openai_settings(max_retries=1), provider="OpenAI", environ=env) as http:
            await http.request_json("GET", "/v1/x")
    assert len(fake.received("GET", "/v1/x")) == 2


async def test_non_retryable_4xx(
    fake: FakeProvider, openai_settings: SettingsFactory, env: dict[str, str]
) -> None:
    fake.script("POST", "/v1/x", Reply(400, {"error": {"message": "Invalid value for size"}}))
    with pytest.raises(GenerationError) as caught:
        async with ProviderClient(openai_settings(), provider="OpenAI", environ=env) as http:
            await http.request_json("POST", "/v1/x", what="image generation")
    assert (
        str(caught.value) == "OpenAI: image generation failed — HTTP 400 Bad Request — Invalid value for size"
    )
    assert caught.value.retryable is False
    assert len(fake.received("POST", "/v1/x")) == 1


async def test_404_names_the_path_and_detail(
    fake: FakeProvider, replicate_settings: SettingsFactory, env: dict[str, str]
) -> None:
    with pytest.raises(GenerationError) as caught:
        async with ProviderClient(replicate_settings(), provider="Replicate", environ=env) as http:
            await http.request_json("POST", "/v1/deployments/nobody/nothing")
    message = str(caught.value)
    assert "HTTP 404 Not Found" in message
    assert "no route for POST /v1/deployments/nobody/nothing (POST /v1/deployments/nobody/nothing)" in message
    assert caught.value.retryable is False


@pytest.mark.parametrize("status", [401, 403])
async def test_auth_failure_is_readable_and_scrubbed(
    fake: FakeProvider, openai_settings: SettingsFactory, env: dict[str, str], status: int
) -> None:
    fake.script(
        "GET", "/v1/x", Reply(status, {"error": {"message": f"Incorrect API key provided: {SECRET}"}})
    )
    with pytest.raises(GenerationError) as caught:
        async with ProviderClient(openai_settings(), provider="OpenAI", environ=env) as http:
            await http.request_json("GET", "/v1/x")
    message = str(caught.value)
    assert "authentication failed — check OPENAI_API_KEY" in message
    assert "Incorrect API key provided: ***" in message
    assert SECRET not in message
    assert SECRET not in repr(caught.value)
    assert caught.value.retryable is False
    assert len(fake.received("GET", "/v1/x")) == 1


async def test_key_never_in_errors_or_logs(
    fake: FakeProvider,
    openai_settings: SettingsFactory,
    env: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.script("GET", "/v1/x", *[Reply(500, body=f"upstream rejected {SECRET}".encode())] * 3)
    with pytest.raises(GenerationError) as caught:
        async with ProviderClient(openai_settings(), provider="OpenAI", environ=env) as http:
            await http.request_json("GET", "/v1/x")
    assert "upstream rejected ***" in str(caught.value)
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value.args)
    assert "retrying" in caplog.text
    assert SECRET not in caplog.text


async def test_malformed_json(
    fake: FakeProvider, openai_settings: SettingsFactory, env: dict[str, str]
) -> None:
    fake.script("GET", "/v1/x", Reply(body=b'{"data": [', content_type="application/json"))
    with pytest.raises(GenerationError, match="provider replied with malformed JSON"):
        async with ProviderClient(openai_settings(), provider="OpenAI", environ=env) as http:
            await http.request_json("GET", "/v1/x")
    fake.script("GET", "/v1/y", Reply(json=[1, 2, 3]))
    with pytest.raises(GenerationError, match="malformed JSON .expected an object, got list"):
        async with ProviderClient(openai_settings(), provider="OpenAI", environ=env) as http:
            await http.request_json("GET", "/v1/y")


async def test_timeout_is_retried_then_reported(
    fake: FakeProvider, openai_settings: SettingsFactory, env: dict[str, str]
) -> None:
    fake.script("GET", "/v1/slow", Reply(json={}, delay_s=3), Reply(json={}, delay_s=3))
    started = time.monotonic()
    with pytest.raises(GenerationError) as caught:
        async with ProviderClient(
            openai_settings(timeout_s=0.2, max_retries=1), provider="OpenAI", environ=env
        ) as http:
            await http.request_json("GET", "/v1/slow", what="image generation")
    assert time.monotonic() - started < 2.5
    assert str(caught.value).startswith("OpenAI: image generation failed — timed out after 0.2 s")
    assert str(caught.value).endswith("(gave up after 2 attempts)")
    assert caught.value.retryable is True


async def test_slow_reply_within_timeout_succeeds(
    fake: FakeProvider, openai_settings: SettingsFactory, env: dict[str, str]
) -> None:
    fake.script("GET", "/v1/slow", Reply(json={"late": True}, delay_s=0.1))
    async with ProviderClient(openai_settings(timeout_s=2), provider="OpenAI", environ=env) as http:
        assert await http.request_json("GET", "/v1/slow") == {"late": True}


async def test_connection_refused(openai_settings: SettingsFactory, env: dict[str, str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = openai_settings(base_url=f"http://127.0.0.1:{port}", max_retries=1)
    with pytest.raises(GenerationError) as caught:
        async with ProviderClient(settings, provider="OpenAI", environ=env) as http:
            await http.request_json("GET", "/v1/x", what="image generation")
    assert "image generation failed — connection failed (ConnectError" in str(caught.value)
    assert "(gave up after 2 attempts)" in str(caught.value)


async def test_cancel_while_waiting_to_retry(
    fake: FakeProvider, openai_settings: SettingsFactory, env: dict[str, str]
) -> None:
    fake.script("GET", "/v1/x", Reply(429, headers={"Retry-After": "30"}))

    async def work() -> None:
        async with ProviderClient(openai_settings(), provider="OpenAI", environ=env) as http:
            await http.request_json("GET", "/v1/x")

    # Once the 429 has been sent, the client is waiting its 30 s before trying again.
    assert await cancel_when(lambda: fake.answered, work()) < 1
    assert len(fake.received("GET", "/v1/x")) == 1


async def test_cancel_during_a_slow_request(
    fake: FakeProvider, openai_settings: SettingsFactory, env: dict[str, str]
) -> None:
    fake.script("GET", "/v1/x", Reply(json={}, delay_s=4))

    async def work() -> None:
        async with ProviderClient(openai_settings(timeout_s=10), provider="OpenAI", environ=env) as http:
            await http.request_json("GET", "/v1/x")

    assert await cancel_when(lambda: fake.received("GET", "/v1/x"), work()) < 1  # answered in 4 s


# --- downloads ----------------------------------------------------------------------------------


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def test_download_writes_the_file_with_its_real_extension(
    fake: FakeProvider, openai_settings: SettingsFactory, env: dict[str, str], tmp_path: Path
) -> None:
    fake.files["misnamed.png"] = (JPEG_BYTES, "image/png")
    async with ProviderClient(openai_settings(), provider="OpenAI", environ=env) as http:
        path = await http.download(
            fake.url("/files/misnamed.png"),
            out_dir=tmp_path,
            stem="visual-1",
            accept=("png", "jpg", "webp"),
        )
    assert path == (tmp_path / "visual-1.jpg").resolve()
    assert path.read_bytes() == JPEG_BYTES
    assert _leftovers(tmp_path) == ["visual-1.jpg"]


async def test_download_retries_a_5xx(
    fake: FakeProvider, openai_settings: SettingsFactory, env: dict[str, str], tmp_path: Path
) -> None:
    fake.script(
        "GET", "/files/image.png", Reply(502, body=b"<html>bad gateway</html>", content_type="text/html")
    )
    async with ProviderClient(openai_settings(), provider="OpenAI", environ=env) as http:
        path = await http.download(fake.url("/files/image.png"), out_dir=tmp_path, stem="v", accept=("png",))
    assert path.read_bytes() == PNG_BYTES
    assert len(fake.received("GET", "/files/image.png")) == 2


async def test_oversized_download_announced_by_content_length(
    fake: FakeProvider, openai_settings: SettingsFactory, env: dict[str, str], tmp_path: Path
) -> None:
    fake.script("GET", "/files/huge.png", Reply(filler_bytes=3 * 1024 * 1024, content_type="image/png"))
    with pytest.raises(GenerationError) as caught:
        async with ProviderClient(openai_settings(max_download_mb=1), provider="OpenAI", environ=env) as http:
            await http.download(fake.url("/files/huge.png"), out_dir=tmp_path, stem="v", accept=("png",))
    assert "the provider announced 3.0 MB, over the 1 MB limit (max_download_mb)" in str(caught.value)
    assert caught.value.retryable is False
    assert _leftovers(tmp_path) == []
    assert len(fake.received("GET", "/files/huge.png")) == 1


async def test_oversized_download_without_content_length(
    fake: FakeProvider, openai_settings: SettingsFactory, env: dict[str, str], tmp_path: Path
) -> None:
    fake.script(
        "GET",
        "/files/huge.png",
        Reply(filler_bytes=3 * 1024 * 1024, content_type="image/png", content_length=False),
    )
    with pytest.raises(GenerationError) as caught:
        async with ProviderClient(
            openai_settings(max_download_mb=0.5), provider="OpenAI", environ=env
        ) as http:
            await http.download(fake.url("/files/huge.png"), out_dir=tmp_path, stem="v", accept=("png",))
    assert "the file is larger than the 0.5 MB limit (max_download_mb)" in str(caught.value)
    assert _leftovers(tmp_path) == []


async def test_oversized_json_reply(
    fake: FakeProvider, openai_settings: SettingsFactory, env: dict[str, str]
) -> None:
    fake.script("GET", "/v1/x", Reply(filler_bytes=4 * 1024 * 1024, content_length=False))
    with pytest.raises(GenerationError, match="larger than the 1 MB limit"):
        async with ProviderClient(openai_settings(max_download_mb=1), provider="OpenAI", environ=env) as http:
            await http.request_json("GET", "/v1/x")


async def test_download_of_the_wrong_kind_of_file(
    fake: FakeProvider, openai_settings: SettingsFactory, env: dict[str, str], tmp_path: Path
) -> None:
    fake.script("GET", "/files/page", Reply(body=b"<html>login</html>", content_type="text/html"))
    with pytest.raises(GenerationError, match="expected png or jpg but got text/html"):
        async with ProviderClient(openai_settings(), provider="OpenAI", environ=env) as http:
            await http.download(
                fake.url("/files/page"),
                out_dir=tmp_path,
                stem="v",
                accept=("png", "jpg"),
            )
    assert _leftovers(tmp_path) == []


async def test_download_timeout(
    fake: FakeProvider, openai_settings: SettingsFactory, env: dict[str, str], tmp_path: Path
) -> None:
    fake.script("GET", "/files/image.png", Reply(body=PNG_BYTES, content_type="image/png", delay_s=3))
    settings = openai_settings(timeout_s=0.2, max_retries=0)
    with pytest.raises(GenerationError, match=r"image download failed — timed out after 0.2 s"):
        async with ProviderClient(settings, provider="OpenAI", environ=env) as http:
            await http.download(
                fake.url("/files/image.png"),
                out_dir=tmp_path,
                stem="v",
                accept=("png",),
                what="image download",
            )
    assert _leftovers(tmp_path) == []


async def test_data_url_download(
    openai_settings: SettingsFactory, env: dict[str, str], tmp_path: Path
) -> None:
    import base64

    url = "data:image/png;base64," + base64.b64encode(PNG_BYTES).decode()
    async with ProviderClient(openai_settings(), provider="OpenAI", environ=env) as http:
        path = await http.download(url, out_dir=tmp_path, stem="v", accept=("png",))
    assert path.read_bytes() == PNG_BYTES


async def test_the_loopback_guard_works(
    openai_settings: SettingsFactory, env: dict[str, str], loopback_only: list[str]
) -> None:
    settings = openai_settings(base_url="http://192.0.2.1:9", max_retries=0, timeout_s=0.5)
    with pytest.raises(GenerationError, match="connection failed"):
        async with ProviderClient(settings, provider="OpenAI", environ=env) as http:
            await http.request_json("GET", "/v1/x")
    assert loopback_only == ["192.0.2.1"]
    loopback_only.clear()  # the guard itself asserts nothing else was attempted
