"""Helpers for the MQTT tests: event factories and a real subscriber that records what the broker delivers."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiomqtt

from monitord.alarms import AlarmKind
from monitord.events import AlarmHeard, EpisodeEnded, EpisodeEndReason, EpisodeStarted, HealthStatus, MonitorHealth

T0 = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


def heard(node: str, *, alarm: AlarmKind = AlarmKind.CRITICAL, n: int = 0, **overrides: Any) -> AlarmHeard:
    at = T0 + timedelta(seconds=n)
    fields: dict[str, Any] = dict(
        node_id=node, time=at, alarm=alarm, confidence=0.9, snr_db=12.0, frequencies_hz=(880.0, 1320.0),
        started_at=at, ended_at=at + timedelta(seconds=3), microphone="bedroom", profile="default",
        profile_verified=False,
    )
    fields.update(overrides)
    return AlarmHeard.model_validate(fields)


def health(node: str, *, status: HealthStatus = HealthStatus.OK, level: float | None = -42.5, n: int = 0
           ) -> MonitorHealth:
    return MonitorHealth(node_id=node, time=T0 + timedelta(seconds=n), status=status, microphone="bedroom",
                         input_level_dbfs=level)


def episode_started(node: str, alarm: AlarmKind = AlarmKind.CRITICAL) -> EpisodeStarted:
    return EpisodeStarted(node_id=node, time=T0, episode_id=f"ep-{alarm}", alarm=alarm, microphone="bedroom",
                          first_heard=T0, last_heard=T0, soundings=1, max_confidence=0.9, profile_verified=False)


def episode_ended(node: str, alarm: AlarmKind = AlarmKind.CRITICAL) -> EpisodeEnded:
    return EpisodeEnded(node_id=node, time=T0 + timedelta(hours=1), episode_id=f"ep-{alarm}", alarm=alarm,
                        microphone="bedroom", first_heard=T0, last_heard=T0, soundings=3, max_confidence=0.9,
                        profile_verified=False, reason=EpisodeEndReason.REPEATS_STOPPED)


@dataclass
class Received:
    topic: str
    payload: bytes
    retain: bool

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass
class Recorder:
    """Everything a real subscriber received, with a way to wait for a condition."""

    messages: list[Received] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def on(self, topic: str) -> list[Received]:
        return [m for m in self.messages if m.topic == topic]

    def last(self, topic: str) -> Received:
        found = self.on(topic)
        assert found, f"nothing received on {topic}; got topics {sorted({m.topic for m in self.messages})}"
        return found[-1]

    def payload(self, topic: str) -> bytes | None:
        """The last payload on `topic`, or None if nothing came yet (for wait_for predicates)."""
        found = self.on(topic)
        return found[-1].payload if found else None

    def json(self, topic: str) -> Any:
        found = self.on(topic)
        return found[-1].json() if found else {}

    async def wait_for(self, predicate: Callable[[Recorder], bool], timeout_s: float = 10.0) -> None:
        async with asyncio.timeout(timeout_s):
            while not predicate(self):
                self._changed.clear()
                await self._changed.wait()

    def add(self, message: aiomqtt.Message) -> None:
        payload = message.payload if isinstance(message.payload, bytes) else str(message.payload).encode()
        self.messages.append(Received(str(message.topic), payload, bool(message.retain)))
        self._changed.set()


@contextlib.asynccontextmanager
async def recording(
    port: int, *topic_filters: str, client_id: str | None = None, clean_session: bool | None = None,
    reconnect: bool = False, username: str | None = None, password: str | None = None,
) -> AsyncIterator[Recorder]:
    """Subscribe (QoS 1) and record in the background. With `reconnect`, survive broker restarts."""
    recorder = Recorder()
    subscribed = asyncio.Event()

    async def run() -> None:
        while True:
            try:
                async with aiomqtt.Client("127.0.0.1", port, identifier=client_id, clean_session=clean_session,
                                          keepalive=5, username=username, password=password) as client:
                    for topic_filter in topic_filters:
                        await client.subscribe(topic_filter, qos=1)
                    subscribed.set()
                    async for message in client.messages:
                        recorder.add(message)
            except aiomqtt.MqttError:
                if not reconnect:
                    raise
                await asyncio.sleep(0.05)

    task = asyncio.create_task(run(), name="test-recorder")
    try:
        async with asyncio.timeout(10):
            await subscribed.wait()
        yield recorder
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
            await task


async def eventually(predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Poll `predicate` until true (for state that has no event to wait on, e.g. the outbox size)."""
    for _ in range(int(timeout_s / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in time")


async def publish(port: int, topic: str, payload: bytes | str, *, retain: bool = False,
                  username: str | None = None, password: str | None = None) -> None:
    async with aiomqtt.Client("127.0.0.1", port, username=username, password=password) as client:
        await client.publish(topic, payload, qos=1, retain=retain)
