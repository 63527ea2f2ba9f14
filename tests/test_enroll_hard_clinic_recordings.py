"""Clinic recordings harder than the benchmark corpus's (bench/enrollment.py --hard): a phone ringing through the
demonstration, a nurse talking loudly over it, a strongly reverberant room, the programmer's key beeps. A wrong tone
or beep count learned with exit 0 leaves the pump deaf for good, so each of these must be learned right or refused
with advice (exit 2), and a refusal must say what was heard. Real clips rendered by --hard from the
benchmark's pumps (seeds 307, 277 and 263), resampled to 16 kHz, through the real CLI as a family would enroll."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from monitord.errors import ExitCode
from tests.conftest import DATA, run_cli

# Quick seed 307 pump0 (one 0.459 s beep at 3128.6 Hz), --hard phone_ring: a 440 + 480 Hz ringback (2 s on, 4 s off)
# through two of the demonstrated beeps, 15.7 s.
BEEP_WITH_RINGBACK = DATA / "clinic-beep-with-a-phone-ringback-440-480.flac"
# Quick seed 277 pump1 (1115.9 / 1483.9 Hz, 0.154 s tones, two bursts), --hard phone_ring: the same ringback over
# both soundings, 21.6 s.
CRITICAL_WITH_RINGBACK = DATA / "clinic-critical-with-a-phone-ringback-440-480.flac"
# Quick seed 307 pump1 (three 0.351 s beeps at 2918.0 Hz), --hard phone_ring: a ringback whose 480 Hz the phone's
# high-pass left too faint to be a clear tone; 440 Hz on three times for 2 s (31 dB), the pump twice (42 dB), 16.9 s.
BEEP_WITH_LONGER_RING = DATA / "clinic-beep-with-a-ring-tone-louder-in-time.flac"
# Quick seed 307 pump0 (one 0.459 s beep at 3128.6 Hz), --hard nurse_loud: voices 10 dB up, the beep 6–12 dB over
# the room, 16.1 s.
BEEP_UNDER_NURSE = DATA / "clinic-beep-under-a-nurse-talking-loudly.flac"


def _enroll(tmp_path: Path, recording: Path, alarm: str) -> tuple[int, str, dict[str, Any]]:
    profile = tmp_path / f"{alarm}.toml"
    result = run_cli("enroll", "--alarm", alarm, "--profile", str(profile), str(recording))
    section: dict[str, Any] = tomllib.loads(profile.read_text())[alarm] if result.code == 0 else {}
    return result.code, result.err, section


def _assert_learned_beep(section: dict[str, Any], frequency_hz: float, *, beeps: int,
                         interval_s: float | None = None) -> None:
    """The beep learned at the pump's pitch (within 0.4 %), as its number of beeps per sounding, and for a sequence
    one beep every `interval_s` (within 5 %; a single beep learns no interval)."""
    assert section["frequency_hz"] == pytest.approx(frequency_hz, rel=0.004)
    assert section["beeps_at_enrollment"] == beeps
    if interval_s is None:
        assert "beep_interval_s" not in section
    else:
        assert section["beep_interval_s"] == pytest.approx(interval_s, rel=0.05)


def test_a_phone_ringback_beside_the_beep_is_refused_not_learned(tmp_path: Path) -> None:
    """Main learned the ringback's 440 Hz as the beep (exit 0): it is on longer than the pump's beep, so it scored
    higher. The pump's 3128 Hz beep, louder, sounds twice without it: two beepers, and nothing tells which is the
    pump (enroll._competing_beeps). (Its two tones sound as a chord, but so may a piezo's beep with a second partial
    near its pitch, tests/test_beep_accompanied.py: the beep path does not drop chords.)"""
    code, err, _ = _enroll(tmp_path, BEEP_WITH_RINGBACK, "non_critical")
    assert code == ExitCode.USAGE, err
    assert "440 Hz" in err
    assert "3128 Hz" in err or "3127 Hz" in err


def test_a_phone_ringback_is_no_tone_of_the_critical_alarm(tmp_path: Path) -> None:
    """Main learned 440.4 / 1482.4 Hz (exit 0): the ringback's 440 Hz, steady through the pump's turns, paired with
    the high tone and outscored the pump's own 1115 Hz. Its two tones sound in the same frames and rise and fall
    together (a chord, as telephones signal), and the critical alarm's tones take turns (enroll._chords)."""
    code, err, critical = _enroll(tmp_path, CRITICAL_WITH_RINGBACK, "critical")
    assert code == 0, err
    low, high = critical["frequencies_hz"]
    assert low == pytest.approx(1115.9, rel=0.004)
    assert high == pytest.approx(1483.9, rel=0.004)


