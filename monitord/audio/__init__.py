"""Audio input: files (through libsndfile) and raw PCM on stdin, streamed as mono float32 at one internal rate.

Every source gives `blocks(block_s)`: an iterator of mono float32 blocks at `INTERNAL_RATE_HZ`, never the whole
recording in memory. On the way in, multichannel audio is averaged to mono, integer samples are scaled to ±1,
other rates go through a polyphase anti-alias resampler (`Resampler`), NaN/inf samples (broken float files) are
replaced by silence and counted, and DC offset is removed. The live microphone lives in the daemon and uses the
same `Resampler`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import numpy as np
import structlog
from numpy.typing import NDArray

from monitord.audio.resample import Resampler
from monitord.errors import AudioInputError

__all__ = [
    "INTERNAL_RATE_HZ",
    "MAX_RATE_HZ",
    "MIN_RATE_HZ",
    "RAW_FORMATS",
    "AudioSource",
    "Resampler",
    "open_audio",
]

log = structlog.get_logger(__name__)

INTERNAL_RATE_HZ = 16000
"""Everything after the audio layer runs at this rate (hertz). Household piezo beepers sit below ~5 kHz, so a
16 kHz rate (8 kHz bandwidth) keeps their fundamentals and first harmonics while halving the work of 32 kHz."""

MIN_RATE_HZ = 8000
MAX_RATE_HZ = 96000

# Raw PCM formats accepted on stdin (`--format`): name → numpy dtype. s24le is unpacked by hand (no numpy dtype).
RAW_FORMATS: dict[str, str] = {
    "u8": "u1",
    "s8": "i1",
    "s16le": "<i2",
    "s16be": ">i2",
    "s24le": "s24le",
    "s32le": "<i4",
    "s32be": ">i4",
    "f32le": "<f4",
    "f32be": ">f4",
    "f64le": "<f8",
    "f64be": ">f8",
}

_CLIP_LEVEL = 0.999  # |sample| at or above this counts as clipped (full scale)


class _Conditioner:
    """Mono mixdown → NaN/inf removal → resampling → DC removal, with counters for what it fixed."""

    def __init__(self, source_rate_hz: int) -> None:
        self.resampler = Resampler(source_rate_hz, INTERNAL_RATE_HZ)
        self.non_finite_samples = 0
        self.clipped_samples = 0
        self.samples_in = 0
        self._dc = 0.0
        self._dc_ready = False

    def process(self, frames: NDArray[np.float32], *, from_integers: bool = False) -> NDArray[np.float32]:
        """`from_integers`: the samples were integers scaled to float (always finite: no NaN/inf test)."""
        if frames.ndim == 2:
            mono = frames[:, 0] if frames.shape[1] == 1 else frames.mean(axis=1, dtype=np.float32)
        else:
            mono = frames.astype(np.float32, copy=False)
        self.samples_in += len(mono)
        # (a float64 sum as a quick test first costs four times as much as isfinite)
        finite = None if from_integers else np.isfinite(mono)
        if finite is not None and not finite.all():
            self.non_finite_samples += int(len(mono) - np.count_nonzero(finite))
            mono = np.where(finite, mono, np.float32(0.0)).astype(np.float32)
        if len(mono) and max(float(mono.max()), -float(mono.min())) >= _CLIP_LEVEL:
            self.clipped_samples += int(np.count_nonzero(np.abs(mono) >= _CLIP_LEVEL))
        out = self.resampler.process(mono)
        if len(out) == 0:
            return out
        # DC removal: a slow running mean (per block) subtracted from every sample. The analysis never looks below
        # a few hundred hertz, so this only has to keep a large offset from leaking into the spectrum.
        block_mean = float(out.mean(dtype=np.float64))
        if not self._dc_ready:
            self._dc, self._dc_ready = block_mean, True
        else:
            weight = min(1.0, len(out) / INTERNAL_RATE_HZ)  # about a 1 s time constant
            self._dc += weight * (block_mean - self._dc)
        return (out - np.float32(self._dc)).astype(np.float32, copy=False)


class AudioSource:
    """One opened audio input. Use as a context manager; iterate `blocks(block_s)`."""

    name: str
    source_rate_hz: int
    channels: int
    duration_s: float | None

    def __init__(self) -> None:
        self._conditioner: _Conditioner | None = None
        self._integer_samples = False  # _raw_blocks yields integer samples scaled to float (set by the source)

    def __enter__(self) -> AudioSource:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:  # pragma: no cover - overridden
        pass

    @property
    def non_finite_samples(self) -> int:
        """How many NaN/inf input samples were replaced by silence."""
        return self._conditioner.non_finite_samples if self._conditioner else 0

    @property
    def clipped_samples(self) -> int:
        """How many input samples were at full scale (clipping)."""
        return self._conditioner.clipped_samples if self._conditioner else 0

    @property
    def samples_read(self) -> int:
        return self._conditioner.samples_in if self._conditioner else 0

    def blocks(self, block_s: float = 1.0) -> Iterator[NDArray[np.float32]]:
        """Mono float32 blocks at INTERNAL_RATE_HZ (about `block_s` long; the resampler may shift a few samples)."""
        if block_s <= 0:
            raise ValueError("block_s must be positive")
        self._conditioner = _Conditioner(self.source_rate_hz)
        frames_per_block = max(1, round(block_s * self.source_rate_hz))
        for raw in self._raw_blocks(frames_per_block):
            out = self._conditioner.process(raw, from_integers=self._integer_samples)
            if len(out):
                yield out
        if self.non_finite_samples:
            log.warning("audio_non_finite_samples", source=self.name, samples=self.non_finite_samples,
                        detail="NaN/inf samples in the input were replaced by silence")

    def _raw_blocks(self, frames_per_block: int) -> Iterator[NDArray[np.float32]]:  # pragma: no cover
        raise NotImplementedError


class _FileSource(AudioSource):
    def __init__(self, path: Path) -> None:
        super().__init__()
        import soundfile

        self.name = str(path)
        if not path.exists():
            raise AudioInputError(f"{path}: no such file", hint="check the path")
        if path.is_dir():
            raise AudioInputError(f"{path}: is a directory, not an audio file")
        try:
            self._file = soundfile.SoundFile(str(path))
        except (soundfile.LibsndfileError, RuntimeError, OSError, TypeError, ValueError) as exc:
            raise AudioInputError(
                f"{path}: cannot read it as audio ({_clean(exc)})",
                hint="monitord reads WAV, FLAC, OGG/Opus and MP3 (and AIFF, CAF); is the file complete and not empty? "
                "A phone's .m4a/.aac must be converted first, e.g. `ffmpeg -i recording.m4a recording.wav`",
            ) from exc
        self.source_rate_hz = int(self._file.samplerate)
        self.channels = int(self._file.channels)
        frames = int(self._file.frames)
        self.duration_s = frames / self.source_rate_hz if frames > 0 else 0.0
        _check_rate(self.source_rate_hz, self.name)

    def close(self) -> None:
        self._file.close()

    def _raw_blocks(self, frames_per_block: int) -> Iterator[NDArray[np.float32]]:
        import soundfile

        # 16-bit files (most recordings) are read as integers and scaled here: cheaper than libsndfile's conversion.
        as_int16 = self._file.subtype == "PCM_16"
        self._integer_samples = as_int16
        if as_int16:
            # Read into, and scaled into, the same two buffers block after block: fresh megabyte arrays every
            # block went back to the kernel and were faulted in again. They never leave the source: the
            # conditioner always returns new arrays (DC removal writes its result to one).
            integers = np.empty((frames_per_block, self.channels), dtype=np.int16)
            scaled = np.empty((frames_per_block, self.channels), dtype=np.float32)
        try:
            while True:
                if not as_int16:
                    data = self._file.read(frames_per_block, dtype="float32", always_2d=True)
                    if len(data) == 0:
                        return
                    yield data
                    continue
                read = self._file.read(frames_per_block, dtype="int16", always_2d=True, out=integers)
                if len(read) == 0:
                    return
                block = scaled[: len(read)]
                np.copyto(block, read)  # converted, then scaled in place (exact: a power of two)
                block *= np.float32(1 / 32768)
                yield block
        except (soundfile.LibsndfileError, RuntimeError) as exc:
            raise AudioInputError(f"{self.name}: read error after {self.samples_read} samples ({_clean(exc)})",
                                  hint="the file may be truncated or corrupt") from exc


class _RawStdinSource(AudioSource):
    def __init__(self, stream: BinaryIO, *, rate_hz: int | None, sample_format: str | None, channels: int) -> None:
        super().__init__()
        self.name = "-"
        if rate_hz is None or sample_format is None:
            raise AudioInputError(
                "raw audio on stdin needs its sample rate and format",
                hint="e.g. `arecord -f S16_LE -r 16000 -c 1 -t raw | monitord analyze --rate 16000 --format s16le -`",
            )
        if sample_format not in RAW_FORMATS:
            raise AudioInputError(f"unknown raw sample format {sample_format!r}",
                                  hint=f"use one of: {', '.join(RAW_FORMATS)}")
        if channels < 1:
            raise AudioInputError("channels must be at least 1")
        _check_rate(rate_hz, "stdin")
        self._stream = stream
        self._format = sample_format
        self.source_rate_hz = rate_hz
        self.channels = channels
        self.duration_s = None

    def _raw_blocks(self, frames_per_block: int) -> Iterator[NDArray[np.float32]]:
        fmt = RAW_FORMATS[self._format]
        sample_bytes = 3 if fmt == "s24le" else np.dtype(fmt).itemsize
        frame_bytes = sample_bytes * self.channels
        pending = b""
        while True:
            chunk = self._stream.read(frames_per_block * frame_bytes)
            if not chunk:
                break
            pending += chunk
            usable = len(pending) - len(pending) % frame_bytes
            if usable == 0:
                continue
            data, pending = pending[:usable], pending[usable:]
            yield _decode_raw(data, fmt, self.channels)
        if pending:
            log.warning("audio_partial_frame_dropped", source="-", bytes=len(pending))


def _decode_raw(data: bytes, fmt: str, channels: int) -> NDArray[np.float32]:
    if fmt == "s24le":
        raw = np.frombuffer(data, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        samples = (ints / float(1 << 23)).astype(np.float32)
    else:
        dtype = np.dtype(fmt)
        values = np.frombuffer(data, dtype=dtype)
        if dtype.kind == "f":
            samples = values.astype(np.float32)
        elif dtype.kind == "u":  # u8: offset binary, 128 is silence
            samples = ((values.astype(np.float32) - 128.0) / 128.0).astype(np.float32)
        else:
            samples = (values.astype(np.float32) / float(2 ** (8 * dtype.itemsize - 1))).astype(np.float32)
    return samples.reshape(-1, channels)


def _check_rate(rate_hz: int, name: str) -> None:
    if not MIN_RATE_HZ <= rate_hz <= MAX_RATE_HZ:
        raise AudioInputError(
            f"{name}: sample rate {rate_hz} Hz is outside the supported {MIN_RATE_HZ}–{MAX_RATE_HZ} Hz",
            hint="convert it first, e.g. `sox in.wav -r 16000 out.wav`",
        )


def _clean(exc: BaseException) -> str:
    text = str(exc).strip().replace("\n", " ")
    return text or type(exc).__name__


def open_audio(
    source: str | Path,
    *,
    rate_hz: int | None = None,
    sample_format: str | None = None,
    channels: int = 1,
    stdin: BinaryIO | None = None,
) -> AudioSource:
    """Open an audio file, or raw PCM on stdin when `source` is "-" (then `rate_hz` and `sample_format` are needed).

    Raises AudioInputError (exit code 66) with a hint when the input cannot be opened.
    """
    if str(source) == "-":
        return _RawStdinSource(stdin if stdin is not None else sys.stdin.buffer, rate_hz=rate_hz,
                               sample_format=sample_format, channels=channels)
    return _FileSource(Path(source))
