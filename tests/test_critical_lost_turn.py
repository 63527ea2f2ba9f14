"""A burst of short turns with one turn of its faint tone lost under the TV: two turns of the other tone with nothing
between them make one long "turn", which must not cut the burst in two (LOST_TURN in monitord/detectors/critical.py).

tests/data/critical-short-turns-one-lost-in-tv.flac: 33-45 s of fresh quick seed 233's pump0 recall file at -15 dB (TV,
16 kHz; the pump's notes 2444 / 2847 Hz, 0.128 s turns, 2.3 s bursts of 18 turns; the sounding at 8.02-10.28 s of the
clip). Its high tone stands a few dB over the TV: at 9.83-9.90 s a whole high turn is not heard, the two low turns
around it merge into one of 0.35 s (over 2.5 x the learned tone), and the burst was cut there into two pieces, each
shorter than burst_min_s (0.91 s). Main at 641f6d6 missed the sounding (streamed and in long blocks), as
`bench/detection.py --quick --seed 233` did (three soundings of pump0 at -15 dB, one at -5 dB, missed so).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import soundfile as sf

from monitord.detectors.critical import other_turn_lost
from tests.conftest import DATA, golden_with_critical, heard_once, stream_critical

# The benchmark's pump0 as `monitord enroll` learned it from its clinic recording (bench/out/s13base-q233).
PUMP0: dict[str, Any] = {
    "frequencies_hz": (2444.0, 2846.7), "harmonics_hz": (4891.5, 5696.2), "tolerance_pct": 2.5,
    "mean_tolerance_pct": 1.0, "min_snr_db": 8.0, "tone_min_s": 0.06, "tone_max_s": 0.748, "gap_max_s": 0.305,
    "changes_min": 4, "tone_typical_s": 0.128, "ratio_spread_pct": 0.0219, "burst_min_s": 0.909,
    "burst_typical_s": 2.304, "burst_max_s": 4.552, "fill_min_pct": 44.4}
SOUNDING_S = (8.02, 10.28)


@pytest.mark.parametrize("block_s", [0.1, 16.0])  # streamed as the daemon feeds it; in long blocks as analyze does
def test_a_burst_with_one_turn_lost_in_the_tv_is_heard(block_s: float) -> None:
    audio, rate_hz = sf.read(DATA / "critical-short-turns-one-lost-in-tv.flac", dtype="float32")
    heard_once(stream_critical(golden_with_critical(**PUMP0), audio, rate_hz, block_s), SOUNDING_S, block_s)


def test_only_two_turns_with_one_lost_between_them_make_one_turn() -> None:
    """Two pieces of a tone, each a turn long, with a turn's length between: one lost turn. Three pieces, a piece longer
    than a turn, or a gap longer than one, are not (music's scattered bits, a held note)."""
    def turn(pattern: str) -> tuple[np.ndarray, tuple[int, int, int]]:
        labels = np.array([int(c) for c in pattern], dtype=np.int8)
        return labels, (1, 0, len(labels))

    assert other_turn_lost(*turn("1111100111"), shortest=2, longest=6.4)
    assert other_turn_lost(*turn("1111122211"), shortest=2, longest=6.4)  # the other tone's flips: not heard as a turn
    assert not other_turn_lost(*turn("1101100111"), shortest=2, longest=6.4)  # three pieces
    assert not other_turn_lost(*turn("1111100001"), shortest=2, longest=6.4)  # a piece under a turn
    assert not other_turn_lost(*turn("1111111100111"), shortest=2, longest=6.4)  # a piece over a turn
    assert not other_turn_lost(*turn("111100000000111"), shortest=2, longest=6.4)  # more than a turn lost
