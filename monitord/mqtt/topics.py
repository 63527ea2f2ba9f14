"""monitord's MQTT topic tree, in one place (the README's "MQTT and Home Assistant" section documents it).

    <base>/<node>/availability                 retained  "online" | "offline" (Last Will)
    <base>/<node>/event/<event type>           QoS 1, not retained: every event as JSON (monitord.events)
    <base>/<node>/state/<name>                 QoS 1, retained: current state ("ON"/"OFF", a number, "None")
    <base>/<node>/state/<name>/attributes      QoS 1, retained: JSON details of that state
    <base>/<node>/cmd/<command>                commands to monitord (protect with broker ACLs)
    <base>/<node>/response                     QoS 1, not retained: one reply per command

`<base>` is `mqtt.base_topic` ("monitord"), `<node>` the monitor's node id ("bedroom"). A consumer of every
monitor subscribes to `monitord/+/event/+`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from monitord.mqtt.config import check_node_id

ONLINE = "online"
OFFLINE = "offline"
ON = "ON"
OFF = "OFF"
UNKNOWN = "None"
"""Home Assistant's MQTT sensors and binary sensors set the state to unknown on this exact payload."""


class StateName(StrEnum):
    """The retained state topics (`<base>/<node>/state/<name>`)."""

    CRITICAL_ALARM = "critical_alarm"
    NON_CRITICAL_ALARM = "non_critical_alarm"
    MONITOR_PROBLEM = "monitor_problem"
    INPUT_LEVEL_DBFS = "input_level_dbfs"
    LAST_HEARD = "last_heard"
    DAYS_UNTIL_REFILL = "days_until_refill"


@dataclass(frozen=True)
class Topics:
    base: str
    node_id: str

    def __post_init__(self) -> None:
        check_node_id(self.node_id)

    @property
    def root(self) -> str:
        return f"{self.base}/{self.node_id}"

    @property
    def availability(self) -> str:
        return f"{self.root}/availability"

    def event(self, event_type: str) -> str:
        return f"{self.root}/event/{event_type}"

    def state(self, name: StateName) -> str:
        return f"{self.root}/state/{name.value}"

    def attributes(self, name: StateName) -> str:
        return f"{self.state(name)}/attributes"

    @property
    def command_filter(self) -> str:
        return f"{self.root}/cmd/#"

    @property
    def command_prefix(self) -> str:
        return f"{self.root}/cmd/"

    @property
    def response(self) -> str:
        return f"{self.root}/response"


def all_nodes_event_filter(base: str) -> str:
    """Subscribe to this to hear every monitor's events on the broker."""
    return f"{base}/+/event/+"


def node_events_filter(base: str, node_id: str) -> str:
    return f"{base}/{check_node_id(node_id)}/event/+"
