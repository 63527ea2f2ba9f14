"""Commands on monitord/<node>/cmd/<command>: valid ones become events on the bus, everything else an error reply."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitord.alarms import AlarmKind
from monitord.bus import EventBus, Subscription
from monitord.clock import FakeClock
from monitord.events import Acknowledged, AlarmHeard, Event, RefillLogged, Snoozed
from monitord.mqtt import MqttService
from monitord.mqtt.commands import CommandHandler
from monitord.mqtt.config import MqttConfig
from tests.mqtt_broker import MosquittoBroker
from tests.mqtt_support import T0, Recorder, publish, recording


def command(sent_at: datetime = T0, **fields: Any) -> bytes:
    return json.dumps({"sent_at": sent_at.isoformat(), "by": "mum", **fields}).encode()


async def next_event(sub: Subscription, of_type: type[Event]) -> Event:
    async with asyncio.timeout(10):
        while True:
            event = await sub.get()
            if isinstance(event, of_type):
                return event


async def reply_to(rec: Recorder, topic: str, request_id: str) -> dict[str, Any]:
    def replied(r: Recorder) -> bool:
        return any(m.json().get("request_id") == request_id for m in r.on(topic))

    await rec.wait_for(replied)
    return next(m.json() for m in rec.on(topic) if m.json().get("request_id") == request_id)  # type: ignore[no-any-return]


async def test_commands_become_events_and_bad_ones_get_error_replies(
    mosquitto: MosquittoBroker, unique_node: str, tmp_path: Path
) -> None:
    """1. acknowledge, snooze, refill, test → events on the bus + ok replies; 2. malformed, oversized, unknown,
    stale, future, critical snooze, too-long snooze, extra fields → error replies; 3. still connected."""
    root = f"monitord/{unique_node}"
    clock = FakeClock(start=T0)
    bus = EventBus()
    sub = bus.subscribe("test")
    mqtt = MqttService(config=mosquitto.mqtt_config(command_max_bytes=512), bus=bus, node_id=unique_node,
                       state_dir=tmp_path, clock=clock, microphone="bedroom")
    async with recording(mosquitto.port, f"{root}/response", f"{root}/event/#") as rec, mqtt:
        async with asyncio.timeout(10):
            await mqtt.wait_connected()
        cmd = f"{root}/cmd"

        await publish(mosquitto.port, f"{cmd}/acknowledge", command(alarm="critical", request_id="ack"))
        ack = await next_event(sub, Acknowledged)
        assert isinstance(ack, Acknowledged)
        assert (ack.alarm, ack.by, ack.channel, ack.node_id) == (AlarmKind.CRITICAL, "mum", "mqtt", unique_node)
        reply = await reply_to(rec, f"{root}/response", "ack")
        assert reply["ok"] is True
        assert reply["event_id"] == ack.id

        await publish(mosquitto.port, f"{cmd}/snooze", command(duration_min=90, request_id="snooze"))
        snoozed = await next_event(sub, Snoozed)
        assert isinstance(snoozed, Snoozed)
        assert snoozed.until == T0 + timedelta(minutes=90)
        assert snoozed.alarm is AlarmKind.NON_CRITICAL

        await publish(mosquitto.port, f"{cmd}/refill", command(refilled_on="2026-11-20",
                                                              next_alarm_date="2027-01-15", request_id="refill"))
        refill = await next_event(sub, RefillLogged)
        assert isinstance(refill, RefillLogged)
        assert (refill.refilled_on, refill.next_alarm_date) == (date(2026, 11, 20), date(2027, 1, 15))

        await publish(mosquitto.port, f"{cmd}/test", command(alarm="critical", request_id="drill"))
        drill = await next_event(sub, AlarmHeard)
        assert isinstance(drill, AlarmHeard)
        assert drill.is_test
        assert drill.microphone == "bedroom"
        # The drill goes out like any event (the HA event entity shows it as "critical_test").
        await rec.wait_for(lambda r: any(Event.from_payload(m.payload).id == drill.id
                                         for m in r.on(f"{root}/event/alarm_heard")))

        rejected = {
            "malformed": (f"{cmd}/acknowledge", b'{"sent_at": "2026-11-21T03:00:00Z", "by": "mum", "request_id": '
                          b'"malformed", "alarm": "critical"'),
            "not-an-object": (f"{cmd}/acknowledge", b"[1, 2, 3]"),
            "oversized": (f"{cmd}/acknowledge", command(alarm="critical", request_id="oversized", pad="x" * 600)),
            "unknown": (f"{cmd}/self_destruct", command(request_id="unknown")),
            "nested": (f"{cmd}/acknowledge/extra", command(alarm="critical", request_id="nested")),
            "stale": (f"{cmd}/acknowledge", command(T0 - timedelta(hours=1), alarm="critical", request_id="stale")),
            "future": (f"{cmd}/acknowledge", command(T0 + timedelta(hours=1), alarm="critical",
                                                      request_id="future")),
            "critical-snooze": (f"{cmd}/snooze", command(duration_min=30, alarm="critical",
                                                         request_id="critical-snooze")),
            "long-snooze": (f"{cmd}/snooze", command(duration_min=100_000, request_id="long-snooze")),
            "naive-time": (f"{cmd}/snooze", json.dumps({"sent_at": "2026-11-21T03:00:00", "by": "x",
                                                        "duration_min": 5, "request_id": "naive-time"}).encode()),
            "extra-field": (f"{cmd}/test", command(alarm="critical", request_id="extra-field", launch=True)),
            "what-is-acked": (f"{cmd}/acknowledge", command(request_id="what-is-acked")),
        }
        for topic, payload in rejected.values():
            await publish(mosquitto.port, topic, payload)
        await rec.wait_for(lambda r: sum(1 for m in r.on(f"{root}/response") if not m.json()["ok"]) >= 12)
        replies = [m.json() for m in rec.on(f"{root}/response") if not m.json()["ok"]]
        errors = {r["request_id"]: r["error"] for r in replies}
        assert "larger than the 512-byte limit" in errors["oversized"]
        assert "unknown command 'self_destruct'" in errors["unknown"]
        assert "unknown command" in errors["nested"]
        assert "stale" in errors["stale"]
        assert "in the future" in errors["future"]
        assert "can never be snoozed" in errors["critical-snooze"]
        assert "limited to 720 min" in errors["long-snooze"]
        assert "invalid command" in errors["naive-time"]
        assert "launch" in errors["extra-field"]
        assert "say what is acknowledged" in errors["what-is-acked"]
        # The malformed JSON and the non-object still get a reply, without a request id.
        assert sum(1 for r in replies if r["request_id"] is None) == 2
        assert all(r["node_id"] == unique_node for r in replies)
        assert mqtt.connected
        assert all(not isinstance(e, Acknowledged) for e in _drain(sub))  # no rejected command made an event


def _drain(sub: Subscription) -> list[Event]:
    events = []
    while not sub.queue.empty():
        events.append(sub.get_nowait())
    return events


async def test_discovery_can_be_removed_and_published_again_by_command(
    mosquitto: MosquittoBroker, unique_node: str, tmp_path: Path
) -> None:
    prefix = f"ha-{unique_node}"
    clock = FakeClock(start=T0)
    mqtt = MqttService(config=mosquitto.mqtt_config(discovery_prefix=prefix), bus=EventBus(), node_id=unique_node,
                       state_dir=tmp_path, clock=clock, microphone="bedroom")
    root = f"monitord/{unique_node}"
    async with recording(mosquitto.port, f"{root}/response") as replies, mqtt:
        async with asyncio.timeout(10):
            await mqtt.wait_connected()
        await publish(mosquitto.port, f"{root}/cmd/discovery", command(action="remove", request_id="remove"))
        assert (await reply_to(replies, f"{root}/response", "remove"))["ok"]
        async with recording(mosquitto.port, f"{prefix}/#") as rec:
            await asyncio.sleep(0.3)  # retained configs would arrive now: there must be none
            assert rec.messages == []
        await publish(mosquitto.port, f"{prefix}/status", "online")  # HA restarts: removed stays removed
        await publish(mosquitto.port, f"{root}/cmd/discovery", command(action="publish", request_id="publish"))
        assert (await reply_to(replies, f"{root}/response", "publish"))["ok"]
        async with recording(mosquitto.port, f"{prefix}/#") as rec:
            await rec.wait_for(lambda r: len({m.topic for m in r.messages}) == 7)
            assert all(m.retain and json.loads(m.payload)["unique_id"] for m in rec.messages)


async def test_a_retained_command_is_refused_not_replayed_at_every_connect(
    mosquitto: MosquittoBroker, unique_node: str, tmp_path: Path
) -> None:
    """1. someone publishes an acknowledge with the retain flag; 2. monitord connects and gets it as retained;
    3. it is refused with a reply, and no Acknowledged event is made."""
    root = f"monitord/{unique_node}"
    await publish(mosquitto.port, f"{root}/cmd/acknowledge", command(alarm="critical", request_id="retained"),
                  retain=True)
    bus = EventBus()
    sub = bus.subscribe("test")
    mqtt = MqttService(config=mosquitto.mqtt_config(), bus=bus, node_id=unique_node, state_dir=tmp_path,
                       clock=FakeClock(start=T0), microphone="bedroom")
    async with recording(mosquitto.port, f"{root}/response") as rec, mqtt:
        reply = await reply_to(rec, f"{root}/response", "retained")
        assert reply["ok"] is False
        assert "retained commands are refused" in reply["error"]
        await publish(mosquitto.port, f"{root}/cmd/acknowledge", b"", retain=True)  # clear it: no reply to that
        await asyncio.sleep(0.2)
        assert len(rec.on(f"{root}/response")) == 1
    assert not any(isinstance(e, Acknowledged) for e in _drain(sub))


@pytest.mark.parametrize("age_s", [0.0, 299.0])
def test_handler_accepts_fresh_commands(age_s: float) -> None:
    clock = FakeClock(start=T0)
    handler = CommandHandler(config=MqttConfig(), node_id="bedroom", microphone="bedroom", clock=clock)
    outcome = handler.handle("acknowledge", command(T0 - timedelta(seconds=age_s), episode_id="ep-1"))
    assert outcome.reply.ok
    assert isinstance(outcome.event, Acknowledged)
    assert outcome.event.episode_id == "ep-1"
    assert outcome.event.time == T0
