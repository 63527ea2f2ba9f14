"""Non-critical alarm (low reservoir, replacement due): a single beep or a short sequence of beeps.

Signal (domain.md): "a single beep (single-tone)", described by one clinic as "a short sequence"; soft; repeated
about once an hour while the condition lasts. Frequency, beep length and gaps are not public: they come from the
profile's `BeepSignature` (learned by `monitord enroll`, or the broad default guess).

Timings and tolerances (from the signature):
  - tone:     `frequency_hz` ± `tolerance_pct` per frame, and the sounding's mean frequency within 40 % of that
              (or, unlearned, any steady tone in `search_min_hz`..`search_max_hz`, at most `count_max` beeps)
  - sounding: the tone heard with pauses of at most `gap_max_s`, from first to last beep `span_min_s` ..
              `span_max_s` long, heard during at least `fill_min_pct` of that span. Beep *count* is not required:
              a room's reverberation fills short pauses and noise breaks long beeps, so the span is what survives.
  - quiet:    judged once the tone has been silent for `quiet_after_s`; if soundings alike in length came again
              meanwhile (smoke alarm T3: 0.5 s on/off ×3 then 1.5 s off; oven timers) it is a device that keeps
              beeping, not the pump, and all of them are rejected
  - level:    mean SNR over the floor ≥ `min_snr_db`

Output: one `Detection` per sounding, `quiet_after_s` after it (no waiting for the hourly repeat): start/end,
mean SNR, the beep frequency, confidence from the SNR margin.

Reason codes (self.counters): too_short, too_long, off_frequency, sparse, weak, repeating_device, sweep,
too_many_beeps, merged_repeat, detected.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from monitord.alarms import AlarmKind
from monitord.detectors.base import Detection, Detector, confidence_from
from monitord.frontend import Band, BandRun, Frontend, RunTracker, SpectralBlock, ToneSegment, ToneTracker
from monitord.profiles import BeepSignature, Profile

_REPEAT_MERGE_S = 2.5  # a second sounding this soon after a reported one is the same sounding, not a new one
_ALIKE_FRACTION = 0.35  # soundings whose spans differ by less than this (plus 60 ms) are "the same beep again"


@dataclass
class _Candidate:
    start_s: float
    end_s: float
    frequency_hz: float
    snr_db: float
    ok: bool  # passed every test on its own; may still be rejected as a repeating device
    reason: str = ""
    repeated: bool = False

    @property
    def span_s(self) -> float:
        return self.end_s - self.start_s

    def alike(self, other: _Candidate, tolerance: float) -> bool:
        return (abs(self.span_s - other.span_s) <= _ALIKE_FRACTION * max(self.span_s, other.span_s) + 0.06
                and abs(self.frequency_hz - other.frequency_hz) <= tolerance * self.frequency_hz)


@dataclass
class _Group:
    sounding: _Candidate
    beeps: int


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
        self._pending: list[_Candidate] = []
        self._recent: list[_Candidate] = []  # judged candidates kept for the repeating-device test
        self._quiet_until_s = float("-inf")
        self._run_tracker: RunTracker | None = None
        self._segment_tracker: ToneTracker | None = None
        self._groups: list[_Group] = []  # open sequences (default guess)

    @classmethod
    def from_profile(cls, profile: Profile) -> NonCriticalDetector | None:
        signature = profile.non_critical
        return None if signature is None else cls(signature, verified=profile.is_verified(cls.alarm))

    def bands(self) -> list[Band]:
        return [self._band]

    def attach(self, frontend: Frontend) -> None:
        sig = self.signature
        if sig.frequency_hz is not None:
            self._run_tracker = RunTracker([self._band], frontend=frontend, min_snr_db=sig.min_snr_db,
                                           max_gap_s=sig.gap_max_s, max_run_s=sig.span_max_s + 1.0)
        else:
            self._segment_tracker = ToneTracker(self._band, frontend=frontend, min_snr_db=sig.min_snr_db)

    def process(self, block: SpectralBlock) -> list[Detection]:
        if self._run_tracker is not None:
            tracker = self._run_tracker
            candidates = [self._from_run(run) for run in tracker.process(block)]
            return self._settle(candidates, now_s=tracker.now_s, open_since_s=tracker.open_since_s)
        assert self._segment_tracker is not None, "attach() first"
        segment_tracker = self._segment_tracker
        candidates = self._from_segments(segment_tracker.process(block), now_s=segment_tracker.now_s)
        return self._settle(candidates, now_s=segment_tracker.now_s, open_since_s=segment_tracker.open_since_s)

    def finish(self, block: SpectralBlock | None) -> list[Detection]:
        if self._run_tracker is not None:
            runs = self._run_tracker.process(block) if block is not None else []
            candidates = [self._from_run(run) for run in runs + self._run_tracker.flush()]
        else:
            assert self._segment_tracker is not None, "attach() first"
            segments = self._segment_tracker.process(block) if block is not None else []
            candidates = self._from_segments(segments + self._segment_tracker.flush(), now_s=float("inf"))
        return self._settle(candidates, now_s=float("inf"), open_since_s=None)

    # --- learned tone: runs of frames in the narrow band --------------------------------------------------

    def _from_run(self, run: BandRun) -> _Candidate:
        sig = self.signature
        on = run.on[0]
        frames = np.flatnonzero(on)
        frame_s = (run.end_s - run.start_s) / run.frames
        first, last = int(frames[0]), int(frames[-1]) + 1
        start_s, end_s = run.start_s + first * frame_s, run.start_s + last * frame_s
        snr = run.snr_db[0][on]
        weights = np.maximum(snr, 0.1)
        frequency = float(np.sum(run.frequency_hz[0][on] * weights) / np.sum(weights))
        candidate = _Candidate(start_s, end_s, frequency, float(snr.mean()), ok=False)
        assert sig.frequency_hz is not None
        if run.truncated or candidate.span_s > sig.span_max_s:
            candidate.reason = "too_long"
        elif candidate.span_s < max(sig.span_min_s, sig.beep_min_s):
            candidate.reason = "too_short"
        elif abs(frequency / sig.frequency_hz - 1) > sig.tolerance_pct / 250.0:
            candidate.reason = "off_frequency"
        elif 100.0 * len(frames) / (last - first) < sig.fill_min_pct:
            candidate.reason = "sparse"
        elif candidate.snr_db < sig.min_snr_db:
            candidate.reason = "weak"
        else:
            candidate.ok = True
        return candidate

    # --- no learned tone (the default guess): sequences of steady segments at one frequency -----------------

    def _from_segments(self, segments: list[ToneSegment], *, now_s: float) -> list[_Candidate]:
        """Group steady segments at one frequency, at most gap_max_s apart, into soundings; return the closed ones."""
        sig = self.signature
        tolerance = sig.tolerance_pct / 100.0
        for segment in segments:
            if segment.duration_s < sig.beep_min_s:
                self.counters["too_short"] += 1
                continue
            if segment.spread_pct > 2 * sig.tolerance_pct:
                self.counters["sweep"] += 1
                continue
            group = next((g for g in self._groups
                          if segment.start_s - g.sounding.end_s <= sig.gap_max_s
                          and abs(segment.frequency_hz / g.sounding.frequency_hz - 1) <= tolerance), None)
            if group is None:
                self._groups.append(_Group(_Candidate(segment.start_s, segment.end_s, segment.frequency_hz,
                                                      segment.snr_db, ok=True), 1))
            else:
                sounding = group.sounding
                sounding.snr_db = (sounding.snr_db * group.beeps + segment.snr_db) / (group.beeps + 1)
                sounding.end_s = max(sounding.end_s, segment.end_s)
                group.beeps += 1
        closed: list[_Group] = []
        still: list[_Group] = []
        for group in self._groups:
            (still if now_s - group.sounding.end_s <= sig.gap_max_s else closed).append(group)
        self._groups = still
        result = []
        for group in closed:
            candidate = group.sounding
            if group.beeps > sig.count_max:
                candidate.ok, candidate.reason = False, "too_many_beeps"
            elif candidate.span_s > sig.span_max_s:
                candidate.ok, candidate.reason = False, "too_long"
            elif candidate.span_s < sig.span_min_s:
                candidate.ok, candidate.reason = False, "too_short"
            elif candidate.snr_db < sig.min_snr_db:
                candidate.ok, candidate.reason = False, "weak"
            result.append(candidate)
        return result

    # --- both: wait for quiet, reject devices that keep beeping, report -------------------------------------

    def _settle(self, candidates: list[_Candidate], *, now_s: float, open_since_s: float | None) -> list[Detection]:
        sig = self.signature
        tolerance = sig.tolerance_pct / 100.0
        for candidate in candidates:
            # Only soundings that would pass on their own count as "the same beep again".
            if candidate.ok:
                for other in self._pending + self._recent[-20:]:
                    if other.ok and candidate.start_s - other.end_s <= sig.quiet_after_s \
                            and candidate.alike(other, tolerance / 1.5):
                        candidate.repeated = other.repeated = True
            self._pending.append(candidate)
        detections = []
        still: list[_Candidate] = []
        for candidate in self._pending:
            waiting = now_s - candidate.end_s <= sig.quiet_after_s or (
                open_since_s is not None and open_since_s <= candidate.end_s + sig.quiet_after_s)
            if waiting:
                still.append(candidate)
                continue
            self._recent.append(candidate)
            detection = self._judge(candidate)
            if detection is not None:
                detections.append(detection)
        self._pending = still
        self._recent = [c for c in self._recent if now_s - c.end_s <= 4 * sig.quiet_after_s][-50:]
        return detections

    def _judge(self, candidate: _Candidate) -> Detection | None:
        sig = self.signature
        if not candidate.ok:
            self.counters[candidate.reason] += 1
            return None
        if candidate.repeated:
            self.counters["repeating_device"] += 1
            return None
        if candidate.start_s < self._quiet_until_s:
            self.counters["merged_repeat"] += 1  # not extended: a chain of clutter must not mute the next sounding
            return None
        self._quiet_until_s = candidate.end_s + _REPEAT_MERGE_S
        self.counters["detected"] += 1
        return Detection(
            alarm=self.alarm,
            start_s=round(candidate.start_s, 3),
            end_s=round(candidate.end_s, 3),
            confidence=confidence_from(candidate.snr_db, min_snr_db=sig.min_snr_db, completeness=1.0,
                                       verified=self.verified),
            snr_db=round(candidate.snr_db, 1),
            frequencies_hz=(round(candidate.frequency_hz, 1),),
            detector=self.name,
        )
