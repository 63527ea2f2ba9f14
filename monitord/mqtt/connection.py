"""Building aiomqtt clients from `MqttConfig`, explaining connection failures, and reconnect backoff.

Shared by `MqttService` (publishes one monitor's events) and `MqttEventSource` (reads every monitor's events).
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import socket
import ssl
from collections.abc import Awaitable

import aiomqtt
from paho.mqtt.reasoncodes import ReasonCode

from monitord.errors import ConfigError, ExitCode, UserError
from monitord.mqtt.config import MqttConfig

# paho's own logger is chatty at DEBUG and we report failures ourselves.
_PAHO_LOGGER = logging.getLogger("monitord.mqtt.paho")
_PAHO_LOGGER.setLevel(logging.WARNING)

# MQTT 3.1.1 CONNACK return codes 4 and 5 (spec §3.2.2.3) and their MQTT 5 reason codes 134, 135.
_BAD_CREDENTIALS = {4, 134}
_NOT_AUTHORIZED = {5, 135}


MAX_INFLIGHT_MESSAGES = 64
"""QoS 1 messages on the wire awaiting PUBACK (paho's default is 20; the outbox publishes in windows of 32)."""


async def publish(client: aiomqtt.Client, topic: str, payload: str | bytes, *, timeout_s: float,
                  retain: bool = False) -> None:
    """`client.publish(..., qos=1)`, waiting at most `timeout_s` for the PUBACK (MqttError "Operation timed out")."""
    await _acknowledged(client.publish(topic, payload, qos=1, retain=retain, timeout=math.inf), timeout_s)


async def subscribe(client: aiomqtt.Client, topic_filter: str, *, timeout_s: float) -> None:
    """`client.subscribe(..., qos=1)`, waiting at most `timeout_s` for the SUBACK (MqttError "Operation timed out")."""
    await _acknowledged(client.subscribe(topic_filter, qos=1, timeout=math.inf), timeout_s)


async def _acknowledged(operation: Awaitable[object], timeout_s: float) -> None:
    """Await an aiomqtt operation under our own timeout; running out raises aiomqtt's MqttError("Operation timed out").

    The timeout is ours (`asyncio.timeout`), not aiomqtt's: aiomqtt applies its own with `asyncio.wait_for`, which on
    Python 3.11 returns normally and drops a cancellation that lands just as the ack arrives (CPython gh-86296,
    fixed in 3.12). The cancelled publisher then goes on to wait for more work, and stopping the service hangs.
    """
    try:
        async with asyncio.timeout(timeout_s):
            await operation
    except TimeoutError:
        raise aiomqtt.MqttError("Operation timed out") from None


class MqttUnavailableError(UserError):
    """The broker could not be reached or refused us. The daemon keeps running and retries; the CLI reports it."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint, exit_code=ExitCode.UNAVAILABLE)


def tls_context(config: MqttConfig) -> ssl.SSLContext | None:
    """An SSLContext verifying the broker (and presenting our client certificate), or None without TLS."""
    tls = config.tls
    if tls is None:
        return None
    try:
        context = ssl.create_default_context(
            ssl.Purpose.SERVER_AUTH, cafile=str(tls.ca_file) if tls.ca_file is not None else None
        )
        if tls.certfile is not None and tls.keyfile is not None:
            context.load_cert_chain(certfile=str(tls.certfile), keyfile=str(tls.keyfile))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"cannot load the MQTT TLS files: {exc}",
            hint="check mqtt.tls.ca_file / certfile / keyfile: PEM files readable by the monitord user",
        ) from exc
    context.check_hostname = tls.check_hostname
    return context


def make_client(
    config: MqttConfig,
    *,
    client_id: str,
    will: aiomqtt.Will | None = None,
    clean_session: bool | None = None,
    password: str | None = None,
    tls: ssl.SSLContext | None = None,
) -> aiomqtt.Client:
    """One connection attempt's client (create a fresh one per attempt: no state leaks across reconnects)."""
    client = aiomqtt.Client(
        hostname=config.host,
        port=config.port,
        username=config.username,
        password=password,
        identifier=client_id,
        will=will,
        clean_session=clean_session,
        keepalive=config.keepalive_s,
        timeout=config.connect_timeout_s,
        tls_context=tls,
        logger=_PAHO_LOGGER,
        max_inflight_messages=MAX_INFLIGHT_MESSAGES,
        # Small packets both ways (PUBLISH out, PUBACK back): without TCP_NODELAY, Nagle + delayed ACK stall a
        # window of publishes ~40 ms.
        socket_options=((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),),
    )
    # aiomqtt warns above 10 pending calls; the service deliberately keeps a window of PUBLISH_WINDOW in flight.
    client.pending_calls_threshold = 100
    return client


async def check_broker(config: MqttConfig, *, client_id: str) -> None:
    """Connect once and disconnect: for a CLI self-test. Raises MqttUnavailableError saying what is wrong."""
    client = make_client(config, client_id=client_id, password=config.resolved_password(), tls=tls_context(config))
    try:
        async with client:
            pass
    except aiomqtt.MqttError as exc:
        raise describe_connect_error(exc, config) from exc
    finally:
        forget_disconnect_error(client)


def _reason_value(rc: object) -> int | None:
    if isinstance(rc, ReasonCode):
        return int(rc.value)
    if isinstance(rc, int):
        return rc
    return None


def describe_connect_error(exc: BaseException, config: MqttConfig) -> MqttUnavailableError:
    """Turn whatever aiomqtt/paho/ssl raised into a message a person can act on."""
    where = f"{config.host}:{config.port}"
    if isinstance(exc, aiomqtt.MqttCodeError):
        code = _reason_value(exc.rc)
        if code in _BAD_CREDENTIALS:
            return MqttUnavailableError(
                f"the MQTT broker at {where} refused the credentials: bad username or password "
                f"(user {config.username!r})",
                hint="check mqtt.username and mqtt.password_file against the broker's password file",
            )
        if code in _NOT_AUTHORIZED:
            # Mosquitto answers "not authorized" (5) to a wrong password too, so name both causes.
            return MqttUnavailableError(
                f"the MQTT broker at {where} refused the connection: not authorized — wrong username or password, "
                f"or credentials required (user {config.username!r})",
                hint="check mqtt.username and mqtt.password_file against the broker's password file "
                "(mosquitto_passwd), or set mqtt.tls.certfile/keyfile if it wants a client certificate",
            )
        return MqttUnavailableError(f"the MQTT broker at {where} refused the connection: {exc}")
    text = str(exc)
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text:
        return MqttUnavailableError(
            f"TLS to the MQTT broker at {where} failed: {text or cause}",
            hint="does mqtt.tls.ca_file hold the CA that signed the broker's certificate, and does the "
            "certificate name mqtt.host?",
        )
    hint = "is the broker running and reachable? monitord keeps working and retries; events wait in the outbox"
    if "timed out" in text:
        # A TLS listener answering a plain client, or rejecting a missing client certificate, looks like silence.
        hint = (
            "no answer from the broker: if it requires a client certificate, set mqtt.tls.certfile and keyfile"
            if config.tls is not None
            else "no answer from the broker: if this port is a TLS listener (often 8883), add an [mqtt.tls] table"
        )
    return MqttUnavailableError(f"cannot reach the MQTT broker at {where}: {text or type(exc).__name__}", hint=hint)


def backoff_delay_s(attempt: int, *, base_s: float, cap_s: float, rng: random.Random | None = None) -> float:
    """Full-jitter capped exponential backoff: uniform(0, min(cap, base × 1.5^attempt))."""
    bound = min(cap_s, base_s * 1.5 ** min(attempt, 64))
    return (rng or random).uniform(0.0, bound)


def forget_disconnect_error(client: aiomqtt.Client) -> None:
    """Mark the client's "unexpected disconnection" as seen.

    aiomqtt 2.x stores it in a future that only its message iterator reads; when another task notices the
    broken connection first, asyncio later logs "Future exception was never retrieved". We have already reported
    the disconnect, so read it here (a private attribute, hence the defensive getattr).
    """
    future = getattr(client, "_disconnected", None)
    if isinstance(future, asyncio.Future) and future.done() and not future.cancelled():
        future.exception()
