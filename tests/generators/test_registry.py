"""The registry builds the generator each kind's spec names for a provider; nothing else decides."""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys
from typing import Any

import pytest

from tui_editor.config import Settings
from tui_editor.core.kinds import KINDS, NARRATION
from tui_editor.generators.base import GenerationError
from tui_editor.generators.registry import _ByModel, generator_for, resolve_model


@pytest.mark.parametrize(
    ("kind", "provider"), [(kind, provider) for kind in KINDS for provider in KINDS[kind].generators]
)
def test_each_provider_of_each_kind_builds_the_generator_its_spec_names(kind: str, provider: str) -> None:
    settings = Settings()
    module, _, name = KINDS[kind].generators[provider].path.partition(":")
    generator = generator_for(kind, provider, settings)
    if isinstance(generator, _ByModel):  # a model of the provider has its own generator (local/piper)
        generator = generator.default
    assert type(generator) is getattr(importlib.import_module(module), name)
    if provider != "local":
        assert vars(generator)["settings"] is getattr(settings.providers, provider)
    if provider == "replicate":
        assert vars(generator)["kind"] is KINDS[kind]


def test_a_provider_without_a_generator_for_the_kind_is_refused() -> None:
    with pytest.raises(GenerationError, match="the OpenAI-compatible provider cannot generate music") as info:
        generator_for("music", "openai", Settings())
    assert not info.value.retryable
    with pytest.raises(GenerationError, match="unknown provider 'elsewhere'"):
        generator_for("visual", "elsewhere", Settings())


def test_the_model_decides_the_provider() -> None:
    settings = Settings()
    assert resolve_model("visual", "qwen/qwen-image", settings) == ("qwen/qwen-image", "replicate")
    assert resolve_model("narration", None, settings) == ("local/piper", "local")  # the voice extra
    assert resolve_model("narration", "local/espeak", settings) == ("local/espeak", "local")
    settings.generators.of("music").model = "stability-ai/stable-audio-2.5"
    assert resolve_model("music", "", settings) == ("stability-ai/stable-audio-2.5", "replicate")
    with pytest.raises(GenerationError, match="unknown visual model"):
        resolve_model("visual", "someone/else", settings)
    settings.generators.of("visual").provider = "replicate"
    assert resolve_model("visual", "someone/else", settings) == ("someone/else", "replicate")


def _without_piper(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `piper` look uninstalled (what `find_spec` says when the voice extra is missing)."""
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "piper" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_the_default_narration_model_is_piper_when_installed_else_espeak(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings()
    assert NARRATION.chosen_default_model() == "local/piper"
    assert resolve_model("narration", "", settings) == ("local/piper", "local")

    _without_piper(monkeypatch)
    assert NARRATION.chosen_default_model() == "local/espeak"
    assert resolve_model("narration", "", settings) == ("local/espeak", "local")
    missing = r"local/piper is not installed \(pip install 'tui-editor\[voice\]'\)"
    with pytest.raises(GenerationError, match=missing):
        resolve_model("narration", "local/piper", settings)
    settings.generators.of("narration").model = "local/piper"  # configured, yet missing: said so
    with pytest.raises(GenerationError, match="not installed"):
        resolve_model("narration", None, settings)


def test_the_default_model_is_resolved_without_importing_piper() -> None:
    """Startup: choosing the default only looks the packages up; nothing of Piper is imported."""
    code = (
        "import sys; from tui_editor.config import Settings; "
        "from tui_editor.generators.registry import resolve_model; "
        "print(resolve_model('narration', None, Settings())[0], 'piper' in sys.modules, "
        "'onnxruntime' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["local/piper", "False", "False"]


def test_each_local_narration_model_is_served_by_its_own_generator() -> None:
    from tui_editor.generators.local_narration import LocalNarrationGenerator
    from tui_editor.generators.local_piper import PiperNarrationGenerator

    router = generator_for("narration", "local", Settings())
    assert isinstance(router, _ByModel)
    assert type(router._for({"model": "local/piper"})) is PiperNarrationGenerator
    assert type(router._for({"model": "local/espeak"})) is LocalNarrationGenerator
    assert router._for({"model": "local/piper"}) is router._for({"model": "local/piper"})  # built once
