"""Voices are named per model: which voice a narration request speaks with, checked before any request.

Each narration model in `core.kinds` declares its voices (`ModelChoice.voices`, its default first) and,
for espeak-ng, a catalogue function that knows its ~150 installed languages and variants. A voice the
model does not have is refused here with the list of those it has, before anything is synthesised or
sent to a provider (an espeak name such as `en-us` must never reach OpenAI). A model outside the
catalogue (sent to the configured provider as is) takes any voice.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from ..core.kinds import ModelChoice, get_kind
from .base import GenerationError

VoiceCheck = Callable[[str], "str | None"]


def _catalogue(choice: ModelChoice) -> VoiceCheck | None:
    if not choice.voice_catalogue:
        return None
    module_name, _, attribute = choice.voice_catalogue.partition(":")
    check: VoiceCheck = getattr(importlib.import_module(module_name), attribute)
    return check


def voice_problem(choice: ModelChoice, voice: str) -> str | None:
    """None when `choice` has `voice`, else a one-line refusal naming the voices it has."""
    if not choice.voices and not choice.voice_catalogue:
        return None
    if voice in choice.voices:
        return None
    check = _catalogue(choice)
    if check is not None:
        return check(voice)
    return f"{choice.id} has no voice {voice!r}; its voices: {', '.join(choice.voices)}"


def choose_voice(kind: str, model: str, voice: Any, configured: Any = "") -> str:
    """The voice a request speaks with: the one asked for (refused if the model lacks it), else the
    configured default voice (`[generators.narration] voice`) when the model has it, else the model's
    own default. Raises `GenerationError` (not retryable) for a voice the model does not have.
    """
    asked = voice.strip() if isinstance(voice, str) else ""
    choice = get_kind(kind).model_choice(model)
    if choice is None:
        return asked
    if asked:
        problem = voice_problem(choice, asked)
        if problem is not None:
            raise GenerationError(problem, retryable=False)
        return asked
    fallback = configured.strip() if isinstance(configured, str) else ""
    if fallback and voice_problem(choice, fallback) is None:
        return fallback
    return choice.default_voice


def check_request(kind: str, model: str, fields: Mapping[str, Any]) -> None:
    """Refuse a request whose fields do not fit its model (today: a voice the model does not have)."""
    spec = get_kind(kind)
    if "voice" in spec.editable_names:
        choose_voice(kind, model, fields.get("voice"))
