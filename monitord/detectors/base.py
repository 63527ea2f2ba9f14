"""What every detector shares: the `Detection` it reports and the `Detector` interface.

A detector is pure and synchronous: it receives spectral blocks from the frontend, runs its own tone trackers
over the bands it names, and returns detections — no I/O, no clock reads. It keeps its own counters of why
candidates were rejected (rtl_433 style reason codes).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass
from typing import ClassVar

from monitord.alarms import AlarmKind
from monitord.frontend import Band, Frontend, SpectralBlock
from monitord.profiles import Profile


@dataclass(frozen=True)
class Detection:
    """One sounding of a pump alarm, heard."""

    alarm: AlarmKind
    start_s: float  # stream seconds (from the start of the file / stream)
    end_s: float  # stream seconds
    confidence: float  # 0..1: how sure we are this was the pump's alarm
    snr_db: float  # tone power over the local noise floor, mean over the sounding
    frequencies_hz: tuple[float, ...]  # the tone(s) heard
    detector: str


def confidence_from(snr_db: float, *, min_snr_db: float, completeness: float, verified: bool) -> float:
    """Map SNR margin and pattern completeness (0..1) to a 0..1 confidence.

    A tone just at the threshold gives 0.5 × completeness, 15 dB more gives ~0.97. An unverified (guessed)
    signature caps confidence at 0.6: the shape matched, but nobody confirmed this pump sounds like that.
    """
    margin = max(0.0, min(1.0, (snr_db - min_snr_db) / 15.0))
    value = (0.5 + 0.47 * margin) * max(0.0, min(1.0, completeness))
    if not verified:
        value = min(value, 0.6)
    return round(max(0.01, min(0.99, value)), 3)


class Detector(ABC):
    """A signature matcher for one alarm."""

    alarm: ClassVar[AlarmKind]
    name: ClassVar[str]
    verified: bool  # the signature learned from this patient's pump (else confidence is capped: confidence_from)

    def __init__(self) -> None:
        self.counters: Counter[str] = Counter()

    def detected(self, start_s: float, end_s: float, snr_db: float, frequencies_hz: tuple[float, ...], *,
                 min_snr_db: float, completeness: float) -> Detection:
        """Count one sounding heard and report it, rounded as every output shows it (ms, 0.1 dB, 0.1 Hz)."""
        self.counters["detected"] += 1
        return Detection(
            alarm=self.alarm,
            start_s=round(start_s, 3),
            end_s=round(end_s, 3),
            confidence=confidence_from(snr_db, min_snr_db=min_snr_db, completeness=completeness,
                                       verified=self.verified),
            snr_db=round(snr_db, 1),
            frequencies_hz=tuple(round(hz, 1) for hz in frequencies_hz),
            detector=self.name,
        )

    @classmethod
    @abstractmethod
    def from_profile(cls, profile: Profile) -> Detector | None:
        """This alarm's detector for `profile`, or None when the profile has no signature for it."""

    @abstractmethod
    def bands(self) -> list[Band]:
        """The frequency bands this detector listens to (so the frontend analyses them)."""

    @abstractmethod
    def attach(self, frontend: Frontend) -> None:
        """Set up this detector's trackers on the pipeline's frontend (called once, before `process`)."""

    @abstractmethod
    def process(self, block: SpectralBlock) -> list[Detection]:
        """Analyse the next spectral block; return the soundings it completed."""

    @abstractmethod
    def finish(self, block: SpectralBlock | None) -> list[Detection]:
        """End of stream: analyse the last block (if any) and decide everything still pending."""
