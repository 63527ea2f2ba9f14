"""Daemon benchmarks: live CPU at real time, and memory after 24 hours of (time-compressed) input.

    PYTHONPATH=. .venv/bin/python bench/daemon.py cpu [--seconds 60] [--repeats 3]
    PYTHONPATH=. .venv/bin/python bench/daemon.py rss [--hours 24]
    PYTHONPATH=. .venv/bin/python bench/daemon.py pipeline [--profile P.toml] [--repeats 7]

cpu: `monitord run` replays 16 kHz audio at real time (`--speed 1`: the same pacing, block size and code path
     after the audio callback as the live microphone). CPU time is read from /proc/<pid>/stat between systemd's
     READY=1 (start-up and imports excluded: they happen once a boot) and `--seconds` later. Target ≤ 1 % of one core.
rss: `monitord run --input - --speed 0` is fed `--hours` of 16 kHz s16le audio on stdin (examples/household.flac
     looped: TV, music, speech and an alarm every few minutes, so episodes and events keep coming), as fast as it
     can take it; the domain clock follows the stream, so episode timers run as they would over a day.
     VmRSS is sampled every second; reported: RSS after the last block, and the peak (VmHWM). Target ≤ 100 MB.
pipeline: in this process, the daemon's detection pipeline alone (`monitord.pipeline.Pipeline`, what `Hearing` feeds)
     on 0.25 s blocks (the daemon's block size) of examples/household.flac looped for 12 minutes, after one
     warm-up pass: CPU seconds per hour of audio, median of `--repeats`. Quick and quiet enough to compare two
     versions of the detectors. (`cpu` measures about three times as much: the daemon also runs its event loop
     and audio thread, and its pipeline runs with caches gone cold between blocks.)
cpu and rss run with the embedded default (no MQTT, no escalation); all print a Markdown row per measurement.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soundfile

REPO = Path(__file__).resolve().parents[1]
RATE_HZ = 16000
CLK_TCK = os.sysconf("SC_CLK_TCK")


def household_16k() -> np.ndarray:
    audio, rate = soundfile.read(REPO / "examples" / "household.flac", dtype="float32", always_2d=False)
    if rate != RATE_HZ:
        raise SystemExit(f"expected a {RATE_HZ} Hz example, got {rate}")
    return np.asarray(audio, dtype=np.float32)


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14 and 15 of stat)


def vm(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


def daemon_env(state_dir: Path, notify: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONITORD_", "NOTIFY_", "WATCHDOG_"))}
    env.update(PYTHONPATH=str(REPO), MONITORD_MONITOR__STATE_DIR=str(state_dir))
    if notify is not None:
        env["NOTIFY_SOCKET"] = str(notify)
    return env


def wait_ready(sock: socket.socket) -> None:
    while b"READY=1" not in sock.recv(4096).split(b"\n"):
        pass


def measure_cpu(seconds: float) -> float:
    audio = household_16k()
    total_s = seconds + 15
    looped = np.tile(audio, int(np.ceil(total_s * RATE_HZ / len(audio))))[: int(total_s * RATE_HZ)]
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "input.wav"
        soundfile.write(wav, looped, RATE_HZ, subtype="PCM_16")
        notify = Path(tmp) / "notify.sock"
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(notify))
        sock.settimeout(60)
        process = subprocess.Popen(
            [sys.executable, "-m", "monitord", "--log-json", "run", "--input", str(wav), "--speed", "1"],
            env=daemon_env(Path(tmp) / "state", notify), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_ready(sock)
            time.sleep(2)  # let the first blocks settle (allocations, caches)
            t0, c0 = time.monotonic(), cpu_ticks(process.pid)
            time.sleep(seconds)
            t1, c1 = time.monotonic(), cpu_ticks(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)
            sock.close()
    return 100.0 * (c1 - c0) / CLK_TCK / (t1 - t0)


def measure_rss(hours: float) -> tuple[float, float, float, float]:
    audio = household_16k()
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
    total_bytes = int(hours * 3600 * RATE_HZ) * 2
    with tempfile.TemporaryDirectory() as tmp:
        process = subprocess.Popen(
            [sys.executable, "-m", "monitord", "--log-level", "warning", "--log-json", "run", "--input", "-",
             "--rate", str(RATE_HZ), "--format", "s16le", "--speed", "0"],
            env=daemon_env(Path(tmp) / "state", None), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        assert process.stdin is not None
        samples: list[int] = []
        done = threading.Event()

        def sample() -> None:
            while not done.wait(1.0):
                try:
                    samples.append(vm(process.pid, "VmRSS"))
                except (FileNotFoundError, ProcessLookupError):
                    return

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        start = time.monotonic()
        sent = 0
        while sent < total_bytes:
            chunk = pcm[: total_bytes - sent]
            process.stdin.write(chunk)
            sent += len(chunk)
        process.stdin.flush()
        time.sleep(0.5)
        final_rss = vm(process.pid, "VmRSS")
        peak = vm(process.pid, "VmHWM")
        process.stdin.close()
        process.wait(timeout=600)
        elapsed = time.monotonic() - start
        done.set()
    median_rss = statistics.median(samples) if samples else float(final_rss)
    return final_rss / 2**20, peak / 2**20, median_rss / 2**20, hours * 3600 / elapsed


def measure_pipeline(profile_path: str | None, repeats: int) -> list[float]:
    from monitord.pipeline import Pipeline
    from monitord.profiles import load_profile

    audio = household_16k()
    block = RATE_HZ // 4  # config.audio.block_s = 0.25
    blocks = [audio[i : i + block].copy() for i in range(0, len(audio) - block + 1, block)]
    loops = 4  # 4 × 3 minutes
    runs = []
    for _ in range(repeats):
        pipeline = Pipeline(load_profile(profile_path))
        for samples in blocks:  # warm-up: the floor settles, caches fill
            pipeline.feed(samples)
        start = time.process_time()
        for _ in range(loops):
            for samples in blocks:
                pipeline.feed(samples)
        runs.append((time.process_time() - start) / (loops * len(blocks) * block / RATE_HZ) * 3600)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    cpu = sub.add_parser("cpu")
    cpu.add_argument("--seconds", type=float, default=60.0)
    cpu.add_argument("--repeats", type=int, default=3)
    rss = sub.add_parser("rss")
    rss.add_argument("--hours", type=float, default=24.0)
    pipeline = sub.add_parser("pipeline")
    pipeline.add_argument("--profile", default=None, help="profile TOML (default: the embedded default profile)")
    pipeline.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    if args.what == "pipeline":
        runs = measure_pipeline(args.profile, args.repeats)
        print(f"| detection pipeline in-process, 0.25 s blocks ({args.profile or 'default profile'}) | median "
              f"{statistics.median(runs):.2f} s CPU per hour of audio (runs: {', '.join(f'{r:.2f}' for r in runs)}) "
              f"| — |")
        return
    if args.what == "cpu":
        runs = [measure_cpu(args.seconds) for _ in range(args.repeats)]
        print(f"| live CPU, 16 kHz at real time, {args.seconds:g} s window | median {statistics.median(runs):.2f} % "
              f"of one core (runs: {', '.join(f'{r:.2f}' for r in runs)}) | ≤ 1 % |")
    else:
        final, peak, median, speed = measure_rss(args.hours)
        print(f"| RSS after {args.hours:g} h of input (replayed at {speed:.0f}× real time) | "
              f"{final:.1f} MB at the end, peak {peak:.1f} MB, median {median:.1f} MB | ≤ 100 MB |")


if __name__ == "__main__":
    main()
