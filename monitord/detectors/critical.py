"""Critical alarm (empty reservoir, battery end, motor stall): two tones alternating, siren-like.

Signal (domain.md): "a two-tone alarm", "siren-like", "a faint noise similar to an ambulance siren"; one old
manufacturer page mentions "a 3-second dual-tone alarm"; repeated about every 10 minutes. The tones, their
lengths and gaps are not public: they come from the profile's `TwoToneSignature` (learned by `monitord enroll`,
or the broad default guess).

Timings and tolerances (from the signature):
  - tones:  `frequencies_hz` (low, high) ± `tolerance_pct` each (or, unlearned, any two steady tones in
            `search_min_hz`..`search_max_hz` whose ratio lies in `ratio_min`..`ratio_max`)
  - tone:   `tone_min_s` .. `tone_max_s` long, steady (a sweep is a siren's wail/yelp, not the pump)
  - burst:  tones at most `gap_max_s` apart, at least `changes_min` changes low↔high, `burst_min_s` .. `burst_max_s`
            long; the two tones alternate rather than sound together (a chord or DTMF digit is not this alarm)
  - level:  mean SNR over the floor ≥ `min_snr_db`
Emergency sirens (hi-lo 2-tone, 400–1500 Hz) alternate for many seconds: longer than `burst_max_s`, rejected.

Output: one `Detection` per burst, `gap_max_s` (≤ 1.2 s) after its last tone, so a streaming caller has it within
1.5 s of the end of the first burst; further bursts of the same sounding (within 4 s) are merged, not re-reported.

Reason codes (self.counters): too_short, sweep, steady_tone, one_tone, ratio, too_few_changes, too_short_burst,
too_long_burst, simultaneous, weak, merged_repeat.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from monitord.alarms import AlarmKind
from monitord.detectors.base import Detection, Detector, confidence_from
from monitord.frontend import Band, ToneSegment
from monitord.profiles import Profile, TwoToneSignature

_REPEAT_MERGE_S = 4.0
_HANGOVER_S = 0.1  # beyond gap_max_s, so a tone starting right at the limit is not cut off


@dataclass
class _Burst:
    tones: list[ToneSegment] = field(default_factory=list)
    steady_tone: bool = False
    sweep: bool = False

    @property
    def last_end_s(self) -> float:
        return max(t.end_s for t in self.tones)


class CriticalDetector(Detector):
    alarm = AlarmKind.CRITICAL
    name = "critical_two_tone"

    def __init__(self, signature: TwoToneSignature, *, verified: bool) -> None:
        super().__init__()
        self.signature = signature
        self.verified = verified
        tolerance = signature.tolerance_pct / 100.0
        if signature.frequencies_hz is not None:
            low, high = sorted(signature.frequencies_hz)
            self._bands = [
                Band("critical.low", low * (1 - tolerance), low * (1 + tolerance)),
                Band("critical.high", high * (1 - tolerance), high * (1 + tolerance)),
            ]
        else:
            self._bands = [Band("critical", signature.search_min_hz, signature.search_max_hz)]
        self._burst: _Burst | None = None
        self._quiet_until_s = float("-inf")

    @classmethod
    def from_profile(cls, profile: Profile) -> CriticalDetector | None:
        signature = profile.critical
        return None if signature is None else cls(signature, verified=profile.is_verified(cls.alarm))

    @property
    def min_snr_db(self) -> float:
        return self.signature.min_snr_db

    def bands(self) -> list[Band]:
        return list(self._bands)

    def update(self, segments: list[ToneSegment], *, now_s: float, open_since_s: float | None) -> list[Detection]:
        sig = self.signature
        detections: list[Detection] = []
        for segment in segments:
            if segment.spread_pct > 2 * sig.tolerance_pct:
                self.counters["sweep"] += 1
                if self._burst is not None:
                    self._burst.sweep = True
                continue
            if segment.duration_s < sig.tone_min_s:
                self.counters["too_short"] += 1
                continue
            if self._burst is not None and segment.start_s - self._burst.last_end_s > sig.gap_max_s:
                detections += self._close()
            if self._burst is None:
                self._burst = _Burst()
            self._burst.tones.append(segment)
            if segment.duration_s > sig.tone_max_s:
                self._burst.steady_tone = True
        if self._burst is not None:
            last_end = self._burst.last_end_s
            waiting = now_s - last_end <= sig.gap_max_s + _HANGOVER_S or (
                open_since_s is not None and open_since_s <= last_end + sig.gap_max_s
            )
            if not waiting:
                detections += self._close()
        return detections

    def _close(self) -> list[Detection]:
        burst, self._burst = self._burst, None
        if burst is None:
            return []
        detection = self._judge(burst)
        return [detection] if detection is not None else []

    def _labels(self, tones: list[ToneSegment]) -> list[str] | None:
        """Which tone (low/high) each segment is; None when the burst is not two distinct steady tones."""
        sig = self.signature
        if sig.frequencies_hz is not None:
            return [t.band for t in tones]
        frequencies = sorted(t.frequency_hz for t in tones)
        if frequencies[-1] / frequencies[0] <= 1 + 2 * sig.tolerance_pct / 100:
            self.counters["one_tone"] += 1
            return None
        ratios = [b / a for a, b in itertools.pairwise(frequencies)]
        split = max(range(len(ratios)), key=ratios.__getitem__)
        low_group, high_group = frequencies[: split + 1], frequencies[split + 1 :]
        spread_limit = 1 + 2 * sig.tolerance_pct / 100
        if low_group[-1] / low_group[0] > spread_limit or high_group[-1] / high_group[0] > spread_limit:
            self.counters["one_tone"] += 1  # more than two tones: music, not the pump
            return None
        ratio = (sum(high_group) / len(high_group)) / (sum(low_group) / len(low_group))
        if not sig.ratio_min <= ratio <= sig.ratio_max:
            self.counters["ratio"] += 1
            return None
        threshold = low_group[-1]
        return ["critical.low" if t.frequency_hz <= threshold else "critical.high" for t in tones]

    def _judge(self, burst: _Burst) -> Detection | None:
        sig = self.signature
        tones = sorted(burst.tones, key=lambda t: t.start_s)
        if burst.steady_tone:
            self.counters["steady_tone"] += 1
            return None
        if burst.sweep:
            self.counters["sweep"] += 1
            return None
        start_s, end_s = tones[0].start_s, max(t.end_s for t in tones)
        duration = end_s - start_s
        if duration > sig.burst_max_s:
            self.counters["too_long_burst"] += 1
            return None
        if len(tones) < 2:
            self.counters["too_few_changes"] += 1
            return None
        labels = self._labels(tones)
        if labels is None:
            return None
        changes = sum(1 for a, b in itertools.pairwise(labels) if a != b)
        if changes < sig.changes_min or len(set(labels)) < 2:
            self.counters["too_few_changes"] += 1
            return None
        if duration < sig.burst_min_s:
            self.counters["too_short_burst"] += 1
            return None
        # Alternating, not together: the two tones may overlap a little (reverberation), not for long.
        overlap = 0.0
        lows = [t for t, label in zip(tones, labels, strict=True) if label == "critical.low"]
        highs = [t for t, label in zip(tones, labels, strict=True) if label == "critical.high"]
        for low in lows:
            for high in highs:
                overlap += max(0.0, min(low.end_s, high.end_s) - max(low.start_s, high.start_s))
        on_time = sum(t.duration_s for t in tones)
        if overlap > 0.35 * on_time:
            self.counters["simultaneous"] += 1
            return None
        frames = sum(t.frames for t in tones)
        snr_db = sum(t.snr_db * t.frames for t in tones) / frames
        if snr_db < sig.min_snr_db:
            self.counters["weak"] += 1
            return None
        if start_s < self._quiet_until_s:
            self.counters["merged_repeat"] += 1
            self._quiet_until_s = max(self._quiet_until_s, end_s + _REPEAT_MERGE_S)
            return None
        self._quiet_until_s = end_s + _REPEAT_MERGE_S

        def mean_frequency(group: list[ToneSegment]) -> float:
            return round(sum(t.frequency_hz * t.frames for t in group) / sum(t.frames for t in group), 1)

        completeness = min(1.0, changes / max(1, sig.changes_min))
        self.counters["detected"] += 1
        return Detection(
            alarm=self.alarm,
            start_s=round(start_s, 3),
            end_s=round(end_s, 3),
            confidence=confidence_from(snr_db, min_snr_db=sig.min_snr_db, completeness=completeness,
                                       verified=self.verified),
            snr_db=round(snr_db, 1),
            frequencies_hz=(mean_frequency(lows), mean_frequency(highs)),
            detector=self.name,
        )
