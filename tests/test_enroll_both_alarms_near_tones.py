"""Both alarms in one recording (the clinic demonstrates both, the phone keeps filming): the beep learned at a
critical tone's pitch is a silent, wrong signature (deaf to the real beep, firing on the critical alarm), the worst
outcome of an enrollment. Real clips, joined as bench/enrollment.py --both joins a pump's two clinic recordings,
through the real CLI as a family would enroll."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATA, run_cli

# Quick seed 5 pump0 (beep 3 × 2561.3 Hz; critical 2509.6 / 3780.4 Hz), critical first, resampled to 16 kHz (34.3 s).
NEAR_LOW = DATA / "clinic-both-alarms-beep-two-percent-from-the-low-tone.flac"
# Quick seed 197 pump0 (beep 2 × 3698.3 Hz, 0.32 s + 0.366 s pause; critical 2360.5 / 3702.7 Hz, bursts of three
# 0.49 s tones), critical first, 16 kHz, 2–42.5 s of the joined file.
THREE_TONE_BURSTS = DATA / "clinic-both-alarms-three-tone-bursts-at-the-beeps-pitch.flac"
# Quick seed 31 pump0 (beep 3190.9 Hz; critical 662.2 / 1028.7 Hz), beep first, 16 kHz, 10–40 s of the joined file.
LEFT_OVER = DATA / "clinic-both-alarms-reverberant-soundings-left-over.flac"


def _enrolled(tmp_path: Path, recording: Path, alarm: str) -> dict[str, Any]:
    profile = tmp_path / f"{alarm}.toml"
    result = run_cli("enroll", "--alarm", alarm, "--profile", str(profile), str(recording))
    assert result.code == 0, result.err
    section: dict[str, Any] = tomllib.loads(profile.read_text())[alarm]
    return section


def test_a_beep_two_percent_from_the_low_tone_is_learned_at_its_own_pitch(tmp_path: Path) -> None:
    """The beep (2561 Hz) and the low tone (2510 Hz) fell into one candidate centred between them (peaks'
    concentration 0.01): the low tone was never a clear tone, the high tone had no partner to take turns with, and
    main learned the beep at 3782.5 Hz, the critical alarm's high tone (exit 0)."""
    beep = _enrolled(tmp_path, NEAR_LOW, "non_critical")
    assert beep["frequency_hz"] == pytest.approx(2561.3, rel=0.004)
    assert beep["beeps_at_enrollment"] == 3


def test_the_critical_alarm_beside_a_beep_two_percent_from_its_low_tone_is_learned(tmp_path: Path) -> None:
    """Main refused it: "no two alternating tones found"."""
    low, high = _enrolled(tmp_path, NEAR_LOW, "critical")["frequencies_hz"]
    assert low == pytest.approx(2509.6, rel=0.004)
    assert high == pytest.approx(3780.4, rel=0.004)


def test_critical_soundings_heard_without_clear_turns_are_left_out_of_the_beep(tmp_path: Path) -> None:
    """Two of the critical soundings rang through themselves (no burst with three turns and a 6 dB swing; the high
    tone read 1014 and 1030 Hz by turns): left in, main learned a 1031 Hz "beep", the critical alarm's high tone.
    Runs where both critical tones sound are the critical alarm's too (enroll._without_two_tone_alarm)."""
    beep = _enrolled(tmp_path, LEFT_OVER, "non_critical")
    assert beep["frequency_hz"] == pytest.approx(3190.9, rel=0.004)


def test_critical_bursts_of_three_tones_at_the_beeps_pitch_are_no_beeps(tmp_path: Path) -> None:
    """The pump's beep is its high tone's pitch, and its bursts hold three tones (two changes): main asked three
    changes before taking the recording for one that holds the critical alarm, so its soundings were learned as
    two-beep soundings, a beep every 0.98 s (the turns' rhythm; the pump's is 0.686 s), and the detector would
    then refuse the pump's real beeps heard in pieces as off rhythm."""
    beep = _enrolled(tmp_path, THREE_TONE_BURSTS, "non_critical")
    assert beep["frequency_hz"] == pytest.approx(3698.3, rel=0.004)
    assert beep["beeps_at_enrollment"] == 2
    assert beep["beep_interval_s"] == pytest.approx(0.686, rel=0.05)
