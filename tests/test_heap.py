"""keep_freed_memory: megabyte arrays freed block after block are reused, not faulted in from the kernel again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# Page faults per round of three ~0.9 MB arrays allocated, filled and freed (as analyze's blocks do), in a fresh
# process. glibc first sees a 1 MB block freed (its thresholds adapt to it: trim above 2 MB free); each round then
# frees 2.7 MB at the top of the heap, which plain glibc hands back to the kernel, so the next round faults its
# ~670 pages in again.
_ROUNDS = """
import resource, sys
import numpy as np
from monitord.heap import keep_freed_memory
tuned = keep_freed_memory() if sys.argv[1] == "tuned" else None
def faults(): return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
first = np.ones(1 << 18, np.float32)
del first
before = faults()
for _ in range(50):
    arrays = [np.ones(230_000, np.float32) for _ in range(3)]
    del arrays
print(tuned, (faults() - before) / 50)
"""


def _faults_per_round(mode: str) -> tuple[str, float]:
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", _ROUNDS, mode], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(root)}, cwd=root).stdout.split()
    return out[0], float(out[1])


def test_freed_blocks_are_reused_instead_of_faulted_in_again() -> None:
    """(Linux with glibc, as on Debian and Raspberry Pi OS.)"""
    _, plain = _faults_per_round("plain")
    tuned, kept = _faults_per_round("tuned")
    assert tuned == "True"
    assert plain > 300  # the pattern does hand its pages back without the setting (else this test proves nothing)
    assert kept < 50
