"""Both tones as partials of one sound below them, for a pump whose notes stand in a ratio (k+1)/k
(COMMON_FUNDAMENTAL in monitord/detectors/critical.py).

A harmonic sound at f0 = low / k puts its k-th and (k+1)-th partials on both notes at once; a hi-lo siren alternating
its two pitches then gives the pump's pattern at the pump's notes. The clips are real (the benchmark's quick corpora,
16 kHz), the profiles the ones `monitord enroll` learned there (bench/out/s18base-q211 and -q99):
  - tests/data/hilo-siren-3rd-and-4th-partials-on-the-notes.flac: seed 211 pump0's background-1 at 205-232 s. The pump:
    1585.1 / 2115.0 Hz (ratio 0.07 % off 4/3); the siren's low note at ~530 Hz holds its 3rd and 4th partials on
    them. main (c1ba281) reported it as critical at 13.5 s of the clip (219.2 s of the file), streamed and in 16 s
    blocks.
  - tests/data/hilo-siren-2nd-and-3rd-partials-on-the-notes.flac: seed 99 pump2's background-2 at 20-46 s. The pump:
    1351.5 / 2022.5 Hz (0.23 % off 3/2); the siren's low note at ~676 Hz. main reported it at 17.8 s (37.7 s).
The pump's own tones (harmonics above them only) must still be reported, with a hum at f0 too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import soundfile as sf

from monitord.alarms import AlarmKind
from monitord.detectors import critical
from monitord.detectors.critical import CriticalDetector, common_fundamental_hz, sounds_one_fundamental
from monitord.profiles import Profile
from tests import synth
from tests.conftest import DATA, golden_with_critical, learned_burst
from tests.test_critical_whole_burst import heard  # the detections and the critical detector's reason counters

RATE_HZ = 16000

# The benchmark's pumps as `monitord enroll` learned them from their clinic recordings.
SEED211_PUMP0: dict[str, Any] = {
    "frequencies_hz": (1585.1, 2115.0), "harmonics_hz": (3170.8, 4229.8, 4755.5, 6348.8), "tolerance_pct": 2.5,
    "mean_tolerance_pct": 1.0, "min_snr_db": 8.0, "tone_min_s": 0.141, "tone_max_s": 1.452, "gap_max_s": 0.6,
    "changes_min": 2, "tone_typical_s": 0.48, "ratio_spread_pct": 0.0056, "burst_min_s": 1.05,
    "burst_typical_s": 2.752, "burst_max_s": 5.128, "fill_min_pct": 45.0}
SEED99_PUMP2: dict[str, Any] = {
    "frequencies_hz": (1351.5, 2022.5), "harmonics_hz": (2700.1, 4048.8, 5403.5, 6071.4, 6748.7),
    "tolerance_pct": 2.5, "mean_tolerance_pct": 1.0, "min_snr_db": 8.0, "tone_min_s": 0.077, "tone_max_s": 0.876,
    "gap_max_s": 0.41, "changes_min": 3, "tone_typical_s": 0.24, "ratio_spread_pct": 0.0198, "burst_min_s": 0.666,
    "burst_typical_s": 1.856, "burst_max_s": 3.832, "fill_min_pct": 45.0}
CLIPS = [("hilo-siren-3rd-and-4th-partials-on-the-notes.flac", SEED211_PUMP0),
         ("hilo-siren-2nd-and-3rd-partials-on-the-notes.flac", SEED99_PUMP2)]


def _clip(name: str) -> np.ndarray:
    audio, rate = sf.read(DATA / name, dtype="float32")
    assert rate == RATE_HZ
    return audio


@pytest.mark.parametrize("block_s", [0.1, 16.0])  # streamed as the daemon feeds it; in long blocks as analyze does
@pytest.mark.parametrize(("name", "pump"), CLIPS)
def test_a_hilo_siren_whose_one_note_sounds_both_tones_is_not_the_pump(name: str, pump: dict[str, Any],
                                                                      block_s: float) -> None:
    found, counters = heard(golden_with_critical(**pump), _clip(name), block_s)
    assert [d for d in found if d.alarm is AlarmKind.CRITICAL] == []
    assert counters.get("common_fundamental", 0) >= 1


@pytest.mark.parametrize(("name", "pump"), CLIPS)
def test_without_the_rule_the_siren_is_reported(name: str, pump: dict[str, Any],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The clips do hold what main reported (so the test above tests the rule)."""
    monkeypatch.setattr(critical, "COMMON_FUNDAMENTAL_MIN_DB", float("inf"))
    found, counters = heard(golden_with_critical(**pump), _clip(name), 16.0)
    assert len([d for d in found if d.alarm is AlarmKind.CRITICAL]) == 1, counters


