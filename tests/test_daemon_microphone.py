"""The whole daemon on a (fake) live microphone: unplugged → 'cannot hear' everywhere → back → recovered.

In-process, because the fake sounddevice module must be injected; everything else is real (pipeline, episodes,
bus, console sink, status file, and the heartbeat against a loopback HTTP server).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

from monitord.config import MonitordConfig
from monitord.daemon.runner import Daemon, RunOptions
from monitord.daemon.settings import AudioConfig, HealthConfig, HeartbeatConfig, MonitorConfig
from tests.fake_sounddevice import FakeSoundDevice
from tests.test_supervision import PingServer, eventually, ping_server, wait_for_requests

__all__ = ["ping_server"]  # the fixture, re-used


def status_of(state_dir: Path) -> dict[str, object]:
    try:
        data: dict[str, object] = json.loads((state_dir / "status.json").read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return data


def health_status(state_dir: Path) -> str | None:
    health = status_of(state_dir).get("health")
    return health.get("status") if isinstance(health, dict) else None


async def test_unplugged_microphone_is_reported_by_status_and_heartbeat_then_recovers(
        tmp_path: Path, ping_server: tuple[PingServer, str]) -> None:
    """1. the daemon opens the microphone by name and says it can hear (status file, heartbeat ping);
    2. USB unplugged: status 'missing', heartbeat '/fail' at once; 3. plugged back: 'ok' and a success ping;
    4. shutdown request: drains and says 'stopped'."""
    server, url = ping_server
    sd = FakeSoundDevice(speedup=4.0)
    config = MonitordConfig(
        monitor=MonitorConfig(node_id="bedroom", microphone="bedroom", state_dir=tmp_path),
        audio=AudioConfig(device="USB PnP", block_s=0.05),
        health=HealthConfig(stall_after_s=0.5, reopen_base_s=0.05, reopen_cap_s=0.2),
        heartbeat=HeartbeatConfig(url=url, interval_s=60),  # type: ignore[arg-type]
    )
    daemon = Daemon(config=config, options=RunOptions(sounddevice=sd, drain_timeout_s=2))
    task = asyncio.create_task(daemon.run())
    try:
        await eventually(lambda: health_status(tmp_path) == "ok", timeout_s=20)
        await wait_for_requests(server, 1)
        assert server.requests[0][1] == "/ping/abc-123"  # no false /fail while the microphone was being opened
        assert daemon.can_hear()[0]

        sd.unplug()
        await eventually(lambda: health_status(tmp_path) == "missing", timeout_s=10)
        await eventually(lambda: any(path.endswith("/fail") for _, path, _ in server.requests))
        fail = next(r for r in server.requests if r[1].endswith("/fail"))
        assert "cannot hear (missing)" in fail[2]
        assert not daemon.can_hear()[0]

        sd.plug_in(after_another_device=True)
        await eventually(lambda: health_status(tmp_path) == "ok", timeout_s=10)
        await eventually(lambda: server.requests[-1][1].endswith("/abc-123"))
        assert status_of(tmp_path)["counters"]["reopens"] >= 1  # type: ignore[index]

        daemon.shutdown.handle(15)  # what SIGTERM does
        assert await asyncio.wait_for(task, 20) == 0
        assert status_of(tmp_path)["state"] == "stopped"
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
