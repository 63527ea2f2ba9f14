"""Monitoring the monitor: sd_notify over a real unix datagram socket; the heartbeat against a real HTTP server."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp import web

from monitord.clock import FakeClock
from monitord.daemon.heartbeat import Heartbeat
from monitord.daemon.settings import HeartbeatConfig
from monitord.daemon.systemd import SystemdNotifier


def test_notify_sends_datagrams_systemd_can_read(tmp_path: Path) -> None:
    path = tmp_path / "notify.sock"
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(str(path))
    receiver.settimeout(2)
    import os

    notifier = SystemdNotifier(address=str(path), watchdog_usec="20000000", watchdog_pid=str(os.getpid()))
    assert notifier.watchdog_interval_s == 20.0
    assert notifier.ready("listening in the bedroom")
    assert receiver.recv(4096) == b"READY=1\nSTATUS=listening in the bedroom"
    assert notifier.watchdog()
    assert receiver.recv(4096) == b"WATCHDOG=1"
    notifier.close()
    receiver.close()


def test_notify_without_socket_or_with_a_dead_one_never_raises(tmp_path: Path) -> None:
    assert not SystemdNotifier(address="").ready("x")
    gone = SystemdNotifier(address=str(tmp_path / "nobody-listens.sock"))
    assert not gone.watchdog()
    assert SystemdNotifier(address="", watchdog_usec="5000000", watchdog_pid="1").watchdog_interval_s is None


class PingServer:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str]] = []
        self.status = 200
        self.arrived = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path, await request.text()))
        self.arrived.set()
        return web.Response(status=self.status, text="OK")


@pytest.fixture
async def ping_server() -> AsyncIterator[tuple[PingServer, str]]:
    server = PingServer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield server, f"http://127.0.0.1:{port}/ping/abc-123"
    await runner.cleanup()


async def eventually(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110 - polling a counter owned by the component under test
            await asyncio.sleep(0.01)


async def wait_for_requests(server: PingServer, count: int) -> None:
    async with asyncio.timeout(5):
        while len(server.requests) < count:
            server.arrived.clear()
            await server.arrived.wait()


async def test_heartbeat_pings_every_interval_and_fails_at_once_when_deaf(
        ping_server: tuple[PingServer, str]) -> None:
    """1. healthy: ping at start and after each interval; 2. deaf: /fail at once with the reason; 3. recovery."""
    server, url = ping_server
    clock = FakeClock()
    state = {"healthy": True, "reason": "hearing: ok"}
    config = HeartbeatConfig(url=url, interval_s=60)  # type: ignore[arg-type]
    async with Heartbeat(config=config, probe=lambda: (state["healthy"], state["reason"]), clock=clock) as beat:
        await wait_for_requests(server, 1)
        await clock.advance(59)
        await asyncio.sleep(0.05)
        assert len(server.requests) == 1
        await clock.advance(1)
        await wait_for_requests(server, 2)
        assert server.requests[:2] == [("POST", "/ping/abc-123", "hearing: ok")] * 2

        state.update(healthy=False, reason="microphone missing: USB unplugged")
        beat.health_changed()
        await wait_for_requests(server, 3)
        assert server.requests[2] == ("POST", "/ping/abc-123/fail", "microphone missing: USB unplugged")

        state.update(healthy=True, reason="hearing: ok")
        beat.health_changed()
        await wait_for_requests(server, 4)
        assert server.requests[3][1] == "/ping/abc-123"
        await eventually(lambda: beat.pings_ok == 4)  # the server saw it; the client may still be reading


async def test_heartbeat_survives_an_unreachable_or_failing_server(ping_server: tuple[PingServer, str]) -> None:
    server, url = ping_server
    server.status = 500
    clock = FakeClock()
    config = HeartbeatConfig(url=url, interval_s=30, timeout_s=2)  # type: ignore[arg-type]
    async with Heartbeat(config=config, probe=lambda: (True, "ok"), clock=clock) as beat:
        await wait_for_requests(server, 1)
        await clock.advance(30)
        await wait_for_requests(server, 2)
        await eventually(lambda: beat.pings_failed_to_send >= 1)
        assert beat.pings_ok == 0


class SlowToStopClock(FakeClock):
    """A FakeClock whose sleep, once cancelled, takes a while to finish (here: until it is cancelled once more)."""

    def __init__(self) -> None:
        super().__init__()
        self.stopping = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        try:
            await super().sleep(seconds)
        except asyncio.CancelledError:
            self.stopping.set()
            await asyncio.Event().wait()
            raise


async def test_heartbeat_stops_when_cancelled_while_it_stops_its_interval_sleep(
        ping_server: tuple[PingServer, str]) -> None:
    """A health change ends the interval sleep early; the Heartbeat leaves while that sleep is still stopping.
    The old code swallowed the ping loop's cancellation there: it pinged once more and the exit hung for good."""
    server, url = ping_server
    clock = SlowToStopClock()
    config = HeartbeatConfig(url=url, interval_s=60)  # type: ignore[arg-type]

    async def owner() -> None:
        async with Heartbeat(config=config, probe=lambda: (True, "ok"), clock=clock) as beat:
            await wait_for_requests(server, 1)
            beat.health_changed()
            await clock.stopping.wait()  # the ping loop is now waiting for its sleep to stop

    task = asyncio.create_task(owner())
    await asyncio.wait({task}, timeout=10)
    assert task.done(), "the Heartbeat's exit hangs"
    task.result()
    assert len(server.requests) == 1  # no ping after the health change: the loop was being stopped


async def test_heartbeat_closes_its_session_when_cancelled_while_exiting(
        ping_server: tuple[PingServer, str]) -> None:
    """The task running `async with Heartbeat` is cancelled while the Heartbeat waits for its ping loop to end:
    the cancellation propagates, and the HTTP session it opened is still closed (the old code left it open)."""
    server, url = ping_server
    config = HeartbeatConfig(url=url, interval_s=60)  # type: ignore[arg-type]
    beat = Heartbeat(config=config, probe=lambda: (True, "ok"), clock=FakeClock())
    exiting = asyncio.Event()

    async def owner() -> None:
        async with beat:
            await wait_for_requests(server, 1)
            exiting.set()  # no await from here to __aexit__'s first wait: the cancel below lands inside it

    task = asyncio.create_task(owner())
    await exiting.wait()
    task.cancel()
    await asyncio.wait({task}, timeout=10)
    assert task.cancelled(), f"the cancellation was swallowed: {task}"
    assert beat._session is not None
    assert beat._session.closed
