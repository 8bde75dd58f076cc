"""Absurd settings are refused naming the key; partial sections keep their defaults (issue 13).

Every numeric key of the settings (found by walking the defaults) is tried with `inf`, `nan`, `1e308`,
`1e-300`, a 400-digit integer and deeply nested arrays, from a config file and from the environment.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_editor.config import ConfigError, Settings, load_settings

FIXTURES_OK = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _numeric_keys() -> list[tuple[str, str, Any]]:
    """(section path, key, default) of every number setting."""
    found: list[tuple[str, str, Any]] = []

    def walk(table: dict[str, Any], prefix: str) -> None:
        for key, value in table.items():
            if isinstance(value, dict):
                walk(value, f"{prefix}.{key}" if prefix else key)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                found.append((prefix, key, value))

    walk(Settings().as_dict(), "")
    return found


NUMERIC = _numeric_keys()
ABSURD_TOML = ["inf", "-inf", "nan", "1e308", "-1e308", "1e-300", "1" + "0" * 400, "1e400"]


def _toml(section: str, key: str, value: str) -> str:
    header = ".".join(json.dumps(part) if not part.isidentifier() else part for part in section.split("."))
    return f"[{header}]\n{key} = {value}\n"


def test_numeric_keys_were_found() -> None:
    keys = {f"{s}.{k}" for s, k, _ in NUMERIC}
    assert {"engine.decision_timeout", "providers.openai.timeout_s", "events.poll_interval_ms"} <= keys


@FIXTURES_OK
@given(target=st.sampled_from(NUMERIC), value=st.sampled_from(ABSURD_TOML))
def test_absurd_numbers_in_a_file_are_refused_naming_the_key(
    tmp_path: Path, target: tuple[str, str, Any], value: str
) -> None:
    section, key, _default = target
    config = tmp_path / "c.toml"
    config.write_text(_toml(section, key, value))
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    assert f"'{section}.{key}'" in caught.value.message
    assert "\n" not in caught.value.message


@FIXTURES_OK
@given(
    target=st.sampled_from(NUMERIC), value=st.sampled_from(["Infinity", "NaN", "1e308", "1e-300", "1e400"])
)
def test_absurd_numbers_from_the_environment_are_refused_naming_the_key(
    tmp_path: Path, target: tuple[str, str, Any], value: str
) -> None:
    section, key, _default = target
    name = "TUI_EDITOR__" + "__".join(part.upper() for part in [*section.split("."), key])
    with pytest.raises(ConfigError) as caught:
        load_settings(None, environ={name: value})
    assert f"'{section}.{key}'" in caught.value.message


@FIXTURES_OK
@given(target=st.sampled_from(NUMERIC), depth=st.sampled_from([2, 50, 900, 5000]))
def test_deeply_nested_arrays_are_refused_naming_the_key(
    tmp_path: Path, target: tuple[str, str, Any], depth: int
) -> None:
    section, key, _default = target
    config = tmp_path / "c.toml"
    config.write_text(_toml(section, key, "[" * depth + "]" * depth))
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    assert f"'{section}.{key}'" in caught.value.message
    env_name = "TUI_EDITOR__" + "__".join(part.upper() for part in [*section.split("."), key])
    with pytest.raises(ConfigError) as caught:
        load_settings(None, environ={env_name: "[" * depth + "]" * depth})
    assert env_name in caught.value.message or f"'{section}.{key}'" in caught.value.message


@FIXTURES_OK
@given(target=st.sampled_from(NUMERIC))
def test_a_section_with_one_key_keeps_every_other_default(
    tmp_path: Path, target: tuple[str, str, Any]
) -> None:
    section, key, default = target
    config = tmp_path / "c.toml"
    config.write_text(_toml(section, key, json.dumps(default)))
    assert load_settings(config, environ={}).as_dict() == Settings().as_dict()


def test_a_provider_section_with_only_base_url_keeps_its_defaults(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[providers.openai]\nbase_url = "http://127.0.0.1:9"\n')
    loaded = load_settings(config, environ={})
    assert loaded.providers.openai.base_url == "http://127.0.0.1:9"
    assert loaded.providers.openai.api_key_env == "OPENAI_API_KEY"
    assert loaded.providers.openai.timeout_s == 60.0
    env = load_settings(None, environ={"TUI_EDITOR__PROVIDERS__REPLICATE__BASE_URL": "http://127.0.0.1:9"})
    assert env.providers.replicate.api_key_env == "REPLICATE_API_TOKEN"


@settings(max_examples=100)
@given(
    scheme=st.from_regex(r"[a-z][a-z0-9+]{0,12}", fullmatch=True).filter(
        lambda s: s not in ("sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg")
    ),
    password=st.text("0123456789", min_size=8, max_size=12),  # no digits in the message itself
)
def test_unsupported_database_urls_are_refused_without_the_password(scheme: str, password: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, db_url=f"{scheme}://user:{password}@host/db", environ={})
    assert "'database.url'" in caught.value.message
    assert password not in caught.value.message.replace(scheme, "")


def test_supported_database_urls_pass() -> None:
    for url in ("sqlite:////tmp/x.db", "postgresql+psycopg://u@h/db", "postgresql://u@h/db", ""):
        assert load_settings(None, db_url=url, environ={}).database.url == url


def test_valid_extreme_but_sane_values_still_load(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        "[engine]\ndecision_timeout = 0.05\n[providers.openai]\ntimeout_s = 0.2\nbackoff_s = 0\n"
    )
    loaded = load_settings(config, environ={})
    assert math.isclose(loaded.engine.decision_timeout, 0.05)


@pytest.mark.parametrize(
    "text",
    [
        "[engine]\ndecision_timeout = inf\n",
        "[engine]\nheartbeat_interval = 1e-300\n",
        "x = " + "[" * 5000 + "]" * 5000,
    ],
)
def test_the_command_line_prints_exactly_one_line(tmp_path: Path, text: str) -> None:
    config = tmp_path / "c.toml"
    config.write_text(text)
    tui = str(Path(sys.executable).parent / "tui-editor")
    result = subprocess.run(
        [tui, "--config", str(config), "--data-dir", str(tmp_path / "d"), "lectures"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")},
        check=False,
    )
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr


@pytest.mark.parametrize("key", ["storage.data_dir", "log.file", "database.url", "ui.theme"])
def test_a_nul_character_in_a_string_setting_is_refused_naming_the_key(tmp_path: Path, key: str) -> None:
    section, name = key.split(".")
    config = tmp_path / "c.toml"
    config.write_text(f'[{section}]\n{name} = "a\\u0000b"\n')
    with pytest.raises(ConfigError, match=f"'{key}': must not contain a NUL character"):
        load_settings(config, environ={})
