"""Fixtures for the HTTP generator tests: a loopback fake provider and fast settings pointing at it."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tui_editor.config import ProviderSettings
from tui_editor.generators.base import GenerationRequest, GenerationResult, Generator, ProgressFn
from tui_editor.generators.openai_compat import OpenAIImageGenerator, OpenAISpeechGenerator
from tui_editor.generators.replicate import ReplicateGenerator

from .fake_provider import ENV, FakeProvider, Progress


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fail the test if anything tries to resolve or connect to a host other than 127.0.0.1."""
    attempts: list[str] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def allowed(address: Any) -> bool:
        if isinstance(address, tuple) and address and address[0] != "127.0.0.1":
            attempts.append(str(address[0]))
            return False
        return True

    def connect(self: socket.socket, address: Any) -> None:
        if not allowed(address):
            raise OSError(f"blocked by the test: {address[0]} is not 127.0.0.1")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not allowed(address):
            raise OSError(f"blocked by the test: {address[0]} is not 127.0.0.1")
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not allowed((host.decode() if isinstance(host, bytes) else host,)):
            raise socket.gaierror(f"blocked by the test: {host} is not 127.0.0.1")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    assert attempts == [], f"a test tried to reach {attempts}"


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    """A started fake provider on 127.0.0.1 (ephemeral port); shut down after the test."""
    server = FakeProvider().start()
    try:
        yield server
    finally:
        server.stop()


SettingsFactory = Callable[..., ProviderSettings]


def _factory(fake: FakeProvider, key_env: str) -> SettingsFactory:
    def make(**overrides: Any) -> ProviderSettings:
        values: dict[str, Any] = {
            "base_url": fake.base_url,
            "api_key_env": key_env,
            "timeout_s": 2.0,
            "max_retries": 2,
            "backoff_s": 0.01,
            "poll_interval_s": 0.01,
            "max_download_mb": 1.0,
        }
        values.update(overrides)
        return ProviderSettings(**values)

    return make


@pytest.fixture
def openai_settings(fake: FakeProvider) -> SettingsFactory:
    """`openai_settings(**overrides)` → fast `ProviderSettings` for the fake, key in OPENAI_API_KEY."""
    return _factory(fake, "OPENAI_API_KEY")


@pytest.fixture
def replicate_settings(fake: FakeProvider) -> SettingsFactory:
    """`replicate_settings(**overrides)` → fast settings for the fake, key in REPLICATE_API_TOKEN."""
    return _factory(fake, "REPLICATE_API_TOKEN")


@pytest.fixture
def env() -> dict[str, str]:
    return dict(ENV)


RequestMaker = Callable[..., GenerationRequest]


@pytest.fixture
def make_request(tmp_path: Path) -> RequestMaker:
    """`make_request(kind, **fields)` → a request writing into a fresh folder."""
    out_dir = tmp_path / "run"
    out_dir.mkdir()

    def make(kind: str, clip_duration: float = 0.0, **fields: Any) -> GenerationRequest:
        return GenerationRequest(kind=kind, fields=fields, out_dir=out_dir, clip_duration=clip_duration)

    return make


GeneratorMaker = Callable[[str, ProviderSettings, Mapping[str, str]], Generator]


@dataclass
class ProviderHarness:
    """One provider's generators pointed at the fake: fast settings, the test key in the environment,
    requests writing into a fresh folder."""

    fake: FakeProvider
    settings: SettingsFactory
    env: dict[str, str]
    request: RequestMaker
    """`request(kind, clip_duration=0.0, **fields)`, as the `make_request` fixture."""
    make_generator: GeneratorMaker

    def generator(self, kind: str, *, environ: Mapping[str, str] | None = None, **settings: Any) -> Generator:
        """The generator for `kind` with `settings` overridden; `environ` replaces the one holding the key."""
        return self.make_generator(kind, self.settings(**settings), self.env if environ is None else environ)

    async def generate(
        self, request: GenerationRequest, progress: ProgressFn | None = None, **settings: Any
    ) -> GenerationResult:
        """Run `request` on the generator for its kind (see `generator`)."""
        generator = self.generator(request.kind, **settings)
        return await generator.generate(request, Progress() if progress is None else progress)


def _openai_generator(kind: str, settings: ProviderSettings, environ: Mapping[str, str]) -> Generator:
    if kind == "narration":
        return OpenAISpeechGenerator(settings, environ=environ)
    assert kind == "visual", f"OpenAI makes no {kind} assets"
    return OpenAIImageGenerator(settings, environ=environ)


def _replicate_generator(kind: str, settings: ProviderSettings, environ: Mapping[str, str]) -> Generator:
    return ReplicateGenerator(kind, settings, environ=environ)


@pytest.fixture
def openai(fake: FakeProvider, env: dict[str, str], make_request: RequestMaker) -> ProviderHarness:
    """The OpenAI-compatible image ("visual") and speech ("narration") generators against the fake."""
    return ProviderHarness(fake, _factory(fake, "OPENAI_API_KEY"), env, make_request, _openai_generator)


@pytest.fixture
def replicate(fake: FakeProvider, env: dict[str, str], make_request: RequestMaker) -> ProviderHarness:
    """The Replicate generator (any kind) against the fake."""
    return ProviderHarness(
        fake, _factory(fake, "REPLICATE_API_TOKEN"), env, make_request, _replicate_generator
    )
