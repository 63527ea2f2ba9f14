"""The detection pipeline: audio samples in, detections out (frontend → tone trackers → detectors).

Pure and synchronous: feed blocks of any length (`feed`), call `flush` at the end of a stream. No I/O, no clock:
times are stream seconds (samples / rate). Used by `monitord analyze`, `monitord enroll` (verification) and the
daemon's microphone loop alike.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from monitord.audio import INTERNAL_RATE_HZ
from monitord.detectors import DETECTORS, Detection, Detector
from monitord.frontend import FRAME_LENGTH, HOP_LENGTH, Frontend, ToneSegment, ToneTracker
from monitord.profiles import Profile


class Pipeline:
    """Feeds audio through the frontend to every detector the profile has a signature for."""

    def __init__(self, profile: Profile, *, rate_hz: int = INTERNAL_RATE_HZ) -> None:
        self.profile = profile
        self.rate_hz = rate_hz
        self.frame_length = FRAME_LENGTH
        self.hop_length = HOP_LENGTH
        self.detectors: list[Detector] = [
            detector
            for cls in DETECTORS.values()
            if (detector := cls.from_profile(profile)) is not None
        ]
        bands = [band for detector in self.detectors for band in detector.bands()]
        self.frontend = Frontend(
            rate_hz=rate_hz,
            min_hz=min(band.low_hz for band in bands),
            max_hz=max(band.high_hz for band in bands),
            frame_length=self.frame_length,
            hop_length=self.hop_length,
        )
        self._trackers: list[tuple[Detector, list[ToneTracker]]] = [
            (detector, [ToneTracker(band, frontend=self.frontend, min_snr_db=detector.min_snr_db)
                        for band in detector.bands()])
            for detector in self.detectors
        ]
        self.samples_fed = 0

    @property
    def now_s(self) -> float:
        """Stream time analysed so far (seconds)."""
        return self.samples_fed / self.rate_hz

    def feed(self, samples: NDArray[np.float32]) -> list[Detection]:
        """Analyse the next block (any length); returns detections completed by it."""
        self.samples_fed += len(samples)
        block = self.frontend.feed(samples)
        if block is None:
            return []
        detections: list[Detection] = []
        for detector, trackers in self._trackers:
            segments: list[ToneSegment] = []
            open_since: list[float] = []
            for tracker in trackers:
                segments += tracker.process(block)
                if (since := tracker.open_since_s) is not None:
                    open_since.append(since)
            segments.sort(key=lambda s: s.start_s)
            detections += detector.update(segments, now_s=trackers[0].now_s,
                                          open_since_s=min(open_since) if open_since else None)
        return sorted(detections, key=lambda d: d.start_s)

    def flush(self) -> list[Detection]:
        """End of stream: analyse the tail and decide everything pending."""
        detections: list[Detection] = []
        block = self.frontend.flush()
        for detector, trackers in self._trackers:
            segments: list[ToneSegment] = []
            for tracker in trackers:
                if block is not None:
                    segments += tracker.process(block)
                segments += tracker.flush()
            segments.sort(key=lambda s: s.start_s)
            detections += detector.update(segments, now_s=trackers[0].now_s, open_since_s=None)
            detections += detector.flush(now_s=self.now_s)
        return sorted(detections, key=lambda d: d.start_s)

    def counters(self) -> dict[str, dict[str, int]]:
        """Per detector: why candidates were rejected (and how many were detected)."""
        return {detector.name: dict(detector.counters) for detector in self.detectors}
