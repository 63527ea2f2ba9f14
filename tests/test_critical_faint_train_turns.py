"""A faint tone heard through the rhythm of the other tone's turns, for a pump whose burst holds an odd number of
turns: the train asks for as many turns as the burst holds of the tone with FEWER of them (see FAINT_LEAST_TURNS in
monitord/detectors/critical.py).

tests/data/critical-faint-tone-three-loud-turns-in-music.flac: 5-16 s of quick seed 163's pump0 recall file at -10 dB
(music, 16 kHz). The pump: 567.8 / 855.8 Hz, 0.26 s turns, one burst of 1.67 s (6.4 turns: H L H L H L and a piece of
H), learned as 0.256 s turns in 1.744 s bursts (6.8 turns). The sounding is at 6.10-7.76 s of the clip; the low tone is
heard turn by turn, the high one (beside music's held notes) only through the rhythm. A burst of 6.8 turns holds 4 of
the tone it starts with and 3 of the other; the train asked for 4 (the burst's turns halved, rounded up), so a
loud tone sounding second never made one: on main (d1364f6) the sounding was refused (`one_tone`, `too_few_changes`)
streamed and in long blocks, as `bench/detection.py --quick --seed 163` missed it.
"""

from __future__ import annotations

from typing import Any

import pytest
import soundfile as sf

from monitord.detectors.critical import FAINT_LEAST_TURNS, FAINT_MIN_TURNS, CriticalDetector
from tests.conftest import DATA, golden_with_critical, heard_once, stream_critical

# The benchmark's pump0 as `monitord enroll` learned it from its clinic recording (bench/out/s17base-q163).
PUMP0: dict[str, Any] = {
    "frequencies_hz": (568.2, 855.8), "harmonics_hz": (1138.0, 1710.2, 2571.1, 2844.5, 3427.6, 4285.1),
    "tolerance_pct": 2.5, "mean_tolerance_pct": 1.0, "min_snr_db": 8.0, "tone_min_s": 0.063, "tone_max_s": 0.94,
    "gap_max_s": 0.414, "changes_min": 3, "tone_typical_s": 0.256, "ratio_spread_pct": 0.0323, "burst_min_s": 0.691,
    "burst_typical_s": 1.744, "burst_max_s": 3.64, "fill_min_pct": 44.6}
SOUNDING_S = (6.10, 7.76)


@pytest.mark.parametrize("block_s", [0.1, 16.0])  # streamed as the daemon feeds it; in long blocks as analyze does
def test_a_faint_tone_is_heard_through_the_three_turns_of_the_tone_sounding_second(block_s: float) -> None:
    audio, rate_hz = sf.read(DATA / "critical-faint-tone-three-loud-turns-in-music.flac", dtype="float32")
    heard_once(stream_critical(golden_with_critical(**PUMP0), audio, rate_hz, block_s), SOUNDING_S, block_s)


@pytest.mark.parametrize(("turns_in_a_burst", "train"), [
    (6.8, 3),   # H L H L H L + a piece: 3 of the tone sounding second
    (6.2, 3),
    (7.5, 4),   # 8 turns (the last a piece): 4 of each
    (5.5, FAINT_LEAST_TURNS),  # 6 turns: 3 of each
    (4.2, FAINT_LEAST_TURNS),  # 5 turns: 2 of one tone, but a train needs two gaps
    (12.0, FAINT_MIN_TURNS),
])
def test_the_train_asks_for_the_turns_the_tone_with_fewer_of_them_sounds(turns_in_a_burst: float, train: int) -> None:
    tone_s = 0.25
    profile = golden_with_critical(tone_typical_s=tone_s, burst_typical_s=turns_in_a_burst * tone_s)
    assert profile.critical is not None
    detector = CriticalDetector(profile.critical, verified=True)
    assert detector._faint_train(0.032)["min_turns"] == train
