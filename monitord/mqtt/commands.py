"""Commands received on `<base>/<node>/cmd/<command>`, validated, turned into events; a reply on `.../response`.

Every command is a JSON object with `sent_at` (ISO 8601 with a time zone: a command older than
`mqtt.command_max_age_s` is stale and refused — an acknowledgement must never apply to a later alarm), `by` (who
sends it) and an optional `request_id` echoed in the reply. Per command:

| command       | fields                                                   | becomes                                |
|---------------|----------------------------------------------------------|----------------------------------------|
| `acknowledge` | one of `alarm`, `episode_id`, `incident_id`              | Acknowledged (channel "mqtt")          |
| `snooze`      | `duration_min` (≤ mqtt.snooze_max_min); non-critical only | Snoozed until now + duration          |
| `refill`      | `refilled_on` (date), `next_alarm_date` (optional date)  | RefillLogged                           |
| `test`        | `alarm` ("critical" / "non_critical")                    | AlarmHeard with is_test=true (a drill) |
| `discovery`   | `action` ("publish" / "remove")                          | re-publishes or removes HA discovery  |

Anything malformed, oversized, unknown, retained or stale gets a log line and an error reply, never an exception.
An empty payload is ignored without a reply: it is how a retained message is cleared.
Who may send commands is the broker's business: protect `<base>/+/cmd/#` with an ACL (config/mosquitto/acl).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from monitord.alarms import AlarmKind
from monitord.clock import Clock
from monitord.events import Acknowledged, AlarmHeard, Event, RefillLogged, Snoozed, UtcDatetime
from monitord.mqtt.config import MqttConfig

log = structlog.get_logger(__name__)


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sent_at: UtcDatetime = Field(description="when the sender sent it (ISO 8601 with time zone)")
    by: str = Field(min_length=1, max_length=100, description="who sends it: a name, 'home-assistant', ...")
    request_id: str | None = Field(default=None, max_length=100, description="echoed in the reply")


class AcknowledgeCommand(_Command):
    alarm: AlarmKind | None = None
    episode_id: str | None = Field(default=None, max_length=100)
    incident_id: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _says_what(self) -> AcknowledgeCommand:
        if self.alarm is None and self.episode_id is None and self.incident_id is None:
            raise ValueError("say what is acknowledged: alarm, episode_id or incident_id")
        return self


class SnoozeCommand(_Command):
    duration_min: float = Field(
        gt=0, allow_inf_nan=False, description="how long to hold non-critical reminders (minutes)"
    )
    alarm: AlarmKind = AlarmKind.NON_CRITICAL


class RefillCommand(_Command):
    refilled_on: date
    next_alarm_date: date | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> RefillCommand:
        if self.next_alarm_date is not None and self.next_alarm_date <= self.refilled_on:
            raise ValueError("next_alarm_date must be after refilled_on")
        return self


class TestCommand(_Command):
    alarm: AlarmKind


class DiscoveryCommand(_Command):
    action: Literal["publish", "remove"]


COMMAND_MODELS: dict[str, type[_Command]] = {
    "acknowledge": AcknowledgeCommand,
    "snooze": SnoozeCommand,
    "refill": RefillCommand,
    "test": TestCommand,
    "discovery": DiscoveryCommand,
}


class CommandReply(BaseModel):
    """Published (QoS 1, not retained) on `<base>/<node>/response` for every command received."""

    model_config = ConfigDict(frozen=True)

    command: str
    ok: bool
    node_id: str
    request_id: str | None = None
    error: str | None = None
    event_type: str | None = None
    event_id: str | None = None
    detail: str | None = None

    def to_payload(self) -> bytes:
        return self.model_dump_json().encode()


@dataclass(frozen=True)
class CommandOutcome:
    reply: CommandReply
    event: Event | None = None
    discovery_action: Literal["publish", "remove"] | None = None


class CommandHandler:
    """Pure: payload in, outcome out (no I/O). The service publishes the event and the reply."""

    def __init__(self, *, config: MqttConfig, node_id: str, microphone: str, clock: Clock) -> None:
        self._config = config
        self._node_id = node_id
        self._microphone = microphone
        self._clock = clock

    def handle(self, command: str, payload: bytes, *, retained: bool = False) -> CommandOutcome:
        shown = command[:40]
        request_id = _request_id(payload)
        if len(payload) > self._config.command_max_bytes:
            return self._reject(shown, request_id, f"payload of {len(payload)} bytes is larger than the "
                                f"{self._config.command_max_bytes}-byte limit (mqtt.command_max_bytes)")
        model = COMMAND_MODELS.get(command)
        if model is None:
            return self._reject(shown, request_id, f"unknown command {shown!r}; known: {', '.join(COMMAND_MODELS)}")
        if retained:
            # A retained command would be re-applied at every reconnect: refuse it and tell the sender.
            return self._reject(shown, request_id, "retained commands are refused: publish without the retain flag "
                                "(and clear it with an empty retained message)")
        try:
            parsed = model.model_validate_json(payload)
        except ValidationError as exc:
            return self._reject(shown, request_id, _short_errors(exc))
        now = self._clock.now()
        age_s = (now - parsed.sent_at).total_seconds()
        if age_s > self._config.command_max_age_s:
            return self._reject(shown, request_id, f"stale: sent {age_s:.0f} s ago, more than "
                                f"{self._config.command_max_age_s:.0f} s (mqtt.command_max_age_s)")
        if -age_s > self._config.command_max_clock_skew_s:
            return self._reject(shown, request_id, f"sent_at is {-age_s:.0f} s in the future: check the sender's "
                                "clock (mqtt.command_max_clock_skew_s)")
        try:
            return self._accept(shown, parsed)
        except Exception:  # a bug here must cost one command, not the MQTT session
            log.exception("mqtt command failed", command=shown)
            return self._reject(shown, parsed.request_id, "internal error while handling the command (see log)")

    def _accept(self, command: str, parsed: _Command) -> CommandOutcome:
        now = self._clock.now()
        common: dict[str, Any] = {"node_id": self._node_id, "time": now}
        event: Event | None = None
        match parsed:
            case AcknowledgeCommand():
                event = Acknowledged(**common, alarm=parsed.alarm, episode_id=parsed.episode_id,
                                     incident_id=parsed.incident_id, by=parsed.by, channel="mqtt")
            case SnoozeCommand():
                if parsed.alarm is AlarmKind.CRITICAL:
                    return self._reject(command, parsed.request_id,
                                        "the critical alarm can never be snoozed: the drug is not flowing")
                if parsed.duration_min > self._config.snooze_max_min:
                    return self._reject(command, parsed.request_id,
                                        f"snooze is limited to {self._config.snooze_max_min:g} min "
                                        "(mqtt.snooze_max_min)")
                event = Snoozed(**common, until=now + timedelta(minutes=parsed.duration_min), by=parsed.by,
                                channel="mqtt")
            case RefillCommand():
                event = RefillLogged(**common, refilled_on=parsed.refilled_on,
                                     next_alarm_date=parsed.next_alarm_date, by=parsed.by, channel="mqtt")
            case TestCommand():
                event = AlarmHeard(**common, is_test=True, alarm=parsed.alarm, confidence=1.0, snr_db=0.0,
                                   frequencies_hz=(), started_at=now, ended_at=now, microphone=self._microphone,
                                   profile="test", profile_verified=False)
            case DiscoveryCommand():
                log.info("mqtt command accepted", command=command, by=parsed.by, action=parsed.action)
                return CommandOutcome(
                    reply=CommandReply(command=command, ok=True, node_id=self._node_id,
                                       request_id=parsed.request_id, detail=f"discovery {parsed.action}"),
                    discovery_action=parsed.action,
                )
            case _:  # pragma: no cover - every model in COMMAND_MODELS is matched above
                return self._reject(command, parsed.request_id, "not implemented")
        log.info("mqtt command accepted", command=command, by=parsed.by, event_type=event.type, event_id=event.id)
        return CommandOutcome(
            reply=CommandReply(command=command, ok=True, node_id=self._node_id, request_id=parsed.request_id,
                               event_type=event.type, event_id=event.id),
            event=event,
        )

    def _reject(self, command: str, request_id: str | None, error: str) -> CommandOutcome:
        log.warning("mqtt command rejected", command=command, request_id=request_id, error=error)
        return CommandOutcome(CommandReply(command=command, ok=False, node_id=self._node_id,
                                           request_id=request_id, error=error))


def _request_id(payload: bytes) -> str | None:
    """Best effort, so that even a rejected command's reply can be matched by the sender."""
    if len(payload) > 65536:
        return None
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    value = data.get("request_id") if isinstance(data, dict) else None
    return value[:100] if isinstance(value, str) else None


def _short_errors(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False, include_input=False)[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "payload"
        parts.append(f"{where}: {error['msg']}")
    return "invalid command: " + "; ".join(parts)
