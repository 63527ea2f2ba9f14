"""Is a louder sounding ever heard less? One recall recording of the detection benchmark rebuilt at several SNRs.

    PYTHONPATH=. .venv/bin/python bench/level_ladder.py --seed 2024 --alarm critical
    PYTHONPATH=. .venv/bin/python bench/level_ladder.py --seed 2024 --alarm non_critical --files=-5,0,5 \\
        --levels=-10,-5,0,5,10,20 --profile my-pump.toml

The detection benchmark's recall table has one recording per cell, each with its own background (speech, TV,
music, noise or a quiet room) and room: a cell can dip below its quieter neighbour because its background is harder,
not because the alarm is louder. This rebuilds a cell's recording (bench/corpus.py's `recall_file`, with that job's
own random state: the same background, room, microphone and soundings) with the alarm at each of `--levels` dB,
runs the pipeline in process on each, and reports every sounding heard at one level and missed at a higher one.
The corpus's source recordings must be in `--corpus-root`/sources (bench/setup; any built corpus has them).
Without `--profile`, the bundled default profile (the unverified guess).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
if str(REPO) not in sys.path:
    sys.path.insert(1, str(REPO))

import corpus as corpus_mod  # noqa: E402

from monitord.pipeline import Pipeline  # noqa: E402
from monitord.profiles import load_profile  # noqa: E402


def _numbers(text: str) -> list[int]:
    return [int(x) for x in text.split(",")]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--alarm", choices=["critical", "non_critical"], default="critical")
    p.add_argument("--files", type=_numbers, default=[-5, 0, 5], help="the SNR cells (dB) whose recordings to rebuild")
    p.add_argument("--levels", type=_numbers, default=[-10, -5, 0, 5, 10, 20], help="SNRs (dB) to rebuild them at")
    p.add_argument("--profile", type=Path, default=None, help="profile TOML (default: the bundled guess)")
    p.add_argument("--corpus-root", type=Path, default=corpus_mod.DEFAULT_ROOT)
    args = p.parse_args(argv)
    spec = corpus_mod.CorpusSpec.for_mode("quick", args.seed)
    pumps = corpus_mod.pumps_for(args.seed, spec.pumps)
    library = corpus_mod.SourceLibrary(args.corpus_root / "sources")
    profile = load_profile(args.profile)
    levels = sorted(args.levels)
    louder_missed = soundings = 0
    for pump_index, pump in enumerate(pumps):
        for file_snr in args.files:
            heard: dict[int, list[bool]] = {}
            background = ""
            for level in levels:
                # The job's own random state (bench/corpus.py's _jobs/run_job): everything but the level as built.
                rng = corpus_mod._job_rng(args.seed, "recall", pump_index,
                                          sorted({"alarm": args.alarm, "snr_db": file_snr}.items()))
                audio, events, meta = corpus_mod.recall_file(pump, args.alarm, level, spec.soundings_per_snr,
                                                             library, rng)
                background = str(meta["background"])
                pipeline = Pipeline(profile)
                samples = audio.astype(np.float32)
                found = []
                for start in range(0, len(samples), 64000):
                    found += pipeline.feed(samples[start : start + 64000])
                found += pipeline.flush()
                heard[level] = [any(d.alarm.value == args.alarm and d.start_s < e.end + 1 and d.end_s > e.start - 1
                                    for d in found) for e in events]
            count = len(heard[levels[0]])
            bad = [i for i in range(count)
                   if any(heard[a][i] and not heard[b][i] for a in levels for b in levels if b > a)]
            soundings += count
            louder_missed += len(bad)
            rows = " ".join("".join("x" if h else "." for h in heard[level]) for level in levels)
            print(f"pump{pump_index} cell {file_snr:+d} dB {background:10s} {rows}  heard less when louder: {bad}")
    print(f"levels {levels} dB: {louder_missed} of {soundings} soundings heard at one level and missed at a higher one")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
