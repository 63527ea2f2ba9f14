"""Both alarms in one recording: every critical sounding is left out of the beep's enrollment, also one that takes
turns only through another pair of the alarm's tones (enroll._CRITICAL_ROUNDS).

The clip is real: benchmark quick seed 211, pump1 (critical 678.1 / 981.4 Hz, the low tone's 5th harmonic 3390 Hz as
loud as it; beep 3922.5 Hz, one beep, on the high tone's 4th harmonic), its clinic recordings joined as
bench/enrollment.py --both joins them (critical first), resampled to 16 kHz and cut to the critical part's first
29.2 s (its three soundings at 2.2, 12.7 and 22.7 s) and the beep part's first 14.2 s (beeps at 31.8, 36.7 and
42.6 s). The pair 678 / 981 Hz takes turns in the first two critical soundings; in the third, the faintest (10 dB),
983 Hz takes turns with 3397 Hz. Main (0ac54cc) left that sounding in and refused the beep as "the critical alarm".
"""

from __future__ import annotations

import pytest

from monitord import enroll as enroll_module
from monitord.alarms import AlarmKind
from monitord.enroll import NoClearAlarmError, enroll
from monitord.profiles import BeepSignature
from tests.conftest import DATA

CLIP = DATA / "clinic-both-alarms-faint-sounding-through-a-harmonic.flac"


def test_the_beep_is_learned_with_every_critical_sounding_left_out() -> None:
    result = enroll(CLIP, AlarmKind.NON_CRITICAL)
    assert result.frequencies_hz[0] == pytest.approx(3922.5, rel=0.003)
    assert isinstance(result.signature, BeepSignature)
    assert result.signature.beeps_at_enrollment == 1
    assert [round(s.start_s) for s in result.soundings] == [32, 37, 43]
    assert "also holds the critical alarm (678 Hz and 981 Hz taking turns, at 2.2–7.9 s, 12.7–18.4 s, 22.7–28.5 s)" \
        in result.notes[0]  # all three soundings, the third (left out through the other pair) too; its edges,
    # where both tones still sound without three clear turns, with it (22.8–28.4 s before both17)


def test_one_pair_alone_left_the_faint_sounding_in() -> None:
    """What the clip holds: with only the first pair's soundings left out, the beep is refused."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(enroll_module, "_CRITICAL_ROUNDS", 1)
        with pytest.raises(NoClearAlarmError, match="sounds like the critical alarm"):
            enroll(CLIP, AlarmKind.NON_CRITICAL)


def test_the_critical_alarm_is_learned_from_the_same_recording() -> None:
    low, high = enroll(CLIP, AlarmKind.CRITICAL).frequencies_hz
    assert low == pytest.approx(678.1, rel=0.005)
    assert high == pytest.approx(981.4, rel=0.005)
