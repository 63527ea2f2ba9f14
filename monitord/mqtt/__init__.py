"""MQTT: monitord's events to Home Assistant and any MQTT consumer, and commands back.

- `MqttService` (service.py): one monitor's sink — outbox, retained state, availability, HA discovery, commands.
- `MqttEventSource` (source.py): every monitor's events from a broker into a local EventBus (for `escalate`).
- `MqttConfig` (config.py): the `[mqtt]` TOML section. The topic tree lives in topics.py.
"""

from monitord.mqtt.config import MqttConfig, MqttTlsConfig
from monitord.mqtt.service import MqttService
from monitord.mqtt.source import MqttEventSource

__all__ = ["MqttConfig", "MqttEventSource", "MqttService", "MqttTlsConfig"]
