"""Typed events: everything monitord says about the world, in one place.

Each event is a frozen pydantic model that serializes itself (`to_payload()`) and is read back by
`Event.from_payload()`, dispatching on its `type` string — the wyoming pattern. Every payload carries a schema
version, a unique id, the node id of the monitor that produced it and its UTC timestamp in ISO 8601.

Add a new event by subclassing `Event` with a `type: Literal["..."]` default and listing it in `AnyEvent`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from monitord.alarms import AlarmKind

SCHEMA_VERSION = 1
"""Bumped when a payload changes in a way an old consumer would misread."""


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware (UTC)")
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_to_utc)]


def new_event_id() -> str:
    return uuid.uuid4().hex


class PayloadError(ValueError):
    """A payload that is not a valid monitord event (bad JSON, unknown type, wrong fields)."""


class Event(BaseModel):
    """Base of every event. Not published itself."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)

    type: str
    schema_version: int = SCHEMA_VERSION
    id: str = Field(default_factory=new_event_id, description="unique per event; consumers dedupe on it")
    node_id: str = Field(min_length=1, description="which monitor (microphone/room) produced the event")
    time: UtcDatetime = Field(description="when the event happened (not when it was delivered)")
    is_test: bool = Field(default=False, description="a drill: shown clearly as TEST everywhere")

    def to_payload(self) -> bytes:
        return self.model_dump_json().encode()

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @staticmethod
    def from_payload(payload: bytes | str | dict[str, Any]) -> AnyEvent:
        try:
            if isinstance(payload, dict):
                return _ANY_EVENT.validate_python(payload)
            return _ANY_EVENT.validate_json(payload)
        except ValidationError as exc:
            raise PayloadError(str(exc)) from exc


# --- what the microphone heard -------------------------------------------------------------------------------


class AlarmHeard(Event):
    """One sounding of a pump alarm was detected."""

    type: Literal["alarm_heard"] = "alarm_heard"
    alarm: AlarmKind
    confidence: float = Field(ge=0.0, le=1.0)
    snr_db: float = Field(description="tone power over the local noise floor (dB)")
    frequencies_hz: tuple[float, ...] = Field(description="the tone frequencies heard (hertz)")
    started_at: UtcDatetime
    ended_at: UtcDatetime
    microphone: str = Field(description="human name of the microphone/room, e.g. 'bedroom'")
    profile: str = Field(description="name of the signature profile that matched")
    profile_verified: bool = Field(
        description="False for the built-in default profile, which is a guess (no public tone data exists)"
    )
    clip_path: str | None = Field(default=None, description="WAV clip of the sounding, if one was saved")


class EpisodePhase(StrEnum):
    STARTED = "started"
    CONFIRMED = "confirmed"
    ENDED = "ended"


class EpisodeEndReason(StrEnum):
    REPEATS_STOPPED = "repeats_stopped"  # the expected repeats did not come
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"  # e.g. a refill was logged


class _EpisodeEvent(Event):
    episode_id: str
    alarm: AlarmKind
    microphone: str
    first_heard: UtcDatetime
    last_heard: UtcDatetime
    soundings: int = Field(ge=1, description="how many soundings heard in this episode so far")
    max_confidence: float = Field(ge=0.0, le=1.0)
    profile_verified: bool

    @property
    def phase(self) -> EpisodePhase:
        """Where the episode stands after this event (started → confirmed → ended)."""
        raise NotImplementedError


class EpisodeStarted(_EpisodeEvent):
    """First sounding of an alarm that was not already active."""

    type: Literal["episode_started"] = "episode_started"
    next_expected_at: UtcDatetime | None = None

    @property
    def phase(self) -> EpisodePhase:
        return EpisodePhase.STARTED


class EpisodeConfirmed(_EpisodeEvent):
    """A repeat arrived on the expected cadence: this is the pump, not a stray beep."""

    type: Literal["episode_confirmed"] = "episode_confirmed"
    next_expected_at: UtcDatetime | None = None

    @property
    def phase(self) -> EpisodePhase:
        return EpisodePhase.CONFIRMED


class EpisodeOngoing(_EpisodeEvent):
    """A further sounding of an active episode (after the one that started or confirmed it).

    Keeps "last heard" and "how many times" true in every later alert and state topic.
    """

    type: Literal["episode_ongoing"] = "episode_ongoing"
    confirmed: bool = Field(description="whether a repeat on cadence has confirmed the episode")
    on_cadence: bool = Field(description="whether this sounding came when the cadence predicted")
    next_expected_at: UtcDatetime | None = None

    @property
    def phase(self) -> EpisodePhase:
        return EpisodePhase.CONFIRMED if self.confirmed else EpisodePhase.STARTED


