"""Allocator settings for large runs: keep freed memory for the next month.

Each month allocates and frees temporaries of tens of megabytes (the
reviewing investors' holdings, the loans due). With glibc's default
settings freed memory above the heap's top goes back to the operating
system and comes back next month as fresh pages, each a page fault: at
national scale that was about a tenth of the run's time, most of it in the
kernel. Raising glibc's trim threshold (and fixing its mmap threshold at
its largest value, 32 MiB) keeps that memory in the process for reuse.

It only changes when memory is returned, not how much a run needs: the
peak is the same, but the process keeps it after the run. The setting is
process-wide and is made once, when the first model is built. Set the
environment variable ``SANDBOX_KEEP_FREED_MEMORY=0`` to leave the
allocator alone. Elsewhere than Linux with glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import os
import platform

# mallopt parameters (glibc's malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_MAX = 32 * 1024 * 1024  # glibc refuses larger values on 64-bit systems
TRIM_THRESHOLD = 2**31 - 1  # mallopt takes an int: about 2 GiB, in effect never trim

_applied: bool | None = None


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse (once per process).

    Returns:
        Whether the setting is in force: False when switched off by
        ``SANDBOX_KEEP_FREED_MEMORY=0`` or on a C library other than glibc.
    """
    global _applied
    if _applied is None:
        _applied = _apply()
    return _applied


def _apply() -> bool:
    if os.environ.get("SANDBOX_KEEP_FREED_MEMORY", "1") == "0":
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
