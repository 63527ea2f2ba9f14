"""Synthetic-alarm, real-background benchmark corpus for monitord (deterministic from a seed).

What is synthetic and what is real
----------------------------------
* The **pump alarms are synthetic**: no public recording or tone data exists (see /work/shared/domain.md), so each
  benchmark "pump" draws its own random signature — frequencies anywhere in 500–4500 Hz, beep lengths, gaps,
  burst lengths, harmonics, attack/decay — so no detector can be tuned to one guess.
  - non-critical: one soft beep or a short sequence (1–3 beeps) at one frequency;
  - critical: two alternating tones, siren-like, in bursts of 1.5–3.5 s (one old manufacturer page mentions "a
    3-second dual-tone alarm"), one or two bursts per sounding.
  Every sounding jitters a little (±0.3 % frequency, ±3 % timing), like a real piezo on a real battery.
* The **path to the microphone is simulated**: a low-pass for skin and clothing (cut-off 1.5–6 kHz), a synthetic
  room impulse response (exponentially decaying noise, RT60 0.2–0.7 s, random direct-to-reverberant ratio), and
  a microphone colouring (high-pass plus two ±4 dB resonances) applied to everything the microphone hears.
* The **backgrounds are real recordings** from Debian packages (music: warzone2100-music, extremetuxracer-data,
  frozen-bubble-data; real noises: extremetuxracer-data slides, tuxpaint-data and the freedesktop/oxygen sound
  themes; applause and giggles for TV-like mixes) plus speech spoken by espeak-ng (GPL text, many voices) and a
  pink-noise/mains-hum room floor. `bench/setup` installs the packages.
* **Distractors** are either real recordings (desktop sounds, game effects, a phone ring) or synthesised to spec:
  smoke alarm T3 (ISO 8201: 0.5 s on / 0.5 s off ×3, 1.5 s off; 3–3.5 kHz), microwave/oven beeps, phone rings
  (North-American 440+480 Hz, UK 400+450 Hz, melodic mobile tones), alarm clocks, emergency-vehicle sirens (hi-lo
  two-tone, wail and yelp sweeps, 400–1500 Hz, with Doppler and a window's muffling), and tones 3–10 % off the
  pump's own frequencies with the pump's own timing.

Layout (under bench/corpus/, gitignored)::

    seed<S>-<mode>/manifest.json           every file, its ground truth, the pumps' true signatures
    seed<S>-<mode>/pump<i>/clinic-critical.wav, clinic-non-critical.wav   (44.1 or 48 kHz, "phone a metre away")
    seed<S>-<mode>/pump<i>/recall-<alarm>-snr<±dd>.flac                   (16 kHz, soundings at one SNR)
    seed<S>-<mode>/pump<i>/background-<j>.flac                            (16 kHz, distractor-rich, no pump alarm)
    seed<S>-<mode>/throughput.wav                                         (16 kHz, one long file)

SNR is broadband: alarm power over background power across the sounding (from the first burst's start to the last
burst's end), both measured at the microphone (after room and microphone colouring), full band.

Run ``python bench/corpus.py --quick`` to build it alone; bench/detection.py builds it when missing.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import glob
import hashlib
import json
import math
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from scipy import fft as sp_fft
from scipy import signal

RATE_HZ = 16_000  # the daemon's internal rate
CORPUS_VERSION = 4  # bump when generation changes, so stale corpora are rebuilt
HERE = Path(__file__).resolve().parent
DEFAULT_ROOT = HERE / "corpus"

ALARMS = ("critical", "non_critical")
SNRS_DB = (-20, -15, -10, -5, 0, 5)


# --------------------------------------------------------------------------------------------------------------
# The pump
# --------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PumpModel:
    """One synthetic pump's true alarm signatures (what enrollment should learn)."""

    name: str
    beep_hz: float
    beep_s: float
    beep_count: int
    beep_gap_s: float
    tone_low_hz: float
    tone_high_hz: float
    tone_segment_s: float
    burst_s: float
    burst_count: int
    burst_gap_s: float
    harmonics: tuple[float, ...]  # relative amplitudes of harmonics 2, 3, 4, 5 (piezo: odd ones strong)
    attack_s: float
    decay_s: float
    critical_starts_high: bool

    @classmethod
    def random(cls, rng: np.random.Generator, name: str) -> PumpModel:
        ratio = rng.uniform(1.12, 1.6)
        low = rng.uniform(500.0, 4500.0 / ratio)
        return cls(
            name=name,
            beep_hz=round(float(rng.uniform(500.0, 4500.0)), 1),
            beep_s=round(float(rng.uniform(0.08, 0.5)), 3),
            beep_count=int(rng.choice([1, 1, 2, 3])),
            beep_gap_s=round(float(rng.uniform(0.1, 0.4)), 3),
            tone_low_hz=round(float(low), 1),
            tone_high_hz=round(float(low * ratio), 1),
            tone_segment_s=round(float(rng.uniform(0.12, 0.5)), 3),
            burst_s=round(float(rng.uniform(1.5, 3.5)), 3),
            burst_count=int(rng.choice([1, 2])),
            burst_gap_s=round(float(rng.uniform(0.5, 1.5)), 3),
            harmonics=(
                round(float(rng.uniform(0.0, 0.3)), 3),
                round(float(rng.uniform(0.05, 0.5)), 3),
                round(float(rng.uniform(0.0, 0.15)), 3),
                round(float(rng.uniform(0.0, 0.25)), 3),
            ),
            attack_s=round(float(rng.uniform(0.002, 0.015)), 4),
            decay_s=round(float(rng.uniform(0.005, 0.04)), 4),
            critical_starts_high=bool(rng.integers(0, 2)),
        )


@dataclass
class Rendered:
    """A rendered sound and the intervals (seconds from its start) where it actually sounds."""

    audio: np.ndarray
    parts: list[tuple[float, float]]

    @property
    def span(self) -> tuple[float, float]:
        return self.parts[0][0], self.parts[-1][1]


