"""`monitord escalate`: the escalation engine as its own process.

One escalation service for several microphones, or on another machine: it reads every monitor's events from the
MQTT broker (`MqttEventSource`), escalates, and publishes its own events (IncidentChanged, NotificationFailed,
Acknowledged) back through an `MqttService` under its own node id — which also takes MQTT commands addressed to it.
`--events FILE|-` reads events as JSON lines instead of MQTT (replay, pipes, tests); it exits at end of input
once the deliveries in progress are done.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

    from monitord.escalation.service import EscalationService

NAME = "escalate"
HELP = "run the escalation engine (incidents, phone push, on-call paging) on events from MQTT"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=None,
                        help="config file with [escalation] (and [mqtt]) sections (default: $MONITORD_CONFIG or "
                             "/etc/monitord/monitord.toml); MONITORD_* variables and credential files apply")
    parser.add_argument("--state-dir", type=Path, default=None,
                        help="where incidents are kept across restarts (default: $STATE_DIRECTORY or "
                             "/var/lib/monitord)")
    parser.add_argument("--node-id", default=None,
                        help="this escalation service's node id on MQTT (default: escalation-<hostname>)")
    parser.add_argument("--events", metavar="FILE", default=None,
                        help="read events as JSON lines from FILE ('-' = stdin) instead of MQTT")


def default_state_dir(given: Path | None) -> Path:
    if given is not None:
        return given
    # systemd's StateDirectory= sets $STATE_DIRECTORY (possibly several, colon-separated).
    env = os.environ.get("STATE_DIRECTORY")
    return Path(env.split(":")[0]) if env else Path("/var/lib/monitord")


def default_node_id(given: str | None) -> str:
    if given:
        return given
    host = re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname()) or "host"
    return f"escalation-{host}"


def run(args: argparse.Namespace) -> int:
    import asyncio

    return asyncio.run(_main(args))


async def _main(args: argparse.Namespace) -> int:
    import asyncio
    import contextlib
    import signal

    import structlog

    from monitord.bus import EventBus
    from monitord.clock import SystemClock
    from monitord.config import load_config
    from monitord.errors import ConfigError, ExitCode
    from monitord.escalation.config import EscalationConfig
    from monitord.escalation.service import EscalationService
    from monitord.escalation.sources import JsonLinesEventSource

    log = structlog.get_logger("monitord.escalate")
    # The same loader as `monitord run`: environment overrides and systemd credentials apply here too.
    full_config = load_config(args.config)
    config = full_config.escalation or EscalationConfig()
    state_dir = default_state_dir(args.state_dir)
    node_id = default_node_id(args.node_id)
    bus, clock = EventBus(), SystemClock()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async with contextlib.AsyncExitStack() as stack:
        service = await stack.enter_async_context(EscalationService(
            config=config, bus=bus, clock=clock, state_dir=state_dir, node_id=node_id,
        ))
        finished: asyncio.Event | None = None
        if args.events is not None:
            source = await stack.enter_async_context(JsonLinesEventSource(path=args.events, bus=bus))
            finished = source.finished
        else:
            from monitord.mqtt.service import MqttService
            from monitord.mqtt.source import MqttEventSource

            mqtt_config = full_config.mqtt
            if mqtt_config is None:
                raise ConfigError("escalate reads events from MQTT, but the config has no [mqtt] section",
                                  hint="add [mqtt] (see config/monitord.example.toml), or use --events FILE")
            await stack.enter_async_context(MqttService(
                config=mqtt_config, bus=bus, node_id=node_id, state_dir=state_dir, clock=clock,
                microphone="escalation", has_microphone=False,  # no phantom HA monitor for this process
            ))
            await stack.enter_async_context(MqttEventSource(
                config=mqtt_config, bus=bus, clock=clock, client_id=f"monitord-events-{node_id}",
                exclude_node_id=node_id,
            ))
        log.info("escalation running", node_id=node_id, state_dir=str(state_dir),
                 notifiers=sorted(service.notifiers), input=args.events or "mqtt",
                 ack_endpoint=service.ack_base_url)
        waiters: set[asyncio.Task[Any]] = {asyncio.create_task(stop.wait())}
        if finished is not None:
            waiters.add(asyncio.create_task(_input_done(finished, service)))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        log.info("escalation stopping", open_incidents=len(service.open_incidents()))
    return int(ExitCode.OK)


async def _input_done(finished: asyncio.Event, service: EscalationService) -> None:
    """End of a JSON-lines input: wait for the events to be handled and the deliveries to finish (≤ 60 s)."""
    await finished.wait()
    await service.wait_idle(timeout_s=60.0)
