"""A sequence pump's demonstration in which the room split every beep in two is not learned as more, shorter beeps.

The clip is real: benchmark quick seed 269, pump0's clinic recording (three 0.45 s beeps at 1465 Hz, 0.36 s apart:
one every 0.81 s), its first 13.5 s at 48 kHz. The first sounding (2.6 s) is heard as three beeps; in the second
(10.0 s) a notch of the room at the pitch splits each beep, so it is heard as six pieces. Main (14d1519) learned the
median count, 4 beeps (neither sounding's), and the rhythm of the six pieces, a beep every 0.41 s — half the pump's,
so a sounding at home heard in pieces was held to a rhythm the pump never had.
"""

from __future__ import annotations

import pytest

from monitord.alarms import AlarmKind
from monitord.enroll import enroll
from monitord.profiles import BeepSignature
from tests.conftest import DATA

CLIP = DATA / "clinic-three-beeps-once-heard-split.flac"


def test_the_pumps_count_and_rhythm_are_learned_not_the_split_pieces() -> None:
    result = enroll(CLIP, AlarmKind.NON_CRITICAL)
    signature = result.signature
    assert isinstance(signature, BeepSignature)
    assert signature.frequency_hz == pytest.approx(1465.1, rel=0.003)
    assert [len(s.segments) for s in result.soundings] == [3, 6]  # what was heard: the second split
    assert signature.beeps_at_enrollment == 3
    assert signature.beep_interval_s == pytest.approx(0.451 + 0.358, rel=0.05)
