"""The Replicate generator against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from tui_editor.config import ProviderSettings
from tui_editor.core.kinds import KINDS, MUSIC, NARRATION, VISUAL
from tui_editor.generators.base import GenerationError, Generator
from tui_editor.generators.replicate import ReplicateGenerator, build_input, first_output_url

from .conftest import ProviderHarness, RequestMaker, SettingsFactory
from .fake_provider import (
    JPEG_BYTES,
    PNG_BYTES,
    SECRET,
    PredictionScript,
    Progress,
    Reply,
    mp3_seconds,
)
from .local_support import cancel_when, files, run_until_cancelled


def test_is_a_generator_and_keeps_the_key_out_of_its_repr(
    replicate_settings: SettingsFactory, env: dict[str, str]
) -> None:
    generator: Generator = ReplicateGenerator("visual", replicate_settings(), environ=env)
    assert SECRET not in repr(generator)


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown asset kind"):
        ReplicateGenerator("video", _settings_stub())


def _settings_stub() -> ProviderSettings:
    return ProviderSettings(base_url="http://127.0.0.1:9", api_key_env="REPLICATE_API_TOKEN")


def test_first_output_url() -> None:
    assert first_output_url("https://r.example/a.png") == "https://r.example/a.png"
    assert (
        first_output_url(["https://r.example/a.png", "https://r.example/b.png"]) == "https://r.example/a.png"
    )
    assert first_output_url({"audio": "https://r.example/a.wav"}) == "https://r.example/a.wav"
    assert first_output_url([]) is None
    assert first_output_url(None) is None
    assert first_output_url("just text") is None


# --- success for every catalogued model ---------------------------------------------------------


@pytest.mark.parametrize("model", ["bytedance/seedream-4", "google/nano-banana", "qwen/qwen-image"])
async def test_visual_models(replicate: ProviderHarness, model: str) -> None:
    fake = replicate.fake
    request = replicate.request("visual", prompt="a red barn", model=model, aspect_ratio="4:3")
    progress = Progress()
    result = await replicate.generate(request, progress)

    (create,) = fake.received("POST", "/v1/models/*")
    assert create.path == f"/v1/models/{model}/predictions"
    seed = {"seed": 0} if model == "qwen/qwen-image" else {}  # only where the model's API has a seed
    assert create.json == {"input": {"prompt": "a red barn", "aspect_ratio": "4:3", **seed}}
    assert create.headers["authorization"] == f"Bearer {SECRET}"
    polls = fake.received("GET", "/v1/predictions/*")
    assert len(polls) == 2  # starting → processing → succeeded
    assert all(p.headers["authorization"] == f"Bearer {SECRET}" for p in polls)
    assert result.file.read_bytes() == PNG_BYTES
    assert result.file.parent == request.out_dir.resolve()
    assert dict(result.fields) == {
        "prompt": "a red barn",
        "model": model,
        "aspect_ratio": "4:3",
        "width": 64,
        "height": 36,
    }
    assert set(result.fields) == set(VISUAL.field_names) - {"file"}
    progress.assert_sane()
    assert progress.calls[0][2] == f"Starting {model} on Replicate…"
    assert progress.calls[1][2] == "Prediction p0001 created on Replicate (starting)"
    assert any("processing — step 1" in message for _s, _t, message in progress.calls)
    assert progress.calls[-1][2] == "Downloading the result…"
    assert files(request.out_dir) == [result.file.name]


async def test_narration_model(replicate: ProviderHarness) -> None:
    request = replicate.request(
        "narration",
        script="Today we talk about entropy.",
        model="minimax/speech-02-hd",
        voice="Wise_Woman",
        emotion="happy",
        language="en",
    )
    progress = Progress()
    result = await replicate.generate(request, progress)
    (create,) = replicate.fake.received("POST", "/v1/models/*")
    assert create.path == "/v1/models/minimax/speech-02-hd/predictions"
    assert create.json == {
        "input": {"text": "Today we talk about entropy.", "voice_id": "Wise_Woman", "emotion": "happy"}
    }
    assert result.file.suffix == ".wav"
    assert dict(result.fields) == {
        "script": "Today we talk about entropy.",
        "model": "minimax/speech-02-hd",
        "voice": "Wise_Woman",
        "emotion": "happy",
        "language": "en",
        "duration_s": 0.5,
    }
    assert set(result.fields) == set(NARRATION.field_names) - {"file"}
    NARRATION.validate_asset(result.fields, partial=True)
    progress.assert_sane()


async def test_narration_mp3_duration(replicate: ProviderHarness) -> None:
    replicate.fake.prediction = PredictionScript(output=replicate.fake.url("/files/speech.mp3"))
    result = await replicate.generate(
        replicate.request("narration", script="Hi.", model="minimax/speech-02-hd")
    )
    assert result.file.suffix == ".mp3"
    assert result.fields["duration_s"] == pytest.approx(mp3_seconds(100), abs=0.01)


async def test_music_model(replicate: ProviderHarness) -> None:
    request = replicate.request(
        "music",
        prompt="calm piano",
        model="stability-ai/stable-audio-2.5",
        duration_s=12.0,
        bpm=90,
        key="A minor",
    )
    result = await replicate.generate(request)
    (create,) = replicate.fake.received("POST", "/v1/models/*")
    assert create.path == "/v1/models/stability-ai/stable-audio-2.5/predictions"
    assert create.json == {"input": {"prompt": "calm piano", "duration": 12, "seed": 0}}
    assert result.file.suffix == ".wav"
    assert dict(result.fields) == {
        "prompt": "calm piano",
        "model": "stability-ai/stable-audio-2.5",
        "duration_s": 1.0,  # measured from the WAV the model returned
        "bpm": 90,
        "key": "A minor",
    }
    assert set(result.fields) == set(MUSIC.field_names) - {"file"}
    MUSIC.validate_asset(result.fields, partial=True)


async def test_music_duration_defaults_to_the_clip(replicate: ProviderHarness) -> None:
    fake = replicate.fake
    fake.files["noise.wav"] = (b"not really a wav file", "audio/wav")
    fake.prediction = PredictionScript(output=fake.url("/files/noise.wav"))
    request = replicate.request(
        "music", clip_duration=7.5, prompt="drums", model="stability-ai/stable-audio-2.5"
    )
    result = await replicate.generate(request)
    created = fake.received("POST", "/v1/models/*")[0]
    assert created.json == {"input": {"prompt": "drums", "duration": 8, "seed": 0}}
    assert result.fields["duration_s"] == 7.5  # not decodable: the requested duration


async def test_image_not_decodable_uses_the_ratio(replicate: ProviderHarness) -> None:
    replicate.fake.files["odd.png"] = (b"garbage", "image/png")
    replicate.fake.prediction = PredictionScript(output=replicate.fake.url("/files/odd.png"))
    result = await replicate.generate(
        replicate.request("visual", prompt="x", model="qwen/qwen-image", aspect_ratio="16:9")
    )
    assert (result.fields["width"], result.fields["height"]) == (1024, 576)


async def test_first_of_several_outputs(replicate: ProviderHarness) -> None:
    fake = replicate.fake
    fake.prediction = PredictionScript(output=[fake.url("/files/image.jpg"), fake.url("/files/image.png")])
    result = await replicate.generate(replicate.request("visual", prompt="x", model="google/nano-banana"))
    assert result.file.read_bytes() == JPEG_BYTES
    assert fake.received("GET", "/files/image.png") == []


async def test_default_model_is_the_catalogue_s_first_replicate_model(replicate: ProviderHarness) -> None:
    for kind, fields in (
        ("visual", {"prompt": "x"}),
        ("narration", {"script": "x"}),
        ("music", {"prompt": "x"}),
    ):
        expected = next(m.id for m in KINDS[kind].models if m.provider == "replicate")
        result = await replicate.generate(replicate.request(kind, **fields))
        assert result.fields["model"] == expected
        assert (
            replicate.fake.received("POST", "/v1/models/*")[-1].path == f"/v1/models/{expected}/predictions"
        )


async def test_versioned_model(replicate: ProviderHarness) -> None:
    model = "bytedance/seedream-4:0123456789abcdef"
    result = await replicate.generate(
        replicate.request("visual", prompt="x", model=model, aspect_ratio="1:1")
    )
    (create,) = replicate.fake.received("POST", "/v1/predictions")
    assert create.json == {"version": "0123456789abcdef", "input": {"prompt": "x", "aspect_ratio": "1:1"}}
    assert result.fields["model"] == model


async def test_prediction_done_at_creation_is_not_polled(replicate: ProviderHarness) -> None:
    replicate.fake.prediction = PredictionScript(statuses=["succeeded"])
    progress = Progress()
    result = await replicate.generate(
        replicate.request("visual", prompt="x", model="qwen/qwen-image"), progress
    )
    assert result.file.exists()
    assert replicate.fake.received("GET", "/v1/predictions/*") == []
    assert [(s, t) for s, t, _m in progress.calls] == [(0, 2), (1, 2), (2, 2)]


async def test_poll_url_from_the_reply(replicate: ProviderHarness) -> None:
    fake = replicate.fake
    base = fake.base_url
    fake.script(
        "POST",
        "/v1/models/*",
        Reply(
            201,
            {
                "id": "abc",
                "status": "processing",
                "urls": {
                    "get": f"{base}/v1/predictions/abc?from=urls",
                    "cancel": f"{base}/v1/predictions/abc/cancel",
                },
            },
        ),
    )
    fake.script(
        "GET",
        "/v1/predictions/abc",
        Reply(json={"id": "abc", "status": "succeeded", "output": fake.url("/files/image.png")}),
    )
    await replicate.generate(replicate.request("visual", prompt="x", model="qwen/qwen-image"))
    (poll,) = fake.received("GET", "/v1/predictions/*")
    assert poll.query == "from=urls"


async def test_foreign_poll_url_is_ignored(replicate: ProviderHarness) -> None:
    fake = replicate.fake
    fake.script(
        "POST",
        "/v1/models/*",
        Reply(201, {"id": "abc", "status": "processing", "urls": {"get": "https://elsewhere.invalid/p/abc"}}),
    )
    fake.script(
        "GET",
        "/v1/predictions/abc",
        Reply(json={"id": "abc", "status": "succeeded", "output": fake.url("/files/image.png")}),
    )
    await replicate.generate(replicate.request("visual", prompt="x", model="qwen/qwen-image"))
    assert [p.path for p in fake.received("GET", "/v1/predictions/*")] == ["/v1/predictions/abc"]


# --- failures -----------------------------------------------------------------------------------


async def test_prediction_fails(replicate: ProviderHarness) -> None:
    replicate.fake.prediction = PredictionScript(
        statuses=["starting", "processing", "failed"], error="NSFW content detected"
    )
    request = replicate.request("visual", prompt="x", model="google/nano-banana")
    with pytest.raises(GenerationError) as caught:
        await replicate.generate(request)
    assert str(caught.value) == "Replicate: google/nano-banana failed — NSFW content detected"
    assert caught.value.retryable
    assert files(request.out_dir) == []


async def test_prediction_canceled_elsewhere(replicate: ProviderHarness) -> None:
    replicate.fake.prediction = PredictionScript(statuses=["starting", "canceled"])
    with pytest.raises(GenerationError, match="the prediction for qwen/qwen-image was canceled on Replicate"):
        await replicate.generate(replicate.request("visual", prompt="x", model="qwen/qwen-image"))


async def test_cancel_during_polling(replicate: ProviderHarness) -> None:
    fake = replicate.fake
    fake.prediction = PredictionScript(statuses=["starting", "processing"])  # never finishes

    def on_progress(step: int, total: int, message: str) -> None:
        if step == 3:
            task = asyncio.current_task()
            assert task is not None
            task.cancel()

    request = replicate.request("visual", prompt="x", model="bytedance/seedream-4")
    await run_until_cancelled(replicate.generate(request, Progress(on_progress), poll_interval_s=0.02))
    cancels = fake.received("POST", "/v1/predictions/*/cancel")
    assert [c.path for c in cancels] == ["/v1/predictions/p0001/cancel"]
    assert cancels[0].headers["authorization"] == f"Bearer {SECRET}"
    assert len(fake.received("GET", "/v1/predictions/*")) == 2
    assert fake.received("GET", "/files/*") == []
    assert files(request.out_dir) == []


async def test_cancel_while_a_poll_is_in_flight(replicate: ProviderHarness) -> None:
    fake = replicate.fake
    fake.prediction = PredictionScript(statuses=["starting", "processing"])
    fake.script("GET", "/v1/predictions/*", Reply(json={}, delay_s=4))
    request = replicate.request("visual", prompt="x", model="qwen/qwen-image")
    polling = replicate.generate(request, timeout_s=10)
    assert await cancel_when(lambda: fake.received("GET", "/v1/predictions/*"), polling) < 2
    assert len(fake.received("POST", "/v1/predictions/p0001/cancel")) == 1


async def test_gives_up_waiting(replicate: ProviderHarness) -> None:
    replicate.fake.prediction = PredictionScript(statuses=["starting", "processing"])
    generator = ReplicateGenerator(
        "visual", replicate.settings(poll_interval_s=0.02), environ=replicate.env, max_wait_s=0.1
    )
    with pytest.raises(GenerationError, match="did not finish within 0.1 s; the prediction was cancelled"):
        await generator.generate(replicate.request("visual", prompt="x", model="qwen/qwen-image"), Progress())
    assert len(replicate.fake.received("POST", "/v1/predictions/p0001/cancel")) == 1


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (PredictionScript(statuses=["starting", "succeeded"], output=[]), "reply has no output URL"),
        (PredictionScript(statuses=["starting", "succeeded"], output="done!"), "reply has no output URL"),
    ],
)
async def test_missing_output(replicate: ProviderHarness, script: PredictionScript, message: str) -> None:
    replicate.fake.prediction = script
    with pytest.raises(GenerationError, match=message):
        await replicate.generate(replicate.request("visual", prompt="x", model="qwen/qwen-image"))


@pytest.mark.parametrize(
    ("create", "message"),
    [
        (Reply(201, {"status": "starting"}), "reply has no prediction id"),
        (Reply(201, {"id": "p1"}), "reply has no prediction status"),
        (Reply(201, body=b"<html>", content_type="application/json"), "provider replied with malformed JSON"),
        (Reply(201, json=["p1"]), "provider replied with malformed JSON"),
    ],
)
async def test_malformed_create_replies(replicate: ProviderHarness, create: Reply, message: str) -> None:
    replicate.fake.script("POST", "/v1/models/*", create)
    with pytest.raises(GenerationError, match=message):
        await replicate.generate(replicate.request("visual", prompt="x", model="qwen/qwen-image"))


async def test_malformed_poll_reply(replicate: ProviderHarness) -> None:
    replicate.fake.script("GET", "/v1/predictions/*", Reply(body=b"{", content_type="application/json"))
    with pytest.raises(
        GenerationError, match="checking on qwen/qwen-image failed — provider replied with malformed JSON"
    ):
        await replicate.generate(replicate.request("visual", prompt="x", model="qwen/qwen-image"))
    # the run gives up on the prediction, so it is stopped on Replicate too
    assert [c.path for c in replicate.fake.received("POST", "/v1/predictions/*/cancel")] == [
        "/v1/predictions/p0001/cancel"
    ]


async def test_poll_500_is_retried(replicate: ProviderHarness) -> None:
    replicate.fake.script("GET", "/v1/predictions/*", Reply(500, {"detail": "internal"}), Reply(502))
    result = await replicate.generate(
        replicate.request("visual", prompt="x", model="qwen/qwen-image"), max_retries=2
    )
    assert result.file.exists()
    assert len(replicate.fake.received("GET", "/v1/predictions/*")) == 4


async def test_create_429_honours_retry_after(replicate: ProviderHarness) -> None:
    replicate.fake.script(
        "POST",
        "/v1/models/*",
        Reply(429, {"detail": "Request was throttled."}, headers={"Retry-After": "0.1"}),
    )
    result = await replicate.generate(replicate.request("visual", prompt="x", model="qwen/qwen-image"))
    assert result.file.exists()
    assert len(replicate.fake.received("POST", "/v1/models/*")) == 2


async def test_create_keeps_failing(replicate: ProviderHarness) -> None:
    replicate.fake.script("POST", "/v1/models/*", *[Reply(503, {"detail": "Service unavailable"})] * 3)
    with pytest.raises(GenerationError) as caught:
        await replicate.generate(
            replicate.request("visual", prompt="x", model="qwen/qwen-image"), max_retries=2
        )
    assert str(caught.value) == (
        "Replicate: starting qwen/qwen-image failed — HTTP 503 Service Unavailable — Service unavailable "
        "(not sent again: the provider may already have started it, and a second request could be "
        "billed twice)"
    )
    assert len(replicate.fake.received("POST", "/v1/models/*")) == 1  # a prediction is never created twice


async def test_invalid_input_is_not_retried(replicate: ProviderHarness) -> None:
    replicate.fake.script(
        "POST",
        "/v1/models/*",
        Reply(
            422,
            {
                "title": "Input validation failed",
                "detail": "- input.voice_id: invalid voice",
                "invalid_fields": [{"description": "voice_id must be one of Wise_Woman, ..."}],
            },
        ),
    )
    with pytest.raises(GenerationError) as caught:
        await replicate.generate(
            replicate.request("narration", script="x", model="minimax/speech-02-hd", voice="Wise_Woman")
        )
    assert "HTTP 422 Unprocessable Entity — - input.voice_id: invalid voice; voice_id must be one of" in str(
        caught.value
    )
    assert not caught.value.retryable
    assert len(replicate.fake.received("POST", "/v1/models/*")) == 1


async def test_bad_token(replicate: ProviderHarness) -> None:
    replicate.fake.required_token = "r8_the-right-one"
    generator = replicate.generator("visual", environ={"REPLICATE_API_TOKEN": SECRET})
    with pytest.raises(GenerationError) as caught:
        await generator.generate(replicate.request("visual", prompt="x", model="qwen/qwen-image"), Progress())
    assert "Replicate: authentication failed — check REPLICATE_API_TOKEN" in str(caught.value)
    assert SECRET not in str(caught.value)
    assert not caught.value.retryable


async def test_missing_token(replicate: ProviderHarness) -> None:
    with pytest.raises(GenerationError, match="set the environment variable REPLICATE_API_TOKEN"):
        await replicate.generator("visual", environ={}).generate(
            replicate.request("visual", prompt="x"), Progress()
        )
    assert replicate.fake.requests == []


async def test_oversized_output(replicate: ProviderHarness) -> None:
    replicate.fake.script(
        "GET",
        "/files/image.png",
        Reply(filler_bytes=2 * 1024 * 1024, content_type="image/png", content_length=False),
    )
    request = replicate.request("visual", prompt="x", model="qwen/qwen-image")
    with pytest.raises(
        GenerationError, match=r"downloading the visual failed — the file is larger than the 1 MB limit"
    ):
        await replicate.generate(request)
    assert files(request.out_dir) == []


async def test_poll_timeout(replicate: ProviderHarness) -> None:
    replicate.fake.script("GET", "/v1/predictions/*", *[Reply(json={}, delay_s=2)] * 2)
    request = replicate.request("visual", prompt="x", model="qwen/qwen-image")
    with pytest.raises(GenerationError, match=r"checking on qwen/qwen-image failed — timed out after 0.2 s"):
        await replicate.generate(request, timeout_s=0.2, max_retries=1)
    assert len(replicate.fake.received("POST", "/v1/predictions/p0001/cancel")) == 1


async def test_error_text_is_scrubbed(replicate: ProviderHarness) -> None:
    replicate.fake.prediction = PredictionScript(
        statuses=["starting", "failed"], error=f"token {SECRET} has no credit"
    )
    with pytest.raises(GenerationError) as caught:
        await replicate.generate(replicate.request("visual", prompt="x", model="qwen/qwen-image"))
    assert "token *** has no credit" in str(caught.value)
    assert SECRET not in repr(caught.value)


async def test_wrong_kind_and_bad_model_send_nothing(replicate: ProviderHarness) -> None:
    generator = replicate.generator("visual")
    with pytest.raises(GenerationError, match="makes visual assets, not music"):
        await generator.generate(replicate.request("music", prompt="x"), Progress())
    with pytest.raises(GenerationError, match="is not a Replicate model") as caught:
        await generator.generate(replicate.request("visual", prompt="x", model="seedream 4"), Progress())
    assert not caught.value.retryable
    with pytest.raises(GenerationError, match="prompt is empty"):
        await generator.generate(replicate.request("visual", prompt=""), Progress())
    assert replicate.fake.requests == []


def test_build_input_leaves_out_empty_values(make_request: RequestMaker) -> None:
    assert build_input(NARRATION, make_request("narration", script="Hello", voice="", emotion=None)) == {
        "text": "Hello"
    }
    assert build_input(MUSIC, make_request("music", prompt="x")) == {"prompt": "x"}
    assert build_input(VISUAL, make_request("visual", prompt="x")) == {"prompt": "x", "aspect_ratio": "16:9"}


async def test_narration_duration_unknown_when_not_decodable(replicate: ProviderHarness) -> None:
    fake = replicate.fake
    fake.files["odd.wav"] = (b"definitely not audio", "audio/wav")
    fake.prediction = PredictionScript(output=fake.url("/files/odd.wav"))
    result = await replicate.generate(
        replicate.request("narration", script="Hi.", model="minimax/speech-02-hd", duration_s=99.0)
    )
    assert result.fields["duration_s"] is None  # not the stale value of the asset it replaces


# --- voices and seeds --------------------------------------------------------------------------


async def test_a_voice_the_model_does_not_have_is_refused_before_any_request(
    replicate: ProviderHarness,
) -> None:
    request = replicate.request("narration", script="Hello.", model="minimax/speech-02-hd", voice="en-us")
    with pytest.raises(GenerationError) as caught:
        await replicate.generate(request)
    assert str(caught.value).startswith("minimax/speech-02-hd has no voice 'en-us'; its voices: Wise_Woman,")
    assert not caught.value.retryable
    assert replicate.fake.requests == []


async def test_no_voice_means_the_model_s_default_voice(replicate: ProviderHarness) -> None:
    result = await replicate.generate(
        replicate.request("narration", script="Hello.", model="minimax/speech-02-hd", voice="")
    )
    assert replicate.fake.received("POST", "/v1/models/*")[0].json["input"]["voice_id"] == "Wise_Woman"
    assert result.fields["voice"] == "Wise_Woman"


async def test_the_run_s_seed_reaches_models_that_take_one(replicate: ProviderHarness) -> None:
    generator = replicate.generator("visual")
    for model in ("qwen/qwen-image", "google/nano-banana"):
        request = dataclasses.replace(replicate.request("visual", prompt="a barn", model=model), seed=1234567)
        await generator.generate(request, Progress())
    qwen, banana = (create.json["input"] for create in replicate.fake.received("POST", "/v1/models/*"))
    assert qwen["seed"] == 1234567
    assert "seed" not in banana  # its API has no seed: nothing unknown is sent
