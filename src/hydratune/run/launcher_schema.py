"""``hydra/launcher=slurm`` on a schema that takes ``auto``: the submitit plugin's own
``SlurmQueueConf`` with ``timeout_min``, ``mem_gb`` and ``cpus_per_task`` untyped, so that
``hydra.launcher.timeout_min=auto`` composes and :class:`hydratune.run.plan_sweep.PlanSweep`
replaces it by the plan's number before the launcher is built (every other sbatch field keeps
the plugin's type checks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCHEMA = "hydratune_slurm"


def register_launcher_schema() -> None:
    """Store the schema as ``hydra/launcher/hydratune_slurm`` (conf/hydra/launcher/slurm.yaml
    extends it); nothing without the submitit plugin."""
    try:
        from hydra_plugins.hydra_submitit_launcher.config import SlurmQueueConf
    except ImportError:
        return
    from hydra.core.config_store import ConfigStore

    @dataclass
    class PlannedSlurmQueueConf(SlurmQueueConf):
        timeout_min: Any = 60  # minutes, or auto: the plan's longest job x plan_margin
        mem_gb: Any = None  # GB, or auto: the plan's largest peak x plan_margin
        cpus_per_task: Any = None

    store = ConfigStore.instance()
    store.store(
        group="hydra/launcher", name=SCHEMA, node=PlannedSlurmQueueConf, provider="hydratune"
    )
