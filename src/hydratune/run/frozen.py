"""A sweep frozen at launch: every job's composed config (and optionally the package's code)
is written to the sweep dir before the first job starts, and each job runs that config.

Launchers compose a job's config when the job starts (the basic launcher just before each job,
submitit's in the job process on the node), so a YAML edited while jobs wait would otherwise
change the later jobs. ``<sweep dir>/frozen/jobs.json`` lists each job's number and overrides;
``frozen/<N>.yaml`` is job N's config. Re-running the same sweep into the same sweep dir keeps
the first launch's configs and job numbers (completed jobs are then skipped, unfinished ones
resume); a different sweep there is refused.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from hydratune.config.errors import ConfigError

FROZEN = "frozen"
CODE = "code"


def freeze(config: DictConfig, jobs: list[list[str]]) -> Path:
    """Write each job's composed config (without ``hydra``) under ``<sweep dir>/frozen``."""
    from hydra.core.global_hydra import GlobalHydra

    folder = Path(config.hydra.sweep.dir) / FROZEN
    listed = [{"job": n, "overrides": list(o)} for n, o in enumerate(jobs)]
    index = folder / "jobs.json"
    if index.exists():
        if json.loads(index.read_text()) != listed:
            raise ConfigError(
                f"{folder.parent} holds another sweep (its jobs are in {index}): re-run that "
                "sweep's command to resume it, or choose another hydra.sweep.dir."
            )
        return folder  # the same sweep again: the first launch's configs stand
    folder.mkdir(parents=True, exist_ok=True)
    loader = GlobalHydra.instance().config_loader()
    for n, overrides in enumerate(jobs):
        job = loader.load_sweep_config(config, list(overrides))
        with open_hydra(job):
            del job["hydra"]
        (folder / f"{n}.yaml").write_text(OmegaConf.to_yaml(job))
    index.write_text(json.dumps(listed, indent=2) + "\n")
    return folder


def frozen_job_config(cfg: DictConfig) -> DictConfig:
    """Inside a sweep's job: the config frozen at launch for this job, when there is one (the
    same job number with the same overrides); else ``cfg`` as composed."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized() or HydraConfig.get().mode.name != "MULTIRUN":
        return cfg
    hydra = HydraConfig.get()
    folder = Path(hydra.sweep.dir) / FROZEN
    number = hydra.job.num
    try:
        listed = json.loads((folder / "jobs.json").read_text())
    except (OSError, ValueError):
        return cfg
    if number >= len(listed) or listed[number]["overrides"] != list(hydra.overrides.task):
        return cfg
    frozen = OmegaConf.load(folder / f"{number}.yaml")
    OmegaConf.set_struct(frozen, True)
    run_dir = Path(hydra.runtime.output_dir)  # its .hydra/config.yaml says what really ran
    if (run_dir / ".hydra").is_dir():
        (run_dir / ".hydra" / "config.yaml").write_text(OmegaConf.to_yaml(frozen))
    return frozen


def snapshot_code(config: DictConfig) -> Path:
    """Copy the installed package into ``<sweep dir>/code`` and make job processes import it:
    the launcher's ``setup`` lines (SLURM) and the environment (local, joblib) put it first on
    ``PYTHONPATH``. Jobs of the basic launcher run in this process, which has imported the
    package already: they keep the code of the launch, as loaded."""
    import os

    import hydratune

    target = Path(config.hydra.sweep.dir) / CODE
    if not (target / "hydratune").is_dir():
        source = Path(hydratune.__file__).parent
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(source, target / "hydratune", ignore=ignore)  # conf/ link: copied
    path = str(target.resolve())
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (path, os.environ.get("PYTHONPATH")) if p)
    launcher = config.hydra.launcher
    if "setup" in launcher:
        with open_hydra(config):
            launcher.setup = [*(launcher.setup or []), f'export PYTHONPATH="{path}:$PYTHONPATH"']
    return target


def open_hydra(config: DictConfig):
    """Hydra's config is read-only and struct: a context that lets us change it."""
    from contextlib import ExitStack

    from omegaconf import open_dict, read_write

    stack = ExitStack()
    stack.enter_context(read_write(config))
    stack.enter_context(open_dict(config))
    return stack
