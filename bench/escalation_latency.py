"""Benchmark: from an episode event on the bus to the first notification request arriving at (loopback) ntfy.

The whole real path: EventBus → EscalationService consumer → incident opened and persisted (SQLite) → policy step
→ outbox row → per-notifier delivery worker → ntfy notifier → aiohttp → loopback HTTP server. The server stamps
each publish with `time.perf_counter()` when its handler runs; the clock starts just before `bus.publish()`.
Target (issue 4): median ≤ 200 ms.

    PYTHONPATH=. python bench/escalation_latency.py [--runs 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web

from monitord.alarms import AlarmKind
from monitord.bus import EventBus
from monitord.clock import SystemClock
from monitord.escalation.config import EscalationConfig
from monitord.escalation.service import EscalationService
from monitord.events import EpisodeStarted
from monitord.logs import configure_logging


async def main(runs: int) -> None:
    arrivals: asyncio.Queue[float] = asyncio.Queue()

    async def publish(request: web.Request) -> web.Response:
        stamp = time.perf_counter()
        message = await request.json()
        if "rotating_light" in message.get("tags", []):  # a TRIGGER (not the follow-up "resolved" note)
            arrivals.put_nowait(stamp)
        return web.json_response({"id": "bench", "time": int(time.time()), "event": "message",
                                  "topic": message["topic"], "message": message["message"]})

    app = web.Application()
    app.router.add_post("/", publish)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]

    config = EscalationConfig.model_validate({
        "caregivers": ["phone"],
        "notifiers": [{"type": "ntfy", "name": "phone", "server_url": f"http://127.0.0.1:{port}",
                       "topic": "bench-topic"}],
        "delivery": {"min_send_interval_s": 0},
    })
    latencies_ms: list[float] = []
    bus, clock = EventBus(), SystemClock()
    with tempfile.TemporaryDirectory() as state_dir:
        async with aiohttp.ClientSession() as session, EscalationService(
            config=config, bus=bus, clock=clock, state_dir=Path(state_dir), node_id="bench", session=session,
        ) as service:
            for run in range(runs + 3):
                now = datetime.now(UTC)
                event = EpisodeStarted(
                    node_id="pi-bedroom", time=now, episode_id=f"ep-{run}", alarm=AlarmKind.CRITICAL,
                    microphone="bedroom", first_heard=now - timedelta(seconds=3), last_heard=now, soundings=1,
                    max_confidence=0.9, profile_verified=True,
                )
                start = time.perf_counter()
                bus.publish(event)
                arrived = await asyncio.wait_for(arrivals.get(), timeout=10)
                if run >= 3:  # the first runs warm up imports, connections and SQLite
                    latencies_ms.append((arrived - start) * 1000)
                for incident in service.open_incidents():
                    service.resolve(incident.id, by="bench", channel="bench", reason="next run")
                await service.wait_idle(timeout_s=10)
    await runner.cleanup()
    latencies_ms.sort()
    result = {
        "runs": len(latencies_ms),
        "median_ms": round(statistics.median(latencies_ms), 2),
        "p90_ms": round(latencies_ms[int(0.9 * (len(latencies_ms) - 1))], 2),
        "max_ms": round(latencies_ms[-1], 2),
        "target_median_ms": 200,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    configure_logging(json=True, level="error")
    asyncio.run(main(args.runs))
