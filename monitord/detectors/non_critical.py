"""Non-critical alarm (low reservoir, replacement due): a single beep or a short sequence of beeps.

Signal (domain.md): "a single beep (single-tone)", described by one clinic as "a short sequence"; soft; repeated
about once an hour while the condition lasts. Frequency, beep length and gaps are not public: they come from the
profile's `BeepSignature` (learned by `monitord enroll`, or the broad default guess).

Timings and tolerances (from the signature):
  - tone:     `frequency_hz` ± `tolerance_pct` (or, unlearned, any steady tone in `search_min_hz`..`search_max_hz`)
  - beep:     `beep_min_s` .. `beep_max_s` long; shorter blips are ignored, a longer steady tone rejects the group
  - sequence: beeps `gap_max_s` apart at most; `count_min` .. `count_max` beeps
  - quiet:    the same tone silent for `quiet_after_s` afterwards — so a tone that keeps beeping (smoke alarm T3,
              0.5 s on/off ×3 then 1.5 s off) runs into one too-long sequence and is rejected
  - level:    mean SNR over the floor ≥ `min_snr_db`

Output: one `Detection` per sounding, `quiet_after_s` after its last beep (no waiting for the hourly repeat):
start/end of the sequence, mean SNR, the beep frequency, confidence from SNR margin and count.

Reason codes (self.counters): too_short, sweep, steady_tone, too_many_beeps, too_few_beeps, weak, merged_repeat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from monitord.alarms import AlarmKind
from monitord.detectors.base import Detection, Detector, confidence_from
from monitord.frontend import Band, ToneSegment
from monitord.profiles import BeepSignature, Profile

_REPEAT_MERGE_S = 4.0  # a second group this soon after a reported one is the same sounding, not a new one


@dataclass
class _Sequence:
    frequency_hz: float
    beeps: list[ToneSegment] = field(default_factory=list)
    steady_tone: bool = False

    @property
    def last_end_s(self) -> float:
        return self.beeps[-1].end_s


class NonCriticalDetector(Detector):
    alarm = AlarmKind.NON_CRITICAL
    name = "non_critical_beep"

    def __init__(self, signature: BeepSignature, *, verified: bool) -> None:
        super().__init__()
        self.signature = signature
        self.verified = verified
        tolerance = signature.tolerance_pct / 100.0
        if signature.frequency_hz is not None:
            self._band = Band("non_critical", signature.frequency_hz * (1 - tolerance),
                              signature.frequency_hz * (1 + tolerance))
        else:
            self._band = Band("non_critical", signature.search_min_hz, signature.search_max_hz)
        self._open: list[_Sequence] = []
        self._quiet_until_s = float("-inf")

    @classmethod
    def from_profile(cls, profile: Profile) -> NonCriticalDetector | None:
        signature = profile.non_critical
        return None if signature is None else cls(signature, verified=profile.is_verified(cls.alarm))

    @property
    def min_snr_db(self) -> float:
        return self.signature.min_snr_db

    def bands(self) -> list[Band]:
        return [self._band]

    def update(self, segments: list[ToneSegment], *, now_s: float, open_since_s: float | None) -> list[Detection]:
        sig = self.signature
        tolerance = sig.tolerance_pct / 100.0
        detections: list[Detection] = []
        for segment in segments:
            if segment.duration_s < sig.beep_min_s:
                self.counters["too_short"] += 1
                continue
            if segment.spread_pct > 2 * sig.tolerance_pct:
                self.counters["sweep"] += 1
                continue
            sequence = next(
                (s for s in self._open
                 if abs(segment.frequency_hz - s.frequency_hz) <= tolerance * s.frequency_hz
                 and segment.start_s - s.last_end_s <= sig.quiet_after_s),
                None,
            )
            if sequence is None:
                sequence = _Sequence(frequency_hz=segment.frequency_hz)
                self._open.append(sequence)
            sequence.beeps.append(segment)
            if segment.duration_s > sig.beep_max_s:
                sequence.steady_tone = True
        still_open = []
        for sequence in self._open:
            waiting = now_s - sequence.last_end_s <= sig.quiet_after_s or (
                open_since_s is not None and open_since_s <= sequence.last_end_s + sig.quiet_after_s
            )
            if waiting:
                still_open.append(sequence)
                continue
            detection = self._judge(sequence)
            if detection is not None:
                detections.append(detection)
        self._open = still_open
        return detections

    def _judge(self, sequence: _Sequence) -> Detection | None:
        sig = self.signature
        beeps = sequence.beeps
        if sequence.steady_tone:
            self.counters["steady_tone"] += 1
            return None
        if len(beeps) > sig.count_max:
            self.counters["too_many_beeps"] += 1
            return None
        # The sequence proper: the longest run of beeps at most gap_max_s apart (a stray tone nearby may be
        # counted in the group but not in the sequence).
        best: list[ToneSegment] = []
        run: list[ToneSegment] = []
        for beep in beeps:
            if run and beep.start_s - run[-1].end_s > sig.gap_max_s:
                run = []
            run.append(beep)
            if len(run) > len(best):
                best = list(run)
        if len(best) < sig.count_min:
            self.counters["too_few_beeps"] += 1
            return None
        frames = sum(b.frames for b in best)
        snr_db = sum(b.snr_db * b.frames for b in best) / frames
        if snr_db < sig.min_snr_db:
            self.counters["weak"] += 1
            return None
        start_s, end_s = best[0].start_s, best[-1].end_s
        if start_s < self._quiet_until_s:
            self.counters["merged_repeat"] += 1
            self._quiet_until_s = max(self._quiet_until_s, end_s + _REPEAT_MERGE_S)
            return None
        self._quiet_until_s = end_s + _REPEAT_MERGE_S
        frequency = sum(b.frequency_hz * b.frames for b in best) / frames
        completeness = 1.0 if len(best) >= sig.count_min else len(best) / sig.count_min
        self.counters["detected"] += 1
        return Detection(
            alarm=self.alarm,
            start_s=round(start_s, 3),
            end_s=round(end_s, 3),
            confidence=confidence_from(snr_db, min_snr_db=sig.min_snr_db, completeness=completeness,
                                       verified=self.verified),
            snr_db=round(snr_db, 1),
            frequencies_hz=(round(frequency, 1),),
            detector=self.name,
        )
