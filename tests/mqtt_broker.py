"""A real Mosquitto broker for tests: its own config file in tmp_path, a free loopback port, stopped after.

Loaded as a pytest plugin from tests/conftest.py. Fixtures:
- `mosquitto`: a running anonymous broker (`MosquittoBroker`); `.stop()`, `.start()`, `.restart()` for outage tests.
- `broker_factory`: start brokers with extra config lines (passwords, TLS) — `broker_factory(extra="...")`.
- `unique_node`: a node id derived from the test's name, so retained topics of one test never leak into another.
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from monitord.mqtt.config import MqttConfig

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MosquittoBroker:
    def __init__(self, directory: Path, *, extra: str = "", port: int | None = None) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None
        directory.mkdir(parents=True, exist_ok=True)
        self.config_file = directory / "mosquitto.conf"
        self.log_file = directory / "mosquitto.log"
        self.config_file.write_text(
            "\n".join([
                # Running as root, mosquitto would switch to its own user and lose access to tmp_path.
                f"user {getpass.getuser()}",
                "per_listener_settings false",
                f"listener {self.port} 127.0.0.1",
                "allow_anonymous true" if "allow_anonymous" not in extra else "",
                "persistence true",
                f"persistence_location {directory}/",
                # The outbox replay test's persistent subscriber may have 1000+ messages queued.
                "max_queued_messages 20000",
                f"log_dest file {self.log_file}",
                "log_type error warning notice information",
                extra,
                "",
            ])
        )

    def start(self) -> None:
        assert self.process is None, "broker already running"
        self.process = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.config_file)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"mosquitto exited: {err}\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"mosquitto did not listen on {self.port}:\n{self.log()}")

    def stop(self) -> None:
        """SIGTERM: mosquitto saves its persistence file (sessions, queued and retained messages) and exits."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        return self.log_file.read_text() if self.log_file.exists() else ""

    def mqtt_config(self, **overrides: Any) -> MqttConfig:
        fields: dict[str, Any] = dict(
            host="127.0.0.1", port=self.port, keepalive_s=5, connect_timeout_s=5.0, publish_timeout_s=5.0,
            reconnect_backoff_base_s=0.05, reconnect_backoff_cap_s=0.3,
        )
        fields.update(overrides)
        return MqttConfig.model_validate(fields)

    def client_args(self) -> list[str]:
        return ["-h", "127.0.0.1", "-p", str(self.port)]


@pytest.fixture
def broker_factory(tmp_path: Path) -> Iterator[Callable[..., MosquittoBroker]]:
    brokers: list[MosquittoBroker] = []

    def start(extra: str = "", name: str = "broker") -> MosquittoBroker:
        broker = MosquittoBroker(tmp_path / f"{name}{len(brokers)}", extra=extra)
        brokers.append(broker)
        broker.start()
        return broker

    yield start
    for broker in brokers:
        broker.stop()


@pytest.fixture
def mosquitto(broker_factory: Callable[..., MosquittoBroker]) -> MosquittoBroker:
    return broker_factory()


@pytest.fixture
def unique_node(request: pytest.FixtureRequest) -> str:
    """A topic-safe node id from the test name (aiomqtt's unique_topic idea), plus the pid for parallel runs."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name).strip("-")[-40:]
    return f"t{os.getpid()}-{name}"
