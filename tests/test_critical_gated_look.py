"""A run the reverberation gate cut, and in which nothing was found, gets one more look with the frames the gate
turned off (GATED_LOOK in monitord/detectors/critical.py; BandRun.gated from the RunTracker in monitord/frontend.py).

tests/data/critical-low-tone-in-a-room-notch-reverberant.flac: 56-72 s of quick seed 293's pump0 recall file at
-10 dB (speech in a reverberant room, RT60 0.24 s, direct-to-reverberant ratio 2.9 dB; 16 kHz). The pump's notes
2695 / 3914 Hz, 0.176 s turns, 2.35 s bursts; the sounding's first burst at 8.32-10.57 s of the clip, its second
from 11.70 s. The low tone reads 40-42 dB at each switch between the tones and 15-23 dB (on its note) inside its own
turns: the gate (10 dB under the band's loudest frame of the last 0.5 s) turns its turns off but for the switch
frames, so the low pitch comes from the switches alone (2700.0 Hz, the ratio 0.32 % off the learned one, 0.27 %
allowed: `wrong_ratio`), and the burst was heard only from the second burst, streamed 3.13 s after the first ended
(the bench's whole file: 3.83 s). With the gated frames heard, the split into turns is by which band stands out, the
low pitch reads 2695.6 Hz and the whole first burst is reported 0.53 s after it ends.
"""

from __future__ import annotations

from typing import Any

import pytest
import soundfile as sf

from monitord.detectors import critical
from tests.conftest import DATA, golden_with_critical, stream_critical

# The benchmark's pump0 as `monitord enroll` learned it from its clinic recording (bench/out/s17base-q293).
PUMP0: dict[str, Any] = {
    "frequencies_hz": (2695.3, 3914.1), "harmonics_hz": (5390.2,), "tolerance_pct": 2.5,
    "mean_tolerance_pct": 1.0, "min_snr_db": 8.0, "tone_min_s": 0.06, "tone_max_s": 0.876, "gap_max_s": 0.372,
    "changes_min": 4, "tone_typical_s": 0.176, "ratio_spread_pct": 0.0055, "burst_min_s": 0.883,
    "burst_typical_s": 2.352, "burst_max_s": 4.648, "fill_min_pct": 44.7}
FIRST_BURST_S = (8.32, 10.57)
CLIP = DATA / "critical-low-tone-in-a-room-notch-reverberant.flac"


@pytest.mark.parametrize("gated_look", [False, True])
def test_a_low_tone_in_a_room_notch_is_heard_in_its_first_burst_in_the_gated_look(
        monkeypatch: pytest.MonkeyPatch, gated_look: bool) -> None:
    """Without the gated look only the second burst is heard; with it, the first, 0.53 s after it ends. (Before the
    gated frames had to go to their own tone in the split, the look cut this crop's turns into 2-9 frames against the
    learned 5.5 and the turn-by-turn pace check refused it: the cut frames the split gave to the other tone.)"""
    monkeypatch.setattr(critical, "GATED_LOOK", gated_look)
    audio, rate_hz = sf.read(CLIP, dtype="float32")
    found = stream_critical(golden_with_critical(**PUMP0), audio, rate_hz, 0.1)
    assert found, "the sounding is not heard"
    if gated_look:
        assert found[0][0] - FIRST_BURST_S[1] <= 1.5, found
        assert found[0][1].start_s <= FIRST_BURST_S[1], found
    else:
        assert found[0][0] - FIRST_BURST_S[1] > 1.5, found


