"""Home Assistant discovery payloads checked against HA's documented schema for each component.

The schema below is transcribed from Home Assistant's documentation (home-assistant.io: "MQTT" discovery section,
"MQTT Binary sensor", "MQTT Sensor", "MQTT Event", and the device-class lists of "Binary sensor", "Sensor",
"Event"). HA ignores unknown keys, so a typo would silently lose a setting: unknown keys fail here.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jinja2
import pytest

from monitord.alarms import AlarmKind
from monitord.mqtt.discovery import EVENT_TYPES, DiscoveryMessage, discovery_messages
from monitord.mqtt.state import StateTracker
from monitord.mqtt.topics import StateName, Topics
from tests.mqtt_support import heard

# --- HA's documented schema --------------------------------------------------------------------------------------

DISCOVERY_TOPIC = re.compile(
    r"^[^/#+]+/(?P<component>[a-z_]+)/(?:[A-Za-z0-9_-]+/)?(?P<object_id>[A-Za-z0-9_-]+)/config$"
)

COMMON_OPTIONAL = {
    "availability", "availability_mode", "availability_template", "availability_topic", "device", "device_class",
    "enabled_by_default", "encoding", "entity_category", "entity_picture", "icon", "json_attributes_template",
    "json_attributes_topic", "name", "object_id", "default_entity_id", "payload_available", "payload_not_available",
    "qos", "unique_id", "origin",
}
SCHEMA: dict[str, dict[str, set[str]]] = {
    "binary_sensor": {
        "required": {"state_topic"},
        "optional": COMMON_OPTIONAL | {"expire_after", "force_update", "off_delay", "payload_off", "payload_on",
                                       "value_template"},
    },
    "sensor": {
        "required": {"state_topic"},
        "optional": COMMON_OPTIONAL | {"expire_after", "force_update", "last_reset_value_template", "options",
                                       "suggested_display_precision", "state_class", "unit_of_measurement",
                                       "value_template"},
    },
    "event": {
        "required": {"state_topic", "event_types"},
        "optional": COMMON_OPTIONAL | {"value_template"},
    },
}
BINARY_SENSOR_DEVICE_CLASSES = {
    "battery", "battery_charging", "carbon_monoxide", "cold", "connectivity", "door", "garage_door", "gas", "heat",
    "light", "lock", "moisture", "motion", "moving", "occupancy", "opening", "plug", "power", "presence", "problem",
    "running", "safety", "smoke", "sound", "tamper", "update", "vibration", "window",
}
SENSOR_DEVICE_CLASS_UNITS: dict[str, set[str] | None] = {  # None: no unit (or any) documented
    "date": None, "timestamp": None, "enum": None,
    "duration": {"d", "h", "min", "s", "ms", "µs"},
    "sound_pressure": {"dB", "dBA"},
    "signal_strength": {"dB", "dBm"},
    "temperature": {"°C", "°F", "K"},
}
EVENT_DEVICE_CLASSES = {"button", "doorbell", "motion"}
STATE_CLASSES = {"measurement", "total", "total_increasing"}
ENTITY_CATEGORIES_READ_ONLY = {"diagnostic"}  # "config" is for entities that change configuration
DEVICE_KEYS = {"configuration_url", "connections", "hw_version", "identifiers", "manufacturer", "model", "model_id",
               "name", "serial_number", "suggested_area", "sw_version", "via_device"}
ORIGIN_KEYS = {"name", "sw_version", "support_url"}
AVAILABILITY_KEYS = {"topic", "payload_available", "payload_not_available", "value_template"}


def schema_errors(message: DiscoveryMessage) -> list[str]:
    """Everything HA's documentation says is wrong with this discovery message."""
    errors: list[str] = []
    config = message.config
    match = DISCOVERY_TOPIC.match(message.topic)
    if match is None:
        return [f"topic {message.topic!r} is not <prefix>/<component>/[<node_id>/]<object_id>/config"]
    component = match["component"]
    if component not in SCHEMA:
        return [f"component {component!r} not covered"]
    schema = SCHEMA[component]
    missing = schema["required"] - set(config)
    unknown = set(config) - schema["required"] - schema["optional"]
    errors += [f"required key missing: {k}" for k in sorted(missing)]
    errors += [f"unknown key: {k}" for k in sorted(unknown)]
    if "availability" in config and "availability_topic" in config:
        errors.append("availability and availability_topic must not be used together")
    for entry in config.get("availability", []):
        if "topic" not in entry:
            errors.append("availability entry without topic")
        errors += [f"unknown availability key: {k}" for k in set(entry) - AVAILABILITY_KEYS]
    if "device" in config:
        device = config["device"]
        if not (device.get("identifiers") or device.get("connections")):
            errors.append("device needs identifiers or connections")
        errors += [f"unknown device key: {k}" for k in set(device) - DEVICE_KEYS]
        if "unique_id" not in config:
            errors.append("device info only works with unique_id")
    if "origin" in config:
        if "name" not in config["origin"]:
            errors.append("origin needs a name")
        errors += [f"unknown origin key: {k}" for k in set(config["origin"]) - ORIGIN_KEYS]
    if config.get("qos", 0) not in (0, 1, 2):
        errors.append("qos must be 0, 1 or 2")
    if "entity_category" in config and config["entity_category"] not in ENTITY_CATEGORIES_READ_ONLY:
        errors.append(f"entity_category {config['entity_category']!r} not valid for a read-only entity")
    device_class = config.get("device_class")
    if component == "binary_sensor" and device_class is not None and device_class not in BINARY_SENSOR_DEVICE_CLASSES:
        errors.append(f"binary_sensor device_class {device_class!r} is not documented")
    if component == "sensor":
        if device_class is not None:
            if device_class not in SENSOR_DEVICE_CLASS_UNITS:
                errors.append(f"sensor device_class {device_class!r} not in this test's table")
            units = SENSOR_DEVICE_CLASS_UNITS.get(device_class)
            if units is not None and config.get("unit_of_measurement") not in units:
                errors.append(f"unit {config.get('unit_of_measurement')!r} not allowed for {device_class}")
        if "state_class" in config and config["state_class"] not in STATE_CLASSES:
            errors.append(f"state_class {config['state_class']!r} is not documented")
    if component == "event":
        if device_class is not None and device_class not in EVENT_DEVICE_CLASSES:
            errors.append(f"event device_class {device_class!r} is not documented")
        if not isinstance(config.get("event_types"), list) or not config["event_types"]:
            errors.append("event_types must be a non-empty list")
    return errors


