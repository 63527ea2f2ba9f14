"""The benchmark's own ground truth: if the corpus lies about SNR or timing, or the scorer miscounts, every
number in README's benchmark table is wrong. These tests need no Debian sound packages (pure synthesis)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import corpus
import detection
import incidents
import robustness

from monitord.alarms import AlarmKind
from monitord.profiles import Profile

FS = corpus.RATE_HZ


def dominant_hz(x: np.ndarray, fs: int = FS) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.fft.rfftfreq(x.size, 1 / fs)[np.argmax(spectrum)])


def test_pumps_are_deterministic_and_random_across_the_band() -> None:
    assert corpus.pumps_for(11, 4) == corpus.pumps_for(11, 4)
    pumps = corpus.pumps_for(11, 40)
    beeps = [p.beep_hz for p in pumps]
    assert min(beeps) >= 500
    assert max(beeps) <= 4500
    assert max(beeps) - min(beeps) > 2500  # spread over the band, not clustered on one guess
    for p in pumps:
        assert 500 <= p.tone_low_hz < p.tone_high_hz <= 4500


def test_critical_sounding_alternates_two_tones_within_its_parts() -> None:
    pump = corpus.pumps_for(3, 1)[0]
    rendered = corpus.render_alarm(pump, "critical", FS, np.random.default_rng(0))
    assert len(rendered.parts) == pump.burst_count
    start, end = rendered.parts[0]
    seg = pump.tone_segment_s
    first = rendered.audio[int((start + 0.2 * seg) * FS): int((start + 0.8 * seg) * FS)]
    second = rendered.audio[int((start + 1.2 * seg) * FS): int((start + 1.8 * seg) * FS)]
    expected = ([pump.tone_high_hz, pump.tone_low_hz] if pump.critical_starts_high
                else [pump.tone_low_hz, pump.tone_high_hz])
    for got, want in zip((dominant_hz(first), dominant_hz(second)), expected, strict=True):
        assert abs(got - want) / want < 0.03
    silent_before = rendered.audio[: int(start * FS)]
    assert np.all(silent_before == 0)
    assert end - start == pytest.approx(pump.burst_s, rel=0.05)


def test_mixing_hits_the_requested_broadband_snr() -> None:
    rng = np.random.default_rng(1)
    background = rng.standard_normal(5 * FS)
    tone = np.sin(2 * np.pi * 1000 * np.arange(FS) / FS)
    mix = background.copy()
    corpus.add_at_snr(mix, background, tone, 2 * FS, (0, FS), -15.0)
    alarm = mix - background
    span = slice(2 * FS, 3 * FS)
    snr = 10 * np.log10(np.mean(alarm[span] ** 2) / np.mean(background[span] ** 2))
    assert snr == pytest.approx(-15.0, abs=0.01)


def test_smoke_alarm_follows_iso_8201_t3() -> None:
    rendered = corpus.smoke_t3(FS, np.random.default_rng(2))
    ons = [round(b - a, 2) for a, b in rendered.parts[:3]]
    offs = [round(rendered.parts[i + 1][0] - rendered.parts[i][1], 2) for i in range(3)]
    assert ons == [0.5, 0.5, 0.5]
    assert offs == [0.5, 0.5, 1.5]
    assert 3000 <= dominant_hz(rendered.audio[: int(0.5 * FS)]) <= 3500


def test_near_pump_distractor_is_three_to_ten_percent_off() -> None:
    pump = corpus.pumps_for(5, 1)[0]
    fake = corpus.near_pump(pump, "non_critical", FS, np.random.default_rng(4))
    a, b = fake.parts[0]
    off = abs(dominant_hz(fake.audio[int(a * FS): int(b * FS)]) - pump.beep_hz) / pump.beep_hz
    assert 0.025 <= off <= 0.105


def test_scoring_counts_kind_overlap_and_attributes_false_detections() -> None:
    recall_file = {"path": "r.flac", "pump": 0, "events": [
        {"kind": "critical", "start": 10.0, "end": 13.0, "snr_db": -10, "parts": [[10.0, 13.0]]},
        {"kind": "critical", "start": 30.0, "end": 33.0, "snr_db": -10, "parts": [[30.0, 33.0]]},
        {"kind": "critical", "start": 50.0, "end": 53.0, "snr_db": -10, "parts": [[50.0, 53.0]]},
    ]}
    detections = [
        {"file": "r.flac", "alarm": "critical", "start": 12.9, "end": 14.0},  # overlaps: hit
        {"file": "r.flac", "alarm": "non_critical", "start": 31.0, "end": 31.2},  # wrong kind: miss
        {"file": "r.flac", "alarm": "critical", "start": 40.0, "end": 41.0},  # matches nothing: spurious
    ]
    scored = detection.score_recall([recall_file], detections)
    assert scored["cells"]["critical@-10"] == {"soundings": 3, "hits": 1, "wrong_kind": 1}
    assert scored["spurious_in_recall_files"] == 1

    background_file = {"path": "b.flac", "seconds": 3600.0, "backgrounds": [["music", 0.0, 3600.0]], "events": [
        {"kind": "siren_hilo", "start": 100.0, "end": 120.0, "snr_db": 5, "parts": [[100.0, 120.0]]},
    ]}
    false = detection.score_false([background_file], [
        {"file": "b.flac", "alarm": "critical", "start": 110.0, "end": 113.0},
        {"file": "b.flac", "alarm": "non_critical", "start": 2000.0, "end": 2000.2},
    ])
    assert false["per_kind"] == {"siren_hilo": 1, "background:music": 1}
    assert false["sirens_as_critical"] == 1
    assert false["false_per_hour"] == pytest.approx(2.0)


def test_json_contract_check_flags_what_the_evaluation_would_choke_on() -> None:
    good = {"type": "detection", "file": "a.wav", "alarm": "critical", "start": 1.0, "end": 2.5,
            "confidence": 0.9, "snr_db": 12.0}
    assert detection.contract_problems([good], ["a.wav"], bad_lines=0) == []
    problems = detection.contract_problems(
        [good | {"alarm": "Critical"}, good | {"file": "/abs/a.wav"}, good | {"confidence": 1.5},
         {k: v for k, v in good.items() if k != "snr_db"}],
        ["a.wav"], bad_lines=2,
    )
    assert len(problems) == 5


def test_incidents_counts_episodes_and_incidents_in_stream_time() -> None:
    files = [  # given out of order: the stream lays them by pump, then by index
        {"path": "p2-b0.flac", "pump": 2, "index": 0, "seconds": 21600.0},
        {"path": "p1-b0.flac", "pump": 1, "index": 0, "seconds": 3600.0},
        {"path": "p0-b0.flac", "pump": 0, "index": 0, "seconds": 3600.0},
    ]
    layout = incidents.stream_layout(files)
    assert [(s.path, s.offset_s) for s in layout] == [("p0-b0.flac", 0.0), ("p1-b0.flac", 3600.0),
                                                      ("p2-b0.flac", 7200.0)]
    nc, cr = "non_critical", "critical"
    detections = [  # stream second in the comment
        {"file": "p1-b0.flac", "alarm": nc, "start": 100.0, "end": 100.5},  # 3700: 1 h after 100 → CONFIRMED: incident
        {"file": "p0-b0.flac", "alarm": nc, "start": 100.0, "end": 100.5},  # 100: STARTED, no incident yet
        {"file": "p0-b0.flac", "alarm": nc, "start": 115.0, "end": 115.5},  # 115: the same sounding twice
        {"file": "p0-b0.flac", "alarm": cr, "start": 1000.0, "end": 1003.0},  # 1000: STARTED: critical incident
        {"file": "p0-b0.flac", "alarm": cr, "start": 1300.0, "end": 1303.0},  # 1300: off cadence, same episode
        {"file": "p1-b0.flac", "alarm": cr, "start": 3000.0, "end": 3003.0},  # 6600: first ended → new: incident
        {"file": "p2-b0.flac", "alarm": nc, "start": 18000.0, "end": 18000.5},  # 25200: the 1st ended: STARTED only
    ]
    heard = incidents.detections_to_heard(detections, layout)
    assert [round((h.started_at - incidents.STREAM_START).total_seconds()) for h in heard] == [
        100, 115, 1000, 1300, 3700, 6600, 25200]
    counts = incidents.count_stream(heard, incidents.stream_seconds(layout)).as_dict()
    assert counts["detections"] == {"critical": 3, "non_critical": 4}
    assert counts["started"] == {"critical": 2, "non_critical": 2}
    assert counts["confirmed"] == {"critical": 0, "non_critical": 1}
    # critical opens on started (2 episodes), non-critical only once confirmed (1 of 2 episodes)
    assert counts["incidents"] == {"critical": 2, "non_critical": 1}
    assert counts["incident_times_s"] == [["critical", 1003.0], ["non_critical", 3700.5], ["critical", 6603.0]]
    assert counts["open_at_end"] == {"critical": 0, "non_critical": 1}


def test_incidents_confirmation_delay_of_a_simulated_pump() -> None:
    hourly = [incidents.heard(AlarmKind.NON_CRITICAL, t, t + 0.5) for t in (0.0, 3600.0, 7200.0)]
    alone = incidents.confirmation_delay([], hourly, start_s=0.0)
    assert alone == incidents.Trial(delay_s=3600.5, already_confirmed=False)
    missed_one = incidents.confirmation_delay([], [hourly[0], hourly[2]], start_s=0.0)
    assert missed_one.delay_s == 7200.5  # two periods on: still the pump's cadence
    # Strays an hour apart confirmed an episode before the pump began: its first sounding joins it at once.
    strays = [incidents.heard(AlarmKind.NON_CRITICAL, t, t + 1.0) for t in (0.0, 3600.0)]
    late = [incidents.heard(AlarmKind.NON_CRITICAL, t, t + 0.5) for t in (4000.0, 7600.0)]
    assert incidents.confirmation_delay(strays, late, start_s=4000.0) == incidents.Trial(
        delay_s=0.5, already_confirmed=True)
    summary = incidents.summarize_trials([alone, missed_one, incidents.Trial(None, False),
                                          incidents.Trial(0.5, True)])
    assert (summary["already_confirmed_by_strays"], summary["confirmed"], summary["never"]) == (1, 2, 1)
    assert summary["median_min"] == (3600.5 + 7200.5) / 2 / 60


def test_robustness_detunes_the_learned_pitches_and_keeps_the_rest() -> None:
    """bench/robustness.py's profiles: `all` moves every learned pitch by the same factor (the critical ratio kept),
    `high` moves the critical high note alone and listens for the critical alarm only; everything else is kept."""
    text = ('name = "p"\nverified = true\n\n[critical]\nfrequencies_hz = [1000.0, 1500.0]\nratio_spread_pct = 0.05\n'
            'verified = true\n\n[non_critical]\nfrequency_hz = 2000.0\nheard_min_s = 0.1\nverified = true\n')
    moved = Profile.model_validate(tomllib.loads(robustness.detuned(text, "all", 0.3)))
    assert moved.critical is not None
    assert moved.non_critical is not None
    assert moved.critical.frequencies_hz == pytest.approx((1003.0, 1504.5))
    assert moved.non_critical.frequency_hz == pytest.approx(2006.0)
    assert moved.critical.ratio_spread_pct == 0.05
    assert moved.non_critical.heard_min_s == 0.1
    high = Profile.model_validate(tomllib.loads(robustness.detuned(text, "high", -0.15)))
    assert high.critical is not None
    assert high.critical.frequencies_hz == pytest.approx((1000.0, 1497.75))
    assert high.non_critical is None
    assert [label for label, _, _ in robustness.variants([0.15])] == ["enrolled", "all+0.15", "all−0.15",
                                                                      "high+0.15", "high−0.15"]


def test_incidents_name_what_started_each_false_incident() -> None:
    """Each false incident is traced to its episode's FIRST sounding and what it heard (the distractor sounding then,
    else the background), whatever later sounding joined it."""
    files = [{"path": "p0-b0.flac", "pump": 0, "index": 0, "seconds": 3600.0,
              "events": [{"kind": "near_critical", "start": 99.0, "end": 104.0},
                         {"kind": "siren_hilo", "start": 400.0, "end": 420.0}],
              "backgrounds": [["music", 0.0, 3600.0]]}]
    layout = incidents.stream_layout(files)
    detections = [
        {"file": "p0-b0.flac", "alarm": "critical", "start": 100.0, "end": 103.0},  # starts the episode
        {"file": "p0-b0.flac", "alarm": "critical", "start": 405.0, "end": 411.0},  # joins it
        {"file": "p0-b0.flac", "alarm": "critical", "start": 3000.0, "end": 3003.0},  # a new episode: the music
    ]
    counts = incidents.count_stream(incidents.detections_to_heard(detections, layout), 3600.0)
    sources = incidents.incident_sources(counts, detections, layout, files)
    assert [(x["alarm"], x["stream_s"], x["source"]) for x in sources] == [
        ("critical", 100.0, "near_critical"), ("critical", 3000.0, "background:music")]


def test_incidents_what_if_a_critical_incident_waits_for_a_repeat() -> None:
    """`--critical-open-on confirmed`: a lone critical sounding opens no incident, a repeat on cadence does; the
    trials say when each policy alerts (first heard, confirmed after)."""
    lone = [incidents.heard(AlarmKind.CRITICAL, 100.0, 103.0)]
    repeated = [incidents.heard(AlarmKind.CRITICAL, t, t + 3.0) for t in (5000.0, 5600.0)]
    waiting = incidents.default_policies("confirmed")
    assert incidents.default_policies()[AlarmKind.CRITICAL].open_on == "started"
    assert incidents.count_stream(lone, 3600.0, waiting).incidents["critical"] == 0
    assert incidents.count_stream(lone, 3600.0).incidents["critical"] == 1
    counts = incidents.count_stream([*lone, *repeated], 7200.0, waiting)
    assert counts.incidents["critical"] == 1
    assert counts.incident_first_heard_s == [("critical", 5000.0)]
    trials = incidents.delay_trials([], 3600.0, AlarmKind.CRITICAL, 1.0, 0,
                                    [{AlarmKind.CRITICAL: (1000.0, 1500.0), AlarmKind.NON_CRITICAL: (2000.0,)}])
    first = trials["absent"][0]
    assert first.first_heard_s == incidents.TRUE_SOUNDING_S[AlarmKind.CRITICAL]
    assert first.delay_s == AlarmKind.CRITICAL.expected_repeat_s + incidents.TRUE_SOUNDING_S[AlarmKind.CRITICAL]
    summary = incidents.summarize_trials(trials["absent"])
    assert summary["first_heard_max_min"] == incidents.TRUE_SOUNDING_S[AlarmKind.CRITICAL] / 60


def _one_pump_corpus(root: Path, pump: corpus.PumpModel, manifest_pump: dict[str, object]) -> None:
    """A one-pump corpus as bench/enrollment.py reads it: three soundings of each alarm, rendered dry over faint
    pink noise (no Debian sound packages needed), and a manifest that says what the pump is."""
    import dataclasses
    import json

    import soundfile as sf

    rng = np.random.default_rng(5)
    folder = root / "seed1-quick" / pump.name
    folder.mkdir(parents=True)
    for alarm in ("critical", "non_critical"):
        pieces = [0.003 * corpus.pink_noise(FS, rng)]
        for _ in range(3):
            pieces += [corpus.render_alarm(pump, alarm, FS, rng).audio * 0.3, 0.003 * corpus.pink_noise(3 * FS, rng)]
        sf.write(folder / f"clinic-{alarm.replace('_', '-')}.wav", np.concatenate(pieces), FS)
    (root / "seed1-quick" / "manifest.json").write_text(
        json.dumps({"pumps": [dataclasses.asdict(pump) | manifest_pump]}))


def test_enrollment_bench_checks_learned_timing_against_the_pump(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """bench/enrollment.py passes a pump enrolled right and fails one whose learned tone length or beep count is
    not the pump's: the check that would have caught a reverberant clinic recording halving the critical tone."""
    import enrollment

    pump = corpus.PumpModel(name="pump0", beep_hz=2200.0, beep_s=0.2, beep_count=2, beep_gap_s=0.25,
                            tone_low_hz=1200.0, tone_high_hz=1600.0, tone_segment_s=0.25, burst_s=2.5,
                            burst_count=1, burst_gap_s=1.0, harmonics=(0.1, 0.2, 0.0, 0.05), attack_s=0.005,
                            decay_s=0.01, critical_starts_high=False)
    _one_pump_corpus(tmp_path / "right", pump, {})
    assert enrollment.main(["--corpus-root", str(tmp_path / "right")]) == 0
    out = capsys.readouterr().out
    assert "2/2 clinic recordings" in out
    assert "tone length: learned / true over 1" in out
    # One recording of both alarms, in either order: each alarm is learned from it as from its own.
    assert enrollment.main(["--corpus-root", str(tmp_path / "right"), "--both"]) == 0
    out = capsys.readouterr().out
    assert "4/4 enrollments from joined recordings of both alarms" in out
    assert "MISMATCH" not in out
    # The same recordings, but the manifest says the pump's tones are twice as long and it beeps three times.
    _one_pump_corpus(tmp_path / "wrong", pump, {"tone_segment_s": 0.5, "beep_count": 3})
    assert enrollment.main(["--corpus-root", str(tmp_path / "wrong")]) == 1
    out = capsys.readouterr().out
    assert "tone length learned 0.5" in out
    assert "beeps per sounding learned 0.667" in out
    assert "0/2 clinic recordings" in out


