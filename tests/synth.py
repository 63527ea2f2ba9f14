"""Small signal synthesiser for tests: pump-like tones, beeps, two-tone bursts, noise, reverberation, mixing.

Everything returns mono float32 at `rate_hz` (default 16 kHz) and is deterministic given a numpy Generator.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import soundfile
from numpy.typing import NDArray
from scipy import signal

RATE_HZ = 16000
Audio = NDArray[np.float32]


def tone(frequency_hz: float, duration_s: float, *, rate_hz: int = RATE_HZ, amplitude: float = 0.5,
         attack_s: float = 0.01, decay_s: float = 0.02, harmonics: Sequence[float] = (),
         phase: float = 0.0, glide_hz: float = 0.0) -> Audio:
    """A tone with linear attack/decay; `harmonics` are relative amplitudes of harmonics 2, 3, ...
    `glide_hz`: the pitch moves steadily from frequency_hz − glide_hz/2 to frequency_hz + glide_hz/2."""
    n = round(duration_s * rate_hz)
    t = np.arange(n) / rate_hz
    # Phase of a linear glide: 2π ∫ f(t) dt with f(t) = f0 − g/2 + g·t/T.
    cycles = frequency_hz * t + glide_hz * (t * t / (2 * max(duration_s, 1e-9)) - t / 2)
    wave = np.sin(2 * np.pi * cycles + phase)
    for k, level in enumerate(harmonics, start=2):
        if k * frequency_hz < rate_hz / 2:
            wave += level * np.sin(2 * np.pi * k * cycles)
    envelope = np.ones(n)
    a, d = int(attack_s * rate_hz), int(decay_s * rate_hz)
    if a:
        envelope[:a] = np.linspace(0, 1, a)
    if d:
        envelope[n - d :] = np.minimum(envelope[n - d :], np.linspace(1, 0, d))
    return (amplitude * wave * envelope).astype(np.float32)


def silence(duration_s: float, *, rate_hz: int = RATE_HZ) -> Audio:
    return np.zeros(round(duration_s * rate_hz), dtype=np.float32)


def sequence(parts: Sequence[Audio]) -> Audio:
    return np.concatenate(parts).astype(np.float32)


def beeps(frequency_hz: float, *, count: int = 1, beep_s: float = 0.25, gap_s: float = 0.25,
          rate_hz: int = RATE_HZ, **tone_args: float) -> Audio:
    parts: list[Audio] = []
    for i in range(count):
        parts.append(tone(frequency_hz, beep_s, rate_hz=rate_hz, **tone_args))  # type: ignore[arg-type]
        if i + 1 < count:
            parts.append(silence(gap_s, rate_hz=rate_hz))
    return sequence(parts)


def two_tone(low_hz: float, high_hz: float, *, tone_s: float = 0.25, gap_s: float = 0.0, burst_s: float = 3.0,
             rate_hz: int = RATE_HZ, start_high: bool = True, **tone_args: float) -> Audio:
    """Alternating high/low tones for `burst_s` seconds (siren-like pump critical alarm)."""
    parts: list[Audio] = []
    total = 0.0
    high = start_high
    while total + tone_s <= burst_s + 1e-9:
        parts.append(tone(high_hz if high else low_hz, tone_s, rate_hz=rate_hz, **tone_args))  # type: ignore[arg-type]
        total += tone_s
        high = not high
        if gap_s and total + gap_s + tone_s <= burst_s + 1e-9:
            parts.append(silence(gap_s, rate_hz=rate_hz))
            total += gap_s
    return sequence(parts)


def place(background: Audio, event: Audio, at_s: float, *, rate_hz: int = RATE_HZ) -> Audio:
    out = background.copy()
    start = round(at_s * rate_hz)
    out[start : start + len(event)] += event[: len(out) - start]
    return out


def white_noise(duration_s: float, rng: np.random.Generator, *, level: float = 0.05,
                rate_hz: int = RATE_HZ) -> Audio:
    return (level * rng.standard_normal(round(duration_s * rate_hz))).astype(np.float32)


def pink_noise(duration_s: float, rng: np.random.Generator, *, level: float = 0.05, rate_hz: int = RATE_HZ) -> Audio:
    n = round(duration_s * rate_hz)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    scale = 1 / np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
    pink = np.fft.irfft(spectrum * scale, n)
    return (level * pink / np.std(pink)).astype(np.float32)


def babble(duration_s: float, rng: np.random.Generator, *, level: float = 0.05, rate_hz: int = RATE_HZ) -> Audio:
    """Speech-like noise: two voices (harmonic glides, spectrum falling ~12 dB/octave like speech) talking in
    syllables with pauses, over a little pink noise."""
    n = round(duration_s * rate_hz)
    t = np.arange(n) / rate_hz
    out = np.zeros(n)
    for _ in range(2):
        f0 = rng.uniform(100, 220) * (1 + 0.15 * np.sin(2 * np.pi * rng.uniform(0.2, 0.7) * t + rng.uniform(0, 6)))
        phase = 2 * np.pi * np.cumsum(f0) / rate_hz
        voice = sum(np.sin(k * phase) / k**2 for k in range(1, 40) if True)
        syllables = np.clip(np.sin(2 * np.pi * rng.uniform(3, 5) * t + rng.uniform(0, 6)) - 0.2, 0, None)
        phrases = (np.sin(2 * np.pi * rng.uniform(0.1, 0.2) * t + rng.uniform(0, 6)) > -0.3).astype(float)
        out += voice * syllables * phrases
    out = out / np.std(out) + 0.3 * pink_noise(duration_s, rng, level=1.0, rate_hz=rate_hz)
    return (level * out / np.std(out)).astype(np.float32)


def lowpass(audio: Audio, cutoff_hz: float, *, rate_hz: int = RATE_HZ) -> Audio:
    """Muffling by skin and clothing."""
    sos = signal.butter(2, cutoff_hz, fs=rate_hz, output="sos")
    return signal.sosfilt(sos, audio).astype(np.float32)


def reverb(audio: Audio, rng: np.random.Generator, *, rt60_s: float = 0.4, rate_hz: int = RATE_HZ) -> Audio:
    """A room: exponentially decaying noise impulse response (plus the direct path)."""
    n = int(rt60_s * rate_hz)
    t = np.arange(n) / rate_hz
    ir = rng.standard_normal(n) * np.exp(-6.9 * t / rt60_s) * 0.3
    ir[0] = 1.0
    wet = signal.fftconvolve(audio, ir)[: len(audio)]
    return (wet * np.sqrt(np.mean(audio**2) / max(np.mean(wet**2), 1e-20))).astype(np.float32)


def mix_at_snr(alarm: Audio, background: Audio, snr_db: float, *, at_s: float = 0.0,
               rate_hz: int = RATE_HZ) -> Audio:
    """Place `alarm` into `background` so alarm power over background power (across the alarm, full band) is
    `snr_db`."""
    start = round(at_s * rate_hz)
    segment = background[start : start + len(alarm)]
    p_alarm = float(np.mean(alarm.astype(np.float64) ** 2))
    p_background = float(np.mean(segment.astype(np.float64) ** 2))
    gain = np.sqrt(p_background / p_alarm * 10 ** (snr_db / 10))
    return place(background, (alarm * gain).astype(np.float32), at_s, rate_hz=rate_hz)


def write_wav(path: Path, audio: Audio, *, rate_hz: int = RATE_HZ, subtype: str = "PCM_16") -> Path:
    soundfile.write(str(path), np.clip(audio, -1, 1) if subtype.startswith("PCM") else audio, rate_hz,
                    subtype=subtype)
    return path
