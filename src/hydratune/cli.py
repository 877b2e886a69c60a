"""The installed commands: ``hydratune`` (train, sweep), ``hydratune-compare``,
``hydratune-rerun``, ``hydratune-merge-adapter``.

``hydratune`` is a Hydra app on the packaged configs (``pkg://hydratune.conf``), so every Hydra
flag works: ``-m``, ``--cfg job``, ``--help``, ``--config-dir my_conf`` (your own options and
experiments on top of ours), ``--shell-completion``. Outputs go under the current directory.
``python scripts/run.py`` is the same command from a clone.

    hydratune                                   # the offline default classifier
    hydratune -m seed=1,2 trainer.args.fp16=true,false
    hydratune --config-dir my_conf data=mydata experiment=mine
"""

from __future__ import annotations

import os
import sys

import hydra
from omegaconf import DictConfig

import hydratune.run.distributed  # registers the config resolvers; imports nothing heavy
from hydratune.compat.hydra_help import help_lists_searchpath
from hydratune.config.messages import clean_errors
from hydratune.config.overrides import force_trainer_args
from hydratune.run.hydra_callbacks import end_sweep

CONFIG_PATH = "pkg://hydratune.conf"


@hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name="config")
def _task(cfg: DictConfig) -> float | None:
    from hydratune.run.preflight import preflight

    preflight(cfg)  # config errors before torch and transformers load
    from hydratune.pipeline import run  # heavy imports only when a job actually runs
    from hydratune.run.frozen import frozen_job_config

    return run(frozen_job_config(cfg))  # a sweep's job: its config as frozen at launch


def main() -> None:
    """``hydratune [overrides]``: one run, or a sweep with ``-m``."""
    hydratune.run.distributed.share_start_time()  # torchrun: every rank uses rank 0's dir
    import_from_cwd()
    sys.argv = [sys.argv[0], *force_trainer_args(sys.argv[1:])]
    with clean_errors("hydratune"), help_lists_searchpath(sys.argv[1:]):
        try:
            _task()
        except BaseException:
            end_sweep()  # Hydra re-raises a sweep's first failed job: the table still comes
            raise
        if not end_sweep():
            sys.exit(1)  # a job failed and the sweeper did not raise (its table says which)


def import_from_cwd() -> None:
    """Your modules from the current directory, as ``python -m`` finds them
    (``trainer.cls=my_pkg.CustomTrainer``): first on the import path of this process and, via
    PYTHONPATH, of the jobs it starts (joblib workers, SLURM jobs, torchrun ranks)."""
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if cwd not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in [cwd, *paths] if p)


def compare() -> None:
    """``hydratune-compare multirun/DATE/TIME``: a table, compare.csv and compare.png."""
    from hydratune.compare.cli import main as compare_main

    compare_main()


def rerun() -> None:
    """``hydratune-rerun RUN_DIR``: run it again; say what differs and if metrics reproduced."""
    from hydratune.compare.rerun import main as rerun_main

    rerun_main()


def merge_adapter() -> None:
    """``hydratune-merge-adapter <run dir>/model <out dir>``: adapter + base -> one model."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="hydratune-merge-adapter",
        description="Fold a LoRA adapter into its base and save a standalone model "
        "(with the tokenizer). The base comes from <adapter dir>/base/ when the run saved it, "
        "else from the checkpoint that adapter_config.json names.",
    )
    parser.add_argument("adapter_dir", help="a run's model/ directory (adapter_config.json)")
    parser.add_argument("output_dir", help="where the merged model and tokenizer go")
    args = parser.parse_args()

    from hydratune.groups.peft import merge_adapter as merge  # heavy imports after parsing

    with clean_errors("hydratune-merge-adapter"):
        print(merge(args.adapter_dir, args.output_dir))


if __name__ == "__main__":
    main()