def test_a_failed_enrollment_is_logged_with_its_whole_message() -> None:
    # The last 300 characters of enroll's stderr cut its message mid-word ("ror: … no two alternating tones").
    message = ("monitord enroll: error: " + "/very/long/path/" * 12 + "clinic-critical.wav: no two alternating "
               "tones found (the critical alarm is two tones in turns); the strongest tone is 2688 Hz")
    stderr = message + "\n  hint: is this the non-critical alarm? then use --alarm non_critical; otherwise " \
        "record closer to the pump, in a quieter room\n"
    logged = detection.error_message(stderr)
    assert logged.startswith("monitord enroll: error: /very/long/path/")
    assert "the strongest tone is 2688 Hz hint: is this the non-critical alarm?" in logged
    assert detection.error_message("Traceback (most recent call last):\n  File x\nValueError: boom\n") == \
        "ValueError: boom"


def test_enrollment_bench_names_a_listed_corpus_that_is_missing(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """`--seeds` lists corpora on purpose: one not built is an error naming it, not a total over fewer corpora."""
    import enrollment
    assert enrollment.main(["--corpus-root", str(tmp_path), "--seeds", "5", "2024-full"]) == 2
    err = capsys.readouterr().err
    assert "seed5-quick, seed2024-full" in err
    assert "bench/detection.py --quick --seed N" in err
