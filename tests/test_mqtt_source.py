"""MqttEventSource against a real Mosquitto: several nodes in, one local bus out, duplicates and junk dropped."""

from __future__ import annotations

import asyncio
from pathlib import Path

from monitord.alarms import AlarmKind
from monitord.bus import EventBus
from monitord.clock import SystemClock
from monitord.events import Event
from monitord.mqtt import MqttEventSource, MqttService
from tests.mqtt_broker import MosquittoBroker
from tests.mqtt_support import health, heard, publish


async def drain(sub_get: object, count: int) -> list[Event]:
    assert callable(sub_get)
    out: list[Event] = []
    async with asyncio.timeout(10):
        for _ in range(count):
            out.append(await sub_get())
    return out


async def test_events_of_every_node_reach_the_bus_once_and_junk_is_skipped(
    mosquitto: MosquittoBroker, unique_node: str
) -> None:
    """1. two monitors publish; 2. one event arrives twice (QoS 1 redelivery); 3. junk and a forged node id."""
    bus = EventBus()
    sub = bus.subscribe("test")
    bedroom, living = f"{unique_node}-bed", f"{unique_node}-liv"
    source = MqttEventSource(config=mosquitto.mqtt_config(), bus=bus, clock=SystemClock(),
                             client_id=f"{unique_node}-src")
    async with source:
        async with asyncio.timeout(10):
            await source.wait_connected()
        critical = heard(bedroom)
        beep = heard(living, alarm=AlarmKind.NON_CRITICAL, n=1)
        await publish(mosquitto.port, f"monitord/{bedroom}/event/alarm_heard", critical.to_payload())
        await publish(mosquitto.port, f"monitord/{bedroom}/event/alarm_heard", critical.to_payload())
        await publish(mosquitto.port, f"monitord/{bedroom}/event/alarm_heard", b"{not json")
        await publish(mosquitto.port, f"monitord/{bedroom}/event/alarm_heard", heard(living, n=7).to_payload())
        await publish(mosquitto.port, f"monitord/{living}/event/alarm_heard", beep.to_payload())
        await publish(mosquitto.port, f"monitord/{living}/event/monitor_health", health(living).to_payload())
        got = await drain(sub.get, 3)
    assert [type(e).__name__ for e in got] == ["AlarmHeard", "AlarmHeard", "MonitorHealth"]
    assert got[0] == critical
    assert got[1] == beep
    assert source.duplicates == 1
    assert source.rejected == 2  # the bad JSON and the payload whose node id does not match its topic
    assert sub.queue.empty()


async def test_persistent_session_delivers_events_published_while_the_source_was_down(
    mosquitto: MosquittoBroker, unique_node: str
) -> None:
    """1. connect once (the broker remembers the session); 2. go away; 3. events arrive; 4. come back: get them."""
    bus = EventBus()
    sub = bus.subscribe("test")
    config = mosquitto.mqtt_config()
    client_id = f"{unique_node}-src"
    async with MqttEventSource(config=config, bus=bus, clock=SystemClock(), client_id=client_id) as source:
        async with asyncio.timeout(10):
            await source.wait_connected()
    missed = [heard(unique_node, n=i) for i in range(5)]
    for event in missed:
        await publish(mosquitto.port, f"monitord/{unique_node}/event/alarm_heard", event.to_payload())
    async with MqttEventSource(config=config, bus=bus, clock=SystemClock(), client_id=client_id):
        got = await drain(sub.get, 5)
    assert got == missed


async def test_two_monitors_on_one_broker_reach_one_escalation_bus(
    mosquitto: MosquittoBroker, unique_node: str, tmp_path: Path
) -> None:
    """Multi-node end to end: bedroom and living room each run an MqttService; one MqttEventSource hears both."""
    bedroom, living = f"{unique_node}-bed", f"{unique_node}-liv"
    escalation_bus = EventBus()
    sub = escalation_bus.subscribe("escalation")
    monitors = {node: (EventBus(), tmp_path / node) for node in (bedroom, living)}
    config = mosquitto.mqtt_config()
    async with (
        MqttEventSource(config=config, bus=escalation_bus, clock=SystemClock(), client_id=f"{unique_node}-esc",
                        node_ids=[bedroom, living]) as source,
        MqttService(config=config, bus=monitors[bedroom][0], node_id=bedroom, state_dir=monitors[bedroom][1],
                    clock=SystemClock(), microphone="bedroom"),
        MqttService(config=config, bus=monitors[living][0], node_id=living, state_dir=monitors[living][1],
                    clock=SystemClock(), microphone="living room"),
    ):
        async with asyncio.timeout(10):
            await source.wait_connected()
        critical = heard(bedroom)
        beep = heard(living, alarm=AlarmKind.NON_CRITICAL)
        monitors[bedroom][0].publish(critical)
        monitors[living][0].publish(beep)
        got = await drain(sub.get, 2)
    assert {e.id for e in got} == {critical.id, beep.id}
    assert {e.node_id for e in got} == {bedroom, living}
