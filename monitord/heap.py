"""Keep freed heap memory in the process for a batch job's next block, instead of handing it back to the kernel.

`analyze` works through an hour of audio in 16-second blocks, and each block allocates a few arrays of about a
megabyte (the decoded samples, the spectra and their floor) that die before the next block. glibc's malloc returns
such memory to the kernel as soon as the top of the heap holds enough of it free (its trim threshold adapts to the
largest block freed, ~2 MB here), and the next block's arrays fault the same pages in again, zeroed: perf counted
tens of thousands of page faults an hour, a tenth of analyze's CPU time. Raising the trim threshold keeps those
pages; raising the mmap threshold with it keeps blocks of this size on the heap, where freed memory is reused
(setting either stops glibc from adapting both, so both are set). Both limits bound what is kept: RSS stays what
the largest block needed.

Only glibc's malloc has these knobs (mallopt's M_TRIM_THRESHOLD and M_MMAP_THRESHOLD); elsewhere nothing happens.
"""

from __future__ import annotations

import ctypes
import sys

_M_TRIM_THRESHOLD = -1  # glibc's malloc.h
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 8 << 20  # blocks up to this size come from the heap (analyze's are ~1 MB) ...
TRIM_THRESHOLD_BYTES = 32 << 20  # ... and this much free memory at the top of the heap stays in the process


def keep_freed_memory() -> bool:
    """Tune glibc's malloc for a batch job that allocates and frees megabyte arrays block after block.
    True when the allocator took the settings (glibc); False elsewhere (nothing changed)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # no C library to ask, or not one with mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # glibc returns 1 on success; musl's stub returns 0 and changes nothing.
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
