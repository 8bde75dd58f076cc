"""An API key never reaches the database or the events, in any spelling (issue 13).

A real engine generates with the OpenAI-compatible generator against a loopback fake provider that
quotes the key back in its error, escaped several ways; with a malformed key the run fails with one
error naming the variable. The run's error, its events and the SQLite files' bytes hold no form of it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.generators.fake_provider import SECRET, FakeProvider, Reply
from tests.runs.conftest import EngineEnv
from tui_editor.core.flow import StartRequest
from tui_editor.core.redaction import secret_forms


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    server = FakeProvider().start()
    try:
        yield server
    finally:
        server.stop()


def _request(env: EngineEnv) -> StartRequest:
    return StartRequest(env.lecture_id, "clip_v0", "visual", {"prompt": "x", "model": "gpt-image-1"})


def _stored_bytes(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(data_dir.glob("tui-editor.db*")))


def _assert_nowhere(env: EngineEnv, run_id: str, key: str, data_dir: Path) -> str:
    run = env.store.get_run(run_id)
    events = json.dumps([event.to_json() for event in env.log(run_id)], default=str, ensure_ascii=False)
    text = f"{run.error}\n{events}"
    stored = _stored_bytes(data_dir)
    for form in secret_forms([key]):
        assert form not in text, form
        assert form.encode("utf-8", "surrogatepass") not in stored, form
    return str(run.error)


@pytest.mark.parametrize(
    "quote", [str, repr, json.dumps, lambda k: repr(k.encode()), lambda k: f"Bearer {k}"], ids=range(5)
)
def test_a_provider_error_quoting_the_key_is_stored_without_it(
    make_env: Callable[..., EngineEnv],
    fake: FakeProvider,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    quote: Callable[[str], str],
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    env = make_env(providers__openai__base_url=fake.base_url, providers__openai__max_retries=0)
    fake.script(
        "POST", "/v1/images/generations", Reply(400, {"error": {"message": f"bad key {quote(SECRET)}"}})
    )
    run_id = env.engine.start(
        StartRequest(env.lecture_id, "clip_v0", "visual", {"prompt": "x", "model": "gpt-image-1"})
    )
    assert env.wait(run_id).status == "failed"
    error = _assert_nowhere(env, run_id, SECRET, data_dir)
    assert "***" in error


@pytest.mark.parametrize(
    "key", ["sk-abcdef\nghijkl", "sk-abcdéfghijkl", "sk-abcdef ghijkl", " sk-abc\x1b[2Jdefgh "]
)
def test_a_malformed_key_fails_the_run_naming_the_variable(
    make_env: Callable[..., EngineEnv],
    fake: FakeProvider,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    key: str,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", key)
    env = make_env(providers__openai__base_url=fake.base_url)
    run_id = env.engine.start(
        StartRequest(env.lecture_id, "clip_v0", "visual", {"prompt": "x", "model": "gpt-image-1"})
    )
    assert env.wait(run_id).status == "failed"
    error = _assert_nowhere(env, run_id, key, data_dir)
    assert "OPENAI_API_KEY" in error and "malformed" in error
    assert fake.received() == []
