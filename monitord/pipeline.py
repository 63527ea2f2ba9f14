"""The detection pipeline: audio samples in, detections out (frontend → tone trackers → detectors).

Pure and synchronous: feed blocks of any length (`feed`), call `flush` at the end of a stream. What it reports does
not depend on how the stream was cut into blocks, only when it is returned (tests/test_block_invariance.py,
bench/block_sizes.py). No I/O, no clock: times are stream seconds (samples / rate). Used by `monitord analyze`,
`monitord enroll` (verification) and the daemon's microphone loop alike.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from monitord.audio import INTERNAL_RATE_HZ
from monitord.detectors import DETECTORS, Detection, Detector
from monitord.frontend import FRAME_LENGTH, HOP_LENGTH, Frontend
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
        for detector in self.detectors:
            detector.attach(self.frontend)
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
        detections = [d for detector in self.detectors for d in detector.process(block)]
        return sorted(detections, key=lambda d: d.start_s)

    def flush(self) -> list[Detection]:
        """End of stream: analyse the tail and decide everything pending."""
        block = self.frontend.flush()
        detections = [d for detector in self.detectors for d in detector.finish(block)]
        return sorted(detections, key=lambda d: d.start_s)

    def counters(self) -> dict[str, dict[str, int]]:
        """Per detector: why candidates were rejected (and how many were detected)."""
        return {detector.name: dict(detector.counters) for detector in self.detectors}
