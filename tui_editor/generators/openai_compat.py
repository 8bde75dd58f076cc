"""Generators for OpenAI and OpenAI-compatible servers: images and speech.

`OpenAIImageGenerator` posts to `{base_url}/v1/images/generations`, `OpenAISpeechGenerator` to
`{base_url}/v1/audio/speech`. Everything HTTP (key, retries, limits, errors) lives in `http_client`.
Neither endpoint takes a seed, so the run's seed is not sent (the same request may give another image).
A catalogued speech model's voice is checked (`core.kinds`) before anything is sent.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from tui_editor.config import ProviderSettings
from tui_editor.core.kinds import NARRATION, VISUAL
from tui_editor.generators.base import (
    GenerationError,
    GenerationRequest,
    GenerationResult,
    ProgressFn,
    text_field,
)
from tui_editor.generators.http_client import (
    ProviderClient,
    new_stem,
    provider_message,
)
from tui_editor.generators.images import size_for_ratio
from tui_editor.generators.media_info import audio_duration, image_size
from tui_editor.generators.voices import choose_voice

PROVIDER = "OpenAI"
DEFAULT_IMAGE_MODEL = VISUAL.provider_default_model("openai")
DEFAULT_SPEECH_MODEL = NARRATION.provider_default_model("openai")
DEFAULT_VOICE = "alloy"

# The sizes OpenAI's own image models accept, by orientation.
_GPT_IMAGE_SIZES = {"square": "1024x1024", "landscape": "1536x1024", "portrait": "1024x1536"}
_DALL_E_3_SIZES = {"square": "1024x1024", "landscape": "1792x1024", "portrait": "1024x1792"}


def image_size_for(model: str, aspect_ratio: str) -> str:
    """The `size` ("WxH") to ask for: the nearest size the model supports for the aspect ratio.

    OpenAI's models accept only a few sizes; other OpenAI-compatible servers get the ratio at 1024 px.
    """
    width, height = size_for_ratio(aspect_ratio, 1024, 64)
    orientation = "square" if width == height else ("landscape" if width > height else "portrait")
    if model.startswith("gpt-image"):
        return _GPT_IMAGE_SIZES[orientation]
    if model == "dall-e-3":
        return _DALL_E_3_SIZES[orientation]
    if model == "dall-e-2":
        return "1024x1024"
    return f"{width}x{height}"


class _OpenAIGenerator:
    """What both OpenAI-compatible generators share: the provider settings and a key-free repr."""

    def __init__(self, settings: ProviderSettings, *, environ: Mapping[str, str] | None = None) -> None:
        self.settings = settings
        self._environ = environ

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.settings.base_url!r})"


class OpenAIImageGenerator(_OpenAIGenerator):
    """Images from `POST {base_url}/v1/images/generations` (OpenAI or any compatible server)."""

    async def generate(self, request: GenerationRequest, progress: ProgressFn) -> GenerationResult:
        fields = request.fields
        prompt = text_field(fields, "prompt")
        if not prompt:
            raise GenerationError("visual prompt is empty — write a prompt first", retryable=False)
        model = text_field(fields, "model") or DEFAULT_IMAGE_MODEL
        aspect_ratio = text_field(fields, "aspect_ratio") or str(VISUAL.field("aspect_ratio").default)
        size = image_size_for(model, aspect_ratio)
        body: dict[str, Any] = {"model": model, "prompt": prompt, "size": size, "n": 1}
        if not model.startswith("gpt-image"):
            # gpt-image models always answer in base64 and reject this parameter.
            body["response_format"] = "b64_json"
        what = "image generation"
        total = 2
        progress(0, total, f"Asking {PROVIDER} ({model}) for an image…")
        async with ProviderClient(self.settings, provider=PROVIDER, environ=self._environ) as http:
            # billed: never sent twice once the server may have started it (http_client)
            data = await http.request_json(
                "POST", "/v1/images/generations", what=what, json_body=body, billed=True
            )
            items = data.get("data")
            item = items[0] if isinstance(items, list) and items else None
            if not isinstance(item, dict):
                raise http.error(f"{what} failed — reply has no image (no data[0])", retryable=True)
            stem = new_stem(VISUAL.name)
            b64 = item.get("b64_json")
            url = item.get("url")
            if isinstance(b64, str) and b64:
                progress(1, total, "Saving the image…")
                try:
                    raw = base64.b64decode(b64, validate=True)
                except (binascii.Error, ValueError):
                    raise http.error(f"{what} failed — reply has invalid base64 image data") from None
                path = http.save_bytes(
                    raw, out_dir=request.out_dir, stem=stem, accept=VISUAL.media.extensions, what=what
                )
            elif isinstance(url, str) and url:
                progress(1, total, "Downloading the image…")
                path = await http.download(
                    url,
                    out_dir=request.out_dir,
                    stem=stem,
                    accept=VISUAL.media.extensions,
                    what="image download",
                )
            else:
                raise http.error(
                    f"{what} failed — reply has no output URL or image data "
                    "(neither data[0].b64_json nor data[0].url)",
                    retryable=True,
                )
        measured = image_size(path)
        if measured is None:
            path.unlink(missing_ok=True)
            raise GenerationError(f"{PROVIDER}: {what} failed — the reply is not a readable image")
        width, height = measured
        progress(total, total, f"Image ready ({width}×{height})")
        return GenerationResult(
            file=path,
            fields={
                "prompt": prompt,
                "model": model,
                "aspect_ratio": aspect_ratio,
                "width": width,
                "height": height,
            },
        )


class OpenAISpeechGenerator(_OpenAIGenerator):
    """Narration from `POST {base_url}/v1/audio/speech` (OpenAI or any compatible server), as WAV."""

    async def generate(self, request: GenerationRequest, progress: ProgressFn) -> GenerationResult:
        fields = request.fields
        script = text_field(fields, "script")
        if not script:
            raise GenerationError("narration script is empty — write a script first", retryable=False)
        model = text_field(fields, "model") or DEFAULT_SPEECH_MODEL
        # A voice the model does not have (an espeak name such as "en-us") is refused before sending.
        voice = choose_voice(NARRATION.name, model, fields.get("voice"), request.extra.get("voice"))
        voice = voice or DEFAULT_VOICE
        body = {"model": model, "input": script, "voice": voice, "response_format": "wav"}
        what = "speech generation"
        total = 2
        progress(0, total, f"Asking {PROVIDER} ({model}, voice {voice}) to read the script…")
        async with ProviderClient(self.settings, provider=PROVIDER, environ=self._environ) as http:
            reply = await http.request("POST", "/v1/audio/speech", what=what, json_body=body, billed=True)
            progress(1, total, "Saving the audio…")
            if reply.content_type in ("application/json", "text/html", "text/plain"):
                said = provider_message(reply.content)
                raise http.error(
                    f"{what} failed — reply has no audio (got {reply.content_type} instead"
                    + (f": {said})" if said else ")"),
                    retryable=True,
                )
            path = http.save_bytes(
                reply.content,
                out_dir=request.out_dir,
                stem=new_stem(NARRATION.name),
                accept=NARRATION.media.extensions,
                what=what,
                content_type=reply.content_type,
            )
        duration = audio_duration(path)
        if duration is None:
            path.unlink(missing_ok=True)
            raise GenerationError(f"{PROVIDER}: {what} failed — the reply is not readable audio")
        progress(total, total, f"Narration ready ({duration:.1f} s)")
        return GenerationResult(
            file=path,
            fields={
                "script": script,
                "model": model,
                "voice": voice,
                "emotion": fields.get("emotion"),
                "language": fields.get("language"),
                "duration_s": round(duration, 3),
            },
        )