def test_a_ring_tone_as_loud_as_the_pump_is_refused_not_learned(tmp_path: Path) -> None:
    """Main learned 440 Hz (exit 0), on for 6 s against the pump's 2.3 s. Two beepers within 6 dB of each other,
    each sounding more than once: nothing tells which is the pump (enroll._competing_beeps), so the family is asked
    to record the alarm on its own."""
    code, err, _ = _enroll(tmp_path, BEEP_WITH_LONGER_RING, "non_critical")
    assert code == ExitCode.USAGE, err
    assert "two different steady beeps" in err
    assert "440 Hz" in err
    assert "2916 Hz" in err
    assert "no phone ringing" in err


def test_a_beep_taking_turns_with_loud_talk_now_and_then_is_refused(tmp_path: Path) -> None:
    """Main took the beep and a voice at 2608 Hz for the critical alarm's two tones (they "took turns" in 49 % of
    the time either sounded), cut the beep's soundings out as that alarm, and learned a voice's 1228.8 Hz from the
    rest (exit 0). A pair taking turns in under 60 % of its time is no critical alarm (enroll._in_turns), and a tone
    that takes turns with another that often is no beep sounding alone either (a TV's tone did so): refused."""
    code, err, _ = _enroll(tmp_path, BEEP_UNDER_NURSE, "non_critical")
    assert code == ExitCode.USAGE, err
    assert "takes turns with another" in err
    assert "quiet room" in err


# Quick seed 211 pump1 (one 0.43 s beep at 3922.5 Hz), --hard phone_ring: a UK ring (400 + 450 Hz, 0.4 s on, 0.2 s
# off, 0.4 s on) whose 450 Hz the phone's high-pass left unclear, 18.6 s.
BEEP_WITH_UK_RING = DATA / "clinic-beep-with-a-uk-ring-400-450.flac"
# Quick seed 269 pump1 (one 0.109 s beep at 673.0 Hz), --hard phone_ring: a ringback; of the pump only its 2nd–5th
# harmonics are clear tones (2016 / 3358 Hz sound together, as a chord's two tones do), 19.4 s.
BEEP_HARMONICS_WITH_RINGBACK = DATA / "clinic-beep-harmonics-only-with-a-ringback.flac"
# Quick seed 257 pump1 (three 0.287 s beeps at 4015.9 Hz), --hard nurse_loud, 25.6 s.
BEEP_SEQUENCE_UNDER_NURSE = DATA / "clinic-beep-sequence-under-a-nurse-talking-loudly.flac"
# Quick seed 263 pump1 (one 0.23 s beep at 2868.4 Hz), --hard programmer: the clinician programmer's key beeps at
# 1454 Hz, whose 2nd harmonic lies on the pump's pitch, 15.5 s.
BEEP_WITH_PROGRAMMER = DATA / "clinic-beep-with-programmer-key-beeps-an-octave-below.flac"
# Quick seed 281 pump0 (3107.0 / 4142.3 Hz), --hard rate_8k: a phone call's 8 kHz, 300–3400 Hz; the high tone is
# above the band, 23.9 s (kept at 8 kHz).
CRITICAL_OVER_A_PHONE_CALL = DATA / "clinic-critical-over-a-phone-call-8k-high-tone-lost.flac"


def test_a_pumps_beep_ten_times_a_ring_tones_pitch_is_no_harmonic_of_it(tmp_path: Path) -> None:
    """Main learned the ring's 400 Hz (exit 0). The pump's 3921 Hz, 14 dB louder, passed for the ring tone's
    harmonic (9.8 ×: _distinct_tones takes any whole multiple within 2 % of it) and so for no other beeper; as one
    (enroll._unrelated) it competes, and nothing tells which beeper is the pump."""
    code, err, _ = _enroll(tmp_path, BEEP_WITH_UK_RING, "non_critical")
    assert code == ExitCode.USAGE, err
    assert "3921 Hz" in err


