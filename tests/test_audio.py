"""Audio input: files of every kind we promise, raw stdin, resampling, and bad input."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile

from monitord.audio import INTERNAL_RATE_HZ, Resampler, open_audio
from monitord.errors import AudioInputError, ExitCode
from tests import synth


def _read_all(source: str | Path, **kwargs: object) -> np.ndarray:
    with open_audio(source, **kwargs) as audio:  # type: ignore[arg-type]
        return np.concatenate(list(audio.blocks(0.5)))


def _peak_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * INTERNAL_RATE_HZ / len(samples))


@pytest.mark.parametrize(("rate", "subtype", "channels"), [
    (44100, "PCM_16", 2), (48000, "FLOAT", 1), (8000, "PCM_16", 1), (96000, "PCM_24", 1), (22050, "PCM_U8", 1),
])
def test_files_become_mono_16k_with_the_tone_where_it_was(tmp_path: Path, rate: int, subtype: str,
                                                          channels: int) -> None:
    tone = synth.tone(1000.0, 2.0, rate_hz=rate, amplitude=0.4)
    data = np.stack([tone] * channels, axis=1) if channels > 1 else tone
    path = tmp_path / "tone.wav"
    soundfile.write(str(path), data, rate, subtype=subtype)
    with open_audio(path) as audio:
        assert audio.source_rate_hz == rate
        assert audio.duration_s == pytest.approx(2.0, abs=0.01)
        samples = np.concatenate(list(audio.blocks(0.3)))
    assert samples.dtype == np.float32
    assert len(samples) == pytest.approx(2.0 * INTERNAL_RATE_HZ, abs=0.01 * INTERNAL_RATE_HZ)
    assert _peak_hz(samples) == pytest.approx(1000.0, abs=10.0)
    assert float(np.sqrt(np.mean(samples[2000:-2000] ** 2))) == pytest.approx(0.4 / np.sqrt(2), rel=0.1)


def test_flac_and_ogg_are_read(tmp_path: Path) -> None:
    tone = synth.tone(1500.0, 1.0, rate_hz=16000)
    for name, fmt in (("a.flac", "FLAC"), ("a.ogg", "OGG")):
        soundfile.write(str(tmp_path / name), tone, 16000, format=fmt)
        assert _peak_hz(_read_all(tmp_path / name)) == pytest.approx(1500.0, abs=10.0)


def test_real_recorded_sound_theme_file_is_read() -> None:
    path = Path("/usr/share/sounds/freedesktop/stereo/bell.oga")
    samples = _read_all(path)
    assert len(samples) > INTERNAL_RATE_HZ // 10
    assert np.isfinite(samples).all()


def test_nan_and_inf_are_replaced_and_counted(tmp_path: Path) -> None:
    data = synth.tone(1000.0, 1.0).astype(np.float32)
    data[100:200] = np.nan
    data[300] = np.inf
    path = tmp_path / "broken.wav"
    soundfile.write(str(path), data, 16000, subtype="FLOAT")
    with open_audio(path) as audio:
        samples = np.concatenate(list(audio.blocks(1.0)))
        assert audio.non_finite_samples == 101
    assert np.isfinite(samples).all()


def test_dc_offset_is_removed(tmp_path: Path) -> None:
    data = (0.4 + synth.tone(1000.0, 3.0, amplitude=0.2)).astype(np.float32)
    path = tmp_path / "dc.wav"
    soundfile.write(str(path), data, 16000, subtype="FLOAT")
    samples = _read_all(path)
    assert abs(float(samples[INTERNAL_RATE_HZ:].mean())) < 0.01


def test_clipping_is_counted(tmp_path: Path) -> None:
    data = np.clip(synth.tone(1000.0, 1.0, amplitude=3.0), -1, 1)
    path = tmp_path / "clipped.wav"
    soundfile.write(str(path), data, 16000, subtype="PCM_16")
    with open_audio(path) as audio:
        list(audio.blocks(1.0))
        assert audio.clipped_samples > 1000


@pytest.mark.parametrize("content", [b"", b"RIFF\x24\x00\x00\x00WAVEfmt ", b"this is not audio at all" * 10])
def test_empty_truncated_and_garbage_files_are_clear_errors(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioInputError) as error:
        open_audio(path)
    assert error.value.exit_code is ExitCode.NO_INPUT
    assert "bad.wav" in error.value.message
    assert error.value.hint


def test_missing_file_and_directory_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(AudioInputError, match="no such file"):
        open_audio(tmp_path / "nope.wav")
    with pytest.raises(AudioInputError, match="directory"):
        open_audio(tmp_path)


def test_unsupported_rate_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "low.wav"
    soundfile.write(str(path), np.zeros(4000), 4000)
    with pytest.raises(AudioInputError, match="4000 Hz"):
        open_audio(path)


def test_silence_is_read_as_silence(tmp_path: Path) -> None:
    path = tmp_path / "silence.wav"
    soundfile.write(str(path), np.zeros(16000 * 2), 16000, subtype="PCM_16")
    assert not _read_all(path).any()


@pytest.mark.parametrize(("fmt", "dtype", "scale"), [("s16le", "<i2", 32767), ("s32le", "<i4", 2**31 - 1),
                                                      ("f32le", "<f4", 1.0)])
def test_raw_pcm_on_stdin(fmt: str, dtype: str, scale: float) -> None:
    tone = synth.tone(2000.0, 1.0, rate_hz=48000, amplitude=0.5)
    raw = (tone * scale).astype(dtype).tobytes()
    samples = _read_all("-", rate_hz=48000, sample_format=fmt, stdin=io.BytesIO(raw))
    assert _peak_hz(samples) == pytest.approx(2000.0, abs=10.0)
    assert float(np.max(np.abs(samples))) == pytest.approx(0.5, rel=0.05)


def test_raw_stdin_needs_rate_and_known_format() -> None:
    with pytest.raises(AudioInputError, match="rate and format"):
        open_audio("-", stdin=io.BytesIO(b""))
    with pytest.raises(AudioInputError, match="unknown raw sample format"):
        open_audio("-", rate_hz=16000, sample_format="s12le", stdin=io.BytesIO(b""))


@pytest.mark.parametrize("rate", [44100, 48000, 8000])
def test_streaming_resampler_matches_one_shot_polyphase(rate: int) -> None:
    from scipy import signal

    rng = np.random.default_rng(1)
    x = rng.standard_normal(rate * 2).astype(np.float32)
    resampler = Resampler(rate, INTERNAL_RATE_HZ)
    pieces, i = [], 0
    while i < len(x):
        n = int(rng.integers(1, 3000))
        pieces.append(resampler.process(x[i : i + n]))
        i += n
    streamed = np.concatenate(pieces)
    reference = signal.resample_poly(x.astype(np.float64), INTERNAL_RATE_HZ, rate)
    n = min(len(streamed), len(reference)) - 200
    assert np.max(np.abs(streamed[:n] - reference[:n])) < 1e-4


def test_resampler_rejects_aliases() -> None:
    # A 20 kHz tone recorded at 48 kHz must not fold back into the 0–8 kHz band (it would land at 4 kHz).
    tone = synth.tone(20000.0, 1.0, rate_hz=48000, amplitude=0.5, attack_s=0.0, decay_s=0.0)
    out = Resampler(48000, INTERNAL_RATE_HZ).process(tone)
    assert float(np.sqrt(np.mean(out[1000:-1000] ** 2))) < 0.5 * 10 ** (-50 / 20)


@pytest.mark.parametrize("channels", [1, 2])
def test_16_bit_files_read_as_the_same_samples_as_float_files(tmp_path: Path, channels: int) -> None:
    """16-bit files take their own path (integers read into reused buffers, scaled in place): block by block, the
    samples are those of the same values stored as float, and blocks already handed out stay as they were."""
    rng = np.random.default_rng(17)
    data = rng.uniform(-0.9, 0.9, size=(16000 * 3 + 777, channels))
    data[5000:5100] += 0.05  # an offset for the DC removal to follow
    data = np.round(data * 32768) / 32768  # values a 16-bit file holds exactly
    for subtype in ("PCM_16", "FLOAT"):
        soundfile.write(str(tmp_path / f"{subtype}.wav"), data, 16000, subtype=subtype)
    with open_audio(tmp_path / "PCM_16.wav") as integers, open_audio(tmp_path / "FLOAT.wav") as floats:
        integer_blocks, float_blocks = list(integers.blocks(0.7)), list(floats.blocks(0.7))
    assert len(integer_blocks) == len(float_blocks) == 5  # the last one short
    for a, b in zip(integer_blocks, float_blocks, strict=True):
        assert a.dtype == np.float32
        assert np.array_equal(a, b)
