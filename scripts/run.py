"""Train one run (or a sweep with -m) from the Hydra configs in conf/.

python scripts/run.py                          # offline tiny classifier on the demo data
python scripts/run.py model=hf model.name_or_path=<dir> data=files data.train_files=<csv>
python scripts/run.py -m seed=1,2,3            # a sweep, one run dir per job
"""

import hydra
from omegaconf import DictConfig

import hydratune.runtime.distributed  # registers the config resolvers; imports nothing heavy


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> float | None:
    from hydratune.pipeline import run  # heavy imports only when a job actually runs

    return run(cfg)


if __name__ == "__main__":
    hydratune.runtime.distributed.share_start_time()  # torchrun: every rank uses rank 0's run dir
    main()