def _envelope(n: int, fs: int, attack_s: float, decay_s: float) -> np.ndarray:
    env = np.ones(n)
    a = min(n // 2, max(1, int(attack_s * fs)))
    d = min(n // 2, max(1, int(decay_s * fs)))
    env[:a] = 0.5 - 0.5 * np.cos(np.linspace(0.0, math.pi, a))
    env[n - d:] = 0.5 + 0.5 * np.cos(np.linspace(0.0, math.pi, d))
    return env


def _tone_track(freqs_hz: np.ndarray, fs: int, harmonics: tuple[float, ...], rng: np.random.Generator) -> np.ndarray:
    """Phase-continuous tone following an instantaneous-frequency track, with harmonics below 0.45 fs."""
    phase = 2.0 * math.pi * np.cumsum(freqs_hz) / fs + rng.uniform(0, 2 * math.pi)
    out = np.sin(phase)
    top = float(np.max(freqs_hz)) if freqs_hz.size else 0.0
    for k, amp in enumerate(harmonics, start=2):
        if amp > 0 and k * top < 0.45 * fs:
            out += amp * np.sin(k * phase)
    return out


def _segments_audio(
    segments: list[tuple[float, float, float]],
    fs: int,
    harmonics: tuple[float, ...],
    attack_s: float,
    decay_s: float,
    rng: np.random.Generator,
    crossfade_s: float = 0.0015,
) -> Rendered:
    """Segments (start_s, duration_s, freq_hz). Adjacent segments (no gap) form one phase-continuous burst."""
    end = max(s + d for s, d, _ in segments)
    n = math.ceil(end * fs) + 1
    audio = np.zeros(n)
    bursts: list[list[tuple[float, float, float]]] = []
    for seg in sorted(segments):
        if bursts and abs(bursts[-1][-1][0] + bursts[-1][-1][1] - seg[0]) < 1e-6:
            bursts[-1].append(seg)
        else:
            bursts.append([seg])
    parts = []
    for burst in bursts:
        b0 = burst[0][0]
        b1 = burst[-1][0] + burst[-1][1]
        i0, i1 = round(b0 * fs), round(b1 * fs)
        freqs = np.empty(i1 - i0)
        for s, d, f in burst:
            j0, j1 = round(s * fs) - i0, round((s + d) * fs) - i0
            freqs[j0:j1] = f
        # A piezo does not jump in frequency instantly: a short glide between alternating tones.
        k = max(1, int(crossfade_s * fs))
        freqs = np.convolve(np.pad(freqs, (k // 2, k - 1 - k // 2), mode="edge"), np.ones(k) / k, mode="valid")
        tone = _tone_track(freqs, fs, harmonics, rng) * _envelope(i1 - i0, fs, attack_s, decay_s)
        audio[i0:i1] += tone
        parts.append((i0 / fs, i1 / fs))
    return Rendered(audio, parts)


def render_alarm(pump: PumpModel, alarm: str, fs: int, rng: np.random.Generator) -> Rendered:
    """One sounding of the pump's alarm, dry (before body, room and microphone)."""
    jitter_f = 1.0 + rng.uniform(-0.003, 0.003)

    def jt(x: float) -> float:
        return x * (1.0 + rng.uniform(-0.03, 0.03))

    segments: list[tuple[float, float, float]] = []
    t = 0.0
    if alarm == "non_critical":
        for i in range(pump.beep_count):
            d = jt(pump.beep_s)
            segments.append((t, d, pump.beep_hz * jitter_f))
            t += d + (jt(pump.beep_gap_s) if i < pump.beep_count - 1 else 0.0)
    elif alarm == "critical":
        tones = [pump.tone_high_hz, pump.tone_low_hz] if pump.critical_starts_high else [pump.tone_low_hz,
                                                                                           pump.tone_high_hz]
        for b in range(pump.burst_count):
            burst_end = t + jt(pump.burst_s)
            i = 0
            while t < burst_end - 1e-9:
                d = min(jt(pump.tone_segment_s), burst_end - t)
                segments.append((t, d, tones[i % 2] * jitter_f))
                t += d
                i += 1
            if b < pump.burst_count - 1:
                t += jt(pump.burst_gap_s)
    else:
        raise ValueError(alarm)
    return _segments_audio(segments, fs, pump.harmonics, pump.attack_s, pump.decay_s, rng)


# --------------------------------------------------------------------------------------------------------------
# The path: body, room, microphone
# --------------------------------------------------------------------------------------------------------------

def muffle(x: np.ndarray, fs: int, cutoff_hz: float) -> np.ndarray:
    """Skin and clothing: a gentle (2nd-order) low-pass."""
    sos = signal.butter(2, min(cutoff_hz, 0.45 * fs), btype="low", fs=fs, output="sos")
    return np.asarray(signal.sosfilt(sos, x))


def synthetic_rir(fs: int, rng: np.random.Generator, rt60_s: float, drr_db: float) -> np.ndarray:
    """Direct path + exponentially decaying noise tail (a small room's statistical reverberation)."""
    n = int(rt60_s * fs)
    t = np.arange(n) / fs
    predelay = int(rng.uniform(0.003, 0.012) * fs)
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60_s)  # -60 dB at rt60
    tail[:predelay] = 0.0
    # Walls absorb high frequencies faster than low ones: darken the tail.
    tail = np.asarray(signal.sosfilt(signal.butter(1, 4000, fs=fs, output="sos"), tail))
    tail *= 10 ** (-drr_db / 20) / max(1e-12, float(np.sqrt(np.sum(tail**2))))
    tail[0] = 1.0
    return tail


def reverberate(x: np.ndarray, rir: np.ndarray) -> np.ndarray:
    return np.asarray(signal.oaconvolve(x, rir)[: x.size])


def _peaking(fs: int, f0: float, gain_db: float, q: float) -> np.ndarray:
    """RBJ audio-EQ-cookbook peaking biquad, as one SOS row."""
    a = 10 ** (gain_db / 40)
    w0 = 2 * math.pi * f0 / fs
    alpha = math.sin(w0) / (2 * q)
    b = [1 + alpha * a, -2 * math.cos(w0), 1 - alpha * a]
    den = [1 + alpha / a, -2 * math.cos(w0), 1 - alpha / a]
    return np.array([[b[0] / den[0], b[1] / den[0], b[2] / den[0], 1.0, den[1] / den[0], den[2] / den[0]]])


@dataclass(frozen=True)
class Mic:
    highpass_hz: float
    peaks: tuple[tuple[float, float, float], ...]  # (f0, gain_db, q)

    @classmethod
    def random(cls, rng: np.random.Generator, phone: bool = False) -> Mic:
        hp = rng.uniform(150, 300) if phone else rng.uniform(60, 200)
        peaks = tuple((float(rng.uniform(800, 6000)), float(rng.uniform(-4, 4)), float(rng.uniform(0.7, 2.5)))
                      for _ in range(2))
        return cls(float(hp), peaks)

    def sos(self, fs: int) -> np.ndarray:
        rows = [signal.butter(2, self.highpass_hz, btype="high", fs=fs, output="sos")]
        rows += [_peaking(fs, f0, g, q) for f0, g, q in self.peaks if f0 < 0.45 * fs]
        return np.vstack(rows)

    def apply(self, x: np.ndarray, fs: int) -> np.ndarray:
        return np.asarray(signal.sosfilt(self.sos(fs), x))


@dataclass(frozen=True)
class Room:
    rt60_s: float
    drr_db: float
    muffle_hz: float
    mic: Mic
    seed: int

    @classmethod
    def random(cls, rng: np.random.Generator, phone: bool = False) -> Room:
        return cls(
            rt60_s=float(rng.uniform(0.2, 0.7)),
            drr_db=float(rng.uniform(-3, 6)),
            muffle_hz=float(rng.uniform(1500, 6000)),
            mic=Mic.random(rng, phone),
            seed=int(rng.integers(2**31)),
        )

    def rir(self, fs: int, salt: int = 0) -> np.ndarray:
        return synthetic_rir(fs, np.random.default_rng([self.seed, salt]), self.rt60_s, self.drr_db)


# --------------------------------------------------------------------------------------------------------------
# Real recordings (Debian packages) and espeak-ng speech
# --------------------------------------------------------------------------------------------------------------

MUSIC_GLOBS = (
    "/usr/share/games/warzone2100/music/albums/*/*.opus",
    "/usr/share/games/etr/music/*.ogg",
    "/usr/share/games/frozen-bubble/snd/*zik*.ogg",
)
NOISE_GLOBS = ("/usr/share/games/etr/sounds/*_slide.wav", "/usr/share/games/etr/sounds/*wind*.wav")
DESKTOP_GLOBS = ("/usr/share/sounds/freedesktop/stereo/*.oga", "/usr/share/sounds/Oxygen-*.ogg")
GAME_SFX_GLOBS = (
    "/usr/share/tuxpaint/sounds/*.wav",
    "/usr/share/games/frozen-bubble/snd/*.ogg",
    "/usr/share/games/etr/sounds/*.wav",
)
LAUGHTER_FILES = (
    "/usr/share/games/frozen-bubble/snd/applause.ogg",
    "/usr/share/tuxpaint/sounds/giggle.wav",
)
PHONE_RING_FILES = ("/usr/share/sounds/Oxygen-Im-Phone-Ring.ogg",)
ALARM_CLOCK_FILES = ("/usr/share/sounds/freedesktop/stereo/alarm-clock-elapsed.oga",)
SPEECH_TEXT = "/usr/share/common-licenses/GPL-3"
VOICES = ("en", "en-us", "en-gb-scotland", "en-gb-x-rp", "en+f3", "en+m3", "en-us+f2", "en+m7", "de", "fr", "es")


def _glob(patterns: tuple[str, ...]) -> list[str]:
    files = sorted({f for p in patterns for f in glob.glob(p)})
    return [f for f in files if os.path.getsize(f) > 2000]


def _to_mono_rate(x: np.ndarray, src_hz: int, fs: int) -> np.ndarray:
    if x.ndim > 1:
        x = x.mean(axis=1)
    if src_hz != fs:
        g = math.gcd(src_hz, fs)
        x = signal.resample_poly(x, fs // g, src_hz // g)
    return np.asarray(x, dtype=np.float64)


def decode(path: str, fs: int) -> np.ndarray:
    x, sr = sf.read(path, dtype="float32", always_2d=True)
    return _to_mono_rate(x, sr, fs)


@functools.lru_cache(maxsize=256)
def load_whole(path: str, fs: int) -> np.ndarray:
    """A short recording (effects, utterances), kept in memory: callers must not modify it."""
    return decode(path, fs)


def read_segment(lib: SourceLibrary, path: str, fs: int, seconds: float, rng: np.random.Generator) -> np.ndarray:
    """A random `seconds`-long excerpt of a (long) recording, mono at fs. Long recordings are decoded once into a
    16 kHz int16 cache (decoding Opus/Vorbis from a random offset dominated the build time)."""
    n = int(seconds * fs)
    whole = lib.decoded(path, fs)
    if whole.shape[0] <= n:
        reps = math.ceil(n / max(1, whole.shape[0]))
        return np.tile(np.asarray(whole, dtype=np.float64) / 32768.0, reps)[:n]
    start = int(rng.integers(0, whole.shape[0] - n))
    return np.asarray(whole[start:start + n], dtype=np.float64) / 32768.0


class SourceLibrary:
    """Where the real sounds are; speech is made once with espeak-ng and cached."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self.music = _glob(MUSIC_GLOBS)
        self.noise = _glob(NOISE_GLOBS)
        self.desktop = _glob(DESKTOP_GLOBS)
        self.game_sfx = _glob(GAME_SFX_GLOBS)
        self.laughter = [f for f in LAUGHTER_FILES if os.path.exists(f)]
        self.phone_ring = [f for f in PHONE_RING_FILES if os.path.exists(f)]
        self.alarm_clock = [f for f in ALARM_CLOCK_FILES if os.path.exists(f)]
        self.speech = make_speech(cache / "speech")
        missing = [n for n in ("music", "noise", "desktop", "game_sfx", "laughter", "speech") if not getattr(self, n)]
        if missing:
            raise SystemExit(f"corpus: missing real recordings for {missing}; run bench/setup (installs the "
                             "Debian sound packages) first")

    def decoded(self, path: str, fs: int) -> np.ndarray:
        """The whole recording, mono, at fs, as int16 (memory-mapped from the cache)."""
        key = hashlib.sha256(f"{path}:{os.path.getsize(path)}:{fs}".encode()).hexdigest()[:16]
        cached = self.cache / "decoded" / f"{Path(path).stem}-{key}.npy"
        if not cached.exists():
            x = decode(path, fs)
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_name(f"{cached.stem}.{os.getpid()}.tmp.npy")
            np.save(tmp, np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16))
            os.replace(tmp, cached)
        return np.load(cached, mmap_mode="r")

    def describe(self) -> dict[str, int]:
        return {k: len(v) for k, v in vars(self).items() if isinstance(v, list)}


def make_speech(out: Path, utterances: int = 48) -> list[str]:
    """Spoken sentences (GPL-3 text, many espeak-ng voices, speeds and pitches). Deterministic; cached."""
    out.mkdir(parents=True, exist_ok=True)
    done = sorted(str(p) for p in out.glob("utt*.wav"))
    if len(done) >= utterances:
        return done[:utterances]
    if not shutil.which("espeak-ng") or not os.path.exists(SPEECH_TEXT):
        return done
    words = Path(SPEECH_TEXT).read_text(encoding="utf-8", errors="replace").split()
    rng = np.random.default_rng(1234)
    files = []
    for i in range(utterances):
        start = int(rng.integers(0, len(words) - 80))
        text = " ".join(words[start:start + int(rng.integers(25, 70))])
        path = out / f"utt{i:03d}.wav"
        if not path.exists():
            voice = VOICES[i % len(VOICES)]
            subprocess.run(
                ["espeak-ng", "-v", voice, "-s", str(int(rng.integers(130, 200))), "-p", str(int(rng.integers(25, 75))),
                 "-w", str(path), text],
                check=True, capture_output=True,
            )
        files.append(str(path))
    return files


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    m = sp_fft.next_fast_len(n, real=True)  # an awkward n makes the FFT crawl
    spec = sp_fft.rfft(rng.standard_normal(m))
    f = np.arange(spec.size)
    spec[1:] /= np.sqrt(f[1:])
    spec[0] = 0
    x = sp_fft.irfft(spec, m)[:n]
    return np.asarray(x / (np.std(x) + 1e-12))


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x)) + 1e-20))


def db(x: float) -> float:
    return 20 * math.log10(max(x, 1e-12))


def room_floor(n: int, fs: int, rng: np.random.Generator) -> np.ndarray:
    """A quiet room: pink noise plus faint mains hum and a fridge compressor (normalised to rms 1)."""
    t = np.arange(n) / fs
    mains = rng.choice([50.0, 60.0])
    hum = sum(rng.uniform(0.05, 0.3) / k * np.sin(2 * math.pi * mains * k * t + rng.uniform(0, 6)) for k in (1, 2, 3))
    x = pink_noise(n, rng) + hum
    return x / rms(x)


# --------------------------------------------------------------------------------------------------------------
# Backgrounds
# --------------------------------------------------------------------------------------------------------------

BACKGROUND_KINDS = ("music", "speech", "tv", "noise", "quiet_room")


def _place(dst: np.ndarray, src: np.ndarray, at: int) -> None:
    if at >= dst.size:
        return
    m = min(src.size, dst.size - at)
    dst[at:at + m] += src[:m]


def speech_stream(lib: SourceLibrary, n: int, fs: int, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros(n)
    at = int(rng.uniform(0, 1.5) * fs)
    while at < n:
        utt = load_whole(lib.speech[int(rng.integers(len(lib.speech)))], fs)
        utt = utt / rms(utt) * 10 ** (rng.uniform(-4, 4) / 20)
        _place(out, utt, at)
        at += utt.size + int(rng.uniform(0.2, 2.0) * fs)
    return out


def background(kind: str, lib: SourceLibrary, seconds: float, fs: int, rng: np.random.Generator) -> np.ndarray:
    """A background stream of `kind`, dry (the room is applied by the caller), rms ≈ 1."""
    n = int(seconds * fs)
    if kind == "music":
        # Several pieces back to back, as a playlist would.
        out = np.zeros(n)
        at = 0
        while at < n:
            piece = read_segment(lib, lib.music[int(rng.integers(len(lib.music)))], fs, rng.uniform(60, 240), rng)
            piece = piece / rms(piece)
            _place(out, piece, at)
            at += piece.size
        x = out
    elif kind == "speech":
        x = speech_stream(lib, n, fs, rng)
    elif kind == "tv":
        # TV-like: dialogue over a music bed, with bursts of applause/laughter.
        x = speech_stream(lib, n, fs, rng)
        x = x / rms(x)
        bed = read_segment(lib, lib.music[int(rng.integers(len(lib.music)))], fs, seconds, rng)
        x += bed / rms(bed) * 10 ** (rng.uniform(-18, -6) / 20)
        at = int(rng.uniform(5, 30) * fs)
        while at < n:
            laugh = load_whole(lib.laughter[int(rng.integers(len(lib.laughter)))], fs)
            _place(x, np.tile(laugh, int(rng.integers(1, 4))) / rms(laugh) * rng.uniform(0.3, 1.0), at)
            at += int(rng.uniform(15, 60) * fs)
    elif kind == "noise":
        # Real recorded broadband noises (extremetuxracer's slides: gravel, leaves, ice) looped and crossfaded,
        # like a washing machine, rain or a fan.
        out = np.zeros(n)
        at = 0
        while at < n:
            piece = load_whole(lib.noise[int(rng.integers(len(lib.noise)))], fs)
            piece = np.tile(piece, math.ceil(rng.uniform(5, 30) * fs / max(1, piece.size)))
            piece = piece / rms(piece) * _envelope(piece.size, fs, 0.3, 0.3)
            _place(out, piece, at)
            at += piece.size - int(0.3 * fs)
        x = out + 0.1 * pink_noise(n, rng)
    elif kind == "quiet_room":
        x = room_floor(n, fs, rng)
    else:
        raise ValueError(kind)
    x = np.asarray(x)
    return x / rms(x)


# --------------------------------------------------------------------------------------------------------------
# Distractors
# --------------------------------------------------------------------------------------------------------------

def _beeps(pattern: list[tuple[float, float]], f_hz: float | list[float], fs: int, rng: np.random.Generator,
           harmonics: tuple[float, ...] = (0.0, 0.3, 0.0, 0.15)) -> Rendered:
    """(on_s, off_s) pattern; f_hz may be a list (dual-tone: summed)."""
    freqs = f_hz if isinstance(f_hz, list) else [f_hz]
    segs: list[tuple[float, float, float]] = []
    t = 0.0
    for on, off in pattern:
        segs.append((t, on, 0.0))
        t += on + off
    total = None
    for f in freqs:
        r = _segments_audio([(s, d, f) for s, d, _ in segs], fs, harmonics, 0.003, 0.008, rng, crossfade_s=0.0)
        if total is None:
            total = r
        else:
            m = min(total.audio.size, r.audio.size)
            total.audio[:m] += r.audio[:m]
    assert total is not None
    return total


def smoke_t3(fs: int, rng: np.random.Generator) -> Rendered:
    f = rng.uniform(3000, 3500)
    cycle = [(0.5, 0.5), (0.5, 0.5), (0.5, 1.5)]
    return _beeps(cycle * int(rng.integers(2, 5)), f, fs, rng, harmonics=(0.1, 0.4, 0.0, 0.2))


def microwave(fs: int, rng: np.random.Generator) -> Rendered:
    f = rng.uniform(1800, 4000)
    k = int(rng.integers(1, 6))
    on = rng.uniform(0.15, 1.0)
    return _beeps([(on, rng.uniform(0.2, 0.6))] * k, f, fs, rng)


def oven_timer(fs: int, rng: np.random.Generator) -> Rendered:
    f = rng.uniform(2000, 4200)
    group = [(0.1, 0.1)] * 3 + [(0.1, 0.6)]
    return _beeps(group * int(rng.integers(3, 10)), f, fs, rng)


def alarm_clock(fs: int, rng: np.random.Generator) -> Rendered:
    f = rng.uniform(2000, 4000)
    beep = rng.uniform(0.05, 0.1)
    group = [(beep, beep)] * 3 + [(beep, 1.0 - 7 * beep)]
    return _beeps(group * int(rng.integers(5, 16)), f, fs, rng)


def phone_ring(fs: int, rng: np.random.Generator) -> Rendered:
    style = int(rng.integers(0, 3))
    if style == 0:  # North American: 440+480 Hz, 2 s on, 4 s off
        return _beeps([(2.0, 4.0)] * int(rng.integers(2, 5)), [440.0, 480.0], fs, rng, harmonics=())
    if style == 1:  # UK: 400+450 Hz, 0.4 on 0.2 off 0.4 on 2.0 off
        return _beeps([(0.4, 0.2), (0.4, 2.0)] * int(rng.integers(2, 6)), [400.0, 450.0], fs, rng, harmonics=())
    # Mobile: a short melody of random notes with harmonics, repeated.
    notes = [440.0 * 2 ** (int(rng.integers(0, 24)) / 12) for _ in range(int(rng.integers(4, 9)))]
    segs = []
    t = 0.0
    for _ in range(int(rng.integers(2, 5))):
        for f in notes:
            d = float(rng.choice([0.12, 0.25]))
            segs.append((t, d * 0.9, f))
            t += d
        t += 0.8
    return _segments_audio(segs, fs, (0.4, 0.2, 0.1, 0.05), 0.005, 0.05, rng)


def _sweep(track_hz: np.ndarray, fs: int, rng: np.random.Generator, distance_lp_hz: float) -> Rendered:
    x = _tone_track(track_hz, fs, (0.25, 0.3, 0.1, 0.1), rng) * _envelope(track_hz.size, fs, 1.0, 1.0)
    # Passing vehicle: Doppler (±3 %), loudness rising then falling, heard through a window.
    n = track_hz.size
    x *= np.hanning(n) ** 0.5 + 0.05
    x = muffle(x, fs, distance_lp_hz)
    return Rendered(x, [(0.0, n / fs)])


def _doppler(n: int, fs: int, rng: np.random.Generator) -> np.ndarray:
    shift = rng.uniform(0.01, 0.03)
    return 1 + shift * np.tanh((n / 2 - np.arange(n)) / (rng.uniform(1, 4) * fs))


def siren_hilo(fs: int, rng: np.random.Generator) -> Rendered:
    lo = rng.uniform(400, 700)
    hi = lo * rng.uniform(1.2, 1.45)
    seg = rng.uniform(0.4, 0.8)
    dur = rng.uniform(8, 30)
    n = int(dur * fs)
    t = np.arange(n) / fs
    track = np.where((t // seg) % 2 == 0, hi, lo) * _doppler(n, fs, rng)
    return _sweep(track, fs, rng, rng.uniform(1500, 4000))


def siren_wail(fs: int, rng: np.random.Generator) -> Rendered:
    lo, hi = rng.uniform(400, 700), rng.uniform(1100, 1500)
    period = rng.uniform(3, 6)
    n = int(rng.uniform(8, 30) * fs)
    t = np.arange(n) / fs
    track = lo + (hi - lo) * (0.5 - 0.5 * np.cos(2 * math.pi * t / period))
    return _sweep(track * _doppler(n, fs, rng), fs, rng, rng.uniform(1500, 4000))


def siren_yelp(fs: int, rng: np.random.Generator) -> Rendered:
    lo, hi = rng.uniform(500, 800), rng.uniform(1200, 1500)
    period = rng.uniform(0.2, 0.4)
    n = int(rng.uniform(5, 20) * fs)
    t = np.arange(n) / fs
    track = lo + (hi - lo) * ((t / period) % 1.0)
    return _sweep(track * _doppler(n, fs, rng), fs, rng, rng.uniform(1500, 4000))


def near_pump(pump: PumpModel, alarm: str, fs: int, rng: np.random.Generator) -> Rendered:
    """Another device that sounds like the pump, but 3–10 % off its frequencies (pump-like timing)."""
    def off() -> float:
        return float(1 + rng.choice([-1, 1]) * rng.uniform(0.03, 0.10))
    fake = dataclasses.replace(
        pump, beep_hz=pump.beep_hz * off(), tone_low_hz=pump.tone_low_hz * off(), tone_high_hz=pump.tone_high_hz * off()
    )
    return render_alarm(fake, alarm, fs, rng)


def recorded(files: list[str], fs: int, rng: np.random.Generator, repeat: tuple[int, int] = (1, 3)) -> Rendered:
    x = load_whole(files[int(rng.integers(len(files)))], fs)
    k = int(rng.integers(repeat[0], repeat[1] + 1))
    gap = np.zeros(int(rng.uniform(0.3, 1.5) * fs))
    x = np.concatenate([np.concatenate([x, gap]) for _ in range(k)])
    return Rendered(x / rms(x), [(0.0, x.size / fs)])


def speech_nearby(lib: SourceLibrary, fs: int, rng: np.random.Generator) -> Rendered:
    x = load_whole(lib.speech[int(rng.integers(len(lib.speech)))], fs)
    return Rendered(x, [(0.0, x.size / fs)])


DISTRACTOR_KINDS = (
    "smoke_t3", "microwave", "oven_timer", "alarm_clock", "phone_ring", "siren_hilo", "siren_wail", "siren_yelp",
    "near_non_critical", "near_critical", "desktop_sound", "game_sfx", "laughter", "speech_nearby",
    "phone_ring_recorded", "alarm_clock_recorded",
)
SIREN_KINDS = ("siren_hilo", "siren_wail", "siren_yelp")


def make_distractor(kind: str, pump: PumpModel, lib: SourceLibrary, fs: int, rng: np.random.Generator) -> Rendered:
    makers: dict[str, Callable[[], Rendered]] = {
        "smoke_t3": lambda: smoke_t3(fs, rng),
        "microwave": lambda: microwave(fs, rng),
        "oven_timer": lambda: oven_timer(fs, rng),
        "alarm_clock": lambda: alarm_clock(fs, rng),
        "phone_ring": lambda: phone_ring(fs, rng),
        "siren_hilo": lambda: siren_hilo(fs, rng),
        "siren_wail": lambda: siren_wail(fs, rng),
        "siren_yelp": lambda: siren_yelp(fs, rng),
        "near_non_critical": lambda: near_pump(pump, "non_critical", fs, rng),
        "near_critical": lambda: near_pump(pump, "critical", fs, rng),
        "desktop_sound": lambda: recorded(lib.desktop, fs, rng),
        "game_sfx": lambda: recorded(lib.game_sfx, fs, rng),
        "laughter": lambda: recorded(lib.laughter, fs, rng),
        "speech_nearby": lambda: speech_nearby(lib, fs, rng),
        "phone_ring_recorded": lambda: recorded(lib.phone_ring or lib.desktop, fs, rng, (2, 4)),
        "alarm_clock_recorded": lambda: recorded(lib.alarm_clock or lib.desktop, fs, rng, (2, 5)),
    }
    return makers[kind]()


# --------------------------------------------------------------------------------------------------------------
# Mixing
# --------------------------------------------------------------------------------------------------------------

@dataclass
class Event:
    kind: str  # "critical" / "non_critical" for the pump, else a distractor kind
    start: float
    end: float
    snr_db: float
    parts: list[tuple[float, float]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "start": round(self.start, 4), "end": round(self.end, 4),
                "snr_db": round(self.snr_db, 2), "parts": [[round(a, 4), round(b, 4)] for a, b in self.parts]}


def in_room(x: np.ndarray, fs: int, room: Room, salt: int, body: bool) -> np.ndarray:
    """Dry source → (body low-pass) → room → microphone."""
    if body:
        x = muffle(x, fs, room.muffle_hz)
    x = reverberate(x, room.rir(fs, salt))
    return room.mic.apply(x, fs)


def add_at_snr(mix: np.ndarray, bg: np.ndarray, src: np.ndarray, at: int, span: tuple[int, int],
               snr_db: float) -> None:
    """Add `src` (already through the room and mic) at sample `at`, scaled so that over `span` (samples of src)
    its power is `snr_db` above the background's power over the same samples."""
    s0, s1 = span
    ref = bg[at + s0: at + s1]
    gain = rms(ref) / rms(src[s0:s1]) * 10 ** (snr_db / 20)
    _place(mix, src * gain, at)


def write_audio(path: Path, x: np.ndarray, fs: int) -> None:
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak > 0.99:
        raise ValueError(f"{path}: would clip (peak {peak:.2f})")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fmt = "FLAC" if path.suffix == ".flac" else "WAV"
    sf.write(str(tmp), x.astype(np.float32), fs, subtype="PCM_16", format=fmt)
    os.replace(tmp, path)


def _level(x: np.ndarray, target_dbfs: float, peak_max: float = 0.9) -> float:
    """Gain putting x at target rms dBFS, reduced if the peak would exceed peak_max."""
    g = 10 ** (target_dbfs / 20) / rms(x)
    peak = float(np.max(np.abs(x))) * g
    return g * min(1.0, peak_max / peak) if peak > 0 else g


def recall_file(pump: PumpModel, alarm: str, snr_db: float, soundings: int, lib: SourceLibrary,
                rng: np.random.Generator, fs: int = RATE_HZ) -> tuple[np.ndarray, list[Event], dict[str, Any]]:
    """Background (one kind) with `soundings` pump alarms at one SNR, 14–22 s apart; first after ≥ 8 s."""
    bg_kind = str(rng.choice(BACKGROUND_KINDS))
    room = Room.random(rng)
    clips = [render_alarm(pump, alarm, fs, rng) for _ in range(soundings)]
    starts = []
    t = rng.uniform(8, 12)
    for c in clips:
        starts.append(t)
        t += c.audio.size / fs + rng.uniform(10, 16)
    seconds = t + 4
    bg = in_room(background(bg_kind, lib, seconds, fs, rng), fs, room, 1, body=False)
    bg += 0.003 * room.mic.apply(room_floor(bg.size, fs, rng), fs)  # mic self-noise + room floor, never silent
    mix = bg.copy()
    events = []
    for i, (c, st) in enumerate(zip(clips, starts, strict=True)):
        wet = in_room(np.concatenate([c.audio, np.zeros(int(room.rt60_s * fs))]), fs, room, 100 + i, body=True)
        a, b = c.span
        at = int(st * fs)
        add_at_snr(mix, bg, wet, at, (int(a * fs), int(b * fs)), snr_db)
        events.append(Event(alarm, st + a, st + b, snr_db, [(st + p0, st + p1) for p0, p1 in c.parts]))
    g = _level(mix, rng.uniform(-38, -22))
    return mix * g, events, {"background": bg_kind, "room": dataclasses.asdict(room)}


def background_file(pump: PumpModel, minutes: float, lib: SourceLibrary, rng: np.random.Generator,
                    fs: int = RATE_HZ) -> tuple[np.ndarray, list[Event], dict[str, Any]]:
    """Distractor-rich household audio with NO pump alarm: background kinds change every 1–4 min, a distractor
    every 5–25 s, each at +0…+20 dB over the background (pump look-alikes at −10…+5 dB, like the pump)."""
    seconds = minutes * 60
    n = int(seconds * fs)
    room = Room.random(rng)
    bg = np.zeros(n)
    spans = []
    at = 0
    while at < n:
        kind = str(rng.choice(BACKGROUND_KINDS))
        dur = int(rng.uniform(60, 240) * fs)
        piece = background(kind, lib, (dur + fs) / fs, fs, rng)[:dur]
        piece *= _envelope(piece.size, fs, 0.5, 0.5) * 10 ** (rng.uniform(-6, 6) / 20)
        _place(bg, piece, at)
        spans.append((kind, at / fs, min(n, at + dur) / fs))
        at += dur
    bg = in_room(bg, fs, room, 1, body=False)
    bg += 0.003 * room.mic.apply(room_floor(n, fs, rng), fs)
    mix = bg.copy()
    events = []
    t = rng.uniform(5, 20)
    i = 0
    while True:
        kind = str(rng.choice(DISTRACTOR_KINDS))
        d = make_distractor(kind, pump, lib, fs, rng)
        if (t * fs) + d.audio.size >= n - fs:
            break
        near = kind.startswith("near_")
        wet = in_room(d.audio, fs, room, 1000 + i, body=near)
        snr = float(rng.uniform(-10, 5) if near else rng.uniform(0, 20))
        a, b = d.span
        add_at_snr(mix, bg, wet, int(t * fs), (int(a * fs), max(int(a * fs) + 1, int(b * fs))), snr)
        events.append(Event(kind, t + a, t + b + 0.3, snr, [(t + p0, t + p1) for p0, p1 in d.parts]))
        t += d.audio.size / fs + rng.uniform(5, 25)
        i += 1
    g = _level(mix, rng.uniform(-36, -22))
    return mix * g, events, {"backgrounds": [[k, round(a, 2), round(b, 2)] for k, a, b in spans],
                             "room": dataclasses.asdict(room)}


def clinic_recording(pump: PumpModel, alarm: str, soundings: int, lib: SourceLibrary, rng: np.random.Generator,
                     fs: int, snr_db: tuple[float, float] = (10, 20), gap_s: tuple[float, float] = (3, 6),
                     lead_s: tuple[float, float] = (2, 4)) -> tuple[np.ndarray, list[Event]]:
    """The nurse demonstrates the alarm; a phone a metre away records it: clinic room noise (ventilation, distant
    voices), reverberation, a phone microphone (strong high-pass, resonances). The pump is held against the
    programmer head, not under clothes: a milder body low-pass."""
    room = Room.random(rng, phone=True)
    room = dataclasses.replace(room, muffle_hz=float(rng.uniform(4000, 8000)))
    clips = [render_alarm(pump, alarm, fs, rng) for _ in range(soundings)]
    starts = []
    t = rng.uniform(*lead_s)
    for c in clips:
        starts.append(t)
        t += c.audio.size / fs + rng.uniform(*gap_s)
    n = int((t + 1.5) * fs)
    floor = room_floor(n, fs, rng)
    voices = speech_stream(lib, n, fs, rng)
    bg = in_room(floor + 0.3 * voices / rms(voices), fs, room, 1, body=False)
    mix = bg.copy()
    events = []
    for i, (c, st) in enumerate(zip(clips, starts, strict=True)):
        wet = in_room(np.concatenate([c.audio, np.zeros(int(room.rt60_s * fs))]), fs, room, 100 + i, body=True)
        a, b = c.span
        snr = float(rng.uniform(*snr_db))
        add_at_snr(mix, bg, wet, int(st * fs), (int(a * fs), int(b * fs)), snr)
        events.append(Event(alarm, st + a, st + b, snr, [(st + p0, st + p1) for p0, p1 in c.parts]))
    return mix * _level(mix, rng.uniform(-30, -20)), events


# --------------------------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CorpusSpec:
    mode: str
    seed: int
    pumps: int
    soundings_per_snr: int
    background_minutes_per_pump: float
    background_file_minutes: float
    throughput_minutes: float

    @classmethod
    def for_mode(cls, mode: str, seed: int) -> CorpusSpec:
        if mode == "quick":
            return cls(mode, seed, pumps=3, soundings_per_snr=8, background_minutes_per_pump=40,
                       background_file_minutes=10, throughput_minutes=30)
        if mode == "full":
            return cls(mode, seed, pumps=8, soundings_per_snr=12, background_minutes_per_pump=45,
                       background_file_minutes=15, throughput_minutes=60)
        raise ValueError(mode)

    def key(self) -> str:
        blob = json.dumps(dataclasses.asdict(self) | {"version": CORPUS_VERSION}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


def pumps_for(seed: int, count: int) -> list[PumpModel]:
    return [PumpModel.random(np.random.default_rng([seed, 0, i]), f"pump{i}") for i in range(count)]


def _job_rng(seed: int, *labels: object) -> np.random.Generator:
    digest = hashlib.sha256(repr(labels).encode()).digest()
    return np.random.default_rng([seed, int.from_bytes(digest[:8], "little")])


@dataclass
class Job:
    kind: str
    path: str
    pump: int
    args: dict[str, Any]


def _jobs(spec: CorpusSpec, root: Path) -> Iterator[Job]:
    for i in range(spec.pumps):
        d = root / f"pump{i}"
        for alarm in ALARMS:
            rate = 44_100 if (i + (alarm == "critical")) % 2 else 48_000
            yield Job("clinic", str(d / f"clinic-{alarm.replace('_', '-')}.wav"), i, {"alarm": alarm, "fs": rate})
        for alarm in ALARMS:
            for snr in SNRS_DB:
                yield Job("recall", str(d / f"recall-{alarm.replace('_', '-')}-snr{snr:+03d}.flac"), i,
                          {"alarm": alarm, "snr_db": snr})
        files = max(1, round(spec.background_minutes_per_pump / spec.background_file_minutes))
        for j in range(files):
            yield Job("background", str(d / f"background-{j}.flac"), i,
                      {"minutes": spec.background_minutes_per_pump / files, "index": j})


def run_job(spec: CorpusSpec, job: Job, cache: str) -> dict[str, Any]:
    lib = _library(cache)
    pump = pumps_for(spec.seed, spec.pumps)[job.pump]
    rng = _job_rng(spec.seed, job.kind, job.pump, sorted(job.args.items()))
    path = Path(job.path)
    if job.kind == "clinic":
        fs = int(job.args["fs"])
        audio, events = clinic_recording(pump, job.args["alarm"], int(rng.integers(2, 4)), lib, rng, fs)
        meta: dict[str, Any] = {}
    elif job.kind == "recall":
        fs = RATE_HZ
        audio, events, meta = recall_file(pump, job.args["alarm"], job.args["snr_db"], spec.soundings_per_snr, lib,
                                          rng)
    else:
        fs = RATE_HZ
        audio, events, meta = background_file(pump, job.args["minutes"], lib, rng)
    write_audio(path, audio, fs)
    return {"kind": job.kind, "path": job.path, "pump": job.pump, "rate_hz": fs,
            "seconds": round(audio.size / fs, 3), "events": [e.to_json() for e in events], **job.args, **meta}


@functools.lru_cache(maxsize=4)
def _library(cache: str) -> SourceLibrary:
    return SourceLibrary(Path(cache))


def _run_job_star(a: tuple[CorpusSpec, Job, str]) -> dict[str, Any]:
    return run_job(*a)


def build(spec: CorpusSpec, root: Path = DEFAULT_ROOT, jobs: int = 1, log: Callable[[str], None] = print
          ) -> dict[str, Any]:
    """Build (or reuse) the corpus for `spec`; return its manifest."""
    out = root / f"seed{spec.seed}-{spec.mode}"
    manifest_path = out / "manifest.json"
    if manifest_path.exists():
        manifest: dict[str, Any] = json.loads(manifest_path.read_text())
        if manifest.get("key") == spec.key() and all(Path(f["path"]).exists() for f in manifest["files"]):
            log(f"corpus: reusing {out}")
            return manifest
    t0 = time.monotonic()
    cache = str(root / "sources")
    lib = _library(cache)
    log(f"corpus: building {out} (sources: {lib.describe()})")
    todo = [(spec, j, cache) for j in _jobs(spec, out)]
    if jobs > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(jobs) as pool:
            files = pool.map(_run_job_star, todo, chunksize=1)
    else:
        files = [_run_job_star(a) for a in todo]
    throughput = out / "throughput.wav"
    _concat([f["path"] for f in files if f["kind"] == "background"], throughput, spec.throughput_minutes * 60)
    manifest = {
        "key": spec.key(),
        "spec": dataclasses.asdict(spec),
        "version": CORPUS_VERSION,
        "pumps": [dataclasses.asdict(p) for p in pumps_for(spec.seed, spec.pumps)],
        "files": files,
        "throughput": {"path": str(throughput), "seconds": sf.info(str(throughput)).duration},
        "sources": lib.describe(),
        "build_seconds": round(time.monotonic() - t0, 1),
    }
    manifest_path.write_text(json.dumps(manifest, indent=1))
    log(f"corpus: built in {manifest['build_seconds']} s")
    return manifest


def _concat(paths: list[str], out: Path, seconds: float) -> None:
    """One long 16 kHz WAV from the background files (repeated if needed) for the throughput measurement."""
    tmp = out.with_name(out.name + ".tmp")
    want = int(seconds * RATE_HZ)
    with sf.SoundFile(str(tmp), "w", RATE_HZ, 1, "PCM_16", format="WAV") as dst:
        done = 0
        while done < want:
            for p in paths:
                x, _ = sf.read(p, dtype="int16")
                x = x[: want - done]
                dst.write(x)
                done += x.size
                if done >= want:
                    break
    os.replace(tmp, out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quick", dest="mode", action="store_const", const="quick")
    g.add_argument("--full", dest="mode", action="store_const", const="full")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    p.add_argument("--jobs", type=int, default=1, help="worker processes (the machine is shared: keep it small)")
    args = p.parse_args(argv)
    spec = CorpusSpec.for_mode(args.mode or "quick", args.seed)
    manifest = build(spec, args.root, args.jobs)
    total = sum(f["seconds"] for f in manifest["files"])
    print(f"{len(manifest['files'])} files, {total / 3600:.2f} h of audio")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