# tests/data/critical-high-turn-gated-after-a-loud-switch-in-speech.flac: 0-16 s of quick seed 41's pump0 recall file
# at 0 dB (speech, reverberant room: RT60 0.53 s, direct-to-reverberant ratio 5.3 dB). The pump's notes 2303 / 3634 Hz,
# 0.32 s turns, 2.78 s bursts; the sounding's first burst at 8.95-11.58 s, its second from 12.44 s. A one-frame 56.5 dB
# reading of the high band at a switch (10.22 s) gates off the next high turn (44-45 dB); the low turns on either side
# merge into a turn too long for the pump's, which cuts the burst (crit16). On main only the second burst was reported
# (streamed 3.62 s after the first ended; in 16 s blocks too). With the gated look the first burst is reported while it
# still sounds, as a chain that speech ran into from 7.44 s.
PUMP0_41: dict[str, Any] = {
    "frequencies_hz": (2302.9, 3634.0), "harmonics_hz": (4604.9, 6908.3), "tolerance_pct": 2.5,
    "mean_tolerance_pct": 1.0, "min_snr_db": 8.0, "tone_min_s": 0.093, "tone_max_s": 1.132, "gap_max_s": 0.452,
    "changes_min": 4, "tone_typical_s": 0.32, "ratio_spread_pct": 0.0076, "burst_min_s": 1.062,
    "burst_typical_s": 2.784, "burst_max_s": 5.224, "fill_min_pct": 45.0}
FIRST_BURST_41_S = (8.95, 11.58)
CLIP_41 = DATA / "critical-high-turn-gated-after-a-loud-switch-in-speech.flac"


@pytest.mark.parametrize("block_s", [0.1, 16.0])
def test_a_turn_gated_off_after_a_loud_switch_is_heard_in_the_gated_look(block_s: float) -> None:
    audio, rate_hz = sf.read(CLIP_41, dtype="float32")
    found = stream_critical(golden_with_critical(**PUMP0_41), audio, rate_hz, block_s)
    assert found, "the sounding is not heard"
    reported_at, detection = found[0]
    assert detection.end_s >= FIRST_BURST_41_S[0], found
    assert detection.start_s <= FIRST_BURST_41_S[1], found
    if block_s < 1.0:
        assert reported_at - FIRST_BURST_41_S[1] <= 1.5, found


def test_without_the_gated_look_the_first_burst_of_seed_41_is_not_heard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(critical, "GATED_LOOK", False)
    audio, rate_hz = sf.read(CLIP_41, dtype="float32")
    found = stream_critical(golden_with_critical(**PUMP0_41), audio, rate_hz, 0.1)
    assert all(detection.start_s > FIRST_BURST_41_S[1] for _, detection in found), found


def test_the_gated_look_asks_most_of_a_bursts_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    """GATED_MIN_BURST_SHARE: seed 41's first burst passes at 0.6 of the learned burst's changes and not when the
    look asks more than a burst holds. (A phone's ring heard with its echo,
    quick seed 277 pump1's background-1 at 577.0 s, passed the gated look with 4 changes; it does not reproduce in a
    crop short enough to keep here: the benchmark's run is the check.)"""
    monkeypatch.setattr(critical, "GATED_MIN_BURST_SHARE", 1.1)
    audio, rate_hz = sf.read(CLIP_41, dtype="float32")
    found = stream_critical(golden_with_critical(**PUMP0_41), audio, rate_hz, 0.1)
    assert all(detection.start_s > FIRST_BURST_41_S[1] for _, detection in found), found


def test_the_gated_look_asks_the_pumps_pace_turn_by_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    """The gated look checks each inner turn against the learned one, as the integrated look does (music's held notes
    with their echo cut into turns of 3-18 frames passed it on the full corpus, pump2's background-0 at 601 s; not
    reproducible in a crop short enough to keep). Asking more than all of seed 41's turns refuses its first burst."""
    monkeypatch.setattr(critical, "INTEGRATED_MIN_RHYTHM_SHARE", 1.01)
    audio, rate_hz = sf.read(CLIP_41, dtype="float32")
    found = stream_critical(golden_with_critical(**PUMP0_41), audio, rate_hz, 0.1)
    assert all(detection.start_s > FIRST_BURST_41_S[1] for _, detection in found), found



