"""Peak memory of this process since a mark: the number a plan estimates and a run records.

Linux keeps the process's high-water RSS in ``/proc/self/status`` (``VmHWM``) and resets it when
``5`` is written to ``/proc/self/clear_refs``, so jobs run one after another in one process (the
basic launcher) each get their own peak. ``ru_maxrss`` is the fallback: a lifetime peak. On a
GPU the peak allocated by torch is recorded beside it.
"""

from __future__ import annotations

import contextlib
import resource
import sys
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR = Path("/proc/self/clear_refs")


def mark_peak() -> None:
    """Start a new peak here (the RSS peak, and torch's CUDA peak where one is in use)."""
    with contextlib.suppress(OSError):  # not Linux: the lifetime peak stays
        _CLEAR.write_text("5")
    torch = sys.modules.get("torch")  # only when the process already uses torch
    if torch is not None and torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()


def peak_memory_mb() -> dict:
    """``{"rss": MB}`` and, on a GPU, ``"gpu_allocated": MB`` since :func:`mark_peak`."""
    peaks = {"rss": round(_peak_rss_kb() / 1024, 1)}
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        peaks["gpu_allocated"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return peaks


def _peak_rss_kb() -> float:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1])
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KB on Linux
