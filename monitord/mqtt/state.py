"""Retained state topics, derived from the event stream.

| state topic                    | payload                      | set by                                            |
|--------------------------------|------------------------------|---------------------------------------------------|
| state/critical_alarm           | ON / OFF                     | EpisodeStarted/Confirmed → ON, EpisodeEnded → OFF |
| state/non_critical_alarm       | ON / OFF                     | same, for the non-critical alarm                  |
| state/monitor_problem          | ON (cannot hear) / OFF / None | MonitorHealth (status other than ok → ON)        |
| state/input_level_dbfs         | number / None                | MonitorHealth.input_level_dbfs                    |
| state/last_heard               | ISO 8601 time / None         | AlarmHeard (not drills)                           |
| state/days_until_refill        | integer / None               | RefillCalendarState.days_until_reservoir_alarm    |

Each has a JSON `.../attributes` topic with the details (episode, confidence, what to do...).

An *acknowledged* alarm stays ON until its episode ends: acknowledging means "someone is on it", not "the pump
stopped"; the attributes say `acknowledged: true` and by whom. Drills (`is_test`) never change these states —
they show on the event topics and the HA event entity only — so a test cannot trip a real alarm automation.
After monitord restarts the alarm states start OFF; a continuing alarm is back within one repeat (10 min for the
critical alarm) when the episode tracker hears it again.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from monitord.alarms import AlarmKind
from monitord.events import (
    Acknowledged,
    AlarmHeard,
    EpisodeConfirmed,
    EpisodeEnded,
    EpisodeOngoing,
    EpisodeStarted,
    Event,
    MonitorHealth,
    RefillCalendarState,
)
from monitord.mqtt.topics import OFF, ON, UNKNOWN, StateName, Topics

_ALARM_STATE = {AlarmKind.CRITICAL: StateName.CRITICAL_ALARM, AlarmKind.NON_CRITICAL: StateName.NON_CRITICAL_ALARM}


def _iso(value: datetime) -> str:
    return value.isoformat()


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, default=str).encode()


class StateTracker:
    """Holds the current payload of every retained state topic and which ones changed since the last publish."""

    def __init__(self, topics: Topics) -> None:
        self._topics = topics
        self._values: dict[str, bytes] = {}
        self._dirty: dict[str, None] = {}  # insertion-ordered set
        self._episodes: dict[AlarmKind, dict[str, Any]] = {}
        for kind, name in _ALARM_STATE.items():
            self._set(name, OFF, {"alarm": kind.value, "name": kind.display_name, "episode_id": None})
        for name in (StateName.MONITOR_PROBLEM, StateName.INPUT_LEVEL_DBFS, StateName.LAST_HEARD,
                     StateName.DAYS_UNTIL_REFILL):
            self._set(name, UNKNOWN, {})

    def apply(self, event: Event) -> None:
        if event.is_test:
            return
        match event:
            case EpisodeStarted() | EpisodeConfirmed() | EpisodeOngoing():
                self._episode_on(event)
            case EpisodeEnded():
                self._episode_off(event)
            case Acknowledged():
                self._acknowledged(event)
            case MonitorHealth():
                self._set(StateName.MONITOR_PROBLEM, OFF if event.can_hear else ON, {
                    "status": event.status.value, "can_hear": event.can_hear, "microphone": event.microphone,
                    "detail": event.detail, "time": _iso(event.time),
                })
                level = event.input_level_dbfs
                self._set(StateName.INPUT_LEVEL_DBFS, UNKNOWN if level is None else f"{level:.1f}", None)
            case AlarmHeard():
                self._set(StateName.LAST_HEARD, _iso(event.started_at), {
                    "alarm": event.alarm.value, "confidence": event.confidence, "snr_db": event.snr_db,
                    "frequencies_hz": list(event.frequencies_hz), "microphone": event.microphone,
                    "profile": event.profile, "profile_verified": event.profile_verified,
                    "clip_path": event.clip_path, "event_id": event.id,
                })
            case RefillCalendarState():
                days = event.days_until_reservoir_alarm
                self._set(StateName.DAYS_UNTIL_REFILL, UNKNOWN if days is None else str(days), {
                    "reservoir_alarm_date": event.reservoir_alarm_date, "replacement_date": event.replacement_date,
                    "days_until_replacement": event.days_until_replacement, "time": _iso(event.time),
                })
            case _:
                pass

    def _episode_on(self, event: EpisodeStarted | EpisodeConfirmed | EpisodeOngoing) -> None:
        previous = self._episodes.get(event.alarm, {})
        same_episode = previous.get("episode_id") == event.episode_id
        attributes = {
            "alarm": event.alarm.value, "name": event.alarm.display_name, "episode_id": event.episode_id,
            "phase": event.phase.value,
            "first_heard": _iso(event.first_heard), "last_heard": _iso(event.last_heard),
            "soundings": event.soundings, "max_confidence": event.max_confidence,
            "profile_verified": event.profile_verified, "microphone": event.microphone,
            "next_expected_at": _iso(event.next_expected_at) if event.next_expected_at else None,
            "acknowledged": previous.get("acknowledged", False) if same_episode else False,
            "acknowledged_by": previous.get("acknowledged_by") if same_episode else None,
            "meaning": event.alarm.meaning, "what_to_do": event.alarm.what_to_do,
        }
        self._episodes[event.alarm] = attributes
        self._set(_ALARM_STATE[event.alarm], ON, attributes)

    def _episode_off(self, event: EpisodeEnded) -> None:
        current = self._episodes.get(event.alarm)
        if current is not None and current.get("episode_id") not in (None, event.episode_id):
            return  # the end of an older episode; the current one is still on
        attributes = {
            **(current or {}), "alarm": event.alarm.value, "name": event.alarm.display_name,
            "episode_id": event.episode_id, "phase": "ended", "ended_reason": event.reason.value,
            "ended_at": _iso(event.time), "first_heard": _iso(event.first_heard),
            "last_heard": _iso(event.last_heard), "soundings": event.soundings,
        }
        self._episodes.pop(event.alarm, None)
        self._set(_ALARM_STATE[event.alarm], OFF, attributes)

    def _acknowledged(self, event: Acknowledged) -> None:
        for kind, attributes in self._episodes.items():
            matches = (event.episode_id is not None and event.episode_id == attributes["episode_id"]) or (
                event.episode_id is None and event.alarm is kind
            )
            if matches:
                attributes.update(acknowledged=True, acknowledged_by=event.by, acknowledged_at=_iso(event.time),
                                  acknowledged_via=event.channel)
                self._set(_ALARM_STATE[kind], ON, attributes)

    def _set(self, name: StateName, payload: str, attributes: dict[str, Any] | None) -> None:
        self._put(self._topics.state(name), payload.encode())
        if attributes is not None:
            self._put(self._topics.attributes(name), _json(attributes))

    def _put(self, topic: str, payload: bytes) -> None:
        if self._values.get(topic) != payload:
            self._values[topic] = payload
            self._dirty[topic] = None

    def value(self, name: StateName) -> str:
        return self._values[self._topics.state(name)].decode()

    def take_dirty(self) -> list[tuple[str, bytes]]:
        """The topics that changed since the last call, with their current payloads (and forget they changed)."""
        changed = [(topic, self._values[topic]) for topic in self._dirty]
        self._dirty.clear()
        return changed

    def mark_all_dirty(self) -> None:
        """After a (re)connect: publish everything again (retained topics may have been lost with the broker)."""
        for topic in self._values:
            self._dirty[topic] = None

    @property
    def has_dirty(self) -> bool:
        return bool(self._dirty)
