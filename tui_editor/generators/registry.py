"""Which generator serves a request: chosen by the request's model, so the chosen model is the one used.

A model in a kind's catalogue (`core.kinds`) belongs to one provider; any other model is sent to the
provider configured for the kind (`[generators.<kind>] provider`), and refused if that is `local`.
"""

from __future__ import annotations

from ..config import Settings
from ..core.kinds import get_kind
from .base import GenerationError, Generator


def resolve_model(kind: str, requested: str | None, settings: Settings) -> tuple[str, str]:
    """The model to use and its provider (`local`, `openai` or `replicate`)."""
    spec = get_kind(kind)
    configured = getattr(settings.generators, kind)
    model = (requested or "").strip() or configured.model or spec.default_model
    choice = spec.model_choice(model)
    if choice is not None:
        return model, choice.provider
    if configured.provider == "local":
        known = ", ".join(c.id for c in spec.models)
        raise GenerationError(f"unknown {kind} model {model!r}; choose one of: {known}", retryable=False)
    return model, configured.provider


def generator_for(kind: str, provider: str, settings: Settings) -> Generator:
    """Build the generator for a kind and provider (imports are deferred: each costs startup time)."""
    if provider == "local":
        if kind == "visual":
            from .local_visual import LocalVisualGenerator

            return LocalVisualGenerator()
        if kind == "narration":
            from .local_narration import LocalNarrationGenerator

            return LocalNarrationGenerator()
        from .local_music import LocalMusicGenerator

        return LocalMusicGenerator()
    if provider == "openai":
        from .openai_compat import OpenAIImageGenerator, OpenAISpeechGenerator

        if kind == "visual":
            return OpenAIImageGenerator(settings.providers.openai)
        if kind == "narration":
            return OpenAISpeechGenerator(settings.providers.openai)
        raise GenerationError("the OpenAI-compatible provider cannot generate music", retryable=False)
    if provider == "replicate":
        from .replicate import ReplicateGenerator

        return ReplicateGenerator(kind, settings.providers.replicate)
    raise GenerationError(f"unknown provider {provider!r}", retryable=False)