def test_a_pumps_harmonics_sounding_together_are_no_chord(tmp_path: Path) -> None:
    """Main learned the ringback's 440 Hz (exit 0). The pump's 3rd and 5th harmonics (its 673 Hz unclear) sound
    together as a chord's tones do; taken for one (a 5 : 3 ratio is a pump's, enroll._unrelated), they were left
    out and nothing competed with 440 Hz. They are the pump's, and 2016 Hz competes with the ring."""
    code, err, _ = _enroll(tmp_path, BEEP_HARMONICS_WITH_RINGBACK, "non_critical")
    assert code == ExitCode.USAGE, err
    assert "2016 Hz" in err


def test_a_beep_far_fainter_than_the_critical_alarm_beside_it_is_refused(tmp_path: Path) -> None:
    """Main took the pump's three 4020 Hz beeps (50 dB) and a voice's 1234 Hz (23 dB) taking turns in their pauses
    for the critical alarm, cut them out and learned the voice's 1232 Hz as the beep (exit 0). Both alarms of one
    demonstration stand within 15 dB of each other; a beep 25 dB under is refused (_BESIDE_CRITICAL_DB)."""
    code, err, _ = _enroll(tmp_path, BEEP_SEQUENCE_UNDER_NURSE, "non_critical")
    assert code == ExitCode.USAGE, err
    assert "dB under them" in err


def test_a_programmers_key_beeps_an_octave_below_are_not_the_pumps_fundamental(tmp_path: Path) -> None:
    """Main learned 1454.5 Hz (exit 0): the key beeps' 2nd harmonic sounded on the pump's pitch three times (faintly),
    and 1454 Hz passed for the pump's fundamental. Judged where the pump's beep is loud, it never sounds with it."""
    code, err, beep = _enroll(tmp_path, BEEP_WITH_PROGRAMMER, "non_critical")
    assert code == 0, err
    assert beep["frequency_hz"] == pytest.approx(2868.4, rel=0.004)


def test_a_critical_alarm_whose_high_tone_a_phone_call_lost_is_refused(tmp_path: Path) -> None:
    """Main learned 1187.9 / 3104.4 Hz (exit 0): a voice's blip 25 dB under the low tone, between two of its turns,
    made its pair. One pump's two tones are heard within 15 dB of each other (_PAIR_LEVEL_DB); refused, the message
    says why the recording cannot hold the tone."""
    code, err, _ = _enroll(tmp_path, CRITICAL_OVER_A_PHONE_CALL, "critical")
    assert code == ExitCode.USAGE, err
    assert "8000 Hz" in err
    assert "44.1 or 48 kHz" in err


# Quick seed 269 pump2 (one 0.3 s beep at 2515.0 Hz), --hard programmer: key beeps at 1870 Hz, 4 : 3 below the pump's
# pitch, as loud, 14.4 s.
BEEP_WITH_PROGRAMMER_A_FOURTH_BELOW = DATA / "clinic-beep-with-programmer-key-beeps-a-fourth-below.flac"


def test_two_beepers_a_fourth_apart_are_two(tmp_path: Path) -> None:
    """Main learned the key beeps' 1870 Hz (exit 0; they sound more often than the pump). Two tones 4 : 3 apart
    could be two partials of one tone only if they sounded together; these never do, so they compete, and nothing
    tells which one is the pump."""
    code, err, _ = _enroll(tmp_path, BEEP_WITH_PROGRAMMER_A_FOURTH_BELOW, "non_critical")
    assert code == ExitCode.USAGE, err
    assert "1870 Hz" in err
    assert "2510 Hz" in err


# Quick seed 263 pump2 (one 0.405 s beep at 4099.6 Hz), --hard phone_ring: a ringback (2 s on) over both of the
# pump's soundings, 15 s.
BEEP_INSIDE_A_RINGBACK = DATA / "clinic-beep-inside-a-ringbacks-on-time.flac"


def test_a_beep_inside_a_ring_tones_on_time_still_competes_with_it(tmp_path: Path) -> None:
    """Main learned the ringback's 440 Hz (exit 0). The pump's beeps lie inside the ring's 2 s tones, so by
    segments each "overlapped" the other, as a pump's own partial does; counted by frame they share a quarter of the
    ring's: two beepers."""
    code, err, _ = _enroll(tmp_path, BEEP_INSIDE_A_RINGBACK, "non_critical")
    assert code == ExitCode.USAGE, err
    assert "4100 Hz" in err


