from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from monitord.alarms import AlarmKind
from monitord.events import (
    AlarmHeard,
    Event,
    HealthStatus,
    IncidentChanged,
    IncidentState,
    MonitorHealth,
    PayloadError,
    RefillLogged,
    Snoozed,
)

T0 = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


def heard(**overrides: object) -> AlarmHeard:
    fields: dict[str, object] = dict(
        node_id="bedroom", time=T0, alarm=AlarmKind.CRITICAL, confidence=0.93, snr_db=11.5,
        frequencies_hz=(880.0, 1320.0), started_at=T0, ended_at=T0 + timedelta(seconds=3),
        microphone="bedroom", profile="synchromed2-default", profile_verified=False,
    )
    fields.update(overrides)
    return AlarmHeard.model_validate(fields)


def test_every_event_round_trips_through_its_payload() -> None:
    events: list[Event] = [
        heard(),
        MonitorHealth(node_id="n", time=T0, status=HealthStatus.CLIPPING, microphone="m", input_level_dbfs=-0.1),
        Snoozed(node_id="n", time=T0, until=T0 + timedelta(hours=2), by="mum", channel="mqtt"),
        RefillLogged(node_id="n", time=T0, refilled_on=date(2026, 11, 20), by="nurse", channel="cli"),
        IncidentChanged(node_id="n", time=T0, incident_id="i1", alarm=AlarmKind.CRITICAL,
                        state=IncidentState.ACKNOWLEDGED, previous_state=IncidentState.TRIGGERED, by="dad"),
    ]
    for event in events:
        assert Event.from_payload(event.to_payload()) == event
        assert Event.from_payload(event.to_dict()) == event


def test_payload_carries_schema_version_id_node_and_utc_time() -> None:
    payload = json.loads(heard(time=datetime(2026, 11, 21, 4, 0, tzinfo=timezone(timedelta(hours=1)))).to_payload())
    assert payload["type"] == "alarm_heard"
    assert payload["schema_version"] == 1
    assert len(payload["id"]) == 32
    assert payload["node_id"] == "bedroom"
    assert payload["time"] == "2026-11-21T03:00:00Z"  # converted to UTC


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        heard(time=datetime(2026, 1, 1))


@pytest.mark.parametrize(
    "payload",
    [b"not json", b"{}", b'{"type": "no_such_event"}', b'{"type": "alarm_heard", "node_id": "x"}',
     json.dumps({**heard().to_dict(), "confidence": 7}).encode()],
)
def test_bad_payloads_raise_payload_error(payload: bytes) -> None:
    with pytest.raises(PayloadError):
        Event.from_payload(payload)


def test_critical_alarm_cannot_be_snoozed() -> None:
    with pytest.raises(ValueError, match="critical"):
        Snoozed.model_validate(
            {"node_id": "n", "time": T0, "until": T0, "by": "x", "channel": "mqtt", "alarm": "critical"}
        )
