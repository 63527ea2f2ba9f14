"""Shared pieces for the escalation tests: event factories, a config against the loopback fakes, waiting helpers."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from monitord.alarms import AlarmKind
from monitord.bus import Subscription
from monitord.escalation.config import EscalationConfig
from monitord.escalation.service import EscalationService
from monitord.events import EpisodeConfirmed, EpisodeEnded, EpisodeEndReason, EpisodeStarted, Event
from tests.fake_services import (
    NTFY_TOKEN,
    PAGERDUTY_ROUTING_KEY,
    PUSHOVER_APP_TOKEN,
    PUSHOVER_USER_KEY,
    WEBHOOK_SECRET,
)

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
"""Noon UTC: outside the default quiet hours."""

_episode_ids = itertools.count(1)


def episode(
    cls: type[EpisodeStarted] | type[EpisodeConfirmed] | type[EpisodeEnded],
    *,
    alarm: AlarmKind = AlarmKind.CRITICAL,
    node: str = "pi-bedroom",
    microphone: str = "bedroom",
    episode_id: str = "ep-1",
    at: datetime = T0,
    soundings: int = 1,
    confidence: float = 0.91,
    verified: bool = True,
    is_test: bool = False,
) -> Any:
    fields: dict[str, Any] = dict(
        node_id=node, time=at, episode_id=episode_id, alarm=alarm, microphone=microphone,
        first_heard=at - timedelta(seconds=3), last_heard=at, soundings=soundings, max_confidence=confidence,
        profile_verified=verified, is_test=is_test,
    )
    if cls is EpisodeEnded:
        fields["reason"] = EpisodeEndReason.REPEATS_STOPPED
    return cls(**fields)


def config(
    *,
    ntfy_url: str | None = None,
    pushover_url: str | None = None,
    pagerduty_url: str | None = None,
    webhook_url: str | None = None,
    extra_notifiers: tuple[dict[str, Any], ...] = (),
    **overrides: Any,
) -> EscalationConfig:
    """Caregivers: ntfy (mum) and Pushover (dad); on-call: PagerDuty; the webhook as ntfy's fallback."""
    notifiers: list[dict[str, Any]] = []
    caregivers: list[str] = []
    if ntfy_url:
        notifiers.append({"type": "ntfy", "name": "mum_ntfy", "server_url": ntfy_url, "topic": "pump-alex-7f3a9c",
                          "token": NTFY_TOKEN})
        caregivers.append("mum_ntfy")
    if pushover_url:
        notifiers.append({"type": "pushover", "name": "dad_pushover", "api_url": pushover_url,
                          "app_token": PUSHOVER_APP_TOKEN, "user_key": PUSHOVER_USER_KEY})
        caregivers.append("dad_pushover")
    oncall: list[str] = []
    if pagerduty_url:
        notifiers.append({"type": "pagerduty", "name": "pagerduty", "events_url": pagerduty_url,
                          "routing_key": PAGERDUTY_ROUTING_KEY})
        oncall.append("pagerduty")
    if webhook_url:
        notifiers.append({"type": "webhook", "name": "hook", "url": webhook_url,
                          "secret": WEBHOOK_SECRET.decode()})
    notifiers.extend(extra_notifiers)
    data: dict[str, Any] = {
        "caregivers": caregivers or ["console"],
        "oncall": oncall,
        "notifiers": notifiers,
        "contacts": {
            "patient_name": "Alex",
            "pump_team_business_hours": "+31 20 555 0100 (Mon-Fri 8:30-17:00)",
            "pump_team_oncall": "+31 20 555 0199",
        },
        "delivery": {"min_send_interval_s": 0, "attempt_timeout_s": 5},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return EscalationConfig.model_validate(data)


async def eventually(condition: Callable[[], bool], *, timeout_s: float = 5.0, what: str = "condition") -> None:
    """Wait (real time, for the loopback HTTP round trips) until `condition()` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


async def settled(service: EscalationService) -> None:
    """Wait until the engine has nothing left to do right now: bus drained, every delivery queue empty and idle."""
    d = service.dispatcher

    def idle() -> bool:
        sub = service._sub
        return (
            (sub is None or sub.queue.empty())
            and all(d.queued(n) == 0 for n in d.notifiers)
            and all(job is None for job in d.in_flight.values())
        )

    for _ in range(3):  # idle must hold across a few loop turns (a result handler may queue a follow-up)
        await eventually(idle, what="the engine to settle")
        for _ in range(20):
            await asyncio.sleep(0)


def drain(sub: Subscription) -> list[Event]:
    out = []
    while not sub.queue.empty():
        out.append(sub.get_nowait())
    return out