# Quick seed 263 pump0 (one 0.328 s beep at 803.4 Hz, 0.147 s pause), --hard reverb_heavy (RT60 1.2–2 s): the beep
# at 36–38 dB, its tail coming back at 25–28 dB a third of a second later; 18.3 s, resampled to 16 kHz.
BEEP_IN_REVERBERANT_ROOM = DATA / "clinic-beep-in-a-reverberant-room-its-tail-back-as-a-second-beep.flac"
# Quick seed 307 pump2 (three 0.437 s beeps at 1774.6 Hz, 0.128 s pauses: one every 0.565 s), --hard reverb_heavy:
# each sounding's tail after the third beep heard 10–11 dB under the beeps; 22.2 s, resampled to 16 kHz.
SEQUENCE_IN_REVERBERANT_ROOM = DATA / "clinic-beep-sequence-in-a-reverberant-room-its-tail-a-fourth-beep.flac"


def test_a_reverberant_rooms_tail_is_not_counted_as_a_second_beep(tmp_path: Path) -> None:
    """Main learned this single-beep pump as beeping twice, one beep every 0.38 s (exit 0): the beep's reverberant
    tail, 9 dB under it, came back into view after a dropout and was counted as a beep. At home every single beep
    would then be asked to keep a rhythm the pump never had. A piece held more than 6 dB under the sounding's
    loudest beep is the room's echo (enroll._without_echoes)."""
    code, err, section = _enroll(tmp_path, BEEP_IN_REVERBERANT_ROOM, "non_critical")
    assert code == 0, err
    _assert_learned_beep(section, 803.4, beeps=1)


def test_a_reverberant_rooms_tail_is_not_counted_as_a_fourth_beep(tmp_path: Path) -> None:
    """Main learned this three-beep pump as four beeps, one every 0.50 s (exit 0): in two of its three soundings
    the tail after the third beep, 10–11 dB under it, was counted as a fourth. Without the echoes: three beeps, one
    every 0.57 s as the pump sounds them."""
    code, err, section = _enroll(tmp_path, SEQUENCE_IN_REVERBERANT_ROOM, "non_critical")
    assert code == 0, err
    _assert_learned_beep(section, 1774.6, beeps=3, interval_s=0.565)


# Quick seed 307 pump2 (three 0.437 s beeps at 1774.6 Hz), --hard programmer: the clinician's programmer key beeps
# (1214 Hz) now and then between the pump's beeps; 21.2 s, resampled to 16 kHz.
BEEP_WITH_KEY_BEEPS_IN_TURNS = DATA / "clinic-beep-with-programmer-key-beeps-in-turns.flac"


def test_a_beep_taking_turns_with_key_beeps_is_not_called_the_critical_alarm(tmp_path: Path) -> None:
    """Main refused this as "this sounds like the critical alarm" and told the family to enroll it with --alarm
    critical: the pump's beep and the key beeps took turns in two short runs, but never for a whole burst of the
    critical alarm, and no sounding of that alarm was found to cut out. Still refused (nothing tells which tone is
    the pump's), but saying what was heard: another sound taking turns with the beep."""
    code, err, _ = _enroll(tmp_path, BEEP_WITH_KEY_BEEPS_IN_TURNS, "non_critical")
    assert code == ExitCode.USAGE, err
    assert "sounds like the critical alarm" not in err
    assert "--alarm critical" not in err
    assert "1774 Hz" in err
    assert "1214 Hz" in err
    assert "never for a whole burst of the critical alarm" in err
    assert "programmer" in err


# Quick seed 257 pump0 (one 0.474 s beep at 2704.3 Hz), --hard long: 40 s of a 2.5 min recording, talk throughout,
# the pump sounding once (52 dB) near the end; resampled to 16 kHz.
BEEP_IN_A_LONG_TALK = DATA / "clinic-beep-long-recording-talk-pulls-the-centre-off.flac"


def test_talk_around_the_beep_does_not_pull_its_pitch_off_a_clear_tone(tmp_path: Path) -> None:
    """Main refused this ("the clearest tonal pattern (1862 Hz) stands only 16 dB"): the voices' peaks within ±2 %
    of the beep pulled its candidate's centre to 2727 Hz, 0.8 % above the pump, so none of the beep's strong peaks
    lay within ±0.4 % of it and the beep was no steady tone (concentration 0.11). In enroll's second look (nothing
    clear enough found) the strong peaks are measured about their own weighted-median pitch, 2700 Hz, and hold 0.97:
    the beep is learned, at its pitch, as one beep."""
    code, err, section = _enroll(tmp_path, BEEP_IN_A_LONG_TALK, "non_critical")
    assert code == 0, err
    _assert_learned_beep(section, 2704.3, beeps=1)


