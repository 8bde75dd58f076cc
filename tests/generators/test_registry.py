"""The registry builds the generator each kind's spec names for a provider; nothing else decides."""

from __future__ import annotations

import importlib

import pytest

from tui_editor.config import Settings
from tui_editor.core.kinds import KINDS
from tui_editor.generators.base import GenerationError
from tui_editor.generators.registry import generator_for, resolve_model


@pytest.mark.parametrize(
    ("kind", "provider"), [(kind, provider) for kind in KINDS for provider in KINDS[kind].generators]
)
def test_each_provider_of_each_kind_builds_the_generator_its_spec_names(kind: str, provider: str) -> None:
    settings = Settings()
    module, _, name = KINDS[kind].generators[provider].path.partition(":")
    generator = generator_for(kind, provider, settings)
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
    assert resolve_model("narration", None, settings) == ("local/espeak", "local")
    settings.generators.of("music").model = "stability-ai/stable-audio-2.5"
    assert resolve_model("music", "", settings) == ("stability-ai/stable-audio-2.5", "replicate")
    with pytest.raises(GenerationError, match="unknown visual model"):
        resolve_model("visual", "someone/else", settings)
    settings.generators.of("visual").provider = "replicate"
    assert resolve_model("visual", "someone/else", settings) == ("someone/else", "replicate")
