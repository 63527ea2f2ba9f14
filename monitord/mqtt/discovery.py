"""Home Assistant MQTT discovery: one HA device per monitor (node), with one discovery message per entity.

Per-entity ("single component") discovery rather than the newer one-message device discovery, because it works on
every Home Assistant version that has the `event` platform (2023.8+). Topics use HA's optional node level,
`<discovery_prefix>/<component>/monitord_<node>/<key>/config` (retained, QoS 1), so that a broker ACL can let each
monitor write only its own discovery topics (`homeassistant/+/monitord_%u/#`, see config/mosquitto/acl). An empty
retained payload on the same topic removes the entity (the `discovery` command with action "remove" does that).

Entities of node `bedroom` (unique ids `monitord_bedroom_<key>`):

| component     | key                | device_class | state topic                      |
|---------------|--------------------|--------------|----------------------------------|
| binary_sensor | critical_alarm     | safety       | state/critical_alarm (ON/OFF)    |
| binary_sensor | non_critical_alarm | problem      | state/non_critical_alarm         |
| event         | sounding           | (none)       | event/alarm_heard                |
| binary_sensor | monitor_problem    | problem      | state/monitor_problem            |
| sensor        | input_level        | (none), dBFS | state/input_level_dbfs           |
| sensor        | days_until_refill  | duration, d  | state/days_until_refill          |
| sensor        | last_heard         | timestamp    | state/last_heard                 |

All have `availability` on `<base>/<node>/availability` ("online"/"offline").
HA's `sound_pressure` device class means dB SPL, not dBFS, so the input level has no device class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitord import __version__
from monitord.alarms import AlarmKind
from monitord.mqtt.topics import OFF, OFFLINE, ON, ONLINE, StateName, Topics

EVENT_TYPES = tuple(f"{kind.value}{suffix}" for kind in AlarmKind for suffix in ("", "_test"))
"""The HA event entity's `event_type`s: the alarm kind, with `_test` for drills."""

# Renders an AlarmHeard payload into the JSON HA's event platform wants: `event_type` plus attributes.
_SOUNDING_TEMPLATE = (
    "{{ {'event_type': value_json.alarm ~ ('_test' if value_json.is_test else ''),"
    " 'confidence': value_json.confidence, 'snr_db': value_json.snr_db,"
    " 'microphone': value_json.microphone, 'profile_verified': value_json.profile_verified,"
    " 'started_at': value_json.started_at, 'event_id': value_json.id} | tojson }}"
)


@dataclass(frozen=True)
class DiscoveryMessage:
    component: str
    key: str
    topic: str
    config: dict[str, Any]


def discovery_messages(
    *, topics: Topics, discovery_prefix: str, microphone: str
) -> list[DiscoveryMessage]:
    node = topics.node_id
    device = {
        "identifiers": [f"monitord_{node}"],
        "name": f"Pump alarm monitor ({microphone})",
        "manufacturer": "monitord",
        "model": "Baclofen pump alarm monitor (microphone)",
        "sw_version": __version__,
        "suggested_area": microphone,
    }
    common = {
        "availability": [{"topic": topics.availability, "payload_available": ONLINE,
                          "payload_not_available": OFFLINE}],
        "device": device,
        "origin": {"name": "monitord", "sw_version": __version__},
        "qos": 1,
    }

    def entity(component: str, key: str, name: str, **config: Any) -> DiscoveryMessage:
        unique_id = f"monitord_{node}_{key}"
        payload = {"name": name, "unique_id": unique_id, **common, **config}
        topic = f"{discovery_prefix}/{component}/monitord_{node}/{key}/config"
        return DiscoveryMessage(component, key, topic, payload)

    def binary(key: str, name: str, state: StateName, device_class: str, **extra: Any) -> DiscoveryMessage:
        return entity("binary_sensor", key, name, device_class=device_class, state_topic=topics.state(state),
                      json_attributes_topic=topics.attributes(state), payload_on=ON, payload_off=OFF, **extra)

    return [
        binary("critical_alarm", "Critical pump alarm", StateName.CRITICAL_ALARM, "safety",
               icon="mdi:alarm-light"),
        binary("non_critical_alarm", "Non-critical pump alarm", StateName.NON_CRITICAL_ALARM, "problem",
               icon="mdi:bell-alert"),
        entity("event", "sounding", "Pump alarm sounding", state_topic=topics.event("alarm_heard"),
               event_types=list(EVENT_TYPES), value_template=_SOUNDING_TEMPLATE, icon="mdi:waveform"),
        binary("monitor_problem", "Monitor cannot hear", StateName.MONITOR_PROBLEM, "problem",
               icon="mdi:microphone-off"),
        entity("sensor", "input_level", "Microphone input level", state_topic=topics.state(StateName.INPUT_LEVEL_DBFS),
               json_attributes_topic=topics.attributes(StateName.MONITOR_PROBLEM),
               unit_of_measurement="dBFS", state_class="measurement", entity_category="diagnostic",
               icon="mdi:microphone"),
        entity("sensor", "days_until_refill", "Days until refill alarm date",
               state_topic=topics.state(StateName.DAYS_UNTIL_REFILL),
               json_attributes_topic=topics.attributes(StateName.DAYS_UNTIL_REFILL),
               device_class="duration", unit_of_measurement="d", icon="mdi:calendar-clock"),
        entity("sensor", "last_heard", "Pump alarm last heard", state_topic=topics.state(StateName.LAST_HEARD),
               json_attributes_topic=topics.attributes(StateName.LAST_HEARD), device_class="timestamp"),
    ]