# Quick seed 283 pump0 (two 0.08 s beeps at 2328.1 Hz, 0.218 s apart), --hard nurse_loud: voices 10 dB up, 11.6 s.
BEEP_PAIR_UNDER_NURSE = DATA / "clinic-beep-pair-under-a-nurse-talking-loudly.flac"


def test_a_clear_beep_is_not_looked_at_a_second_time(tmp_path: Path) -> None:
    """The beep's partials stand clear here, and it is learned as its two beeps. Measuring every track's strong peaks
    about their own pitch at the first look (not only in the second look, where nothing clear was found) made the
    pump's partials at 2322 and 6966 Hz clear tones too, and the pair was learned as one beep (exit 0)."""
    code, err, section = _enroll(tmp_path, BEEP_PAIR_UNDER_NURSE, "non_critical")
    assert code == 0, err
    _assert_learned_beep(section, 2328.1, beeps=2, interval_s=0.298)


# Quick seed 269 pump1 (one 0.109 s beep at 673.0 Hz), --hard nurse_loud: a voice about 720 Hz, 19.0 s.
BEEP_PARTIAL_SHARED_WITH_A_VOICE = DATA / "clinic-beep-under-a-nurse-its-2nd-partial-shared-with-a-voice.flac"


def test_the_second_look_takes_no_partial_shared_with_a_voice(tmp_path: Path) -> None:
    """Nothing here is a clear tone at the first look, and the second look must not learn the beep's 2nd partial:
    its strong peaks, shared with a voice's, hold 0.62 about their own pitch (the beeps it is meant for hold 0.97 and
    more), and counted as a steady tone they were learned as the beep at 1346 Hz (exit 0). Refused, as on main."""
    code, err, _ = _enroll(tmp_path, BEEP_PARTIAL_SHARED_WITH_A_VOICE, "non_critical")
    assert code == ExitCode.USAGE, err
    assert "no clear alarm tone" in err


# Quick seed 257 pump0, --hard long: 10 s of the 2.5 min recording where only talk is heard (70–80 s of it; the pump
# sounds elsewhere), resampled to 16 kHz. The voices pass through 2243 Hz in three blips within 1.25 s, then one
# 0.10 s blip.
TALK_WITH_NO_ALARM = DATA / "clinic-long-recording-talk-only-no-alarm.flac"


def test_talk_with_no_alarm_in_it_is_refused_not_learned(tmp_path: Path) -> None:
    """Main learned this as a 2242.9 Hz beep (exit 0, two soundings): a voice's harmonic, steady for a few frames at a
    time, stood clear (concentration 0.87, 21 dB). A pump's soundings of its beep repeat, as long each time; here one
    lasted 1.25 s and the other 0.10 s, so no alarm was demonstrated and nothing is learned."""
    code, err, _ = _enroll(tmp_path, TALK_WITH_NO_ALARM, "non_critical")
    assert code == ExitCode.USAGE, err
    assert "no steady alarm tone" in err


# Talk only, no alarm: 20 s of seed 211 pump0's background (a speech stretch, 430–450 s of background-0), 16 kHz.
TALK_WITH_TWO_VOICE_NOTES = DATA / "clinic-talk-only-no-alarm-two-voice-notes.flac"


def test_two_tones_that_follow_each_other_once_are_no_critical_alarm(tmp_path: Path) -> None:
    """Main learned this as the critical alarm, 2494.0 / 4677.0 Hz (exit 0, "≥ 1 changes per burst"): two voice
    harmonics that followed each other once in 6 of its 8 runs (1, 1, 1, 1, 1, 2, 2, 1 changes). The pump's two tones
    take turns again and again in every burst (3 or more changes in every clinic recording of the benchmark), so
    nothing is learned and the family is told to record again."""
    code, err, _ = _enroll(tmp_path, TALK_WITH_TWO_VOICE_NOTES, "critical")
    assert code == ExitCode.USAGE, err
    assert "follow each other only once" in err
