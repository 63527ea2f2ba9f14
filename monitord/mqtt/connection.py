"""Building aiomqtt clients from `MqttConfig`, explaining connection failures, and reconnect backoff.

Shared by `MqttService` (publishes one monitor's events) and `MqttEventSource` (reads every monitor's events).
"""

from __future__ import annotations

import logging
import random
import ssl

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
    return aiomqtt.Client(
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
    )


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
            return MqttUnavailableError(
                f"the MQTT broker at {where} refused the connection: not authorized (user {config.username!r})",
                hint="the broker requires a username/password or a client certificate: set mqtt.username and "
                "mqtt.password_file, or mqtt.tls.certfile/keyfile",
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
    return MqttUnavailableError(
        f"cannot reach the MQTT broker at {where}: {text or type(exc).__name__}",
        hint="is the broker running and reachable? monitord keeps working and retries; events wait in the outbox",
    )


def backoff_delay_s(attempt: int, *, base_s: float, cap_s: float, rng: random.Random | None = None) -> float:
    """Full-jitter capped exponential backoff: uniform(0, min(cap, base × 1.5^attempt))."""
    bound = min(cap_s, base_s * 1.5 ** min(attempt, 64))
    return (rng or random).uniform(0.0, bound)
