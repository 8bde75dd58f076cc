"""Settings: built-in defaults < config.toml < environment < command-line flags.

The repository's top-level `config.toml` documents every key with its default. A user's file is found
at `--config`, else `$TUI_EDITOR_CONFIG`, else `<XDG config dir>/tui-editor/config.toml` if it exists.
Environment overrides: `TUI_EDITOR_DB`, `TUI_EDITOR_DATA_DIR`, and any key as
`TUI_EDITOR__SECTION__KEY` (e.g. `TUI_EDITOR__ENGINE__DECISION_TIMEOUT=60`).
API keys are never read from files: a provider names the environment variable that holds its key.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

ENV_PREFIX = "TUI_EDITOR__"


class ConfigError(Exception):
    """A configuration problem, reported as one line naming the file, the key and the problem."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DatabaseSettings(_Section):
    url: str = ""
    """SQLAlchemy URL. Empty: SQLite file `tui-editor.db` in the data directory."""


class StorageSettings(_Section):
    data_dir: str = ""
    """Where media and the default database live. Empty: the XDG data directory."""


class TemporalSettings(_Section):
    address: str = "127.0.0.1:7233"
    namespace: str = "default"
    task_queue: str = "tui-editor"


class EngineSettings(_Section):
    kind: Literal["local", "temporal"] = "local"
    decision_timeout: float = Field(default=1800.0, gt=0)
    """Seconds a preview waits for accept/reject before it expires."""
    heartbeat_interval: float = Field(default=2.0, gt=0)
    """Seconds between a process's liveness heartbeats for the runs it owns."""
    temporal: TemporalSettings = TemporalSettings()


class EventSettings(_Section):
    transport: Literal["auto", "memory", "poll", "postgres"] = "auto"
    poll_interval_ms: int = Field(default=100, ge=5, le=60_000)
    refresh_debounce_ms: int = Field(default=150, ge=0, le=60_000)


class GeneratorSettings(_Section):
    provider: Literal["local", "openai", "replicate"] = "local"
    """Adapter for models that are not in the kind's built-in catalogue."""
    model: str = ""
    """Model for new generations when the request names none. Empty: the kind's default."""


class NarrationGeneratorSettings(GeneratorSettings):
    voice: str = "en-us"
    """Default voice of the offline speech engine."""
    rate: int = Field(default=165, ge=80, le=450)
    """Speaking rate of the offline speech engine, words per minute."""


class GeneratorsSettings(_Section):
    visual: GeneratorSettings = GeneratorSettings()
    narration: NarrationGeneratorSettings = NarrationGeneratorSettings()
    music: GeneratorSettings = GeneratorSettings()


class ProviderSettings(_Section):
    base_url: str
    api_key_env: str
    """Name of the environment variable that holds the API key (never the key itself)."""
    timeout_s: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=3, ge=0, le=10)
    backoff_s: float = Field(default=1.0, ge=0)
    poll_interval_s: float = Field(default=1.0, gt=0)
    max_download_mb: float = Field(default=100.0, gt=0)


class ProvidersSettings(_Section):
    openai: ProviderSettings = ProviderSettings(
        base_url="https://api.openai.com", api_key_env="OPENAI_API_KEY"
    )
    replicate: ProviderSettings = ProviderSettings(
        base_url="https://api.replicate.com", api_key_env="REPLICATE_API_TOKEN"
    )


class UISettings(_Section):
    theme: str = "textual-dark"
    image_protocol: Literal["auto", "sixel", "kitty", "halfblock", "none"] = "auto"
    audio_player: str = "auto"
    """Command that plays a WAV file (`{file}` is replaced), `auto` to look for one, or `none`."""


class Settings(_Section):
    database: DatabaseSettings = DatabaseSettings()
    storage: StorageSettings = StorageSettings()
    engine: EngineSettings = EngineSettings()
    events: EventSettings = EventSettings()
    generators: GeneratorsSettings = GeneratorsSettings()
    providers: ProvidersSettings = ProvidersSettings()
    ui: UISettings = UISettings()
    keymap: dict[str, str] = {}
    """Binding id → key(s). An entry replaces the default key of that binding."""

    config_file: str | None = Field(default=None, exclude=True)

    @field_validator("keymap")
    @classmethod
    def _keys_not_empty(cls, value: dict[str, str]) -> dict[str, str]:
        for binding_id, keys in value.items():
            if not keys.strip():
                raise ValueError(f"{binding_id}: key must not be empty")
        return value

    # --- resolved locations -------------------------------------------------------------------
    @property
    def data_path(self) -> Path:
        if self.storage.data_dir:
            return Path(self.storage.data_dir).expanduser()
        import platformdirs

        return platformdirs.user_data_path("tui-editor")

    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite:///{self.data_path / 'tui-editor.db'}"


def default_config_path() -> Path:
    import platformdirs

    return platformdirs.user_config_path("tui-editor") / "config.toml"


def _describe(error: Mapping[str, Any]) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()))
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return f"unknown key '{where}'"
    return f"'{where}': {error.get('msg', 'invalid value')}"


def _deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), dict):
            result[key] = _deep_merge(result[key], value)
        else:
            result[key] = value
    return result


def _env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if environ.get("TUI_EDITOR_DB"):
        data.setdefault("database", {})["url"] = environ["TUI_EDITOR_DB"]
    if environ.get("TUI_EDITOR_DATA_DIR"):
        data.setdefault("storage", {})["data_dir"] = environ["TUI_EDITOR_DATA_DIR"]
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        path = [part.lower() for part in name[len(ENV_PREFIX) :].split("__") if part]
        if not path:
            continue
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        node = data
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"environment {name}: conflicts with another setting")
        node[path[-1]] = value
    return data


def load_settings(
    config_path: str | Path | None = None,
    *,
    data_dir: str | Path | None = None,
    db_url: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build the settings from every layer; raise `ConfigError` with one readable line on any problem."""
    env = os.environ if environ is None else environ
    explicit = config_path is not None or bool(env.get("TUI_EDITOR_CONFIG"))
    path = Path(config_path or env.get("TUI_EDITOR_CONFIG") or default_config_path()).expanduser()

    data: dict[str, Any] = {}
    source = "defaults"
    if path.exists() or explicit:
        source = str(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: config file not found") from None
        except IsADirectoryError:
            raise ConfigError(f"{path}: is a directory, not a config file") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{path}: not UTF-8 text") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_describe(exc.errors()[0])}") from None

    overrides = _env_overrides(env)
    flags: dict[str, Any] = {}
    if data_dir is not None:
        flags.setdefault("storage", {})["data_dir"] = str(data_dir)
    if db_url is not None:
        flags.setdefault("database", {})["url"] = db_url
    merged = _deep_merge(_deep_merge(data, overrides), flags)
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(f"environment or flags: {_describe(exc.errors()[0])}") from None
    settings.config_file = str(path) if source != "defaults" else None
    return settings
