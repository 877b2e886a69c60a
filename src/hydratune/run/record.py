"""What a run leaves behind: ``run.json`` (status and provenance) and ``metrics.json``.

Both are written atomically (temp file + rename), so a reader or a killed run never sees a
half-written file.
"""

from __future__ import annotations

import errno
import json
import math
import os
import platform
import socket
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from hydratune.run import provenance
from hydratune.run.memory import mark_peak, peak_memory_mb
from hydratune.run.redact import redact_overrides

PACKAGES = (
    "hydratune",
    "torch",
    "transformers",
    "tokenizers",
    "datasets",
    "accelerate",
    "peft",
    "trl",
    "wandb",
    "hydra-core",
    "omegaconf",
    "scikit-learn",
)


def write_json(path: Path, obj) -> None:
    """Write JSON atomically; NaN and infinities become null so any JSON reader can load it."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    text = json.dumps(_finite(obj), indent=2, sort_keys=True) + "\n"
    try:
        tmp.write_text(text)
    except OSError as err:
        if err.errno != errno.ENOSPC or not path.exists():
            tmp.unlink(missing_ok=True)
            raise OSError(err.errno, err.strerror, str(path)) from None  # name the file
        tmp.unlink(missing_ok=True)  # a full disk: rewrite in place, into the file's own
        path.write_text(text)  # pages, so run.json can still say the run failed and why
        return
    os.replace(tmp, path)


def _finite(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


class RunRecord:
    """``run.json``: written at start with status ``running``, then ``completed``/``failed``."""

    def __init__(
        self, run_dir: Path, overrides: list[str], project_dir: Path, enabled: bool = True
    ):
        self.enabled = enabled  # only one process of a multi-process run writes it
        self.path = Path(run_dir) / "run.json"
        self._t0 = time.monotonic()
        provenance.forget_data_files()  # this run's reads only (sweep jobs share a process)
        self.data = {
            "status": "running",
            "run_dir": str(Path(run_dir).resolve()),
            "overrides": redact_overrides(list(overrides)),
            "started_at": _now(),
            "git": provenance.code_state(run_dir, project_dir) if enabled else {},
            "packages": package_versions(),
            "code": str(Path(__file__).resolve().parents[1]),  # which hydratune ran (snapshots)
            "python": platform.python_version(),
            "host": socket.gethostname(),
            "hardware": provenance.hardware(),
            "command": provenance.command_line(),
            "world_size": int(os.environ.get("WORLD_SIZE", "1")),
            "attempt": 1,
            "timings_s": {},
        }

    def start(self) -> RunRecord:
        mark_peak()  # this run's own peak, also after earlier jobs in the same process
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.save()
        return self

    def update(self, **fields) -> None:
        self.data.update(fields)
        self.save()

    def timed(self, phase: str, since: float) -> None:
        self.data["timings_s"][phase] = round(time.monotonic() - since, 3)

    def finish(self, status: str, error: BaseException | None = None) -> None:
        self.data["status"] = status
        self.data["finished_at"] = _now()
        self.data["timings_s"]["total"] = round(time.monotonic() - self._t0, 3)
        self.data["hardware"] = provenance.hardware()  # now with the GPUs torch saw
        self.data["data_files"] = provenance.data_fingerprints()
        peaks = peak_memory_mb()
        self.data["measured_peak_memory_mb"] = peaks["rss"]
        if "gpu_allocated" in peaks:
            self.data["measured_peak_gpu_memory_mb"] = peaks["gpu_allocated"]
        if error is not None:
            self.data["error"] = {"type": type(error).__name__, "message": str(error)}
        self.save()

    def save(self) -> None:
        if self.enabled:
            write_json(self.path, self.data)


def package_versions() -> dict:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
