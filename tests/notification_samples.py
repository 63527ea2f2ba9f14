"""Sample notifications for notifier tests (texts shaped like the engine's, per ../shared/domain.md)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from monitord.alarms import AlarmKind
from monitord.notifiers.base import Notification, NotificationKind, Urgency

CRITICAL_BODY = (
    "CRITICAL pump alarm (two-tone) heard in the bedroom.\n"
    "First heard 03:12, last heard 03:22, 2 times, confidence 0.93.\n"
    "The pump signals that baclofen is NOT being delivered.\n"
    "Check the patient now. Give oral baclofen as the care plan says. Call the pump team NOW: +44 20 7946 0000."
)


def critical_trigger(**changes: Any) -> Notification:
    notification = Notification(
        incident_id="inc-7f3a",
        dedup_key="monitord-inc-7f3a",
        kind=NotificationKind.TRIGGER,
        urgency=Urgency.CRITICAL,
        alarm=AlarmKind.CRITICAL,
        title="CRITICAL pump alarm — bedroom",
        body=CRITICAL_BODY,
        ack_url="https://monitor.example.org/ack/2Kx9vQ",
        evidence_url="https://monitor.example.org/clips/inc-7f3a.wav",
        tags=("bedroom",),
    )
    return replace(notification, **changes)


def refill_reminder(**changes: Any) -> Notification:
    notification = Notification(
        incident_id="inc-11b0",
        dedup_key="monitord-inc-11b0",
        kind=NotificationKind.REMINDER,
        urgency=Urgency.NORMAL,
        alarm=AlarmKind.NON_CRITICAL,
        title="Pump beeping: book a refill",
        body="Non-critical pump alarm (beep) heard in the living room, 5 times since yesterday 14:00. "
        "The drug still flows. Call the pump team during business hours and book a refill.",
    )
    return replace(notification, **changes)