def _sounding(profile: Profile, snr_db: float, seed: int, *, hum_db: float | None = None) -> np.ndarray:
    """Two of the pump's learned bursts (1 s apart) from 4 s, in pink noise at `snr_db`; with `hum_db`, a steady tone
    at f0 = low / k through them, that many dB under the pump's tones (negative: over them)."""
    burst = learned_burst(profile)
    sounding = synth.sequence([burst, synth.silence(1.0), burst])
    noise = synth.pink_noise(4.0 + len(sounding) / RATE_HZ + 4.0, np.random.default_rng(seed))
    audio = synth.mix_at_snr(sounding, noise, snr_db, at_s=4.0)
    if hum_db is not None:
        assert profile.critical is not None
        f0 = common_fundamental_hz(profile.critical.frequencies_hz)
        assert f0 is not None
        # The tones' amplitude as mixed: 0.5 (learned_burst's) times mix_at_snr's gain.
        at = round(4.0 * RATE_HZ)
        gain = np.sqrt(np.mean(noise[at : at + len(sounding)].astype(np.float64) ** 2)
                       / np.mean(sounding.astype(np.float64) ** 2) * 10 ** (snr_db / 10))
        hum = synth.tone(f0, len(sounding) / RATE_HZ, amplitude=float(0.5 * gain * 10 ** (-hum_db / 20)))
        audio = synth.place(audio, hum, 4.0)
    return audio


@pytest.mark.parametrize("hum_db", [None, 10.0, -6.0])
@pytest.mark.parametrize("snr_db", [-10.0, 0.0, 10.0])
@pytest.mark.parametrize("pump", [SEED211_PUMP0, SEED99_PUMP2])
def test_the_pumps_own_sounding_is_reported(pump: dict[str, Any], snr_db: float, hum_db: float | None) -> None:
    """Guard: the pump's tones (a 2nd harmonic above them, nothing below), alone or with a steady hum at f0 10 dB
    under them or 6 dB over them (music holding that note: quick seed 277 pump1 at -5 dB, 19.8 dB prominent and
    2.1 dB over the tones, but not following them), are reported once, within 1.5 s of the first burst's end when
    streamed; the rule never fires."""
    profile = golden_with_critical(**pump)
    assert profile.critical is not None
    assert profile.critical.burst_typical_s is not None
    for seed in (1, 2):
        when: list[float] = []
        found, counters = heard(profile, _sounding(profile, snr_db, seed, hum_db=hum_db), 0.1, when)
        reported = [(at, d) for at, d in zip(when, found, strict=False) if d.alarm is AlarmKind.CRITICAL]
        assert len(reported) == 1, counters
        assert reported[0][0] - (4.0 + profile.critical.burst_typical_s) <= 1.5
        assert counters.get("common_fundamental", 0) == 0


@pytest.mark.parametrize(("notes_hz", "f0_hz"), [
    ((1585.1, 2115.0), 1585.1 / 3),  # 0.07 % off 4/3
    ((1351.5, 2022.5), 1351.5 / 2),  # 0.23 % off 3/2
    ((2305.0, 2885.7), 2305.0 / 4),  # 0.15 % off 5/4
    ((1100.0, 1480.0), None),        # 0.9 % off 4/3: the golden pump pays nothing
    ((2000.0, 3100.0), None),
    (None, None),
])
def test_only_a_pump_whose_notes_stand_in_a_ratio_k_plus_1_over_k_is_exposed(
        notes_hz: tuple[float, float] | None, f0_hz: float | None) -> None:
    assert common_fundamental_hz(notes_hz) == (None if f0_hz is None else pytest.approx(f0_hz))


def test_an_exposed_pump_has_the_frontend_analyse_f0_and_no_other_does() -> None:
    exposed = CriticalDetector(golden_with_critical(**SEED211_PUMP0).critical, verified=True)  # type: ignore[arg-type]
    golden = CriticalDetector(golden_with_critical().critical, verified=True)  # type: ignore[arg-type]
    assert [b.low_hz for b in exposed.bands() if b.label == "critical_fundamental"] == [pytest.approx(1585.1 / 3)]
    assert [b for b in golden.bands() if b.label == "critical_fundamental"] == []


@pytest.mark.parametrize(("measured", "refused"), [
    ((23.7, 3.1, 0.93), True),    # seed 211 pump0's siren
    ((23.9, 13.4, 0.87), True),   # seed 99 pump2's siren
    ((19.8, 2.1, 0.08), False),   # music holding f0 through seed 277 pump1's sounding at -5 dB
    ((16.1, 10.6, 0.65), False),  # a voice in the TV under seed 5 pump2's sounding at -15 dB
    ((25.0, -1.0, 0.9), False),   # under the tones: their own sound's, not a louder one's
    (None, False),
])
def test_one_fundamental_is_prominent_louder_than_the_tones_and_follows_them(
        measured: tuple[float, float, float] | None, refused: bool) -> None:
    assert sounds_one_fundamental(measured) is refused
