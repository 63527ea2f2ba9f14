"""Shared pytest setup: the real Mosquitto broker fixtures (tests/mqtt_broker.py); synthetic recordings written as
real audio files, and how to run the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from monitord.detectors import Detection
from monitord.pipeline import Pipeline
from monitord.profiles import Profile, load_profile
from tests import synth

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"

pytest_plugins = ("tests.mqtt_broker", "tests.fake_services")

PUMP_LOW_HZ, PUMP_HIGH_HZ, PUMP_TONE_S = 1100.0, 1480.0, 0.2
PUMP_BEEP_HZ, PUMP_BEEP_S = 3150.0, 0.3


def pump_critical(rng: np.random.Generator) -> synth.Audio:
    return synth.two_tone(PUMP_LOW_HZ, PUMP_HIGH_HZ, tone_s=PUMP_TONE_S, burst_s=2.0, harmonics=(0.0, 0.25))


def pump_beep() -> synth.Audio:
    return synth.beeps(PUMP_BEEP_HZ, count=1, beep_s=PUMP_BEEP_S, harmonics=(0.0, 0.2))


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


def golden_with_beep(**learned: Any) -> Profile:
    """The golden profile with its beep signature as `enroll` learned another pump's (a benchmark pump's, say)."""
    profile = load_profile(DATA / "golden-profile.toml")
    assert profile.non_critical is not None
    return profile.model_copy(update={"non_critical": profile.non_critical.model_copy(update=learned)})


def golden_with_critical(**learned: Any) -> Profile:
    """The golden profile with its critical signature as `enroll` learned another pump's (a benchmark pump's, say)."""
    profile = load_profile(DATA / "golden-profile.toml")
    assert profile.critical is not None
    return profile.model_copy(update={"critical": profile.critical.model_copy(update=learned)})


def learned_burst(profile: Profile, burst_s: float | None = None) -> synth.Audio:
    """One burst of the critical alarm as `profile` learned it: its two notes, its typical turn, and its typical
    burst length (or `burst_s`); a 2nd harmonic at a quarter of the tone, as a piezo gives."""
    sig = profile.critical
    assert sig is not None
    assert sig.frequencies_hz is not None
    assert sig.tone_typical_s is not None
    length_s = burst_s if burst_s is not None else sig.burst_typical_s
    assert length_s is not None
    low_hz, high_hz = sig.frequencies_hz
    return synth.two_tone(low_hz, high_hz, tone_s=sig.tone_typical_s, burst_s=length_s, harmonics=(0.0, 0.25))


def stream_critical(profile: Profile, audio: NDArray[np.float32], rate_hz: int,
                    block_s: float) -> list[tuple[float, Detection]]:
    """Feed blocks of `block_s` (0.1 s as the daemon does, 16 s as analyze does); each critical detection with the
    stream time it was reported at (the end of the block that brought it, or of the stream for the flush)."""
    pipeline = Pipeline(profile, rate_hz=rate_hz)
    block = round(block_s * rate_hz)
    found: list[tuple[float, Detection]] = []
    for i in range(0, audio.size, block):
        now_s = min(audio.size, i + block) / rate_hz
        found += [(now_s, d) for d in pipeline.feed(audio[i : i + block]) if d.detector == "critical_two_tone"]
    found += [(audio.size / rate_hz, d) for d in pipeline.flush() if d.detector == "critical_two_tone"]
    return found


def heard_once(found: list[tuple[float, Detection]], sounding_s: tuple[float, float], block_s: float, *,
               within_s: float | None = 1.5) -> tuple[float, Detection]:
    """The one critical detection of a clip (stream_critical's list): it overlaps the sounding (start, end), and when
    streamed as the daemon feeds (blocks under 1 s) it is reported at most `within_s` after the sounding's end (the
    issue's 1.5 s; None: not checked). Returns (reported at, detection)."""
    assert len(found) == 1, found
    reported_at, detection = found[0]
    assert detection.start_s <= sounding_s[1], found
    assert detection.end_s >= sounding_s[0], found
    if block_s < 1.0 and within_s is not None:
        late_s = reported_at - sounding_s[1]
        assert late_s <= within_s, f"reported {late_s:.2f} s after the sounding"
    return found[0]


def single_beep_pump(frequency_hz: float = 1800.0) -> Profile:
    """A pump with a single 0.3 s beep (1800 Hz unless told), as `monitord enroll` learns one."""
    return golden_with_beep(**{
        "frequency_hz": frequency_hz, "mean_tolerance_pct": 0.7, "span_min_s": 0.2, "span_max_s": 0.85,
        "gap_max_s": 0.25, "fill_min_pct": 45.0, "count_max": 3, "quiet_after_s": 2.5, "heard_min_s": 0.2,
        "pitch_scatter_max_hz": 5.47, "beeps_at_enrollment": 1, "pitch_spread_hz": 1.0})


# A faint beep after BEEP_AT_S of a quiet room's pink noise, streamed as the daemon does (tests of the beep's
# integrated and sequence looks).
BEEP_AT_S = 5.0
BEEP_SNR_DB = -18.0


def in_quiet_room(sound: synth.Audio, seed: int, snr_db: float = BEEP_SNR_DB) -> synth.Audio:
    noise = synth.pink_noise(BEEP_AT_S + len(sound) / 16000 + 9.0, np.random.default_rng(seed))
    return synth.mix_at_snr(sound, noise, snr_db, at_s=BEEP_AT_S)


def stream_beeps(profile: Profile, audio: synth.Audio, *,
                 block_s: float = 0.1) -> tuple[list[Detection], dict[str, int]]:
    """Feed blocks of `block_s`; the beep detector's detections and reason counters."""
    pipeline = Pipeline(profile)
    found: list[Detection] = []
    block = max(1, round(block_s * 16000))
    for i in range(0, len(audio), block):
        found += pipeline.feed(audio[i : i + block].astype(np.float32))
    found += pipeline.flush()
    return [d for d in found if d.detector == "non_critical_beep"], pipeline.counters()["non_critical_beep"]


def run_cli(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> CliResult:
    """`python -m monitord ARGS` in a child process, as a user would run it."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    done = subprocess.run([sys.executable, "-m", "monitord", *args], input=stdin, capture_output=True, env=env,
                          cwd=cwd, timeout=120, check=False)
    return CliResult(done.returncode, done.stdout.decode(), done.stderr.decode())


@pytest.fixture
def clinic_recordings(tmp_path: Path) -> Callable[..., Path]:
    """A phone a metre away in a clinic: 44.1 kHz, room reverberation, noise and a murmur of voices, three
    soundings of the alarm at about +12 dB ("both": the critical alarm's three, then the beep's three)."""

    def make(alarm: str, *, glide_hz: float = 0.0, beeps: int = 1, beep_s: float = PUMP_BEEP_S,
             pause_s: float = 0.25, beep_hz: float = PUMP_BEEP_HZ) -> Path:
        rng = np.random.default_rng(7 if alarm == "critical" else 8)
        rate = 44100
        kinds = {"both": ["critical"] * 3 + ["non_critical"] * 3}.get(alarm, [alarm] * 3)
        duration = 5.0 * len(kinds) + 1.0
        room = synth.pink_noise(duration, rng, level=0.01, rate_hz=rate) + synth.babble(
            duration, rng, level=0.006, rate_hz=rate)
        audio = room
        for i, kind in enumerate(kinds):
            if kind == "critical":
                sound = synth.two_tone(PUMP_LOW_HZ, PUMP_HIGH_HZ, tone_s=PUMP_TONE_S, burst_s=2.0, rate_hz=rate,
                                       harmonics=(0.0, 0.25))
            else:
                sound = synth.beeps(beep_hz, count=beeps, beep_s=beep_s, gap_s=pause_s, rate_hz=rate,
                                    harmonics=(0.0, 0.2), glide_hz=glide_hz)
            sound = synth.reverb(sound, rng, rt60_s=0.4, rate_hz=rate)
            audio = synth.mix_at_snr(sound, audio, 12.0, at_s=2.0 + 5.0 * i, rate_hz=rate)
        path = tmp_path / f"clinic-{alarm}{'-gliding' if glide_hz else ''}{f'-{beeps}-beeps' if beeps > 1 else ''}.wav"
        return synth.write_wav(path, audio, rate_hz=rate)

    return make
