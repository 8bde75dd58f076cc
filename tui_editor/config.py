"""Settings: built-in defaults < config.toml < environment < command-line flags.

The repository's top-level `config.toml` documents every key with its default. A user's file is found
at `--config`, else `$TUI_EDITOR_CONFIG`, else `<XDG config dir>/tui-editor/config.toml` if it exists.
Environment overrides: `TUI_EDITOR_DB`, `TUI_EDITOR_DATA_DIR`, and any key as
`TUI_EDITOR__SECTION__KEY` (e.g. `TUI_EDITOR__ENGINE__DECISION_TIMEOUT=60`, `TUI_EDITOR__LOG__LEVEL=debug`).
API keys are never read from files: a provider names the environment variable that holds its key.
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
import types
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, make_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Union, get_args, get_origin, get_type_hints

from .core.kinds import KINDS, AssetKind, ProviderName

ENV_PREFIX = "TUI_EDITOR__"


class ConfigError(Exception):
    """A configuration problem, reported as one line naming the file, the key and the problem."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Settings are plain dataclasses checked by the small validator below. (pydantic did this before,
# but importing it cost ~80 ms of the editor's first frame.) A field's bounds live in its metadata.


SECONDS_PER_YEAR = 31_536_000
MIN_MAGNITUDE = 1e-6
"""The smallest non-zero number a setting takes (anything smaller is an absurd value, refused)."""
#: Database URL schemes the store can open (`core.store`): SQLite and PostgreSQL through psycopg.
DATABASE_SCHEMES = ("sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg")


def _opt(default: Any, *, gt: float | None = None, ge: float | None = None, le: float | None = None) -> Any:
    return field(default=default, metadata={"gt": gt, "ge": ge, "le": le})


@dataclass
class DatabaseSettings:
    url: str = ""
    """SQLAlchemy URL. Empty: SQLite file `tui-editor.db` in the data directory."""


@dataclass
class StorageSettings:
    data_dir: str = ""
    """Where media and the default database live. Empty: the XDG data directory."""


@dataclass
class TemporalSettings:
    address: str = "127.0.0.1:7233"
    namespace: str = "default"
    task_queue: str = "tui-editor"
    heartbeat_timeout: float = _opt(10.0, ge=0.1, le=3600)
    """Seconds a generating worker may go silent before Temporal counts it lost."""
    generation_timeout: float = _opt(3600.0, ge=1, le=SECONDS_PER_YEAR)
    """Seconds one generation may take in all."""
    answer_timeout: float = _opt(30.0, ge=0.1, le=3600)
    """Seconds an accept/reject waits for a worker's answer."""


@dataclass
class EngineSettings:
    kind: Literal["local", "temporal"] = "local"
    decision_timeout: float = _opt(1800.0, ge=0.01, le=SECONDS_PER_YEAR)
    """Seconds a preview waits for accept/reject before it expires."""
    heartbeat_interval: float = _opt(2.0, ge=0.01, le=3600)
    """Seconds between a process's liveness heartbeats for the runs it owns."""
    temporal: TemporalSettings = field(default_factory=TemporalSettings)


@dataclass
class EventSettings:
    transport: Literal["auto", "memory", "poll", "postgres"] = "auto"
    poll_interval_ms: int = _opt(100, ge=5, le=60_000)
    refresh_debounce_ms: int = _opt(150, ge=0, le=60_000)
    retention_hours: float = _opt(168.0, ge=1, le=24 * 365 * 100)
    """Events older than this are pruned from the log (never one a live process has not read yet)."""


@dataclass
class GeneratorSettings:
    """One kind's `[generators.<kind>]` section; the kind's generator options are added as fields."""

    provider: ProviderName = "local"
    """Adapter for models that are not in the kind's built-in catalogue."""
    model: str = ""
    """Model for new generations when the request names none. Empty: the kind's default."""

    @property
    def options(self) -> dict[str, Any]:
        """The kind's generator options (declared in `core.kinds`), e.g. narration's voice and rate."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _GENERATOR_KEYS}


_GENERATOR_KEYS = frozenset(f.name for f in fields(GeneratorSettings))


def _generator_settings(kind: AssetKind) -> type[GeneratorSettings]:
    """The `[generators.<kind>]` section: provider, model and the kind's options, with their limits."""
    options = [
        (spec.name, spec.python_type, _opt(spec.default, ge=spec.minimum, le=spec.maximum))
        for spec in (option.setting for option in kind.generator_options)
    ]
    section: type[GeneratorSettings] = make_dataclass(
        f"{kind.label}GeneratorSettings", options, bases=(GeneratorSettings,)
    )
    return section


