"""MqttService: one monitor's MQTT sink — outbox, retained state, availability, HA discovery and commands.

    async with MqttService(config=cfg.mqtt, bus=bus, node_id="bedroom", state_dir=Path("/var/lib/monitord"),
                           clock=SystemClock(), microphone="bedroom"):
        ...  # the daemon runs; every event on the bus for node "bedroom" reaches the broker

Safety: nothing here is on the alarm → phone path. The service reads the bus through its own bounded subscription,
so a dead broker only makes events wait in the SQLite outbox; `EventBus.publish()` never waits for MQTT. A bug or a
refused login is logged and retried with jittered capped backoff; it never raises into the daemon.

Tasks (aiomqtt style: `__aenter__` starts one parent task running a TaskGroup of named children; `__aexit__` stops
them): `mqtt-bus-to-outbox` (bus → state + SQLite), `mqtt-connection` (connect/reconnect), and per connection
`mqtt-receive` (commands, HA birth), `mqtt-publish` (state topics, then outbox rows; deleted after PUBACK).

Availability: Last Will "offline" (retained, QoS 1) set at connect; "online" published on every connect; an explicit
"offline" on clean shutdown. Discovery is published on connect and again whenever `homeassistant/status` says
"online" (Home Assistant restarted), unless removed by the `discovery` command.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import aiomqtt
import structlog

from monitord.bus import EventBus, Subscription
from monitord.clock import Clock
from monitord.events import Event
from monitord.mqtt.commands import CommandHandler
from monitord.mqtt.config import MqttConfig, check_node_id
from monitord.mqtt.connection import (
    backoff_delay_s,
    describe_connect_error,
    forget_disconnect_error,
    make_client,
    publish,
    subscribe,
    tls_context,
)
from monitord.mqtt.discovery import DiscoveryMessage, discovery_messages
from monitord.mqtt.outbox import Outbox, OutboxRow
from monitord.mqtt.state import StateTracker
from monitord.mqtt.topics import OFFLINE, ONLINE, Topics
from monitord.tasks import cancel_and_wait

log = structlog.get_logger(__name__)

T = TypeVar("T")

OUTBOX_FILENAME = "mqtt-outbox.sqlite3"
PUBLISH_WINDOW = 32
"""Outbox rows published concurrently (in order on the wire) before their PUBACKs are awaited together."""
SHUTDOWN_DRAIN_S = 2.0
"""On clean shutdown, wait this long for the outbox to empty before saying "offline" (the rest waits on disk)."""


class MqttService:
    def __init__(
        self,
        *,
        config: MqttConfig,
        bus: EventBus,
        node_id: str,
        state_dir: Path,
        clock: Clock,
        microphone: str,
        has_microphone: bool = True,
        bus_queue_max_events: int = 10_000,
        on_delivered: Callable[[str], None] | None = None,
    ) -> None:
        """
        Args:
            node_id: this monitor's id: one topic level, `[A-Za-z0-9_-]` (ConfigError otherwise).
            state_dir: where the outbox lives (`mqtt-outbox.sqlite3`); created if missing.
            microphone: human name of the microphone/room, e.g. "bedroom" (HA device name, drills).
            has_microphone: False for a process that hears nothing itself (`monitord escalate`): it then publishes
                no HA discovery and no state topics — a phantom "pump alarm monitor" whose critical alarm always
                reads OFF would mislead — only availability, its own events, and command replies.
            bus_queue_max_events: size of this service's bus subscription queue.
            on_delivered: called with each event id after its PUBACK (benchmarks and tests).
        Raises:
            ConfigError: unusable node id, unreadable password file or TLS files.
        """
        self._config = config
        self._bus = bus
        self._node_id = check_node_id(node_id)
        self._state_dir = state_dir
        self._clock = clock
        self._microphone = microphone
        self._has_microphone = has_microphone
        self._bus_queue_max_events = bus_queue_max_events
        self._on_delivered = on_delivered
        self._topics = Topics(config.base_topic, node_id)
        self._state = StateTracker(self._topics)
        if not has_microphone:
            self._state.take_dirty()  # nothing to report: its initial OFF/None states are never published
        self._commands = CommandHandler(config=config, node_id=node_id, microphone=microphone, clock=clock)
        self._discovery = (
            discovery_messages(topics=self._topics, discovery_prefix=config.discovery_prefix, microphone=microphone)
            if has_microphone and config.discovery
            else []
        )
        self._ha_status_topic = f"{config.discovery_prefix}/status"
        self._password = config.resolved_password()
        self._tls = tls_context(config)
        self._client_id = config.client_id_for(node_id)
        self._discovery_removed = False
        self._executor: ThreadPoolExecutor | None = None
        self._outbox: Outbox | None = None
        self._subscription: Subscription | None = None
        self._runner: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._stopping = asyncio.Event()
        self._session_over = asyncio.Event()
        self._connected = asyncio.Event()
        self._unconfirmed: set[int] = set()  # outbox rows published without a PUBACK (connection lost)
        self.last_error: str | None = None
        self.delivered = 0
        """Events PUBACKed by the broker (and deleted from the outbox)."""
        self.resent = 0
        """Events published again after their PUBACK was lost in a disconnect (QoS 1 duplicates we caused)."""

    # --- status ------------------------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def wait_connected(self) -> None:
        await self._connected.wait()

    @property
    def outbox_size(self) -> int:
        return len(self._outbox) if self._outbox is not None else 0

    @property
    def topics(self) -> Topics:
        return self._topics

    @property
    def discovery(self) -> list[DiscoveryMessage]:
        return list(self._discovery)

    # --- lifecycle ---------------------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if not self._config.enabled:
            log.info("mqtt disabled in config: not publishing")
            return self
        self._subscription = self._bus.subscribe("mqtt", maxsize=self._bus_queue_max_events)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mqtt-outbox")
        self._outbox = await self._db(self._open_outbox)
        if len(self._outbox):
            log.info("mqtt outbox holds undelivered events from before", events=len(self._outbox))
        self._runner = asyncio.create_task(self._run(), name="mqtt-service")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._runner is None:
            return
        self._stopping.set()
        self._wake.set()
        # If our caller is cancelled meanwhile (its TaskGroup is shutting down), that cancellation propagates — but
        # only after the runner is stopped and the outbox is saved and closed: a cancelled exit must not leak the
        # connection task or lose the events still on the bus.
        try:
            if self.connected:
                # The session drains the outbox briefly, publishes "offline" and disconnects cleanly.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(SHUTDOWN_DRAIN_S + self._config.publish_timeout_s):
                        await self._session_over.wait()
        finally:
            try:
                await cancel_and_wait(self._runner)
            finally:
                self._runner = None
                await self._save_unread_bus_events()
                if self._subscription is not None:
                    self._subscription.close()
                if self._outbox is not None:
                    await self._db(self._outbox.close)
                if self._executor is not None:
                    self._executor.shutdown(wait=True)

    def _open_outbox(self) -> Outbox:
        path = self._state_dir / OUTBOX_FILENAME
        try:
            self._state_dir.mkdir(parents=True, exist_ok=True)
            return Outbox(path=path, max_events=self._config.outbox_max_events)
        except (OSError, sqlite3.Error) as exc:
            # MQTT is optional; losing the outbox's persistence must not stop the monitor.
            log.error("mqtt outbox cannot be opened; keeping undelivered events in memory only",
                      path=str(path), error=str(exc))
            return Outbox(path=None, max_events=self._config.outbox_max_events)

    async def _db(self, function: Callable[..., T], *args: Any) -> T:
        assert self._executor is not None
        return await asyncio.get_running_loop().run_in_executor(self._executor, functools.partial(function, *args))

    async def _run(self) -> None:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._bus_loop(), name="mqtt-bus-to-outbox")
            tasks.create_task(self._connection_loop(), name="mqtt-connection")

    # --- bus → state + outbox ----------------------------------------------------------------------------------

    async def _bus_loop(self) -> None:
        assert self._subscription is not None
        while True:
            batch = [await self._subscription.get()]
            # A burst (replayed episode, test flood) goes to disk in one transaction: one sync, not hundreds.
            while len(batch) < 512 and not self._subscription.queue.empty():
                batch.append(self._subscription.get_nowait())
            await self._take(batch)

    async def _take(self, events: list[Event]) -> None:
        ours = [event for event in events if event.node_id == self._node_id]
        # Other monitors' events (e.g. read back by MqttEventSource) are published by those monitors themselves.
        if not ours:
            return
        for event in ours if self._has_microphone else ():
            try:
                self._state.apply(event)
            except Exception:
                log.exception("mqtt state update failed", event_type=event.type, event_id=event.id)
        try:
            assert self._outbox is not None
            await self._db(self._outbox.append_many, ours)
        except (sqlite3.Error, OSError) as exc:
            log.error("mqtt outbox write failed: these events will not reach MQTT", events=len(ours),
                      event_types=sorted({e.type for e in ours}), error=str(exc))
        self._wake.set()

    async def _save_unread_bus_events(self) -> None:
        """Events the bus handed us but we had not stored yet: keep them for the next start."""
        if self._subscription is None:
            return
        unread: list[Event] = []
        while not self._subscription.queue.empty():
            unread.append(self._subscription.get_nowait())
        await self._take(unread)

    # --- connection --------------------------------------------------------------------------------------------

    async def _connection_loop(self) -> None:
        attempt = 0
        while not self._stopping.is_set():
            try:
                client = make_client(
                    self._config, client_id=self._client_id, password=self._password, tls=self._tls,
                    will=aiomqtt.Will(self._topics.availability, OFFLINE, qos=1, retain=True),
                )
                try:
                    async with client:
                        attempt = 0
                        await self._session(client)
                finally:
                    forget_disconnect_error(client)
            except* aiomqtt.MqttError as group:
                self._report(group.exceptions[0])
            except* Exception:
                log.exception("mqtt session failed (a bug); reconnecting")
            finally:
                if self._connected.is_set():
                    log.info("mqtt disconnected", broker=self._broker)
                self._connected.clear()
                self._session_over.set()
            if self._stopping.is_set():
                return
            delay = backoff_delay_s(
                attempt, base_s=self._config.reconnect_backoff_base_s, cap_s=self._config.reconnect_backoff_cap_s
            )
            attempt += 1
            await self._clock.sleep(delay)

    @property
    def _broker(self) -> str:
        return f"{self._config.host}:{self._config.port}"

    def _report(self, exc: BaseException) -> None:
        error = describe_connect_error(exc, self._config)
        if str(error) != self.last_error:  # one line per distinct failure, not one per retry
            log.warning("mqtt unavailable; retrying (events wait in the outbox)", error=error.message,
                        hint=error.hint, outbox_events=self.outbox_size)
        self.last_error = str(error)

    async def _session(self, client: aiomqtt.Client) -> None:
        self._session_over.clear()
        self._idle.clear()
        await subscribe(client, self._topics.command_filter, timeout_s=self._config.connect_timeout_s)
        if self._discovery:
            await subscribe(client, self._ha_status_topic, timeout_s=self._config.connect_timeout_s)
        await publish(client, self._topics.availability, ONLINE, retain=True, timeout_s=self._config.publish_timeout_s)
        if not self._discovery_removed:
            await self._publish_discovery(client)
        if self._has_microphone:
            self._state.mark_all_dirty()
        self._connected.set()
        self.last_error = None
        log.info("mqtt connected", broker=self._broker, client_id=self._client_id, node_id=self._node_id,
                 outbox_events=self.outbox_size, unconfirmed_events=len(self._unconfirmed))
        async with asyncio.TaskGroup() as tasks:
            receiver = tasks.create_task(self._receive_loop(client), name="mqtt-receive")
            publisher = tasks.create_task(self._publish_loop(client), name="mqtt-publish")
            tasks.create_task(self._stop_when_asked(client, receiver, publisher), name="mqtt-stop")

    async def _stop_when_asked(
        self, client: aiomqtt.Client, receiver: asyncio.Task[None], publisher: asyncio.Task[None]
    ) -> None:
        await self._stopping.wait()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(SHUTDOWN_DRAIN_S):
                while True:
                    await self._idle.wait()  # the publisher found nothing left to send ...
                    if not self.outbox_size and not self._state.has_dirty:
                        break
                    self._idle.clear()  # ... but the bus loop stored more since: let it go round again
                    self._wake.set()
        receiver.cancel()
        publisher.cancel()
        await publish(client, self._topics.availability, OFFLINE, retain=True, timeout_s=self._config.publish_timeout_s)
        log.info("mqtt: published offline; disconnecting", undelivered_events=self.outbox_size)

    # --- receiving: commands and Home Assistant's birth message -------------------------------------------------

    async def _receive_loop(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            topic = str(message.topic)
            payload = message.payload if isinstance(message.payload, bytes) else str(message.payload).encode()
            if topic == self._ha_status_topic:
                if payload.strip() == b"online" and self._discovery and not self._discovery_removed:
                    log.info("home assistant is online: re-publishing discovery and state")
                    await self._publish_discovery(client)
                    self._state.mark_all_dirty()
                    self._wake.set()
            elif topic.startswith(self._topics.command_prefix):
                await self._command(client, topic.removeprefix(self._topics.command_prefix), payload,
                                    bool(message.retain))

    async def _command(self, client: aiomqtt.Client, name: str, payload: bytes, retained: bool) -> None:
        if not payload:
            return  # an empty message clears a retained command: nothing to do, nothing to answer
        outcome = self._commands.handle(name, payload, retained=retained)
        if outcome.event is not None:
            self._bus.publish(outcome.event)
        if outcome.discovery_action == "remove":
            self._discovery_removed = True
            for message in self._discovery:
                await publish(client, message.topic, b"", retain=True, timeout_s=self._config.publish_timeout_s)
        elif outcome.discovery_action == "publish":
            self._discovery_removed = False
            await self._publish_discovery(client)
        await publish(client, self._topics.response, outcome.reply.to_payload(),
                      timeout_s=self._config.publish_timeout_s)

    async def _publish_discovery(self, client: aiomqtt.Client) -> None:
        for message in self._discovery:
            await publish(client, message.topic, json.dumps(message.config), retain=True,
                          timeout_s=self._config.publish_timeout_s)

    # --- publishing: state topics, then the outbox in order ----------------------------------------------------

    async def _publish_loop(self, client: aiomqtt.Client) -> None:
        assert self._outbox is not None
        while True:
            self._wake.clear()
            for topic, payload in self._state.take_dirty():
                await publish(client, topic, payload, retain=True, timeout_s=self._config.publish_timeout_s)
            rows = await self._db(self._outbox.peek, PUBLISH_WINDOW)
            if rows:
                await self._publish_rows(client, rows)
                continue
            self._idle.set()
            await self._wake.wait()
            self._idle.clear()

    async def _publish_rows(self, client: aiomqtt.Client, rows: list[OutboxRow]) -> None:
        assert self._outbox is not None
        acknowledged: list[OutboxRow] = []

        async def publish_row(row: OutboxRow) -> None:
            if row.seq in self._unconfirmed:
                self.resent += 1  # sent before, PUBACK lost with the connection: the consumer may see it twice
                self._unconfirmed.discard(row.seq)
            topic = Topics(self._config.base_topic, row.node_id).event(row.event_type)
            try:
                await publish(client, topic, row.payload, timeout_s=self._config.publish_timeout_s)
            except BaseException:
                self._unconfirmed.add(row.seq)
                raise
            acknowledged.append(row)

        try:
            # Tasks start in creation order and each hands its PUBLISH to paho before its first await, so the
            # rows go out on the wire in outbox order; only the PUBACK waits overlap.
            async with asyncio.TaskGroup() as tasks:
                for row in rows:
                    tasks.create_task(publish_row(row), name=f"mqtt-publish-{row.seq}")
        finally:
            if acknowledged:
                await self._db(self._outbox.delete, [row.seq for row in acknowledged])
                self.delivered += len(acknowledged)
                if self._on_delivered is not None:
                    for row in acknowledged:
                        self._on_delivered(row.event_id)
