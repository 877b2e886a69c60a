"""Where a run's result came from, for ``run.json``: the code (git commit, dirty flag, a patch
of the uncommitted changes), the packages, Python, the hardware, the command line and a
fingerprint of every data file the run read. ``hydratune-compare --diff`` and
``hydratune-rerun`` compare two runs' provenance to say why their results differ.

Cheap by design (well under 0.2 s): a few git calls, /proc/cpuinfo, and content hashes only
of data files under :data:`HASH_LIMIT` (larger ones are named by size and mtime alone).
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
from pathlib import Path

HASH_LIMIT = 64 * 1024 * 1024  # bytes; a larger file is fingerprinted by size and mtime only
PATCH_NAME = "git.patch"  # in the run dir, when the checkout had uncommitted changes

_read_files: dict[str, None] = {}  # data files this process read since the run started


def note_data_files(paths) -> None:
    """Data readers call this with each file they read (the hook is one line in a reader)."""
    for path in [paths] if isinstance(paths, (str, Path)) else paths:
        _read_files[str(Path(path).resolve())] = None


def forget_data_files() -> None:
    """A new run in the same process (sweep jobs, tests): its own files only."""
    _read_files.clear()


def data_fingerprints() -> dict:
    """path -> size, mtime and (under HASH_LIMIT) sha256 of every file noted so far."""
    return {path: fingerprint(Path(path)) for path in _read_files}


def fingerprint(path: Path, limit: int = HASH_LIMIT) -> dict:
    try:
        info = path.stat()
    except OSError as err:
        return {"error": f"{type(err).__name__}: {err}"}
    found = {"size": info.st_size, "mtime": round(info.st_mtime, 3)}
    if info.st_size <= limit:
        digest = hashlib.sha256()
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        found["sha256"] = digest.hexdigest()
    return found


def code_state(run_dir: Path, directory: Path) -> dict:
    """Commit, dirty flag and saved patch of the checkout the run came from: the current
    directory's repository, else the one hydratune itself is installed from (editable)."""
    import hydratune

    for where in (Path(directory), Path(hydratune.__file__).parent):
        root = _git(where, "rev-parse", "--show-toplevel")
        if root:
            return _state(Path(root), Path(run_dir))
    return {"commit": None, "dirty": None}


def _state(root: Path, run_dir: Path) -> dict:
    commit = _git(root, "rev-parse", "HEAD")
    state = {"repo": str(root), "commit": commit, "dirty": None}
    if not commit:
        return state
    patch = _git(root, "diff", "HEAD", "--binary", strip=False)  # tracked files only
    state["dirty"] = bool(patch)
    if patch:
        state["patch"] = PATCH_NAME
        state["patch_sha256"] = hashlib.sha256(patch.encode()).hexdigest()
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / PATCH_NAME).write_text(patch)
    return state


def _git(directory: Path, *args: str, strip: bool = True) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=directory, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() if strip else done.stdout


def hardware() -> dict:
    """CPU model and cores; GPU model, count and CUDA when torch is already loaded (it is by
    the end of a run; importing it only for this would cost a second)."""
    found = {"cpu": _cpu_model(), "cores": os.cpu_count(), "machine": platform.machine()}
    torch = sys.modules.get("torch")
    if torch is not None:
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        found.update(
            gpu=torch.cuda.get_device_name(0) if count else None,
            gpus=count,
            cuda=torch.version.cuda,
        )
    return found


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo") as lines:
            for line in lines:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def command_line() -> dict:
    """The command as typed (secrets redacted) and where: relative data paths depend on it."""
    from hydratune.run.redact import redact_overrides

    return {"argv": [Path(sys.argv[0]).name, *redact_overrides(sys.argv[1:])], "cwd": os.getcwd()}
