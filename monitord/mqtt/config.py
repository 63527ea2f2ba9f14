"""The `[mqtt]` section of monitord's TOML file.

```toml
[mqtt]
host = "broker.lan"
port = 8883
username = "monitord-bedroom"
password_file = "/etc/monitord/mqtt-password"   # one line; keeps the secret out of the config file

[mqtt.tls]                                       # presence of this table turns TLS on
ca_file = "/etc/monitord/ca.crt"                 # omit to trust the system's CAs
certfile = "/etc/monitord/bedroom.crt"           # optional client certificate ...
keyfile = "/etc/monitord/bedroom.key"            # ... and its key
```

Every other field has a default that suits a home broker. A typo in a key is an error (ConfigModel forbids extras).
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator

from monitord.configbase import ConfigModel
from monitord.errors import ConfigError

TOPIC_LEVEL_RE = re.compile(r"^[A-Za-z0-9_-]+$")
"""Node ids and topic prefixes: Home Assistant's discovery topic allows only `[a-zA-Z0-9_-]` per level."""


def _check_topic_prefix(value: str) -> str:
    levels = value.split("/")
    if not all(TOPIC_LEVEL_RE.match(level) for level in levels):
        raise ValueError(
            f"{value!r} is not a usable topic prefix: use letters, digits, '_' or '-' per level, "
            "no wildcards ('+', '#'), no leading or trailing '/'"
        )
    return value


def check_node_id(node_id: str) -> str:
    """A node id becomes one topic level (`monitord/<node>/...`) and part of HA unique ids."""
    if not TOPIC_LEVEL_RE.match(node_id):
        raise ConfigError(
            f"node id {node_id!r} cannot be used in MQTT topics",
            hint="use letters, digits, '_' or '-' only, e.g. 'bedroom' or 'living-room'",
        )
    return node_id


class MqttTlsConfig(ConfigModel):
    """TLS to the broker. Present (even empty) = TLS on, verifying the broker against `ca_file` or system CAs."""

    ca_file: Path | None = Field(
        default=None, description="PEM file of the CA that signed the broker's certificate (default: system CAs)"
    )
    certfile: Path | None = Field(default=None, description="PEM client certificate (optional, with keyfile)")
    keyfile: Path | None = Field(default=None, description="PEM private key of the client certificate")
    check_hostname: bool = Field(
        default=True, description="check that the broker's certificate names `host` (turn off only for testing)"
    )

    @model_validator(mode="after")
    def _cert_and_key_together(self) -> MqttTlsConfig:
        if (self.certfile is None) != (self.keyfile is None):
            raise ValueError("tls.certfile and tls.keyfile go together: give both or neither")
        return self


class MqttConfig(ConfigModel):
    """How monitord talks to an MQTT broker (and through it to Home Assistant)."""

    enabled: bool = Field(default=True, description="publish to MQTT at all")
    host: str = Field(default="localhost", min_length=1, description="broker host name or IP address")
    port: int = Field(default=1883, ge=1, le=65535, description="broker TCP port (1883 plain, 8883 TLS usually)")
    username: str | None = Field(default=None, description="user name for the broker (its ACL decides access)")
    password: SecretStr | None = Field(default=None, description="password (prefer password_file)")
    password_file: Path | None = Field(default=None, description="file holding the password on its first line")
    tls: MqttTlsConfig | None = Field(default=None, description="TLS settings; absent = plain TCP")
    client_id: str | None = Field(
        default=None, max_length=128, description="MQTT client id (default: 'monitord-<node id>'); unique per broker"
    )
    base_topic: str = Field(default="monitord", description="root of monitord's topic tree: <base_topic>/<node>/...")
    discovery: bool = Field(default=True, description="publish Home Assistant MQTT discovery messages")
    discovery_prefix: str = Field(default="homeassistant", description="Home Assistant's discovery prefix")
    keepalive_s: int = Field(
        default=30, ge=5, le=3600,
        description="MQTT keepalive (seconds); the broker publishes our Last Will ~1.5× this after a silent death",
    )
    connect_timeout_s: float = Field(default=10.0, gt=0, le=300, description="give up one connect attempt (s)")
    publish_timeout_s: float = Field(
        default=10.0, gt=0, le=300, description="wait this long for a PUBACK before reconnecting (seconds)"
    )
    reconnect_backoff_base_s: float = Field(
        default=1.0, gt=0, le=60, description="first reconnect delay bound (seconds); grows ×1.5 per failure"
    )
    reconnect_backoff_cap_s: float = Field(
        default=60.0, gt=0, le=3600, description="upper bound of the jittered reconnect delay (seconds)"
    )
    outbox_max_events: int = Field(
        default=10_000, ge=10, le=10_000_000,
        description=(
            "events kept while the broker is unreachable; when full, the oldest health/calendar snapshots are "
            "dropped first, then the oldest event of any kind"
        ),
    )
    command_max_bytes: int = Field(default=4096, ge=64, le=65536, description="larger command payloads are refused")
    command_max_age_s: float = Field(
        default=300.0, gt=0, le=86_400, description="commands whose sent_at is older than this are stale (seconds)"
    )
    command_max_clock_skew_s: float = Field(
        default=60.0, ge=0, le=3600, description="commands may be dated this far in the future (seconds)"
    )
    snooze_max_min: float = Field(
        default=12 * 60.0, gt=0, le=7 * 24 * 60.0,
        description="longest snooze of non-critical reminders a command may ask for (minutes)",
    )

    @field_validator("base_topic", "discovery_prefix")
    @classmethod
    def _topic_prefix(cls, value: str) -> str:
        return _check_topic_prefix(value)

    @model_validator(mode="after")
    def _one_password_source(self) -> MqttConfig:
        if self.password is not None and self.password_file is not None:
            raise ValueError("give mqtt.password or mqtt.password_file, not both")
        if (self.password is not None or self.password_file is not None) and self.username is None:
            raise ValueError("mqtt.password needs mqtt.username")
        return self

    def resolved_password(self) -> str | None:
        """The password, read from `password_file` if that is how it was given. Raises ConfigError if unreadable."""
        if self.password is not None:
            return self.password.get_secret_value()
        if self.password_file is None:
            return None
        try:
            text = self.password_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"cannot read mqtt.password_file {str(self.password_file)!r}: {exc.strerror or exc}",
                hint="create it with the broker password on its first line, readable by the monitord user",
            ) from exc
        lines = text.splitlines()
        return lines[0] if lines else ""

    def client_id_for(self, node_id: str) -> str:
        return self.client_id or f"monitord-{node_id}"