if TYPE_CHECKING:

    class GeneratorsSettings:
        """`[generators.<kind>]` for every kind (made from `core.kinds` below)."""

        def of(self, kind: str) -> GeneratorSettings: ...

else:

    def _section_of(self: Any, kind: str) -> GeneratorSettings:
        return getattr(self, kind)

    GeneratorsSettings = make_dataclass(
        "GeneratorsSettings",
        [
            (name, section, field(default_factory=section))
            for name, section in ((name, _generator_settings(kind)) for name, kind in KINDS.items())
        ],
        namespace={"of": _section_of},
    )


@dataclass
class ProviderSettings:
    base_url: str
    api_key_env: str
    """Name of the environment variable that holds the API key (never the key itself)."""
    timeout_s: float = _opt(60.0, ge=0.01, le=86_400)
    """Seconds one whole request (or download) may take, however slowly the server answers."""
    max_retries: int = _opt(3, ge=0, le=10)
    backoff_s: float = _opt(1.0, ge=0, le=3600)
    poll_interval_s: float = _opt(1.0, ge=0.001, le=3600)
    max_download_mb: float = _opt(100.0, ge=0.001, le=1_000_000)


@dataclass
class ProvidersSettings:
    openai: ProviderSettings = field(
        default_factory=lambda: ProviderSettings(
            base_url="https://api.openai.com", api_key_env="OPENAI_API_KEY"
        )
    )
    replicate: ProviderSettings = field(
        default_factory=lambda: ProviderSettings(
            base_url="https://api.replicate.com", api_key_env="REPLICATE_API_TOKEN"
        )
    )


@dataclass
class UISettings:
    theme: str = "textual-dark"
    image_protocol: Literal["auto", "sixel", "kitty", "halfblock", "none"] = "auto"
    audio_player: str = "auto"
    """Command that plays a WAV file (`{file}` is replaced), `auto` to look for one, or `none`."""


@dataclass
class ModelPricing:
    """`[pricing."<model>"]`: what one run of a model costs (the parts add up; all 0 by default)."""

    per_image: float = _opt(0.0, ge=0, le=1_000_000)
    """US dollars per image generated."""
    per_1k_chars: float = _opt(0.0, ge=0, le=1_000_000)
    """US dollars per 1,000 characters of the prompt or script."""
    per_audio_s: float = _opt(0.0, ge=0, le=1_000_000)
    """US dollars per second of audio generated."""


@dataclass
class BatchSettings:
    concurrency: int = _opt(2, ge=1, le=64)
    """Runs a batch regenerate keeps going at once (`batch --concurrency` overrides it)."""
    default_run_s: float = _opt(20.0, ge=0.01, le=SECONDS_PER_YEAR)
    """The estimate's seconds per run for a model with no past runs to take the median of."""


LogLevel = Literal["debug", "info", "warning", "error"]
LOG_LEVELS: tuple[str, ...] = get_args(LogLevel)


@dataclass
class LogSettings:
    level: LogLevel = "warning"
    """The least severe messages written to the log file."""
    file: str = ""
    """The log file. Empty: `tui-editor.log` in the platform's log directory."""


@dataclass
class UserSettings:
    name: str = ""
    """Who decides (recorded with every accept, reject and undo). Empty: the OS user name."""

    def resolved_name(self) -> str:
        """`name`, else the OS user name, else "unknown"."""
        if self.name.strip():
            return self.name.strip()
        import getpass

        try:
            return getpass.getuser() or "unknown"
        except (OSError, KeyError, ImportError):
            return "unknown"


@dataclass
class TakeSettings:
    keep: int = _opt(20, ge=1, le=100_000)
    """Takes kept per clip; older unstarred rejected or replaced takes are pruned with their files."""


