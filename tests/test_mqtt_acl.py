"""The shipped example ACL (config/mosquitto/acl), loaded verbatim into a real Mosquitto: it must let monitord,
Home Assistant and the escalation service do their jobs, and keep everyone else off the command topics."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from monitord.bus import EventBus, Subscription
from monitord.clock import FakeClock
from monitord.events import Acknowledged, Event
from monitord.mqtt import MqttService
from tests.mqtt_broker import MosquittoBroker
from tests.mqtt_support import T0, heard, publish, recording

ACL = Path(__file__).resolve().parents[1] / "config" / "mosquitto" / "acl"
USERS = {"bedroom": "pw-bedroom", "homeassistant": "pw-ha", "escalation": "pw-esc", "mallory": "pw-mallory"}


def ack(request_id: str, sent_at: datetime = T0) -> bytes:
    return json.dumps({"sent_at": sent_at.isoformat(), "by": "x", "alarm": "critical",
                       "request_id": request_id}).encode()


@pytest.fixture
def acl_broker(broker_factory: Callable[..., MosquittoBroker], tmp_path: Path) -> MosquittoBroker:
    passwd = tmp_path / "passwd"
    for index, (user, password) in enumerate(USERS.items()):
        subprocess.run(["mosquitto_passwd", "-b", *(["-c"] if index == 0 else []), str(passwd), user, password],
                       check=True)
    return broker_factory(name="acl", extra=f"allow_anonymous false\npassword_file {passwd}\nacl_file {ACL}")


async def test_shipped_acl_lets_each_party_do_its_job_and_nothing_more(
    acl_broker: MosquittoBroker, tmp_path: Path
) -> None:
    """1. monitor "bedroom" publishes availability, discovery, state, events; 2. Home Assistant reads them and its
    acknowledge is answered; 3. escalation reads events but its command is dropped by the broker; 4. an unlisted
    user reads nothing."""
    broker = acl_broker
    port = broker.port
    bus = EventBus()
    sub = bus.subscribe("test")
    config = broker.mqtt_config(username="bedroom", password=USERS["bedroom"])
    mqtt = MqttService(config=config, bus=bus, node_id="bedroom", state_dir=tmp_path, clock=FakeClock(start=T0),
                       microphone="bedroom")
    async with (
        recording(port, "monitord/#", "homeassistant/#", username="homeassistant", password=USERS["homeassistant"])
        as home_assistant,
        recording(port, "monitord/+/event/+", username="escalation", password=USERS["escalation"]) as escalation,
        recording(port, "monitord/#", username="mallory", password=USERS["mallory"]) as mallory,
        mqtt,
    ):
        async with asyncio.timeout(10):
            await mqtt.wait_connected()
        bus.publish(heard("bedroom"))
        await home_assistant.wait_for(lambda r: bool(r.on("monitord/bedroom/event/alarm_heard")))
        await escalation.wait_for(lambda r: bool(r.on("monitord/bedroom/event/alarm_heard")))
        assert home_assistant.payload("monitord/bedroom/availability") == b"online"
        assert home_assistant.on("homeassistant/binary_sensor/monitord_bedroom/critical_alarm/config")
        assert home_assistant.payload("monitord/bedroom/state/critical_alarm") == b"OFF"

        await publish(port, "monitord/bedroom/cmd/acknowledge", ack("from-escalation"), username="escalation",
                      password=USERS["escalation"])
        await publish(port, "monitord/bedroom/cmd/acknowledge", ack("from-ha"), username="homeassistant",
                      password=USERS["homeassistant"])
        await home_assistant.wait_for(lambda r: r.json("monitord/bedroom/response").get("request_id") == "from-ha")
        assert home_assistant.json("monitord/bedroom/response")["ok"] is True
        acknowledged = [e for e in _drain(sub) if isinstance(e, Acknowledged)]
        assert len(acknowledged) == 1  # only Home Assistant's; the escalation user may not command
        assert [m.json()["request_id"] for m in home_assistant.on("monitord/bedroom/response")] == ["from-ha"]
        assert mallory.messages == []


def _drain(sub: Subscription) -> list[Event]:
    events: list[Event] = []
    while not sub.queue.empty():
        events.append(sub.get_nowait())
    return events
