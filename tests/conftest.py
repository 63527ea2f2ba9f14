"""Shared pytest setup. Plugins: the real Mosquitto broker fixtures (tests/mqtt_broker.py)."""

pytest_plugins = ("tests.mqtt_broker",)