@dataclass
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    engine: EngineSettings = field(default_factory=EngineSettings)
    events: EventSettings = field(default_factory=EventSettings)
    generators: GeneratorsSettings = field(default_factory=GeneratorsSettings)
    providers: ProvidersSettings = field(default_factory=ProvidersSettings)
    ui: UISettings = field(default_factory=UISettings)
    log: LogSettings = field(default_factory=LogSettings)
    user: UserSettings = field(default_factory=UserSettings)
    takes: TakeSettings = field(default_factory=TakeSettings)
    batch: BatchSettings = field(default_factory=BatchSettings)
    pricing: dict[str, ModelPricing] = field(default_factory=dict)
    """Model id → its prices. Models of the local provider always cost 0."""
    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id → key(s). An entry replaces the default key of that binding."""

    config_file: str | None = field(default=None, compare=False, metadata={"internal": True})

    def as_dict(self) -> dict[str, Any]:
        """Every setting as plain data (the shape of config.toml)."""
        result: dict[str, Any] = _as_dict(self)
        return result

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

    @property
    def log_path(self) -> Path:
        if self.log.file:
            return Path(self.log.file).expanduser()
        import platformdirs

        return platformdirs.user_log_path("tui-editor") / "tui-editor.log"


def _as_dict(obj: Any) -> Any:
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _as_dict(getattr(obj, f.name)) for f in fields(obj) if not f.metadata.get("internal")}
    if isinstance(obj, dict):
        return {k: _as_dict(v) for k, v in obj.items()}
    return obj


class _Invalid(Exception):
    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"'{where}': {problem}")
        self.text = f"'{where}': {problem}"


def _check_value(hint: Any, value: Any, where: str, meta: Mapping[str, Any]) -> Any:
    origin = get_origin(hint)
    if is_dataclass(hint):
        return _build(hint, value, where)  # type: ignore[arg-type]
    if origin is Literal:
        choices = get_args(hint)
        if value not in choices:
            raise _Invalid(
                where, f"must be one of {', '.join(repr(c) for c in choices)}, not {_shown(value)}"
            )
        return value
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        return None if value is None else _check_value(options[0], value, where, meta)
    if origin is dict and is_dataclass(get_args(hint)[1]):
        if not isinstance(value, Mapping):
            raise _Invalid(where, "must be a table of tables")
        item_type = get_args(hint)[1]
        return {str(key): _build(item_type, item, f"{where}.{key}") for key, item in value.items()}
    if origin is dict:
        if not isinstance(value, Mapping):
            raise _Invalid(where, 'must be a table of key = "value" entries')
        for key, item in value.items():
            if not isinstance(item, str) or not item.strip():
                raise _Invalid(f"{where}.{key}", "must be a non-empty string")
        return dict(value)
    if hint is str:
        if not isinstance(value, str):
            raise _Invalid(where, f"must be a string, not {type(value).__name__}")
        if "\x00" in value:  # no path, URL or name can hold one
            raise _Invalid(where, "must not contain a NUL character")
        return value
    if hint in (int, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if hint is int and ok and isinstance(value, float) and not value.is_integer():
            ok = False
        if not ok:
            raise _Invalid(
                where, f"must be {'a whole number' if hint is int else 'a number'}, not {_shown(value)}"
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise _Invalid(where, f"must be a finite number, not {value!r}")
        try:
            number = hint(value)
        except OverflowError:
            raise _Invalid(where, "must be a finite number") from None
        if number != 0 and abs(number) < MIN_MAGNITUDE:  # 1e-300 seconds means nothing: a typo
            raise _Invalid(where, f"must be 0 or at least {MIN_MAGNITUDE:g}, not {_shown(value)}")
        if meta.get("gt") is not None and not number > meta["gt"]:
            raise _Invalid(where, f"must be greater than {meta['gt']}")
        if meta.get("ge") is not None and not number >= meta["ge"]:
            raise _Invalid(where, f"must be at least {meta['ge']}")
        if meta.get("le") is not None and not number <= meta["le"]:
            raise _Invalid(where, f"must be at most {meta['le']}")
        return number
    raise TypeError(f"unsupported setting type {hint!r}")  # a programming error, not user input


def _shown(value: Any) -> str:
    """A short, printable rendering of a setting's value for a message (deep or huge values too)."""
    if isinstance(value, list | dict):
        return f"a {'list' if isinstance(value, list) else 'table'}"
    try:
        text = repr(value)
    except (RecursionError, ValueError):  # an int beyond Python's digit limit
        return f"a {type(value).__name__}"
    text = (
        text.encode("unicode_escape", "backslashreplace").decode("ascii") if not text.isprintable() else text
    )
    return text if len(text) <= 60 else text[:59] + "…"


