"""Username/password and TLS (a throwaway CA made in the test with trustme) against a real Mosquitto."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import trustme

from monitord.bus import EventBus
from monitord.clock import SystemClock
from monitord.errors import ConfigError, ExitCode
from monitord.mqtt import MqttService
from monitord.mqtt.config import MqttConfig
from monitord.mqtt.connection import MqttUnavailableError, check_broker
from tests.mqtt_broker import MosquittoBroker
from tests.mqtt_support import eventually, heard

BrokerFactory = Callable[..., MosquittoBroker]


@pytest.fixture
def password_broker(broker_factory: BrokerFactory, tmp_path: Path) -> MosquittoBroker:
    passwd = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwd), "bedroom", "correct horse"], check=True)
    return broker_factory(extra=f"allow_anonymous false\npassword_file {passwd}", name="auth")


async def test_password_file_login_works(password_broker: MosquittoBroker, tmp_path: Path, unique_node: str) -> None:
    secret = tmp_path / "mqtt-password"
    secret.write_text("correct horse\n")
    config = password_broker.mqtt_config(username="bedroom", password_file=secret)
    bus = EventBus()
    async with MqttService(config=config, bus=bus, node_id=unique_node, state_dir=tmp_path, clock=SystemClock(),
                           microphone="bedroom") as mqtt:
        async with asyncio.timeout(10):
            await mqtt.wait_connected()
        bus.publish(heard(unique_node))
        await eventually(lambda: mqtt.delivered == 1)


async def test_refused_credentials_give_a_clear_error_and_the_service_keeps_running(
    password_broker: MosquittoBroker, tmp_path: Path, unique_node: str
) -> None:
    config = password_broker.mqtt_config(username="bedroom", password="wrong")
    with pytest.raises(MqttUnavailableError) as refused:
        await check_broker(config, client_id=f"{unique_node}-check")
    assert refused.value.exit_code is ExitCode.UNAVAILABLE
    message = str(refused.value)
    assert "refused" in message
    assert "wrong username or password" in message
    assert "'bedroom'" in message
    assert "password" in message  # the hint says which settings to check
    bus = EventBus()
    async with MqttService(config=config, bus=bus, node_id=unique_node, state_dir=tmp_path, clock=SystemClock(),
                           microphone="bedroom") as mqtt:
        bus.publish(heard(unique_node))  # never blocks, never raises
        await eventually(lambda: mqtt.last_error is not None and mqtt.outbox_size == 1)
        assert "refused" in (mqtt.last_error or "")
        assert not mqtt.connected


def test_unreadable_password_file_is_a_config_error(tmp_path: Path) -> None:
    config = MqttConfig(username="bedroom", password_file=tmp_path / "missing")
    with pytest.raises(ConfigError, match=r"cannot read mqtt\.password_file"):
        config.resolved_password()
    with pytest.raises(ValueError, match="not both"):
        MqttConfig(username="u", password="p", password_file=tmp_path / "x")


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


def tls_files(ca: trustme.CA, directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    server = ca.issue_cert("127.0.0.1", "localhost")
    client = ca.issue_cert("monitord-bedroom")
    files = {name: directory / f"{name}.pem" for name in ("ca", "server", "server_key", "client", "client_key")}
    ca.cert_pem.write_to_path(str(files["ca"]))
    server.cert_chain_pems[0].write_to_path(str(files["server"]))
    server.private_key_pem.write_to_path(str(files["server_key"]))
    client.cert_chain_pems[0].write_to_path(str(files["client"]))
    client.private_key_pem.write_to_path(str(files["client_key"]))
    return files


async def test_tls_with_client_certificate(broker_factory: BrokerFactory, ca: trustme.CA, tmp_path: Path,
                                           unique_node: str) -> None:
    """1. the broker requires TLS and a client certificate from our throwaway CA; 2. monitord connects with
    ca_file + certfile/keyfile; 3. without the client certificate, or trusting another CA, it gets a clear error."""
    files = tls_files(ca, tmp_path / "tls")
    broker = broker_factory(name="tls", extra="\n".join([
        f"cafile {files['ca']}", f"certfile {files['server']}", f"keyfile {files['server_key']}",
        "require_certificate true",
    ]))
    tls = {"ca_file": files["ca"], "certfile": files["client"], "keyfile": files["client_key"]}
    bus = EventBus()
    async with MqttService(config=broker.mqtt_config(tls=tls), bus=bus, node_id=unique_node, state_dir=tmp_path,
                           clock=SystemClock(), microphone="bedroom") as mqtt:
        async with asyncio.timeout(10):
            await mqtt.wait_connected()
        bus.publish(heard(unique_node))
        await eventually(lambda: mqtt.delivered == 1)

    with pytest.raises(MqttUnavailableError) as no_cert:
        await check_broker(broker.mqtt_config(tls={"ca_file": files["ca"]}, connect_timeout_s=1.0),
                           client_id=f"{unique_node}-nocert")
    assert "client certificate" in str(no_cert.value)

    other_ca = tls_files(trustme.CA(), tmp_path / "other")
    with pytest.raises(MqttUnavailableError, match="TLS to the MQTT broker") as wrong_ca:
        await check_broker(broker.mqtt_config(tls={**tls, "ca_file": other_ca["ca"]}), client_id=f"{unique_node}-x")
    assert "ca_file" in str(wrong_ca.value)


async def test_plain_client_cannot_read_a_tls_listener(broker_factory: BrokerFactory, ca: trustme.CA,
                                                       tmp_path: Path) -> None:
    files = tls_files(ca, tmp_path / "tls")
    broker = broker_factory(name="tls-only", extra=f"cafile {files['ca']}\ncertfile {files['server']}\n"
                                                   f"keyfile {files['server_key']}")
    with pytest.raises(MqttUnavailableError, match=r"\[mqtt.tls\]"):
        await check_broker(broker.mqtt_config(connect_timeout_s=1.0), client_id="plain")


def test_missing_tls_file_is_a_config_error(tmp_path: Path) -> None:
    from monitord.mqtt.connection import tls_context

    with pytest.raises(ConfigError, match="cannot load the MQTT TLS files"):
        tls_context(MqttConfig(tls={"ca_file": tmp_path / "nope.pem"}))
    with pytest.raises(ValueError, match="go together"):
        MqttConfig(tls={"certfile": tmp_path / "c.pem"})
