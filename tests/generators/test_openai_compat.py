"""OpenAI-compatible image and speech generators against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64

import pytest

from tui_editor.core.kinds import NARRATION, VISUAL
from tui_editor.generators.base import GenerationError, Generator
from tui_editor.generators.openai_compat import OpenAIImageGenerator, OpenAISpeechGenerator, image_size_for

from .conftest import ProviderHarness, SettingsFactory
from .fake_provider import (
    JPEG_BYTES,
    PNG_BYTES,
    SECRET,
    Progress,
    Reply,
    make_image,
    make_rf64_wav,
    make_streamed_wav,
)
from .local_support import files


def test_they_are_generators(openai_settings: SettingsFactory, env: dict[str, str]) -> None:
    generators: list[Generator] = [
        OpenAIImageGenerator(openai_settings(), environ=env),
        OpenAISpeechGenerator(openai_settings(), environ=env),
    ]
    for generator in generators:
        assert SECRET not in repr(generator)


@pytest.mark.parametrize(
    ("model", "ratio", "size"),
    [
        ("gpt-image-1", "16:9", "1536x1024"),
        ("gpt-image-1", "9:16", "1024x1536"),
        ("gpt-image-1", "1:1", "1024x1024"),
        ("dall-e-3", "21:9", "1792x1024"),
        ("dall-e-2", "16:9", "1024x1024"),
        ("flux-schnell", "16:9", "1024x576"),
    ],
)
def test_image_sizes(model: str, ratio: str, size: str) -> None:
    assert image_size_for(model, ratio) == size


# --- images -------------------------------------------------------------------------------------


async def test_image_from_b64(openai: ProviderHarness) -> None:
    request = openai.request(
        "visual", prompt="a lighthouse at dusk", model="gpt-image-1", aspect_ratio="16:9"
    )
    progress = Progress()
    result = await openai.generate(request, progress)

    (sent,) = openai.fake.received("POST", "/v1/images/generations")
    assert sent.headers["authorization"] == f"Bearer {SECRET}"
    assert sent.json == {
        "model": "gpt-image-1",
        "prompt": "a lighthouse at dusk",
        "size": "1536x1024",
        "n": 1,
    }
    assert result.file.parent == request.out_dir.resolve()
    assert result.file.suffix == ".png"
    assert result.file.read_bytes() == PNG_BYTES
    assert dict(result.fields) == {
        "prompt": "a lighthouse at dusk",
        "model": "gpt-image-1",
        "aspect_ratio": "16:9",
        "width": 64,
        "height": 36,
    }
    assert set(result.fields) == set(VISUAL.field_names) - {"file"}
    VISUAL.validate_asset(result.fields, partial=True)
    progress.assert_sane()
    assert files(request.out_dir) == [result.file.name]


async def test_image_model_other_than_gpt_image_asks_for_b64(openai: ProviderHarness) -> None:
    result = await openai.generate(
        openai.request("visual", prompt="a fox", model="dall-e-3", aspect_ratio="9:16")
    )
    (sent,) = openai.fake.received("POST", "/v1/images/generations")
    assert sent.json == {
        "model": "dall-e-3",
        "prompt": "a fox",
        "size": "1024x1792",
        "n": 1,
        "response_format": "b64_json",
    }
    assert result.fields["model"] == "dall-e-3"


async def test_image_default_model(openai: ProviderHarness) -> None:
    result = await openai.generate(openai.request("visual", prompt="a fox"))
    assert openai.fake.received("POST", "/v1/images/generations")[0].json["model"] == "gpt-image-1"
    assert result.fields["model"] == "gpt-image-1"
    assert result.fields["aspect_ratio"] == "16:9"


async def test_image_from_url_is_downloaded(openai: ProviderHarness) -> None:
    fake = openai.fake
    fake.script(
        "POST", "/v1/images/generations", Reply(json={"data": [{"url": fake.url("/files/image.jpg")}]})
    )
    result = await openai.generate(
        openai.request("visual", prompt="a fox", model="dall-e-2", aspect_ratio="1:1")
    )
    assert result.file.suffix == ".jpg"
    assert result.file.read_bytes() == JPEG_BYTES
    assert (result.fields["width"], result.fields["height"]) == (48, 48)
    assert len(fake.received("GET", "/files/image.jpg")) == 1


async def test_image_webp_b64_keeps_its_format(openai: ProviderHarness) -> None:
    openai.fake.image_bytes = make_image(30, 40, "WEBP")
    result = await openai.generate(
        openai.request("visual", prompt="a fox", model="gpt-image-1", aspect_ratio="3:4")
    )
    assert result.file.suffix == ".webp"
    assert (result.fields["width"], result.fields["height"]) == (30, 40)


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply(json={"data": [{}]}), "reply has no output URL or image data"),
        (Reply(json={"data": [{"url": None, "b64_json": ""}]}), "reply has no output URL or image data"),
        (Reply(json={"data": []}), r"reply has no image \(no data\[0\]\)"),
        (Reply(json={"created": 1}), r"reply has no image \(no data\[0\]\)"),
        (Reply(json={"data": [{"b64_json": "!!not base64!!"}]}), "reply has invalid base64 image data"),
        (Reply(body=b"{oops", content_type="application/json"), "provider replied with malformed JSON"),
        (
            Reply(json={"data": [{"b64_json": base64.b64encode(b"not an image").decode()}]}),
            "expected png or jpg or webp but got data of an unknown type",
        ),
    ],
)
async def test_image_malformed_replies(openai: ProviderHarness, reply: Reply, message: str) -> None:
    openai.fake.script("POST", "/v1/images/generations", reply)
    request = openai.request("visual", prompt="a fox", model="gpt-image-1")
    with pytest.raises(GenerationError, match=message) as caught:
        await openai.generate(request)
    assert str(caught.value).startswith("OpenAI: image generation failed — ")
    assert files(request.out_dir) == []


async def test_image_b64_over_the_limit(openai: ProviderHarness) -> None:
    openai.fake.image_bytes = PNG_BYTES + bytes(300 * 1024)
    request = openai.request("visual", prompt="a fox", model="gpt-image-1")
    with pytest.raises(GenerationError, match=r"larger than the 0.2 MB limit"):
        await openai.generate(request, max_download_mb=0.2)
    assert files(request.out_dir) == []


async def test_image_url_download_over_the_limit(openai: ProviderHarness) -> None:
    fake = openai.fake
    fake.script("POST", "/v1/images/generations", Reply(json={"data": [{"url": fake.url("/files/big.png")}]}))
    fake.script("GET", "/files/big.png", Reply(filler_bytes=2 * 1024 * 1024, content_type="image/png"))
    request = openai.request("visual", prompt="a fox", model="dall-e-3")
    with pytest.raises(GenerationError, match=r"image download failed — the provider announced 2.0 MB"):
        await openai.generate(request)
    assert files(request.out_dir) == []


async def test_image_retries_429_then_succeeds(openai: ProviderHarness) -> None:
    openai.fake.script(
        "POST",
        "/v1/images/generations",
        Reply(429, {"error": {"message": "Rate limit reached"}}, headers={"Retry-After": "0.05"}),
    )
    result = await openai.generate(openai.request("visual", prompt="a fox", model="gpt-image-1"))
    assert result.file.exists()
    assert len(openai.fake.received("POST", "/v1/images/generations")) == 2


async def test_image_500_is_not_sent_again(openai: ProviderHarness) -> None:
    openai.fake.script(
        "POST", "/v1/images/generations", *[Reply(500, {"error": {"message": "server had an error"}})] * 3
    )
    with pytest.raises(GenerationError) as caught:
        await openai.generate(openai.request("visual", prompt="a fox", model="gpt-image-1"), max_retries=2)
    # the image may be on its way (and billed): a 5xx never makes a second creation request
    assert str(caught.value) == (
        "OpenAI: image generation failed — HTTP 500 Internal Server Error — server had an error "
        "(not sent again: the provider may already have started it, and a second request could be "
        "billed twice)"
    )
    assert caught.value.retryable
    assert len(openai.fake.received("POST", "/v1/images/generations")) == 1


async def test_image_bad_key(openai: ProviderHarness) -> None:
    openai.fake.required_token = "sk-the-right-one"
    request = openai.request("visual", prompt="a fox", model="gpt-image-1")
    generator = openai.generator("visual", environ={"OPENAI_API_KEY": SECRET})
    with pytest.raises(GenerationError) as caught:
        await generator.generate(request, Progress())
    assert "authentication failed — check OPENAI_API_KEY" in str(caught.value)
    assert SECRET not in str(caught.value)
    assert not caught.value.retryable


async def test_image_missing_key(openai: ProviderHarness) -> None:
    request = openai.request("visual", prompt="a fox")
    with pytest.raises(GenerationError, match="set the environment variable OPENAI_API_KEY") as caught:
        await openai.generator("visual", environ={}).generate(request, Progress())
    assert not caught.value.retryable
    assert openai.fake.requests == []


async def test_image_timeout(openai: ProviderHarness) -> None:
    openai.fake.script("POST", "/v1/images/generations", Reply(json={}, delay_s=2))
    with pytest.raises(GenerationError, match=r"image generation failed — timed out after 0.2 s"):
        await openai.generate(openai.request("visual", prompt="a fox"), timeout_s=0.2, max_retries=0)


async def test_image_empty_prompt_sends_nothing(openai: ProviderHarness) -> None:
    with pytest.raises(GenerationError, match="prompt is empty") as caught:
        await openai.generate(openai.request("visual", prompt="   "))
    assert not caught.value.retryable
    assert openai.fake.requests == []


# --- speech -------------------------------------------------------------------------------------


async def test_speech(openai: ProviderHarness) -> None:
    request = openai.request(
        "narration",
        script="Welcome to lecture one.",
        model="tts-1-hd",
        voice="nova",
        emotion="calm",
        language="en",
    )
    progress = Progress()
    result = await openai.generate(request, progress)
    (sent,) = openai.fake.received("POST", "/v1/audio/speech")
    assert sent.headers["authorization"] == f"Bearer {SECRET}"
    assert sent.json == {
        "model": "tts-1-hd",
        "input": "Welcome to lecture one.",
        "voice": "nova",
        "response_format": "wav",
    }
    assert result.file.suffix == ".wav"
    assert result.file.parent == request.out_dir.resolve()
    assert dict(result.fields) == {
        "script": "Welcome to lecture one.",
        "model": "tts-1-hd",
        "voice": "nova",
        "emotion": "calm",
        "language": "en",
        "duration_s": 0.5,
    }
    assert set(result.fields) == set(NARRATION.field_names) - {"file"}
    NARRATION.validate_asset(result.fields, partial=True)
    progress.assert_sane()


async def test_speech_defaults(openai: ProviderHarness) -> None:
    result = await openai.generate(openai.request("narration", script="Hi."))
    sent = openai.fake.received("POST", "/v1/audio/speech")[0].json
    assert (sent["model"], sent["voice"]) == ("tts-1", "alloy")
    assert (result.fields["model"], result.fields["voice"]) == ("tts-1", "alloy")


async def test_speech_streamed_wav_duration(openai: ProviderHarness) -> None:
    openai.fake.speech_bytes = make_streamed_wav(0.5)
    result = await openai.generate(openai.request("narration", script="Hi."))
    assert result.fields["duration_s"] == pytest.approx(0.5)


@pytest.mark.parametrize("streamed", [False, True])
async def test_speech_rf64_wav_duration(openai: ProviderHarness, streamed: bool) -> None:
    openai.fake.speech_bytes = make_rf64_wav(0.75, streamed=streamed)
    result = await openai.generate(openai.request("narration", script="Hi."))
    assert result.file.suffix == ".wav"
    assert result.fields["duration_s"] == pytest.approx(0.75)


async def test_speech_json_instead_of_audio(openai: ProviderHarness) -> None:
    openai.fake.script("POST", "/v1/audio/speech", Reply(json={"status": "queued"}))
    openai.fake.script("POST", "/v1/audio/speech", Reply(json={"error": {"message": "model is loading"}}))
    request = openai.request("narration", script="Hi.")
    with pytest.raises(GenerationError, match=r"reply has no audio \(got application/json instead\)"):
        await openai.generate(request)
    with pytest.raises(GenerationError, match=r"no audio \(got application/json instead: model is loading\)"):
        await openai.generate(request)
    assert files(request.out_dir) == []


async def test_speech_oversized_without_content_length(openai: ProviderHarness) -> None:
    openai.fake.script(
        "POST",
        "/v1/audio/speech",
        Reply(filler_bytes=3 * 1024 * 1024, content_type="audio/wav", content_length=False),
    )
    request = openai.request("narration", script="Hi.")
    with pytest.raises(
        GenerationError, match=r"speech generation failed — the file is larger than the 1 MB limit"
    ):
        await openai.generate(request)
    assert files(request.out_dir) == []


async def test_speech_oversized_with_content_length(openai: ProviderHarness) -> None:
    openai.fake.script(
        "POST", "/v1/audio/speech", Reply(filler_bytes=3 * 1024 * 1024, content_type="audio/wav")
    )
    with pytest.raises(GenerationError, match=r"announced 3.0 MB, over the 1 MB limit"):
        await openai.generate(openai.request("narration", script="Hi."))


async def test_speech_error_detail(openai: ProviderHarness) -> None:
    openai.fake.script("POST", "/v1/audio/speech", Reply(422, {"detail": "voice 'ash' not found"}))
    with pytest.raises(GenerationError) as caught:
        await openai.generate(openai.request("narration", script="Hi.", voice="ash"))
    assert str(caught.value) == (
        "OpenAI: speech generation failed — HTTP 422 Unprocessable Entity — voice 'ash' not found"
    )
    assert not caught.value.retryable


async def test_speech_read_timeout_is_not_sent_again(openai: ProviderHarness) -> None:
    openai.fake.script("POST", "/v1/audio/speech", Reply(body=b"late", delay_s=2))
    with pytest.raises(GenerationError, match="timed out after 0.2 s.*not sent again"):
        await openai.generate(openai.request("narration", script="Hi."), timeout_s=0.2, max_retries=1)
    assert len(openai.fake.received("POST", "/v1/audio/speech")) == 1


async def test_speech_key_never_leaks(openai: ProviderHarness) -> None:
    openai.fake.script(
        "POST", "/v1/audio/speech", Reply(400, {"error": {"message": f"bad request from key {SECRET}"}})
    )
    with pytest.raises(GenerationError) as caught:
        await openai.generate(openai.request("narration", script="Hi."))
    assert "bad request from key ***" in str(caught.value)
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)


async def test_a_voice_tts_1_does_not_have_is_refused_before_any_request(openai: ProviderHarness) -> None:
    """An espeak name such as `en-us` never reaches OpenAI: refused with the voices tts-1 has."""
    with pytest.raises(GenerationError) as caught:
        await openai.generate(openai.request("narration", script="Hi.", model="tts-1", voice="en-us"))
    assert str(caught.value) == (
        "tts-1 has no voice 'en-us'; its voices: alloy, ash, coral, echo, fable, onyx, nova, sage, shimmer"
    )
    assert not caught.value.retryable
    assert openai.fake.requests == []


async def test_a_model_outside_the_catalogue_takes_any_voice(openai: ProviderHarness) -> None:
    await openai.generate(openai.request("narration", script="Hi.", model="kokoro", voice="af_heart"))
    assert openai.fake.received("POST", "/v1/audio/speech")[0].json["voice"] == "af_heart"
