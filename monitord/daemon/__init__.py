"""The always-on daemon: wiring (runner), supervision (signals, systemd notify, heartbeat), microphone health,
self-test, status file and the console sink. The top layer: it may import everything below it, nothing imports it.
"""
