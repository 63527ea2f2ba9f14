"""The in-step test compares only whole turns (IN_STEP_WHOLE_TONES in monitord/detectors/critical.py).

tests/data/hilo-siren-an-octave-below-both-notes.flac: 378-400 s of fresh quick seed 281's pump2 background-3 (16 kHz),
a hi-lo siren from 6.4 s of the clip (384.4 s of the file). Pump2's notes are 988.8 / 1352.7 Hz (0.368 s turns); the
siren's notes, about 494 and 676 Hz (0.67 s each), put their 2nd partials on both of them, an octave below the pump's
pair, and its fundamentals 12 dB over those partials take the turns in step. On main (76ac602) the chain at 7.5-10.4 s
of the clip was reported as critical, as `bench/detection.py --quick --seed 281` reported it (the corpus's one siren
reported as critical): the in-step test found the siren's notes rising in every whole turn, but the chain's edges held
5-frame blips (a high note cut by a frame of the low band, the tail of the last note) in which they do not, and the
test took the least rise over every pair of neighbouring turns (margin −4.9 dB; +6.8 dB without the blips).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import soundfile as sf

import monitord.detectors.critical as critical
from tests import synth
from tests.conftest import DATA, golden_with_critical, learned_burst, stream_critical

RATE_HZ = 16000

# The benchmark's pump2 as `monitord enroll` learned it from its clinic recording (bench/out/s16base-q281).
PUMP2: dict[str, Any] = {
    "frequencies_hz": (988.8, 1352.7), "harmonics_hz": (1973.2, 2966.4, 4057.5, 4951.6, 6770.6),
    "tolerance_pct": 2.5, "mean_tolerance_pct": 1.0, "min_snr_db": 8.0, "tone_min_s": 0.116, "tone_max_s": 1.132,
    "gap_max_s": 0.487, "changes_min": 3, "tone_typical_s": 0.368, "ratio_spread_pct": 0.004,
    "burst_min_s": 1.114, "burst_typical_s": 2.8, "burst_max_s": 5.272, "fill_min_pct": 45.0}
CLIP = DATA / "hilo-siren-an-octave-below-both-notes.flac"


@pytest.mark.parametrize("block_s", [0.1, 16.0])  # streamed as the daemon feeds it; in long blocks as analyze does
def test_a_hilo_siren_an_octave_below_is_not_critical(block_s: float) -> None:
    audio, rate_hz = sf.read(CLIP, dtype="float32")
    assert rate_hz == RATE_HZ
    assert stream_critical(golden_with_critical(**PUMP2), audio, rate_hz, block_s) == []


@pytest.mark.parametrize("block_s", [0.1, 16.0])
def test_every_pair_of_turns_compared_reports_the_siren(block_s: float, monkeypatch: pytest.MonkeyPatch) -> None:
    # The clip holds what main reported: with every pair of neighbouring turns compared (the rule off), it is again.
    monkeypatch.setattr(critical, "IN_STEP_WHOLE_TONES", 0.0)
    audio, rate_hz = sf.read(CLIP, dtype="float32")
    found = stream_critical(golden_with_critical(**PUMP2), audio, rate_hz, block_s)
    assert [round(d.start_s) for _, d in found] == [8], found


@pytest.mark.parametrize("snr_db", [-10.0, 0.0, 10.0])
@pytest.mark.parametrize("seed", [1, 2])
def test_the_pumps_own_burst_is_still_heard(snr_db: float, seed: int) -> None:
    """Guard: the pump's own burst at these notes, in pink noise, is reported within 1.5 s of its end."""
    profile = golden_with_critical(**PUMP2)
    burst = learned_burst(profile)
    audio = synth.mix_at_snr(burst, synth.pink_noise(12.0, np.random.default_rng(seed)), snr_db, at_s=4.0)
    found = stream_critical(profile, audio, RATE_HZ, 0.1)
    assert found, (snr_db, seed)
    assert found[0][0] <= 4.0 + len(burst) / RATE_HZ + 1.5, found