# The gated frames are heard only where the split into turns by which band stands out gives them to their own tone
# (against the median of the frames the bands heard). Three crops of quick-corpus backgrounds that the gated look
# reported as critical without that rule (with GATED_LOOK on, bench/out/lat17-j-q31 and lat18-a-q83), each with the
# benchmark's pump as `monitord enroll` learned it (bench/out/s18base-q31, -q83):
# - speech-over-the-low-band-gated-frames.flac: 0-16 s of seed 31 pump2's background-1 (speech). A voice holds the low
#   band at 30-42 dB off the low note; the high band's cut frames under it (14-26 dB on the high note, 12.34-12.50 s)
#   went to the low tone in the split and lengthened a 2-frame low turn to 9: reported at 11.47-13.33 s.
# - siren-hilo-gated-frame-of-the-other-tone.flac: 384-416 s of seed 83 pump0's background-0 (a hi-lo siren on the
#   pump's notes). One cut frame of the low tone (25.17 s) read less above the high band than the run's low turns do,
#   went to the high tone and made a high turn inside a low one: reported at 24.05-26.16 s (a siren: a hard failure).
# - alarm-clock-on-the-high-note-gated-echo.flac: 540-566 s of seed 83 pump2's background-2 (a recorded alarm clock
#   beeping 0.45 % above the pump's high note, a few frames of murmur on the low note in its gaps). Measured against the
#   heard and the cut frames together, the cut frames under its beeps moved the split's measure and re-drew the turns
#   into a burst (19.02-21.33 s); measured against the heard frames alone, no turn's worth of cut frames is left.
PUMP2_31: dict[str, Any] = {
    "search_min_hz": 500.0, "search_max_hz": 4500.0, "frequencies_hz": (662.3, 919.2),
    "harmonics_hz": (1987.6, 2646.8, 2759.9, 3309.5, 3679.0, 4600.4), "tolerance_pct": 2.5, "mean_tolerance_pct": 1.0,
    "min_snr_db": 8.0, "tone_min_s": 0.077, "tone_max_s": 2.22, "gap_max_s": 0.498, "changes_min": 2,
    "tone_typical_s": 0.296, "ratio_spread_pct": 0.0529, "burst_min_s": 0.819, "burst_typical_s": 2.08,
    "burst_max_s": 4.168, "fill_min_pct": 45.0, "ratio_min": 1.05, "ratio_max": 2.2}
PUMP0_83: dict[str, Any] = {
    "search_min_hz": 500.0, "search_max_hz": 4500.0, "frequencies_hz": (636.6, 808.8),
    "harmonics_hz": (1273.1, 1620.0, 1908.0, 2426.8, 2544.4, 3207.1, 4046.8), "tolerance_pct": 2.5,
    "mean_tolerance_pct": 1.0, "min_snr_db": 8.0, "tone_min_s": 0.128, "tone_max_s": 1.452, "gap_max_s": 0.6,
    "changes_min": 2, "tone_typical_s": 0.448, "ratio_spread_pct": 0.1407, "burst_min_s": 0.896,
    "burst_typical_s": 2.32, "burst_max_s": 4.6, "fill_min_pct": 45.0, "ratio_min": 1.05, "ratio_max": 2.2}
PUMP2_83: dict[str, Any] = {
    "search_min_hz": 500.0, "search_max_hz": 4500.0, "frequencies_hz": (2925.6, 4077.5), "harmonics_hz": (5851.7,),
    "tolerance_pct": 2.5, "mean_tolerance_pct": 1.0, "min_snr_db": 8.0, "tone_min_s": 0.093, "tone_max_s": 1.132,
    "gap_max_s": 0.314, "changes_min": 3, "tone_typical_s": 0.368, "ratio_spread_pct": 0.0044, "burst_min_s": 1.062,
    "burst_typical_s": 2.768, "burst_max_s": 5.176, "fill_min_pct": 45.0, "ratio_min": 1.05, "ratio_max": 2.2}


@pytest.mark.parametrize("block_s", [0.1, 16.0])
@pytest.mark.parametrize(("clip", "learned"), [
    ("speech-over-the-low-band-gated-frames.flac", PUMP2_31),
    ("siren-hilo-gated-frame-of-the-other-tone.flac", PUMP0_83),
    ("alarm-clock-on-the-high-note-gated-echo.flac", PUMP2_83),
])
def test_gated_frames_the_split_gives_to_the_other_tone_are_not_heard(clip: str, learned: dict[str, Any],
                                                                      block_s: float) -> None:
    audio, rate_hz = sf.read(DATA / clip, dtype="float32")
    assert stream_critical(golden_with_critical(**learned), audio, rate_hz, block_s) == []
