"""Several processes, one run: torchrun / accelerate launch with Hydra.

Every rank composes the config itself, so each would otherwise stamp its own time into
``outputs/DATE/TIME`` and write a run dir of its own. Rank 0's start time is shared with the
others before Hydra starts, and only rank 0 writes run.json, metrics.json and W&B.
"""

from __future__ import annotations

import os
from datetime import datetime

START_TIME_ENV = "HYDRATUNE_START_TIME"
_STAMP_FORMAT = "%Y-%m-%dT%H-%M-%S"


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    return rank() == 0


def share_start_time() -> None:
    """Under torchrun, give every rank rank 0's start time (used by ``${hydratune.now:}``).

    torchrun (and ``accelerate launch``, which uses it) hosts a key-value store at
    MASTER_ADDR:MASTER_PORT for the ranks' rendezvous; rank 0 puts its time there and the
    others read it. No process group is created, so Trainer later sets up its own as usual.
    Other launchers: pass the same ``hydra.run.dir=...`` to every rank.
    """
    if world_size() <= 1 or START_TIME_ENV in os.environ:
        return
    store = agent_store()
    if store is None:
        return
    key = f"hydratune/start_time/{os.environ.get('TORCHELASTIC_RUN_ID', '')}"
    if is_main_process():
        store.set(key, datetime.now().strftime(_STAMP_FORMAT))
    os.environ[START_TIME_ENV] = store.get(key).decode()  # waits for rank 0


def agent_store():
    """torchrun's key-value store (None outside torchrun): how ranks share rank 0's choices."""
    global _store
    if os.environ.get("TORCHELASTIC_USE_AGENT_STORE", "").lower() != "true":
        return None
    if _store is None:
        from datetime import timedelta

        import torch.distributed as dist

        _store = dist.TCPStore(
            os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]), is_master=False,
            timeout=timedelta(seconds=300),
        )  # fmt: skip
    return _store


_store = None


def now(pattern: str) -> str:
    """``${hydratune.now:%H-%M-%S}``: Hydra's ``${now:}``, but the same on every rank."""
    shared = os.environ.get(START_TIME_ENV)
    moment = datetime.strptime(shared, _STAMP_FORMAT) if shared else _process_start
    return moment.strftime(pattern)


_process_start = datetime.now()


def adopt_slurm_tasks() -> None:
    """In a SLURM job of several tasks (one per GPU), set torch's RANK/WORLD_SIZE/... from
    SLURM's variables, as torchrun would; a single task or a torchrun inside changes nothing."""
    in_submitit_job = os.environ.get("SUBMITIT_EXECUTOR") == "slurm"
    if not in_submitit_job or int(os.environ.get("SLURM_NTASKS", "1")) <= 1:
        return
    if "RANK" in os.environ:
        return
    from submitit.helpers import TorchDistributedEnvironment

    TorchDistributedEnvironment().export(set_cuda_visible_devices=False)


PARALLEL_JOBS_ENV = "HYDRATUNE_SWEEP_BATCH"  # jobs launched together: set by the sweep's callback


def share_cores_with_parallel_jobs() -> None:
    """Jobs of a sweep that run side by side on this machine each get cores/k torch threads
    (k = jobs at once): ``hydra/launcher=local`` starts a whole batch at once,
    ``hydra/launcher=joblib`` runs ``n_jobs`` of it at a time. k jobs with a thread per core
    each would fight over the same cores (two tiny local jobs: 106.8 s of training each, not
    2.8 s)."""
    jobs = parallel_jobs()
    if jobs > 1:
        import torch

        torch.set_num_threads(max(1, len(os.sched_getaffinity(0)) // jobs))


def parallel_jobs() -> int:
    """How many jobs of this sweep run at once on this machine (1: just this one).

    :class:`hydratune.run.hydra_callbacks.SweepBatch` puts the batch size in the
    environment that the launcher's job processes inherit."""
    batch = int(os.environ.get(PARALLEL_JOBS_ENV, "1"))
    if os.environ.get("SUBMITIT_EXECUTOR") == "local":
        return batch
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return 1
    hydra = HydraConfig.get()
    if hydra.runtime.choices.get("hydra/launcher") != "joblib":
        return 1
    cores = len(os.sched_getaffinity(0))
    jobs = hydra.launcher.get("n_jobs") or 1
    jobs = cores if jobs < 0 else jobs  # joblib's -1 = one worker per core
    return min(jobs, batch) if PARALLEL_JOBS_ENV in os.environ else jobs