def _build(cls: type[Any], data: Any, where: str = "") -> Any:
    """An instance of settings dataclass `cls` from `data`, or `_Invalid` naming the first problem."""
    if not isinstance(data, Mapping):
        raise _Invalid(where or "(top level)", "must be a table")
    hints = get_type_hints(cls)
    known = {f.name: f for f in fields(cls) if not f.metadata.get("internal")}
    for key in data:
        if key not in known:
            raise _Invalid(f"{where}.{key}" if where else key, "unknown key")
    values: dict[str, Any] = {}
    for name, spec in known.items():
        path = f"{where}.{name}" if where else name
        if name in data:
            value = data[name]
            factory = spec.default_factory
            if is_dataclass(hints[name]) and factory is not MISSING and isinstance(value, Mapping):
                # A table that sets some keys keeps the defaults of the others (a provider's
                # `base_url` alone, without its `api_key_env`).
                value = _deep_merge(_as_dict(factory()), value)
            values[name] = _check_value(hints[name], value, path, spec.metadata)
        elif spec.default is MISSING and spec.default_factory is MISSING:
            raise _Invalid(path, "is required")
    return cls(**values)


def parse_settings(data: Mapping[str, Any]) -> Settings:
    """Settings from config-shaped data; raises `ConfigError` naming the key and the problem."""
    try:
        settings: Settings = _build(Settings, data)
        _check_database_url(settings.database.url)
    except _Invalid as exc:
        text = exc.text
        if text.endswith(": unknown key"):
            text = f"unknown key {text.removesuffix(': unknown key')}"
        raise ConfigError(text) from None
    return settings


def _check_database_url(url: str) -> None:
    """An empty URL (the default SQLite file) or one of `DATABASE_SCHEMES`; never echoes a password."""
    if not url:
        return
    scheme, found, _rest = url.partition("://")
    if not found or not scheme:
        raise _Invalid(
            "database.url", "not a database URL (expected sqlite:///PATH or postgresql+psycopg://…)"
        )
    if scheme.lower() not in DATABASE_SCHEMES:
        raise _Invalid(
            "database.url",
            f"unsupported database {_shown(scheme)} (expected sqlite:///PATH or postgresql+psycopg://…)",
        )


def _toml_nesting_key(text: str) -> str:
    """Where a TOML text nests too deeply: `section.key` of the first deeply nested value, if found."""
    section = ""
    for line in text.splitlines():
        stripped = line.strip()
        header = re.fullmatch(r"\[+\s*([^\[\]]+?)\s*\]+", stripped)
        if header:
            section = header.group(1).replace('"', "").replace("'", "")
            continue
        match = re.match(r"([A-Za-z0-9_.\-\"']+)\s*=\s*[\[{]{32,}", stripped)
        if match:
            key = match.group(1).replace('"', "").replace("'", "")
            return f"{section}.{key}" if section else key
    return ""


def default_config_path() -> Path:
    import platformdirs

    return platformdirs.user_config_path("tui-editor") / "config.toml"


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
        except RecursionError:
            raise ConfigError(f"environment {name}: nested too deeply") from None
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
    log_level: str | None = None,
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
        except RecursionError:
            text = path.read_text(encoding="utf-8", errors="replace")
            where = _toml_nesting_key(text)
            raise ConfigError(f"{path}: {f'{where!r}: ' if where else ''}nested too deeply") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        parse_settings(data)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc.message}") from None

    overrides = _env_overrides(env)
    flags: dict[str, Any] = {}
    if data_dir is not None:
        flags.setdefault("storage", {})["data_dir"] = str(data_dir)
    if db_url is not None:
        flags.setdefault("database", {})["url"] = db_url
    if log_level is not None:
        flags.setdefault("log", {})["level"] = log_level
    merged = _deep_merge(_deep_merge(data, overrides), flags)
    try:
        settings = parse_settings(merged)
    except ConfigError as exc:
        raise ConfigError(f"environment or flags: {exc.message}") from None
    settings.config_file = str(path) if source != "defaults" else None
    return settings
