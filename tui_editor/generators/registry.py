"""Which generator serves a request: chosen by the request's model, so the chosen model is the one used.

A model in a kind's catalogue (`core.kinds`) belongs to one provider; any other model is sent to the
provider configured for the kind (`[generators.<kind>] provider`), and refused if that is `local`.
"""

from __future__ import annotations

import importlib

from ..config import Settings
from ..core.kinds import PROVIDER_LABELS, get_kind
from .base import GenerationError, Generator


def resolve_model(kind: str, requested: str | None, settings: Settings) -> tuple[str, str]:
    """The model to use and its provider (`local`, `openai` or `replicate`)."""
    spec = get_kind(kind)
    configured = settings.generators.of(kind)
    model = (requested or "").strip() or configured.model or spec.default_model
    choice = spec.model_choice(model)
    if choice is not None:
        return model, choice.provider
    if configured.provider == "local":
        known = ", ".join(c.id for c in spec.models)
        raise GenerationError(f"unknown {kind} model {model!r}; choose one of: {known}", retryable=False)
    return model, configured.provider


def generator_for(kind: str, provider: str, settings: Settings) -> Generator:
    """Build the generator the kind's spec names for a provider; its module is imported only now (startup)."""
    spec = get_kind(kind)
    factory = spec.generators.get(provider)
    if factory is None:
        if provider not in PROVIDER_LABELS:
            raise GenerationError(f"unknown provider {provider!r}", retryable=False)
        label = PROVIDER_LABELS[provider]
        raise GenerationError(f"the {label} provider cannot generate {spec.name}", retryable=False)
    module_name, _, attribute = factory.path.partition(":")
    build = getattr(importlib.import_module(module_name), attribute)
    arguments = {"kind": spec.name, "provider_settings": getattr(settings.providers, provider, None)}
    generator: Generator = build(*(arguments[name] for name in factory.arguments))
    return generator
