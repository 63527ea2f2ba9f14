"""MqttService against a real Mosquitto: event topics, retained state, availability, discovery on HA's birth."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path

from monitord.alarms import AlarmKind
from monitord.bus import EventBus
from monitord.clock import SystemClock
from monitord.events import Acknowledged, Event, HealthStatus, RefillCalendarState
from monitord.mqtt import MqttService
from monitord.mqtt.outbox import Outbox
from monitord.mqtt.service import OUTBOX_FILENAME
from tests.mqtt_broker import MosquittoBroker
from tests.mqtt_support import T0, episode_ended, episode_started, eventually, health, heard, publish, recording


def service(broker: MosquittoBroker, node: str, bus: EventBus, state_dir: Path, **config: object) -> MqttService:
    return MqttService(config=broker.mqtt_config(**config), bus=bus, node_id=node, state_dir=state_dir,
                       clock=SystemClock(), microphone="bedroom")


async def test_events_state_and_availability(mosquitto: MosquittoBroker, unique_node: str, tmp_path: Path) -> None:
    """1. online on connect; 2. every event on its event topic, not retained; 3. state topics retained;
    4. a late subscriber gets the retained state; 5. explicit offline on clean shutdown."""
    root = f"monitord/{unique_node}"
    bus = EventBus()
    async with recording(mosquitto.port, f"{root}/#") as rec:
        async with service(mosquitto, unique_node, bus, tmp_path) as mqtt:
            await rec.wait_for(lambda r: bool(r.on(f"{root}/availability")))
            assert rec.last(f"{root}/availability").payload == b"online"
            async with asyncio.timeout(5):
                await mqtt.wait_connected()
            events: list[Event] = [
                health(unique_node, level=-38.25),
                episode_started(unique_node),
                heard(unique_node),
                RefillCalendarState(node_id=unique_node, time=T0, reservoir_alarm_date=date(2026, 12, 1),
                                    days_until_reservoir_alarm=10),
                heard("some-other-node"),  # not ours: not published by this service
            ]
            for event in events:
                bus.publish(event)
            await rec.wait_for(lambda r: bool(r.on(f"{root}/event/refill_calendar_state")))
            await rec.wait_for(lambda r: r.payload(f"{root}/state/days_until_refill") == b"10")
            for event in events[:4]:
                got = rec.last(f"{root}/event/{event.type}")
                assert Event.from_payload(got.payload) == event
                assert not got.retain
            assert rec.last(f"{root}/state/critical_alarm").payload == b"ON"
            assert rec.last(f"{root}/state/non_critical_alarm").payload == b"OFF"
            assert rec.last(f"{root}/state/monitor_problem").payload == b"OFF"
            assert rec.last(f"{root}/state/input_level_dbfs").payload == b"-38.2"
            assert rec.last(f"{root}/state/last_heard").payload == b"2026-11-21T03:00:00+00:00"
            attributes = rec.last(f"{root}/state/critical_alarm/attributes").json()
            assert attributes["episode_id"] == "ep-critical"
            assert attributes["acknowledged"] is False
            assert "oral baclofen" in attributes["what_to_do"]
            assert not any("some-other-node" in m.topic for m in rec.messages)

            async with recording(mosquitto.port, f"{root}/state/#") as late:
                await late.wait_for(lambda r: len(r.messages) >= 12)
                assert all(m.retain for m in late.messages)
                assert late.last(f"{root}/state/critical_alarm").payload == b"ON"
        await rec.wait_for(lambda r: r.payload(f"{root}/availability") == b"offline")
    async with recording(mosquitto.port, f"{root}/availability") as after:
        await after.wait_for(lambda r: bool(r.messages))
        assert after.last(f"{root}/availability").payload == b"offline"
        assert after.last(f"{root}/availability").retain


async def test_acknowledged_alarm_stays_on_until_its_episode_ends(
    mosquitto: MosquittoBroker, unique_node: str, tmp_path: Path
) -> None:
    root = f"monitord/{unique_node}"
    bus = EventBus()
    async with recording(mosquitto.port, f"{root}/state/#") as rec, service(mosquitto, unique_node, bus, tmp_path):
        bus.publish(episode_started(unique_node))
        await rec.wait_for(lambda r: r.payload(f"{root}/state/critical_alarm") == b"ON")
        bus.publish(Acknowledged(node_id=unique_node, time=T0, alarm=AlarmKind.CRITICAL, by="mum", channel="http"))
        await rec.wait_for(
            lambda r: r.json(f"{root}/state/critical_alarm/attributes").get("acknowledged") is True
        )
        assert rec.last(f"{root}/state/critical_alarm").payload == b"ON"
        assert rec.last(f"{root}/state/critical_alarm/attributes").json()["acknowledged_by"] == "mum"
        bus.publish(health(unique_node, status=HealthStatus.SILENT, level=None))
        bus.publish(episode_ended(unique_node))
        await rec.wait_for(lambda r: r.payload(f"{root}/state/critical_alarm") == b"OFF")
        await rec.wait_for(lambda r: r.payload(f"{root}/state/monitor_problem") == b"ON")
        assert rec.last(f"{root}/state/input_level_dbfs").payload == b"None"
        assert rec.last(f"{root}/state/monitor_problem/attributes").json()["status"] == "silent"


async def test_drills_do_not_switch_alarm_states(mosquitto: MosquittoBroker, unique_node: str, tmp_path: Path) -> None:
    root = f"monitord/{unique_node}"
    bus = EventBus()
    async with recording(mosquitto.port, f"{root}/#") as rec, service(mosquitto, unique_node, bus, tmp_path):
        bus.publish(episode_started(unique_node).model_copy(update={"is_test": True}))
        bus.publish(heard(unique_node, is_test=True))
        await rec.wait_for(lambda r: bool(r.on(f"{root}/event/alarm_heard")))
        await rec.wait_for(lambda r: bool(r.on(f"{root}/event/episode_started")))
        assert rec.last(f"{root}/state/critical_alarm").payload == b"OFF"
        assert rec.last(f"{root}/state/last_heard").payload == b"None"


async def test_discovery_is_published_again_when_home_assistant_comes_online(
    mosquitto: MosquittoBroker, unique_node: str, tmp_path: Path
) -> None:
    """1. discovery retained on connect; 2. HA's birth message → published again (HA's embedded broker case)."""
    bus = EventBus()
    prefix = f"ha-{unique_node}"
    async with (
        recording(mosquitto.port, f"{prefix}/#") as rec,
        service(mosquitto, unique_node, bus, tmp_path, discovery_prefix=prefix) as mqtt,
    ):
        count = len(mqtt.discovery)
        assert count == 7
        await rec.wait_for(lambda r: len(r.messages) >= count)
        topics = {m.topic for m in rec.messages}
        assert f"{prefix}/binary_sensor/monitord_{unique_node}/critical_alarm/config" in topics
        await publish(mosquitto.port, f"{prefix}/status", "online")
        await rec.wait_for(lambda r: len([m for m in r.messages if m.topic.endswith("/config")]) >= 2 * count)
        config = json.loads(rec.last(f"{prefix}/binary_sensor/monitord_{unique_node}/critical_alarm/config")
                            .payload)
        assert config["device_class"] == "safety"


async def test_service_keeps_working_without_a_broker_and_delivers_once_it_appears(
    tmp_path: Path, unique_node: str
) -> None:
    """1. no broker at all: entering the service does not fail or block, bus.publish never waits;
    2. the broker appears on that port; 3. the queued events arrive in order with their original timestamps."""
    broker = MosquittoBroker(tmp_path / "late-broker")
    bus = EventBus()
    events = [heard(unique_node, n=i) for i in range(20)]
    async with service(broker, unique_node, bus, tmp_path / "state") as mqtt:
        for event in events:
            bus.publish(event)
        await eventually(lambda: mqtt.outbox_size == len(events) and mqtt.last_error is not None)
        assert not mqtt.connected
        assert "cannot reach the MQTT broker" in (mqtt.last_error or "")
        broker.start()
        try:
            async with recording(broker.port, f"monitord/{unique_node}/event/#") as rec:
                await rec.wait_for(lambda r: len(r.messages) >= len(events))
            assert [Event.from_payload(m.payload) for m in rec.messages] == events
        finally:
            broker.stop()


async def test_clean_shutdown_sends_what_is_queued_then_says_offline(
    mosquitto: MosquittoBroker, unique_node: str, tmp_path: Path
) -> None:
    """1. events are published and the service is closed at once; 2. they all arrive, then "offline";
    3. nothing is left in the outbox file."""
    from monitord.mqtt.outbox import Outbox
    from monitord.mqtt.service import OUTBOX_FILENAME

    root = f"monitord/{unique_node}"
    bus = EventBus()
    events = [heard(unique_node, n=i) for i in range(50)]
    async with recording(mosquitto.port, f"{root}/event/#", f"{root}/availability") as rec:
        async with service(mosquitto, unique_node, bus, tmp_path) as mqtt:
            async with asyncio.timeout(10):
                await mqtt.wait_connected()
            for event in events:
                bus.publish(event)
        await rec.wait_for(lambda r: r.payload(f"{root}/availability") == b"offline")
        got = [Event.from_payload(m.payload) for m in rec.messages if "/event/" in m.topic]
        assert got == events
        assert rec.messages[-1].topic == f"{root}/availability"
    assert len(Outbox(path=tmp_path / OUTBOX_FILENAME, max_events=100)) == 0


async def test_a_process_without_microphone_publishes_no_discovery_and_no_state(
    mosquitto: MosquittoBroker, unique_node: str, tmp_path: Path
) -> None:
    """`monitord escalate` runs an MqttService for its own events: no phantom HA monitor whose alarm reads OFF."""
    root = f"monitord/{unique_node}"
    prefix = f"ha-{unique_node}"
    bus = EventBus()
    mqtt = MqttService(config=mosquitto.mqtt_config(discovery_prefix=prefix), bus=bus, node_id=unique_node,
                       state_dir=tmp_path, clock=SystemClock(), microphone="escalation", has_microphone=False)
    async with recording(mosquitto.port, f"{root}/#", f"{prefix}/#") as rec, mqtt:
        async with asyncio.timeout(10):
            await mqtt.wait_connected()
        bus.publish(episode_started(unique_node))
        await rec.wait_for(lambda r: bool(r.on(f"{root}/event/episode_started")))
        await publish(mosquitto.port, f"{prefix}/status", "online")
        await asyncio.sleep(0.2)
        assert mqtt.discovery == []
        assert {m.topic for m in rec.messages} == {
            f"{root}/availability", f"{root}/event/episode_started", f"{prefix}/status"  # (the birth we sent)
        }


async def exit_cancelled(mqtt: MqttService, bus: EventBus, events: list[Event], *, connected: bool) -> None:
    """Run `async with mqtt` in a task of its own; the body publishes `events` and leaves, and while `__aexit__` is
    stopping the service that task is cancelled (as its TaskGroup would cancel it). The cancellation must reach
    the task: swallowing it would keep a shutting-down TaskGroup waiting, or let its owner run on."""
    exiting = asyncio.Event()

    async def owner() -> None:
        async with mqtt:
            if connected:
                async with asyncio.timeout(10):
                    await mqtt.wait_connected()
            for event in events:
                bus.publish(event)
            exiting.set()  # no await from here to __aexit__'s first wait: the cancel below lands inside it

    task = asyncio.create_task(owner(), name="test-owner")
    await exiting.wait()
    task.cancel()
    await asyncio.wait({task}, timeout=30)
    assert task.done(), "stopping the service hangs"
    assert task.cancelled(), f"the cancellation was swallowed: {task}"


def assert_stopped_and_closed(bus: EventBus, node: str, state_dir: Path) -> None:
    assert not [t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith("mqtt")], "tasks leaked"
    bus.publish(heard(node, n=99))
    assert bus.backlog() == 0, "the service still reads the bus"
    assert not (state_dir / f"{OUTBOX_FILENAME}-wal").exists(), "the outbox was not closed (WAL not checkpointed)"


async def test_cancelled_while_stopping_propagates_and_still_saves_the_outbox(
    mosquitto: MosquittoBroker, unique_node: str, tmp_path: Path
) -> None:
    """The broker is down; the owner is cancelled while the service stops its tasks. The old code swallowed that
    cancellation; now it propagates, and the events published just before leaving are still saved to disk."""
    await asyncio.to_thread(mosquitto.stop)
    bus = EventBus()
    events: list[Event] = [heard(unique_node, n=i) for i in range(3)]
    await exit_cancelled(service(mosquitto, unique_node, bus, tmp_path), bus, events, connected=False)
    assert_stopped_and_closed(bus, unique_node, tmp_path)
    outbox = Outbox(path=tmp_path / OUTBOX_FILENAME, max_events=100)
    try:
        assert [row.event_id for row in outbox.peek(100)] == [event.id for event in events]
    finally:
        outbox.close()


async def test_cancelled_while_draining_to_the_broker_still_stops_everything(
    mosquitto: MosquittoBroker, unique_node: str, tmp_path: Path
) -> None:
    """Connected: the owner is cancelled while the session drains and says "offline". The old code let that
    cancellation out at once, leaving the connection task running and the outbox open. Stopping the runner
    mid-session must not hang either: aiomqtt's own publish timeout (Python 3.11 `asyncio.wait_for`) dropped the
    publisher's cancellation when it landed with a PUBACK, and the publisher then waited for work forever."""
    bus = EventBus()
    await exit_cancelled(service(mosquitto, unique_node, bus, tmp_path), bus, [], connected=True)
    assert_stopped_and_closed(bus, unique_node, tmp_path)
