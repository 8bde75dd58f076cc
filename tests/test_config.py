from __future__ import annotations

import re
from pathlib import Path

import pytest

from tui_editor.config import ConfigError, Settings, load_settings

REPO = Path(__file__).resolve().parents[1]


def test_repository_config_toml_documents_exactly_the_defaults() -> None:
    settings = load_settings(REPO / "config.toml", environ={})
    assert settings.as_dict() == Settings().as_dict()


def test_defaults_use_xdg_data_dir(tmp_path: Path) -> None:
    settings = load_settings(environ={})
    assert settings.config_file is None
    assert str(settings.data_path).startswith(str(tmp_path / "xdg-data"))
    assert settings.database_url == f"sqlite:///{settings.data_path / 'tui-editor.db'}"


def test_layers_file_then_environment_then_flags(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        '[database]\nurl = "sqlite:///file.db"\n'
        "[events]\npoll_interval_ms = 250\n"
        "[engine]\ndecision_timeout = 60\n"
    )
    settings = load_settings(config, environ={})
    assert settings.database.url == "sqlite:///file.db" and settings.events.poll_interval_ms == 250
    env = {"TUI_EDITOR_DB": "sqlite:///env.db", "TUI_EDITOR__EVENTS__POLL_INTERVAL_MS": "50"}
    settings = load_settings(config, environ=env)
    assert settings.database.url == "sqlite:///env.db" and settings.events.poll_interval_ms == 50
    assert settings.engine.decision_timeout == 60
    settings = load_settings(config, environ=env, db_url="sqlite:///flag.db", data_dir=tmp_path / "d")
    assert settings.database_url == "sqlite:///flag.db" and settings.data_path == tmp_path / "d"


def test_config_path_from_environment(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[ui]\ntheme = "nord"\n')
    assert load_settings(environ={"TUI_EDITOR_CONFIG": str(config)}).ui.theme == "nord"


def test_user_config_is_found_in_xdg_config_home(tmp_path: Path) -> None:
    user = tmp_path / "xdg-config" / "tui-editor" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text('[keymap]\n"clip.generate" = "f5"\n')
    settings = load_settings(environ={})
    assert settings.keymap == {"clip.generate": "f5"} and settings.config_file == str(user)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[database\nurl=1", "not valid TOML"),
        ("[databse]\nurl = 'x'\n", "unknown key 'databse'"),
        ("[engine]\nkind = 'cloud'\n", "'engine.kind'"),
        ("[engine]\ndecision_timeout = -1\n", "'engine.decision_timeout'"),
        ("[events]\npoll_interval_ms = 'fast'\n", "'events.poll_interval_ms'"),
        ("[generators.narration]\nrate = 5\n", "'generators.narration.rate'"),
        ("[keymap]\n'clip.generate' = ''\n", "keymap"),
    ],
)
def test_bad_files_are_one_clear_line(tmp_path: Path, text: str, expected: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(config, environ={})
    assert str(config) in info.value.message and expected in info.value.message
    assert "\n" not in info.value.message


def test_missing_explicit_file_and_bad_environment(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml", environ={})
    with pytest.raises(ConfigError, match="engine.decision_timeout"):
        load_settings(environ={"TUI_EDITOR__ENGINE__DECISION_TIMEOUT": "soon"})


def test_generator_sections_are_made_from_the_kinds_options(tmp_path: Path) -> None:
    settings = load_settings(environ={"TUI_EDITOR__GENERATORS__NARRATION__RATE": "200"})
    assert settings.generators.of("narration").options == {"voice": "", "rate": 200}  # "": per model
    assert settings.generators.of("visual").options == {}
    assert settings.as_dict()["generators"]["music"] == {"provider": "local", "model": ""}
    config = tmp_path / "c.toml"
    for text, expected in [
        ("[generators.visual]\nvoice = 'en-gb'\n", "unknown key 'generators.visual.voice'"),
        ("[generators.narration]\nvoice = 5\n", "'generators.narration.voice': must be a string"),
        ("[generators.narration]\nrate = 451\n", "'generators.narration.rate': must be at most 450"),
        ("[generators.music]\nprovider = 'elsewhere'\n", "'generators.music.provider'"),
    ]:
        config.write_text(text)
        with pytest.raises(ConfigError, match=re.escape(expected)):
            load_settings(config, environ={})


def test_a_table_that_sets_one_key_keeps_the_other_defaults(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[providers.replicate]\nbase_url = "http://127.0.0.1:9"\n')
    settings = load_settings(config, environ={"TUI_EDITOR__PROVIDERS__OPENAI__TIMEOUT_S": "5"})
    assert settings.providers.replicate.base_url == "http://127.0.0.1:9"
    assert settings.providers.replicate.api_key_env == "REPLICATE_API_TOKEN"
    assert (
        settings.providers.openai.timeout_s == 5 and settings.providers.openai.api_key_env == "OPENAI_API_KEY"
    )


def test_log_settings_layers_and_location(tmp_path: Path) -> None:
    settings = load_settings(environ={})
    assert settings.log.level == "warning" and settings.log.file == ""
    assert settings.log_path == tmp_path / "xdg-state" / "tui-editor" / "log" / "tui-editor.log"
    config = tmp_path / "c.toml"
    config.write_text(f'[log]\nlevel = "info"\nfile = "{tmp_path / "mine.log"}"\n')
    assert load_settings(config, environ={}).log.level == "info"
    assert load_settings(config, environ={}).log_path == tmp_path / "mine.log"
    env = {"TUI_EDITOR__LOG__LEVEL": "error"}
    assert load_settings(config, environ=env).log.level == "error"
    assert load_settings(config, environ=env, log_level="debug").log.level == "debug"
    with pytest.raises(ConfigError, match="'log.level'"):
        load_settings(environ={"TUI_EDITOR__LOG__LEVEL": "chatty"})
