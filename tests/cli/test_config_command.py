"""`tui-editor config [--json]`: every resolved setting and the paths in use; API keys only as set/unset."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.support import Cli
from tui_editor.config import Settings, load_settings
from tui_editor.logs import secret_forms

ODD_KEY = "sk-'od\"d\\key ü€\t$(x)`%20+&=#"


def test_json_shows_every_setting_and_the_paths(cli: Cli, tmp_path: Path) -> None:
    data = tmp_path / "data"
    report = cli.json("config", "--json", data_dir=data)
    assert set(report) == {"paths", "api_keys", "settings"}
    assert report["settings"] == Settings().as_dict() | {"storage": {"data_dir": str(data)}}
    paths = report["paths"]
    assert paths["config_file"] == str(cli.home / "xdg-config" / "tui-editor" / "config.toml")
    assert paths["config_file_exists"] is False
    assert paths["data_dir"] == str(data)
    assert paths["database"] == f"sqlite:///{data / 'tui-editor.db'}"
    assert paths["log_file"] == str(cli.home / "xdg-state" / "tui-editor" / "log" / "tui-editor.log")
    assert report["api_keys"] == {
        "openai": {"env": "OPENAI_API_KEY", "key": "unset"},
        "replicate": {"env": "REPLICATE_API_TOKEN", "key": "unset"},
    }
    assert not data.exists()  # reporting opens nothing


def test_layers_show_up_resolved(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "mine.toml"
    config.write_text('[ui]\ntheme = "nord"\n[log]\nfile = "~/logs/te.log"\n', encoding="utf-8")
    home = cli.env["HOME"]
    cli.env |= {"TUI_EDITOR__EVENTS__POLL_INTERVAL_MS": "50", "HOME": str(tmp_path / "home")}
    try:
        report = cli.json("--config", str(config), "--log-level", "debug", "config", "--json")
    finally:
        del cli.env["TUI_EDITOR__EVENTS__POLL_INTERVAL_MS"]
        cli.env["HOME"] = home
    assert report["paths"]["config_file"] == str(config) and report["paths"]["config_file_exists"] is True
    assert report["settings"]["ui"]["theme"] == "nord"
    assert report["settings"]["events"]["poll_interval_ms"] == 50
    assert report["settings"]["log"] == {"level": "debug", "file": "~/logs/te.log"}
    assert report["paths"]["log_file"] == str(tmp_path / "home" / "logs" / "te.log")


def test_the_database_password_is_hidden(cli: Cli) -> None:
    url = "postgresql+psycopg://editor:pa55word@127.0.0.1:1/lectures?password=other5ecret"
    for args in (("config", "--json"), ("config",)):
        out = cli.ok("--db", url, *args)
        assert "pa55word" not in out and "other5ecret" not in out
        assert "editor:***@127.0.0.1:1/lectures" in out


def test_text_output_lists_paths_and_every_section(cli: Cli, tmp_path: Path) -> None:
    out = cli.ok("config", data_dir=tmp_path / "data")
    head = out.split("\n\n")[0].splitlines()
    assert [line.split("  ")[0].strip() for line in head] == [
        "config file",
        "data dir",
        "database",
        "log file",
        "API keys",
    ]
    assert "(not found: built-in defaults)" in head[0]
    assert head[4].endswith("openai: OPENAI_API_KEY unset; replicate: REPLICATE_API_TOKEN unset")
    for section in Settings().as_dict():
        assert f"[{section}]" in out or f"[{section}." in out, section
    # The TOML part reads back as the resolved settings.
    import tomllib

    settings = tomllib.loads(out.split("\n\n", 1)[1])
    expected = load_settings(environ={}, data_dir=tmp_path / "data").as_dict()
    assert settings == expected


def test_an_api_key_never_appears_in_any_form(cli: Cli, tmp_path: Path) -> None:
    cli.env["OPENAI_API_KEY"] = ODD_KEY
    # ...not even when it was pasted into a setting by mistake.
    cli.env["TUI_EDITOR__PROVIDERS__REPLICATE__BASE_URL"] = json.dumps(ODD_KEY)
    try:
        outputs = [cli.ok("config", "--json"), cli.ok("config")]
    finally:
        del cli.env["OPENAI_API_KEY"], cli.env["TUI_EDITOR__PROVIDERS__REPLICATE__BASE_URL"]
    report = json.loads(outputs[0])
    assert report["api_keys"]["openai"] == {"env": "OPENAI_API_KEY", "key": "set"}
    assert "OPENAI_API_KEY set" in outputs[1]
    forms = {ODD_KEY, repr(ODD_KEY), json.dumps(ODD_KEY), *secret_forms([ODD_KEY])}
    for out in outputs:
        for form in forms:
            assert form not in out, form
        assert 'od\\"d' not in out and 'od"d\\\\key' not in out
