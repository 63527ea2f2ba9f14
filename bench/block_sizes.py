"""Does a file's verdict depend on how its audio is cut into blocks? Feeds the same samples through the real
`Pipeline` in several block sizes and prints every detection that is not heard alike in all of them.

    PYTHONPATH=$PWD python bench/block_sizes.py --profile P.toml FILE... [--blocks 1600,16000,64000,256000,12345]

The audio is read once (at the internal rate, as `analyze` reads it) and cut into blocks of the given sample counts;
`monitord analyze` feeds 256000 (16 s), the daemon 1600 (0.1 s). Two detections of one alarm kind are the same when
they overlap in time; a difference in start or end of more than one frame (32 ms), or in confidence, is shown too.
Exit code 1 when any file's verdicts differ.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from monitord.detectors import Detection
from monitord.pipeline import Pipeline
from monitord.profiles import Profile, load_profile

DAEMON_BLOCK = 1600  # 0.1 s at 16 kHz: the daemon's microphone blocks
ANALYZE_BLOCK = 256000  # 16 s: `monitord analyze`
DEFAULT_BLOCKS = (DAEMON_BLOCK, 16000, 64000, ANALYZE_BLOCK, 12345, 511)
FRAME_S = 0.032


def read_audio(path: Path) -> NDArray[np.float32]:
    from monitord.audio import open_audio

    with open_audio(str(path)) as source:
        return np.concatenate(list(source.blocks(3600.0)))


def detections(profile: Profile, audio: NDArray[np.float32], block: int,
               first: int = 0) -> tuple[list[Detection], dict[str, int]]:
    pipeline = Pipeline(profile)
    found: list[Detection] = pipeline.feed(audio[:first]) if first else []
    for i in range(first, len(audio), block):
        found += pipeline.feed(audio[i : i + block])
    found += pipeline.flush()
    counters = {f"{name}.{reason}": count for name, reasons in pipeline.counters().items()
                for reason, count in reasons.items()}
    return found, counters


def _key(d: Detection) -> str:
    return f"{d.alarm.value:>12} {d.start_s:8.3f}–{d.end_s:8.3f} conf {d.confidence:.3f}"


def differences(by_block: dict[int, list[Detection]]) -> list[str]:
    """Lines describing detections not heard alike under every block size (the first size is the reference)."""
    sizes = list(by_block)
    everything = sorted(((d.start_s, size, d) for size, found in by_block.items() for d in found),
                        key=lambda item: (item[0], item[1]))
    lines: list[str] = []
    seen: set[int] = set()
    for _, _, d in everything:
        if id(d) in seen:
            continue
        # The same detection under each size: the one of the same alarm that overlaps it.
        match: dict[int, Detection | None] = {}
        for other in sizes:
            candidates = [e for e in by_block[other] if e.alarm == d.alarm and id(e) not in seen
                          and e.start_s < d.end_s + FRAME_S and d.start_s < e.end_s + FRAME_S]
            match[other] = min(candidates, key=lambda e: abs(e.start_s - d.start_s)) if candidates else None
        for e in match.values():
            if e is not None:
                seen.add(id(e))
        heard = [e for e in match.values() if e is not None]
        alike = len(heard) == len(sizes) and all(
            abs(e.start_s - heard[0].start_s) <= FRAME_S and abs(e.end_s - heard[0].end_s) <= FRAME_S
            and abs(e.confidence - heard[0].confidence) < 1e-6 for e in heard)
        if not alike:
            lines.append(f"  {d.alarm.value} near {d.start_s:.2f} s:")
            for other, e in match.items():
                lines.append(f"    {other:>7}: {_key(e) if e is not None else '-- not heard --'}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", type=Path, required=True)
    parser.add_argument("--blocks", default=",".join(map(str, DEFAULT_BLOCKS)),
                        help="block sizes in samples, comma-separated; the first is the reference")
    parser.add_argument("--first", type=int, default=0,
                        help="feed this many samples first, in one block (the same start for every size)")
    parser.add_argument("--counters", action="store_true", help="also show refusal counters that differ")
    parser.add_argument("--json", type=Path, help="also write every file's detections per block size here")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    profile = load_profile(args.profile)
    sizes = [int(s) for s in args.blocks.split(",")]
    differing = 0
    dumped: dict[str, dict[int, list[dict[str, object]]]] = {}
    for path in args.files:
        audio = read_audio(path)
        by_block: dict[int, list[Detection]] = {}
        counters: dict[int, dict[str, int]] = {}
        cpu: dict[int, float] = {}
        for size in sizes:
            t0 = time.process_time()
            by_block[size], counters[size] = detections(profile, audio, size, args.first)
            cpu[size] = time.process_time() - t0
        dumped[str(path)] = {size: [{"alarm": d.alarm.value, "start": d.start_s, "end": d.end_s,
                                     "confidence": d.confidence} for d in found] for size, found in by_block.items()}
        lines = differences(by_block)
        counts = " ".join(f"{size}:{len(found)}" for size, found in by_block.items())
        speed = " ".join(f"{size}:{len(audio) / 16000 / max(cpu[size], 1e-9):.0f}x" for size in sizes)
        print(f"{path}: detections {counts}; speed {speed}" + (" DIFFER" if lines else ""))
        if lines:
            differing += 1
            print("\n".join(lines))
        if args.counters:
            names = sorted({name for c in counters.values() for name in c})
            for name in names:
                values = [counters[size].get(name, 0) for size in sizes]
                if len(set(values)) > 1:
                    print(f"    counter {name}: " + " ".join(f"{s}:{v}" for s, v in zip(sizes, values, strict=True)))
        sys.stdout.flush()
    if args.json is not None:
        args.json.write_text(json.dumps(dumped))
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