class EpisodeEnded(_EpisodeEvent):
    type: Literal["episode_ended"] = "episode_ended"
    reason: EpisodeEndReason

    @property
    def phase(self) -> EpisodePhase:
        return EpisodePhase.ENDED


# --- the monitor itself --------------------------------------------------------------------------------------


class HealthStatus(StrEnum):
    OK = "ok"
    SILENT = "silent"  # flat-lined input: muted, unplugged analog mic, broken cable
    CLIPPING = "clipping"
    MISSING = "missing"  # the device is gone (USB unplugged) or cannot be opened
    STALLED = "stalled"  # the device is open but no audio callbacks arrive
    SELFTEST_FAILED = "selftest_failed"  # the daily test tone from the speaker was not heard by the microphone


class MonitorHealth(Event):
    """Can the monitor hear? Published on change and periodically."""

    type: Literal["monitor_health"] = "monitor_health"
    status: HealthStatus
    microphone: str
    input_level_dbfs: float | None = Field(default=None, description="RMS input level (dBFS)")
    detail: str = ""

    @property
    def can_hear(self) -> bool:
        return self.status is HealthStatus.OK


# --- people acting on it -------------------------------------------------------------------------------------


class Acknowledged(Event):
    """A person said "I'm on it" for an episode or incident."""

    type: Literal["acknowledged"] = "acknowledged"
    alarm: AlarmKind | None = None
    episode_id: str | None = None
    incident_id: str | None = None
    by: str = Field(description="who acknowledged (user name, phone, 'pagerduty:<user>')")
    channel: str = Field(description="through what: 'mqtt', 'http', 'pushover', 'ntfy', 'pagerduty', 'cli'")


class Snoozed(Event):
    """Reminders for the non-critical alarm are held until `until`. Critical alarms are never snoozed."""

    type: Literal["snoozed"] = "snoozed"
    alarm: Literal[AlarmKind.NON_CRITICAL] = AlarmKind.NON_CRITICAL
    until: UtcDatetime
    by: str
    channel: str


class RefillLogged(Event):
    """The pump was refilled (ends a low-reservoir episode; moves the refill calendar)."""

    type: Literal["refill_logged"] = "refill_logged"
    refilled_on: date
    next_alarm_date: date | None = Field(default=None, description="the new low-reservoir alarm date")
    by: str
    channel: str


class ReminderKind(StrEnum):
    RESERVOIR = "reservoir"  # the low-reservoir alarm date from the refill printout
    REPLACEMENT = "replacement"  # the elective replacement indicator (ERI) date


class CalendarReminder(Event):
    """N days before the pump's low-reservoir alarm date or replacement date."""

    type: Literal["calendar_reminder"] = "calendar_reminder"
    kind: ReminderKind
    due_date: date
    days_until: int


class RefillCalendarState(Event):
    """Where the pump's calendar stands (published at start, daily, and when a date changes)."""

    type: Literal["refill_calendar_state"] = "refill_calendar_state"
    reservoir_alarm_date: date | None = Field(default=None, description="low-reservoir alarm date (refill printout)")
    days_until_reservoir_alarm: int | None = None
    replacement_date: date | None = Field(default=None, description="elective replacement indicator (ERI) date")
    days_until_replacement: int | None = None


# --- incidents and notifications (escalation) ----------------------------------------------------------------


class IncidentState(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class IncidentChanged(Event):
    """An incident moved between states (or escalated a step). One incident per alarm kind per patient."""

    type: Literal["incident_changed"] = "incident_changed"
    incident_id: str
    alarm: AlarmKind
    state: IncidentState
    previous_state: IncidentState | None = None
    step: int = Field(default=0, ge=0, description="escalation step reached")
    by: str | None = None
    channel: str | None = None
    reason: str = ""


class NotificationFailed(Event):
    """A notification channel failed (after its retries). Reported so someone knows a path is broken."""

    type: Literal["notification_failed"] = "notification_failed"
    incident_id: str | None = None
    notifier: str
    target: str
    error: str
    will_retry: bool = False


AnyEvent = Annotated[
    AlarmHeard
    | EpisodeStarted
    | EpisodeConfirmed
    | EpisodeOngoing
    | EpisodeEnded
    | MonitorHealth
    | Acknowledged
    | Snoozed
    | RefillLogged
    | CalendarReminder
    | RefillCalendarState
    | IncidentChanged
    | NotificationFailed,
    Field(discriminator="type"),
]

_ANY_EVENT: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)
