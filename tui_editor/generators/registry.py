"""Which generator serves a request: chosen by the request's model, so the chosen model is the one used.

A model in a kind's catalogue (`core.kinds`) belongs to one provider; any other model is sent to the
provider configured for the kind (`[generators.<kind>] provider`), and refused if that is `local`.
A request that names no model gets `[generators.<kind>] model`, else the kind's default: its preferred
model when that is installed (narration: `local/piper` with the `voice` extra), else `default_model`
(`local/espeak`). A catalogued model with a generator of its own (`ModelChoice.generator`) is served by
it; every other model of the provider by the provider's generator for the kind.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from ..config import Settings
from ..core.kinds import PROVIDER_LABELS, AssetKind, GeneratorFactory, get_kind
from .base import GenerationError, GenerationRequest, GenerationResult, Generator, ProgressFn, text_field
from .voices import check_request

__all__ = ["check_request", "generator_for", "resolve_model"]


def resolve_model(kind: str, requested: str | None, settings: Settings) -> tuple[str, str]:
    """The model to use and its provider (`local`, `openai` or `replicate`)."""
    spec = get_kind(kind)
    configured = settings.generators.of(kind)
    model = (requested or "").strip() or configured.model or spec.chosen_default_model()
    choice = spec.model_choice(model)
    if choice is not None:
        if not choice.installed:
            hint = f" ({choice.install_hint})" if choice.install_hint else ""
            raise GenerationError(f"{model} is not installed{hint}", retryable=False)
        return model, choice.provider
    if configured.provider == "local":
        known = ", ".join(c.id for c in spec.models)
        raise GenerationError(f"unknown {kind} model {model!r}; choose one of: {known}", retryable=False)
    return model, configured.provider


def _build(spec: AssetKind, factory: GeneratorFactory, settings: Settings, provider: str) -> Generator:
    module_name, _, attribute = factory.path.partition(":")
    build = getattr(importlib.import_module(module_name), attribute)
    arguments = {"kind": spec.name, "provider_settings": getattr(settings.providers, provider, None)}
    generator: Generator = build(*(arguments[name] for name in factory.arguments))
    return generator


class _ByModel:
    """A provider's generator for a kind that hands a request for a model with a generator of its own
    (`ModelChoice.generator`) to that generator, built on first use (its module is imported only then)."""

    def __init__(self, spec: AssetKind, provider: str, settings: Settings, default: Generator) -> None:
        self._spec, self._provider, self._settings = spec, provider, settings
        self.default = default
        self._own: dict[str, Generator] = {}

    def _for(self, fields: Mapping[str, Any]) -> Generator:
        choice = self._spec.model_choice(text_field(fields, "model"))
        if choice is None or choice.generator is None or choice.provider != self._provider:
            return self.default
        if choice.id not in self._own:
            self._own[choice.id] = _build(self._spec, choice.generator, self._settings, self._provider)
        return self._own[choice.id]

    async def generate(self, request: GenerationRequest, progress: ProgressFn) -> GenerationResult:
        return await self._for(request.fields).generate(request, progress)


def generator_for(kind: str, provider: str, settings: Settings) -> Generator:
    """Build the generator the kind's spec names for a provider; its module is imported only now (startup)."""
    spec = get_kind(kind)
    factory = spec.generators.get(provider)
    if factory is None:
        if provider not in PROVIDER_LABELS:
            raise GenerationError(f"unknown provider {provider!r}", retryable=False)
        label = PROVIDER_LABELS[provider]
        raise GenerationError(f"the {label} provider cannot generate {spec.name}", retryable=False)
    generator = _build(spec, factory, settings, provider)
    if any(choice.generator is not None and choice.provider == provider for choice in spec.models):
        return _ByModel(spec, provider, settings, generator)
    return generator
