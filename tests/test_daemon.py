"""The daemon as a subprocess: hears an alarm in a replayed recording, drains on SIGTERM, talks to systemd.

Scenario tests start `python -m monitord run` exactly as systemd would (with $NOTIFY_SOCKET / $WATCHDOG_USEC) on a
WAV file or raw PCM on stdin, and read its JSON event lines.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile

from monitord.daemon.runner import _first_of
from monitord.events import AlarmHeard, EpisodeStarted, Event

REPO = Path(__file__).resolve().parents[1]
RATE_HZ = 48000  # a phone/USB-microphone rate: the daemon resamples to its internal 16 kHz


def tone(frequency_hz: float, duration_s: float, amplitude: float = 0.1) -> np.ndarray[Any, np.dtype[np.float64]]:
    t = np.arange(int(duration_s * RATE_HZ)) / RATE_HZ
    envelope = np.minimum(1.0, np.minimum(t / 0.01, (duration_s - t) / 0.02))
    return amplitude * np.sin(2 * np.pi * frequency_hz * t) * envelope


def room_with_alarms(seconds: float = 20.0) -> np.ndarray[Any, np.dtype[np.float32]]:
    """Quiet room noise, a critical two-tone burst at 5 s (3 s of 2100/1600 Hz) and a 2600 Hz beep at 14 s."""
    audio = np.random.default_rng(7).standard_normal(int(max(seconds, 15.0) * RATE_HZ)) * 0.003
    burst = np.concatenate([tone(f, 0.25) for f in [2100, 1600] * 6])
    audio[5 * RATE_HZ: 5 * RATE_HZ + len(burst)] += burst
    beep = tone(2600, 0.4)
    audio[14 * RATE_HZ: 14 * RATE_HZ + len(beep)] += beep
    return audio[: int(seconds * RATE_HZ)].astype(np.float32)


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONITORD_", "NOTIFY_", "WATCHDOG_"))}
    env.update(PYTHONPATH=str(REPO), MONITORD_MONITOR__STATE_DIR=str(tmp_path / "state"), **extra)
    return env


def events_from(stdout: str) -> list[Event]:
    return [Event.from_payload(line) for line in stdout.splitlines() if line.startswith("{")]


def test_the_daemon_hears_the_alarms_in_a_recording_and_reports_episodes(tmp_path: Path) -> None:
    wav = tmp_path / "bedroom.wav"
    soundfile.write(wav, room_with_alarms(), RATE_HZ)
    result = subprocess.run(
        [sys.executable, "-m", "monitord", "--log-json", "run", "--input", str(wav), "--speed", "0", "--json"],
        capture_output=True, text=True, env=env_for(tmp_path), timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    events = events_from(result.stdout)
    heard = [e for e in events if isinstance(e, AlarmHeard)]
    assert [h.alarm.value for h in heard] == ["critical", "non_critical"]
    critical = heard[0]
    assert sorted(round(f, -2) for f in critical.frequencies_hz) == [1600, 2100]
    assert not critical.profile_verified  # the built-in default profile is a guess and says so
    # Stream time became wall time: the burst started ~5 s into the recording and lasted ~3 s.
    assert 2.0 < (critical.ended_at - critical.started_at).total_seconds() < 4.0
    assert 8.0 < (heard[1].started_at - critical.started_at).total_seconds() < 10.0
    started = [e for e in events if isinstance(e, EpisodeStarted)]
    assert [e.alarm.value for e in started] == ["critical", "non_critical"]

    status = json.loads((tmp_path / "state" / "status.json").read_text())
    assert status["state"] == "stopped"
    assert set(status["last_heard"]) == {"critical", "non_critical"}
    assert status["counters"]["detections"] == {"critical": 1, "non_critical": 1}

    shown = subprocess.run([sys.executable, "-m", "monitord", "status"], capture_output=True, text=True,
                           env=env_for(tmp_path), timeout=30, check=False)
    assert shown.returncode == 3, shown.stdout  # not running (it stopped), which `status` must say
    assert "not running" in shown.stdout
    assert "critical" in shown.stdout


@pytest.fixture
def notify_socket(tmp_path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    sock.settimeout(20)
    return sock


def receive_until(sock: socket.socket, wanted: str, seen: list[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        message = sock.recv(4096).decode()
        seen.append(message)
        if wanted in message.split("\n"):
            return
    raise AssertionError(f"{wanted} never arrived; got {seen}")


def test_systemd_gets_ready_and_watchdog_while_audio_flows_and_sigterm_drains(
        tmp_path: Path, notify_socket: socket.socket) -> None:
    """1. raw PCM on stdin (as from `arecord`), 2. READY=1 then WATCHDOG=1 on $NOTIFY_SOCKET while audio flows,
    3. SIGTERM mid-stream: STOPPING=1, the pipeline is flushed, exit 0; the status file says stopped."""
    env = env_for(tmp_path, NOTIFY_SOCKET=str(tmp_path / "notify.sock"), WATCHDOG_USEC="2000000")
    process = subprocess.Popen(
        [sys.executable, "-m", "monitord", "--log-json", "run", "--input", "-", "--rate", str(RATE_HZ),
         "--format", "f32le", "--json"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert process.stdin is not None
    try:
        audio = room_with_alarms(seconds=8.0)
        process.stdin.write(audio[: 6 * RATE_HZ].tobytes())  # the burst starts at 5 s and is still sounding
        process.stdin.flush()
        seen: list[str] = []
        receive_until(notify_socket, "READY=1", seen)
        receive_until(notify_socket, "WATCHDOG=1", seen)
        process.send_signal(signal.SIGTERM)
        receive_until(notify_socket, "STOPPING=1", seen)
        _stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr.decode()[-2000:]
    logs = [json.loads(line) for line in stderr.decode().splitlines() if line.startswith("{")]
    assert any(entry.get("event") == "signal received: draining" and entry.get("signal") == "SIGTERM"
               for entry in logs)
    assert any(entry.get("event") == "monitord stopped" for entry in logs)
    status = json.loads((tmp_path / "state" / "status.json").read_text())
    assert status["state"] == "stopped"
    assert status["counters"]["blocks"] > 0


async def test_first_of_passes_on_a_cancellation_that_lands_while_it_stops_the_other_waiter() -> None:
    """`_first_of(task, other)` stops `other` once `task` is done. If the daemon is cancelled while `other` is still
    stopping, that cancellation must reach the daemon (the old suppress(CancelledError) swallowed it)."""
    stopping = asyncio.Event()

    async def slow_to_stop() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            stopping.set()
            await asyncio.Event().wait()  # its cleanup takes until it is cancelled once more
            raise

    finished = asyncio.create_task(asyncio.sleep(0))
    daemon = asyncio.create_task(_first_of(finished, slow_to_stop()))
    await stopping.wait()
    daemon.cancel()
    await asyncio.wait({daemon}, timeout=10)
    assert daemon.cancelled(), f"the cancellation was swallowed: {daemon}"


async def test_replay_reader_hands_over_every_block_in_order_read_ahead_or_awaited_then_the_error() -> None:
    import threading

    from monitord.daemon.sources import _ReaderThread

    blocks = [np.full(4, i, dtype=np.float32) for i in range(4)]
    release = threading.Event()  # holds the third read back: the daemon then waits for it (the loop is woken)

    def source() -> Any:
        yield blocks[0]
        yield blocks[1]
        release.wait(10)
        yield blocks[2]
        yield blocks[3]
        raise RuntimeError("read error half-way")

    closed = threading.Event()
    reader = _ReaderThread(source(), close=closed.set)
    received = []
    reader.read_ahead()
    for index in range(4):
        if index == 2:  # held back: the daemon waits for it, and the reader wakes the loop when it comes
            waiting = asyncio.create_task(reader.next())
            await asyncio.sleep(0.05)
            assert not waiting.done()
            release.set()
            received.append(await waiting)
        else:  # read ahead while the daemon was busy: it is already there
            await asyncio.sleep(0.05)
            received.append(await reader.next())
        reader.read_ahead()
    assert [int(block[0]) for block in received if block is not None] == [0, 1, 2, 3]
    with pytest.raises(RuntimeError, match="half-way"):
        await reader.next()
    assert await asyncio.to_thread(closed.wait, 10)  # the reader closes the source when it stops
