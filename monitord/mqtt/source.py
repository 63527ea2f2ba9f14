"""MqttEventSource: every monitor's events, read back from the broker into a local EventBus.

For `monitord escalate` running as its own process — one escalation service for several microphones (bedroom,
living room) that each run `monitord run` with an MqttService:

    bus = EventBus()
    async with MqttEventSource(config=cfg.mqtt, bus=bus, clock=SystemClock()):
        async for event in bus.subscribe("escalation", maxsize=10_000):
            ...   # AlarmHeard, EpisodeStarted, MonitorHealth, ... of every node

It subscribes (QoS 1) to `<base>/+/event/+`, decodes each payload with `Event.from_payload`, drops duplicates by
event id (QoS 1 is at-least-once, and monitors replay their outbox after a reconnect), and publishes the rest on
the bus in arrival order. Malformed payloads are logged and skipped, never raised.

It uses a persistent session (clean_session=False, a fixed client id): while this process is down or
reconnecting, the broker queues the QoS 1 events for it (up to mosquitto's `max_queued_messages`, default 1000)
and delivers them when it is back. Keep `client_id` stable and unique per consuming process.
"""

from __future__ import annotations

import asyncio
import socket
from collections import OrderedDict
from collections.abc import Sequence
from types import TracebackType
from typing import Self

import aiomqtt
import structlog

from monitord.bus import EventBus
from monitord.clock import Clock
from monitord.events import Event, PayloadError
from monitord.mqtt.config import MqttConfig
from monitord.mqtt.connection import (
    backoff_delay_s,
    describe_connect_error,
    forget_disconnect_error,
    make_client,
    subscribe,
    tls_context,
)
from monitord.mqtt.topics import all_nodes_event_filter, node_events_filter
from monitord.tasks import cancel_and_wait

log = structlog.get_logger(__name__)


class MqttEventSource:
    """Async context manager: while open, events of every monitor on the broker appear on `bus`."""

    def __init__(
        self,
        *,
        config: MqttConfig,
        bus: EventBus,
        clock: Clock,
        client_id: str | None = None,
        node_ids: Sequence[str] | None = None,
        exclude_node_id: str | None = None,
        dedupe_window: int = 10_000,
    ) -> None:
        """
        Args:
            client_id: stable id for the persistent session (default `monitord-events-<hostname>`).
            node_ids: only these monitors (default: every node under `config.base_topic`).
            exclude_node_id: skip events of this node (e.g. the consuming process's own node id).
            dedupe_window: how many recent event ids are remembered to drop redeliveries.
        """
        self._config = config
        self._bus = bus
        self._clock = clock
        self._client_id = client_id or f"monitord-events-{socket.gethostname()}"
        self._filters = (
            [node_events_filter(config.base_topic, n) for n in node_ids]
            if node_ids
            else [all_nodes_event_filter(config.base_topic)]
        )
        self._exclude_node_id = exclude_node_id
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._dedupe_window = dedupe_window
        self._password = config.resolved_password()
        self._tls = tls_context(config)
        self._runner: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self.received = 0
        self.duplicates = 0
        self.rejected = 0
        self.last_error: str | None = None

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def wait_connected(self) -> None:
        await self._connected.wait()

    async def __aenter__(self) -> Self:
        self._runner = asyncio.create_task(self._run(), name="mqtt-event-source")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await cancel_and_wait(self._runner)
        self._runner = None

    async def _run(self) -> None:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._connection_loop(), name="mqtt-event-source-connection")

    async def _connection_loop(self) -> None:
        attempt = 0
        while True:
            try:
                client = make_client(
                    self._config, client_id=self._client_id, clean_session=False,
                    password=self._password, tls=self._tls,
                )
                try:
                    async with client:
                        for topic_filter in self._filters:
                            await subscribe(client, topic_filter, timeout_s=self._config.connect_timeout_s)
                        attempt = 0
                        self.last_error = None
                        self._connected.set()
                        log.info("mqtt event source connected", broker=f"{self._config.host}:{self._config.port}",
                                 filters=self._filters, client_id=self._client_id)
                        async for message in client.messages:
                            self._handle(str(message.topic), message.payload)
                finally:
                    forget_disconnect_error(client)
            except aiomqtt.MqttError as exc:
                error = describe_connect_error(exc, self._config)
                self.last_error = str(error)
                log.warning("mqtt event source disconnected", error=error.message, hint=error.hint)
            except Exception:  # a bug must not end the consumer: log it and reconnect
                log.exception("mqtt event source failed; reconnecting")
            finally:
                self._connected.clear()
            delay = backoff_delay_s(
                attempt, base_s=self._config.reconnect_backoff_base_s, cap_s=self._config.reconnect_backoff_cap_s
            )
            attempt += 1
            await self._clock.sleep(delay)

    def _handle(self, topic: str, payload: object) -> None:
        if not isinstance(payload, bytes | bytearray):
            self.rejected += 1
            log.warning("mqtt event with a non-binary payload skipped", topic=topic)
            return
        try:
            event = Event.from_payload(bytes(payload))
        except PayloadError as exc:
            self.rejected += 1
            log.warning("malformed event on mqtt skipped", topic=topic, error=str(exc)[:300])
            return
        topic_node = topic.split("/")[-3] if topic.count("/") >= 2 else None
        if topic_node != event.node_id:
            self.rejected += 1
            log.warning("mqtt event skipped: node id in payload does not match its topic",
                        topic=topic, node_id=event.node_id)
            return
        if event.node_id == self._exclude_node_id:
            return
        if event.id in self._seen:
            self.duplicates += 1
            self._seen.move_to_end(event.id)
            return
        self._seen[event.id] = None
        if len(self._seen) > self._dedupe_window:
            self._seen.popitem(last=False)
        self.received += 1
        self._bus.publish(event)
