"""A family that enrolls the critical alarm's recording with --alarm non_critical (the wrong flag, an easy mistake
at 3 a.m.) must be told so, not sent to record the same alarm again as "too faint". Real clinic clip through the real
CLI."""

from __future__ import annotations

from pathlib import Path

from monitord.errors import ExitCode
from tests.conftest import DATA, run_cli

# The whole clinic recording of the critical alarm of benchmark quick seed 197, pump1 (2266 / 3461 Hz, two
# soundings; kept at 16 kHz), also used by tests/test_enroll.py.
CRITICAL = DATA / "clinic-critical-chattering-burst.flac"


def test_the_critical_alarm_enrolled_as_the_beep_is_named_not_called_too_faint(tmp_path: Path) -> None:
    """The beep path finds the two tones taking turns, leaves both soundings out as the critical alarm, and then
    falls on a voice's 1174 Hz, 16 dB: main refused it as "the clearest tonal pattern (1174 Hz) stands only 16 dB over
    the background" with advice to record closer — 40 of the 90 benchmark clinic recordings of the critical alarm
    (30 non-held-out quick corpora) were refused so. Now: the critical alarm, its tones, and --alarm critical."""
    profile = tmp_path / "p.toml"
    result = run_cli("enroll", "--alarm", "non_critical", "--profile", str(profile), str(CRITICAL))
    assert result.code == ExitCode.USAGE, result.err
    assert not profile.exists()
    message = result.err.split("hint:")[0]
    assert "this sounds like the critical alarm" in message
    assert "2269 Hz and 3456 Hz" in message
    assert "--alarm critical" in result.err


def test_a_critical_alarm_heard_through_its_harmonics_is_not_learned_as_a_beep(tmp_path: Path) -> None:
    """tests/data/clinic-critical-low-tone-under-its-harmonics.flac (662 / 1029 Hz behind a phone's high-pass, three
    soundings) offered as the beep: the first two soundings are found and left out, but in the third the turns show
    only between the tones' harmonics (1030 Hz's 3rd, 3091 Hz, against 662 Hz's 4th, 2652 Hz, 13 changes), while the
    1030 Hz fundamental that stands for the strongest track was on for one moment and took no turns. Main left that
    sounding in and learned the 1030 Hz moment as a beep, exit 0: a silent, wrong profile. A tone heard at its
    harmonic is that tone: the sounding is the critical alarm's too, nothing is left, and the family is told."""
    profile = tmp_path / "p.toml"
    result = run_cli("enroll", "--alarm", "non_critical", "--profile", str(profile),
                     str(DATA / "clinic-critical-low-tone-under-its-harmonics.flac"))
    assert result.code == ExitCode.USAGE, result.out + result.err
    assert not profile.exists()
    assert "this sounds like the critical alarm" in result.err.split("hint:")[0]
    assert "--alarm critical" in result.err
