"""A sweep launched after its plan: =auto SLURM requests from the plan, every job's config
frozen in the sweep dir before the first job starts."""

from __future__ import annotations

import json

import pytest
from hydra import compose, initialize_config_dir

from conftest import CONF
from hydratune.config.errors import ConfigError
from hydratune.run.plan_sweep import PlanSweep
from hydratune.run.record import write_json


def _launch(sweep, *overrides):
    """Compose as ``-m`` would and run the callback's launch-time step; the config after it."""
    with initialize_config_dir(str(CONF), version_base="1.3"):
        cfg = compose(
            "config",
            ["hydra/launcher=slurm", f"hydra.sweep.dir={sweep}", *overrides],
            return_hydra_config=True,
        )
        PlanSweep().on_multirun_start(cfg)
    return cfg


def test_auto_requests_come_from_the_plan_with_the_margin(tmp_path):
    job = {"job": "0", "overrides": ["seed=7"], "shape": "a", "steps": 10, "est_disk_mb": 1.0,
           "est_total_seconds": 200.0, "est_peak_memory_mb": 2000.0}  # fmt: skip
    (tmp_path / "planned").mkdir()
    write_json(tmp_path / "planned" / "plan.json", {"jobs": [job], "shapes": {}})
    sweep = tmp_path / "real"
    auto = ["hydra.launcher.timeout_min=auto", "hydra.launcher.mem_gb=auto", "plan_margin=2"]

    cfg = _launch(sweep, "seed=7", *auto)

    # 200 s x 2 + the 120 s before the limit when submitit signals a requeue; 2000 MB x 2
    assert (cfg.hydra.launcher.timeout_min, cfg.hydra.launcher.mem_gb) == (9, 4)
    assert json.loads((sweep / "plan.json").read_text())["jobs"] == [job]  # runs read it
    assert "seed: 7" in (sweep / "frozen" / "0.yaml").read_text()


def test_auto_without_a_plan_says_to_plan_first(tmp_path):
    with pytest.raises(ConfigError, match="plan=true first"):
        _launch(tmp_path / "real", "seed=8", "hydra.launcher.timeout_min=auto")