# --- the tests ---------------------------------------------------------------------------------------------------

MESSAGES = discovery_messages(topics=Topics("monitord", "bedroom"), discovery_prefix="homeassistant",
                              microphone="bedroom")


@pytest.mark.parametrize("message", MESSAGES, ids=[m.key for m in MESSAGES])
def test_discovery_payload_follows_home_assistants_schema(message: DiscoveryMessage) -> None:
    assert schema_errors(message) == []
    assert json.loads(json.dumps(message.config)) == message.config  # plain JSON


def test_the_schema_check_itself_catches_mistakes() -> None:
    good = next(m for m in MESSAGES if m.key == "critical_alarm")
    broken = DiscoveryMessage(good.component, good.key, good.topic,
                              {k: v for k, v in good.config.items() if k != "state_topic"}
                              | {"device_class": "siren", "stat_topic": "x"})
    assert set(schema_errors(broken)) == {"required key missing: state_topic", "unknown key: stat_topic",
                                          "binary_sensor device_class 'siren' is not documented"}
    assert schema_errors(DiscoveryMessage("sensor", "x", "homeassistant/sensor/a b/config", {})) != []


def test_the_required_entities_are_there_with_availability_and_one_device() -> None:
    by_key = {m.key: m for m in MESSAGES}
    assert by_key["critical_alarm"].config["device_class"] == "safety"
    assert by_key["non_critical_alarm"].config["device_class"] == "problem"
    assert by_key["monitor_problem"].config["device_class"] == "problem"
    assert by_key["sounding"].component == "event"
    assert by_key["input_level"].config["unit_of_measurement"] == "dBFS"
    assert by_key["days_until_refill"].config["unit_of_measurement"] == "d"
    assert all(m.config["availability"][0]["topic"] == "monitord/bedroom/availability" for m in MESSAGES)
    assert len({json.dumps(m.config["device"], sort_keys=True) for m in MESSAGES}) == 1
    assert len({m.config["unique_id"] for m in MESSAGES}) == len(MESSAGES)
    assert len({m.topic for m in MESSAGES}) == len(MESSAGES)
    assert all(m.topic.startswith(f"homeassistant/{m.component}/monitord_bedroom/") for m in MESSAGES)


def test_state_topics_carry_what_the_entities_expect() -> None:
    """Binary sensors get payload_on/payload_off or "None" (HA's documented unknown); the timestamp sensor an ISO
    time with its zone."""
    topics = Topics("monitord", "bedroom")
    tracker = StateTracker(topics)
    tracker.apply(heard("bedroom"))
    for message in MESSAGES:
        if message.component == "binary_sensor":
            state = message.config["state_topic"].rsplit("/", 1)[-1]
            assert tracker.value(StateName(state)) in (message.config["payload_on"], message.config["payload_off"],
                                                       "None")
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$", tracker.value(StateName.LAST_HEARD))


@pytest.mark.parametrize(("alarm", "is_test", "expected"), [
    (AlarmKind.CRITICAL, False, "critical"), (AlarmKind.NON_CRITICAL, False, "non_critical"),
    (AlarmKind.CRITICAL, True, "critical_test"),
])
def test_event_entity_template_renders_a_valid_event_type(alarm: AlarmKind, is_test: bool, expected: str) -> None:
    """Render the event entity's value_template with Jinja2 (HA's template engine) on a real AlarmHeard payload."""
    sounding = next(m for m in MESSAGES if m.key == "sounding")
    payload: dict[str, Any] = json.loads(heard("bedroom", alarm=alarm, is_test=is_test).to_payload())
    rendered = jinja2.Environment().from_string(sounding.config["value_template"]).render(value_json=payload)
    data = json.loads(rendered)
    assert data["event_type"] == expected
    assert data["event_type"] in sounding.config["event_types"]
    assert set(EVENT_TYPES) == set(sounding.config["event_types"])
    assert data["confidence"] == pytest.approx(0.9)
