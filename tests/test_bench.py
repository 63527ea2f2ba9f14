"""The benchmark's own ground truth: if the corpus lies about SNR or timing, or the scorer miscounts, every
number in README's benchmark table is wrong. These tests need no Debian sound packages (pure synthesis)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import corpus
import detection

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
