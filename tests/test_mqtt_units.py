"""The pure parts of the MQTT sink: state rules, command validation edge cases, backoff, config validation."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from monitord.alarms import AlarmKind
from monitord.clock import FakeClock
from monitord.events import Acknowledged, HealthStatus, RefillCalendarState
from monitord.mqtt.commands import CommandHandler
from monitord.mqtt.config import MqttConfig
from monitord.mqtt.connection import backoff_delay_s
from monitord.mqtt.state import StateTracker
from monitord.mqtt.topics import StateName, Topics
from tests.mqtt_support import T0, episode_ended, episode_started, health


def tracker() -> StateTracker:
    return StateTracker(Topics("monitord", "bedroom"))


def test_states_start_off_or_unknown_and_everything_is_dirty_once() -> None:
    state = tracker()
    assert state.value(StateName.CRITICAL_ALARM) == "OFF"
    assert state.value(StateName.MONITOR_PROBLEM) == "None"
    first = state.take_dirty()
    assert len(first) == 12  # 6 states + 6 attribute topics
    assert state.take_dirty() == []
    state.mark_all_dirty()
    assert len(state.take_dirty()) == 12


def test_the_end_of_an_older_episode_does_not_switch_off_a_newer_one() -> None:
    state = tracker()
    state.apply(episode_started("bedroom").model_copy(update={"episode_id": "new"}))
    state.apply(episode_ended("bedroom"))  # episode "ep-critical", not the current one
    assert state.value(StateName.CRITICAL_ALARM) == "ON"
    state.apply(episode_ended("bedroom").model_copy(update={"episode_id": "new"}))
    assert state.value(StateName.CRITICAL_ALARM) == "OFF"


def test_acknowledgement_by_episode_id_marks_only_that_alarm() -> None:
    state = tracker()
    state.apply(episode_started("bedroom", AlarmKind.CRITICAL))
    state.apply(episode_started("bedroom", AlarmKind.NON_CRITICAL))
    state.take_dirty()
    state.apply(Acknowledged(node_id="bedroom", time=T0, episode_id="ep-non_critical", by="dad", channel="ntfy"))
    changed = dict(state.take_dirty())
    assert list(changed) == ["monitord/bedroom/state/non_critical_alarm/attributes"]
    attributes = json.loads(changed["monitord/bedroom/state/non_critical_alarm/attributes"])
    assert attributes["acknowledged_by"] == "dad"
    assert attributes["acknowledged_via"] == "ntfy"


def test_health_and_calendar_states() -> None:
    state = tracker()
    state.apply(health("bedroom", status=HealthStatus.CLIPPING, level=-0.04))
    assert state.value(StateName.MONITOR_PROBLEM) == "ON"
    assert state.value(StateName.INPUT_LEVEL_DBFS) == "-0.0"
    state.apply(RefillCalendarState(node_id="bedroom", time=T0, reservoir_alarm_date=date(2026, 11, 28),
                                    days_until_reservoir_alarm=7))
    assert state.value(StateName.DAYS_UNTIL_REFILL) == "7"
    state.apply(RefillCalendarState(node_id="bedroom", time=T0))
    assert state.value(StateName.DAYS_UNTIL_REFILL) == "None"


@pytest.mark.parametrize("payload", [
    b'{"sent_at": "2026-11-21T03:00:00Z", "by": "x", "duration_min": NaN}',
    b'{"sent_at": "2026-11-21T03:00:00Z", "by": "x", "duration_min": Infinity}',
    b'{"sent_at": "2026-11-21T03:00:00Z", "by": "x", "duration_min": -5}',
    b'{"sent_at": "2026-11-21T03:00:00Z", "by": "", "duration_min": 5}',
    b'{"sent_at": "yesterday", "by": "x", "duration_min": 5}',
    b"\xff\xfe not utf-8",
    b"null",
])
def test_odd_snooze_payloads_are_rejected_not_raised(payload: bytes) -> None:
    handler = CommandHandler(config=MqttConfig(), node_id="bedroom", microphone="bedroom", clock=FakeClock(T0))
    outcome = handler.handle("snooze", payload)
    assert not outcome.reply.ok
    assert outcome.event is None


def test_refill_dates_must_be_in_order() -> None:
    handler = CommandHandler(config=MqttConfig(), node_id="bedroom", microphone="bedroom", clock=FakeClock(T0))
    payload = json.dumps({"sent_at": T0.isoformat(), "by": "nurse", "refilled_on": "2026-11-20",
                          "next_alarm_date": "2026-11-01"}).encode()
    outcome = handler.handle("refill", payload)
    assert not outcome.reply.ok
    assert "next_alarm_date must be after refilled_on" in (outcome.reply.error or "")


def test_backoff_is_jittered_capped_and_grows() -> None:
    rng = random.Random(7)
    delays = [backoff_delay_s(attempt, base_s=1.0, cap_s=60.0, rng=rng) for attempt in range(40) for _ in range(20)]
    assert all(0.0 <= d <= 60.0 for d in delays)
    first = [backoff_delay_s(0, base_s=1.0, cap_s=60.0, rng=rng) for _ in range(200)]
    late = [backoff_delay_s(30, base_s=1.0, cap_s=60.0, rng=rng) for _ in range(200)]
    assert max(first) <= 1.0
    assert max(late) > 30.0  # the bound reached the cap
    assert len(set(late)) == len(late)  # jittered
    assert backoff_delay_s(10_000, base_s=1.0, cap_s=5.0, rng=rng) <= 5.0  # no overflow for huge attempts


@pytest.mark.parametrize(("fields", "message"), [
    ({"base_topic": "monitord/#"}, "not a usable topic prefix"),
    ({"base_topic": "/monitord"}, "not a usable topic prefix"),
    ({"discovery_prefix": "home assistant"}, "not a usable topic prefix"),
    ({"port": 0}, "greater than or equal to 1"),
    ({"keepalive_s": 1}, "greater than or equal to 5"),
    ({"password": "x"}, "needs mqtt.username"),
    ({"hots": "typo"}, "Extra inputs are not permitted"),
])
def test_config_refuses_mistakes(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        MqttConfig.model_validate(fields)


def test_config_defaults_suit_a_home_broker() -> None:
    config = MqttConfig()
    assert (config.host, config.port, config.base_topic, config.discovery_prefix) == (
        "localhost", 1883, "monitord", "homeassistant")
    assert config.client_id_for("bedroom") == "monitord-bedroom"
    assert config.resolved_password() is None
    assert timedelta(minutes=config.snooze_max_min) == timedelta(hours=12)
