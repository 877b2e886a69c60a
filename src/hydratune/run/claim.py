"""A run dir belongs to one run: claimed before anything is written, held while the run lives.

Two guards, because two ways lead two processes into one dir:

* The default dir ``outputs/DATE/TIME`` comes from a one-second timestamp, so launches in the
  same second compose the same path. ``${hydratune.claim:PATH}`` (conf/config.yaml's
  ``hydra.run.dir``) claims it while Hydra composes the config, before Hydra creates the dir and
  writes ``.hydra/`` there: ``os.mkdir`` is atomic, so exactly one process creates ``PATH``; the
  others take the first free sibling ``PATH_1``, ``PATH_2``... Each process claims once
  (OmegaConf resolves the interpolation every time it is read). Under torchrun rank 0 claims
  and the other ranks read its claim from torchrun's store, so all ranks share one dir.
* A dir named on the command line (``hydra.run.dir=...``, how a run is resumed) is used as
  given; :func:`hold` then takes an exclusive ``flock`` on ``<run dir>/.hydratune.lock`` for
  the life of the run. A second live process on that dir fails at once, naming the holder. The
  kernel drops the lock when its process dies (even by SIGKILL), so a killed run's dir can be
  resumed; a lock file left behind means nothing by itself. Hydra writes ``.hydra/`` before
  the task runs, so its ``on_run_start`` callback takes the lock first (:func:`hold_ahead`)
  and the run's own :func:`hold` then takes it over: a refused command writes nothing.
* A sweep's dir ``multirun/DATE/TIME`` has the same one-second name: :func:`first_free` gives
  each sweep its own (``hydra_callbacks.ClaimDirs``).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
from pathlib import Path

LOCK = ".hydratune.lock"
_claimed: dict[str, str] = {}  # composed path -> the dir this process claimed for it
_held: dict[str, int] = {}  # run dir -> the open lock file descriptor
_ahead: dict[str, int] = {}  # run dir -> the thread that holds it for the run it starts next


def claim(path: str, *, _root_=None) -> str:
    """``${hydratune.claim:outputs/...}``: the path, or its first free sibling, now ours."""
    if _is_multirun(_root_):
        return path  # a sweep's jobs write under hydra.sweep.dir; nothing to claim here
    key = os.path.abspath(path)
    if key not in _claimed:
        _claimed[key] = _shared_with_ranks(key, lambda: first_free(path))
    return _claimed[key]


def _is_multirun(root) -> bool:
    try:
        mode = root.hydra.mode if root is not None else None
    except Exception:  # noqa: BLE001  a config without a hydra node (tests, notebooks)
        return False
    return mode is not None and str(mode).endswith("MULTIRUN")


def first_free(path: str) -> str:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    for number in range(10_000):
        candidate = path if number == 0 else f"{path}_{number}"
        try:
            os.mkdir(candidate)  # atomic: exactly one process gets each name
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"{path} and its siblings _1.._9999 are all taken")


def _shared_with_ranks(key: str, make) -> str:
    """Rank 0 claims; under torchrun the other ranks wait for its answer in torchrun's store."""
    from hydratune.run.distributed import agent_store, is_main_process, world_size

    store = agent_store() if world_size() > 1 else None
    if store is None:
        return make()
    name = f"hydratune/run_dir/{os.environ.get('TORCHELASTIC_RUN_ID', '')}/{key}"
    if is_main_process():
        store.set(name, make())
    return store.get(name).decode()  # waits for rank 0


def hold(run_dir: Path) -> None:
    """Lock ``run_dir`` for this process, or fail at once naming the run that holds it."""
    from hydratune.config.errors import ConfigError

    run_dir = Path(run_dir)
    # No shortcut for a dir this process already holds: two threads of one process (a
    # launcher's worker threads) are two runs; flock tells their open files apart. The one
    # exception is a hold taken ahead, for this thread's next run (:func:`hold_ahead`).
    key = str(run_dir.resolve())
    if _ahead.get(key) == threading.get_ident():
        del _ahead[key]
        return
    run_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(run_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 4096, 0).decode(errors="replace").strip() or "{}"
        os.close(fd)
        raise ConfigError(
            f"{run_dir} is in use by another live run ({holder}). A run dir holds one run: "
            "wait for that run to end (then re-run to resume it), or choose another "
            "hydra.run.dir."
        ) from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode(), 0)
    except OSError as err:  # a full disk: the message names the file (writes do not)
        os.close(fd)
        raise OSError(err.errno, err.strerror, str(run_dir / LOCK)) from None
    _held[key] = fd


def hold_ahead(run_dir: Path) -> None:
    """Hold ``run_dir`` for the run this thread starts next, whose :func:`hold` takes it over."""
    hold(run_dir)
    _ahead[str(Path(run_dir).resolve())] = threading.get_ident()


def release(run_dir: Path) -> None:
    _ahead.pop(str(Path(run_dir).resolve()), None)
    fd = _held.pop(str(Path(run_dir).resolve()), None)
    if fd is not None:
        os.close(fd)  # closing drops the flock
