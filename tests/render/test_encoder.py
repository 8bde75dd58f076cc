"""Rendering to MP4 and decoding the result with PyAV: streams, duration, motion, audio, atomicity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from tests.render.support import clip, demo_like, snapshot_of, write_picture, write_tone
from tui_editor.render import RenderError, render_lecture
from tui_editor.render.encoder import RenderCancelled

FPS = 15
SIZE = (320, 180)


def decode(path: Path) -> dict[str, Any]:
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        info = {
            "duration": (container.duration or 0) / 1e6,
            "video_codec": video.codec_context.name,
            "audio_codec": audio.codec_context.name,
            "pix_fmt": video.codec_context.pix_fmt,
            "size": (video.width, video.height),
            "rate": audio.rate,
        }
    with av.open(str(path)) as container:
        info["frames"] = [f.to_ndarray(format="gray").astype(np.float32) for f in container.decode(video=0)]
    with av.open(str(path)) as container:
        samples = [f.to_ndarray() for f in container.decode(audio=0)]
        info["audio"] = np.concatenate(samples, axis=1)[0]  # the left channel
    return info


def rms(samples: np.ndarray[Any, Any]) -> float:
    return float(np.sqrt(np.mean(np.square(samples))))


def dominant_hz(samples: np.ndarray[Any, Any], rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, Any]]:
    data_dir = tmp_path_factory.mktemp("data")
    out = data_dir / "out.mp4"
    seen: list[tuple[int, int]] = []
    result = render_lecture(
        demo_like(data_dir),
        data_dir,
        out,
        width=SIZE[0],
        height=SIZE[1],
        fps=FPS,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen[-1] == (60, 60) and len(seen) == 60
    return result, decode(out)


def test_streams_are_h264_and_aac_and_the_duration_is_the_timelines(
    rendered: tuple[Any, dict[str, Any]],
) -> None:
    result, info = rendered
    assert (info["video_codec"], info["audio_codec"], info["pix_fmt"]) == ("h264", "aac", "yuv420p")
    assert info["size"] == SIZE and info["rate"] == 48_000
    assert abs(info["duration"] - 4.0) <= 1 / FPS
    assert len(info["frames"]) == 60 == result.frames
    assert abs(len(info["audio"]) / 48_000 - 4.0) <= 1 / FPS
    assert result.to_json()["duration_s"] == 4.0


def test_a_ken_burns_clip_moves_and_a_still_clip_does_not(rendered: tuple[Any, dict[str, Any]]) -> None:
    frames = rendered[1]["frames"]
    still = np.abs(frames[2] - frames[27]).mean()
    moving = [np.abs(frames[i] - frames[i + 5]).mean() for i in range(31, 55, 5)]
    assert still < 2.0, still
    assert min(moving) > 4 * max(still, 0.5), (still, moving)


def test_narration_is_heard_where_it_plays_and_the_music_loops_and_fades_out(
    rendered: tuple[Any, dict[str, Any]],
) -> None:
    audio, rate = rendered[1]["audio"], 48_000

    def part(a: float, b: float) -> np.ndarray[Any, Any]:
        return audio[round(a * rate) : round(b * rate)]  # type: ignore[no-any-return]

    assert rms(part(0.2, 0.8)) > 0.2  # narration 1 (0.5 amplitude) over the music
    assert abs(dominant_hz(part(0.2, 0.8), rate) - 440) < 10
    assert abs(dominant_hz(part(2.2, 2.8), rate) - 660) < 10  # narration 2 at its clip
    assert 0.03 < rms(part(1.2, 1.8)) < 0.15  # only the music (0.2 × volume 0.5), looped
    assert abs(dominant_hz(part(1.2, 1.8), rate) - 220) < 10
    assert rms(part(3.95, 4.0)) < rms(part(3.2, 3.8)) / 2  # fading out


def test_gaps_are_black_and_silent_and_a_range_is_as_long_as_asked(tmp_path: Path) -> None:
    write_picture(tmp_path / "a.png", 1)
    write_tone(tmp_path / "n.wav", 1.0, 440.0)
    snapshot = snapshot_of(
        [
            clip("v1", "visual", 0.0, 1.0, "a"),
            clip("v2", "visual", 2.0, 1.0, "a"),
            clip("n", "voice", 0.0, 1.0, "n"),
        ],
        {"visual": {"a": {"file": "a.png"}}, "narration": {"n": {"file": "n.wav"}}},
    )
    out = tmp_path / "gap.mp4"
    render_lecture(snapshot, tmp_path, out, width=64, height=36, fps=10, start=0.5, end=2.6)
    info = decode(out)
    assert abs(info["duration"] - 2.1) <= 0.1 and len(info["frames"]) == 21
    assert info["frames"][10].max() < 20  # 1.5 s on the timeline: the gap
    assert info["frames"][3].mean() > 40 and info["frames"][18].mean() > 40
    assert rms(info["audio"][round(0.1 * 48_000) : round(0.4 * 48_000)]) > 0.2
    assert rms(info["audio"][round(0.7 * 48_000) : round(2.0 * 48_000)]) < 0.01


def test_missing_media_names_the_clip_or_renders_black(tmp_path: Path) -> None:
    write_tone(tmp_path / "n.wav", 1.0, 440.0)
    snapshot = snapshot_of(
        [clip("v1", "visual", 0.0, 1.0, "gone"), clip("n", "voice", 0.0, 1.0, "n")],
        {"visual": {"gone": {"file": "media/gone.png"}}, "narration": {"n": {"file": "n.wav"}}},
    )
    out = tmp_path / "x.mp4"
    with pytest.raises(RenderError, match=r"visual clip 'v1 name' \(v1\): its media file is missing"):
        render_lecture(snapshot, tmp_path, out, width=64, height=36, fps=10)
    assert not out.exists()
    result = render_lecture(snapshot, tmp_path, out, width=64, height=36, fps=10, allow_missing=True)
    assert [p.clip_id for p in result.problems] == ["v1"]
    assert decode(out)["frames"][5].max() < 20


def test_an_unreadable_audio_file_is_one_error_naming_the_clip(tmp_path: Path) -> None:
    (tmp_path / "n.wav").write_bytes(b"RIFF....not really a wav")
    snapshot = snapshot_of([clip("n", "voice", 0.0, 1.0, "n")], {"narration": {"n": {"file": "n.wav"}}})
    with pytest.raises(RenderError, match=r"voice clip 'n name' \(n\): cannot read it"):
        render_lecture(snapshot, tmp_path, tmp_path / "x.mp4", width=64, height=36, fps=10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.wav"]


def test_a_stopped_render_leaves_no_file_and_keeps_the_old_one(tmp_path: Path) -> None:
    snapshot = demo_like(tmp_path)
    out = tmp_path / "out.mp4"
    out.write_bytes(b"the previous video")
    with pytest.raises(RenderCancelled):
        render_lecture(snapshot, tmp_path, out, width=64, height=36, fps=10, should_stop=lambda: True)
    with pytest.raises(KeyboardInterrupt):

        def interrupt(done: int, total: int) -> None:
            if done == 10:
                raise KeyboardInterrupt

        render_lecture(snapshot, tmp_path, out, width=64, height=36, fps=10, progress=interrupt)
    assert out.read_bytes() == b"the previous video"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_mp3_narration_is_decoded_by_pyav(tmp_path: Path) -> None:
    rate = 44_100
    with av.open(str(tmp_path / "n.mp3"), "w") as container:
        stream = container.add_stream("libmp3lame", rate=rate, layout="mono")
        t = np.arange(rate) / rate
        frame = av.AudioFrame.from_ndarray(
            (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :], format="fltp", layout="mono"
        )
        frame.sample_rate, frame.pts = rate, 0
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    snapshot = snapshot_of([clip("n", "voice", 0.0, 1.0, "n")], {"narration": {"n": {"file": "n.mp3"}}})
    render_lecture(snapshot, tmp_path, tmp_path / "x.mp4", width=64, height=36, fps=10)
    audio = decode(tmp_path / "x.mp4")["audio"]
    assert rms(audio[4800:43200]) > 0.2 and abs(dominant_hz(audio[4800:43200], 48_000) - 440) < 10


def test_an_unreadable_picture_is_one_error_naming_the_clip(tmp_path: Path) -> None:
    (tmp_path / "bad\x1b[31m.png").write_bytes(b"\x89PNG but not really")
    snapshot = snapshot_of(
        [clip("v\x07", "visual", 0.0, 1.0, "a")], {"visual": {"a": {"file": "bad\x1b[31m.png"}}}
    )
    with pytest.raises(RenderError) as caught:
        render_lecture(snapshot, tmp_path, tmp_path / "x.mp4", width=64, height=36, fps=10)
    message = caught.value.message
    assert message.startswith("cannot render: visual clip 'v\\x07 name' (v\\x07): cannot read it (")
    assert "\x1b" not in message and "\x07" not in message
    assert not (tmp_path / "x.mp4").exists()
