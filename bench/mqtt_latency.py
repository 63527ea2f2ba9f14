"""Event → PUBACK latency of MqttService on loopback, and burst throughput (target: median ≤ 20 ms).

    PYTHONPATH=$PWD .venv/bin/python bench/mqtt_latency.py                 # starts its own mosquitto
    PYTHONPATH=$PWD .venv/bin/python bench/mqtt_latency.py --port 1883     # use a running broker

Latency: one event at a time, measured from `EventBus.publish()` to the moment the broker's PUBACK has been
received and the event deleted from the SQLite outbox (the `on_delivered` hook) — i.e. it includes the outbox
write (WAL, synchronous=FULL) and delete. Throughput: a burst of events published at once, until all are PUBACKed.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from monitord.alarms import AlarmKind
from monitord.bus import EventBus
from monitord.clock import SystemClock
from monitord.events import AlarmHeard
from monitord.mqtt import MqttConfig, MqttService


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_mosquitto(directory: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    config = directory / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\nuser root\n")
    process = subprocess.Popen([shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(config)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(500):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return process, port
        except OSError:
            time.sleep(0.01)
    process.kill()
    raise SystemExit("mosquitto did not start")


def _event(n: int) -> AlarmHeard:
    now = SystemClock().now()
    return AlarmHeard(node_id="bench", time=now, alarm=AlarmKind.CRITICAL, confidence=0.9, snr_db=12.0,
                      frequencies_hz=(880.0, 1320.0), started_at=now, ended_at=now, microphone="bench",
                      profile=f"bench-{n}", profile_verified=False)


async def _run(host: str, port: int, events: int, burst: int, state_dir: Path) -> None:
    delivered: dict[str, float] = {}
    arrived = asyncio.Event()

    def on_delivered(event_id: str) -> None:
        delivered[event_id] = time.perf_counter()
        arrived.set()

    bus = EventBus()
    config = MqttConfig(host=host, port=port, discovery=False)
    async with MqttService(config=config, bus=bus, node_id="bench", state_dir=state_dir, clock=SystemClock(),
                           microphone="bench", on_delivered=on_delivered) as mqtt:
        async with asyncio.timeout(10):
            await mqtt.wait_connected()
        await asyncio.sleep(0.2)  # let the connect-time state publishes finish
        latencies_ms: list[float] = []
        for n in range(events):
            event = _event(n)
            arrived.clear()
            start = time.perf_counter()
            bus.publish(event)
            while event.id not in delivered:
                await arrived.wait()
                arrived.clear()
            latencies_ms.append((delivered[event.id] - start) * 1000)
            await asyncio.sleep(0.005)
        burst_events = [_event(n) for n in range(burst)]
        start = time.perf_counter()
        for event in burst_events:
            bus.publish(event)
        while not all(e.id in delivered for e in burst_events):
            await arrived.wait()
            arrived.clear()
        burst_s = time.perf_counter() - start
    latencies_ms.sort()
    print("command: PYTHONPATH=$PWD .venv/bin/python " + " ".join(sys.argv))
    print(f"event → PUBACK latency over {events} events: median {statistics.median(latencies_ms):.2f} ms, "
          f"p90 {latencies_ms[int(0.9 * len(latencies_ms)) - 1]:.2f} ms, max {latencies_ms[-1]:.2f} ms")
    print(f"burst of {burst} events: all PUBACKed in {burst_s:.2f} s ({burst / burst_s:.0f} events/s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="a running broker (default: start mosquitto)")
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--burst", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process = None
        port = args.port
        if port is None:
            process, port = _start_mosquitto(Path(tmp))
        try:
            asyncio.run(_run(args.host, port, args.events, args.burst, Path(tmp) / "state"))
        finally:
            if process is not None:
                process.terminate()
                process.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
