"""Signature matchers, one file per alarm (rtl_433 style); registration is one line each in DETECTORS."""

from __future__ import annotations

from monitord.alarms import AlarmKind
from monitord.detectors.base import Detection, Detector
from monitord.detectors.critical import CriticalDetector
from monitord.detectors.non_critical import NonCriticalDetector

DETECTORS: dict[AlarmKind, type[Detector]] = {
    AlarmKind.CRITICAL: CriticalDetector,
    AlarmKind.NON_CRITICAL: NonCriticalDetector,
}

__all__ = ["DETECTORS", "CriticalDetector", "Detection", "Detector", "NonCriticalDetector"]
