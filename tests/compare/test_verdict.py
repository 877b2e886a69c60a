"""Verdicts on run dirs written as the pipeline writes them: grouping by setting, pairing over
seeds, the Welch fallback, too few seeds, the baseline flag, the files and the W&B compare run
(read back from its offline files)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from conftest import REPO
from helpers import wandb_offline
from hydratune.compare import compare
from hydratune.compare.verdict import analyse
from hydratune.run.record import write_json

SEEDS = (1, 2, 3, 4, 5)
# eval_accuracy per seed: weighted_ce is higher by a steady ~0.006, eval_loss follows
DEFAULT = dict(zip(SEEDS, (0.8117, 0.8050, 0.8133, 0.8000, 0.8083), strict=True))
WEIGHTED = dict(zip(SEEDS, (0.8150, 0.8117, 0.8217, 0.8033, 0.8183), strict=True))


def write_run(run_dir, overrides, accuracy, logger="none"):
    (run_dir / ".hydra").mkdir(parents=True)
    (run_dir / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
    (run_dir / ".hydra" / "config.yaml").write_text(
        f"logger:\n  _target_: hydratune.groups.logger.{logger}\n  project: hydratune\n"
        "  mode: offline\n  group: null\n"
    )
    write_json(run_dir / "run.json", {"status": "completed", "overrides": overrides,
               "wandb_run_id": "abc" if logger == "wandb" else None,
               "timings_s": {"total": 9.0}})  # fmt: skip
    metrics = {"eval_accuracy": accuracy, "eval_loss": 1.3 - accuracy, "train_loss": 0.4}
    write_json(run_dir / "metrics.json", metrics)


def make_sweep(root, settings, logger="none"):
    root.mkdir(parents=True)
    (root / "multirun.yaml").write_text("hydra:\n  mode: MULTIRUN\n")
    job = 0
    for loss, values in settings.items():
        for seed, accuracy in values.items():
            write_run(root / str(job), [f"seed={seed}", f"loss={loss}"], accuracy, logger)
            job += 1
    return root


@pytest.fixture
def sweep(tmp_path):
    return make_sweep(tmp_path / "multirun" / "2026-12-05" / "09-00-00",
                      {"default": DEFAULT, "weighted_ce": WEIGHTED})  # fmt: skip


def contrast_of(result, metric):
    return next(c for c in result["contrasts"] if c["metric"] == metric)


def test_settings_pair_over_seeds_and_match_scipy(sweep):
    result = analyse(compare([sweep]))
    assert result["baseline"] == "loss=default"  # the first setting by default
    assert result["seed_keys"] == ["seed"] and result["params"] == ["loss"]
    weighted = next(s for s in result["settings"] if s["setting"] == "loss=weighted_ce")
    interval = weighted["metrics"]["eval_accuracy"]
    values = list(WEIGHTED.values())
    low, high = sps.t.interval(0.95, 4, loc=np.mean(values), scale=sps.sem(values))
    assert interval["seeds"] == ["1", "2", "3", "4", "5"]
    assert (interval["low"], interval["high"]) == (pytest.approx(low), pytest.approx(high))
    found = contrast_of(result, "eval_accuracy")
    paired = sps.ttest_rel(values, list(DEFAULT.values()))
    assert found["test"] == "paired" and found["n"] == 5 and found["reason"] is None
    assert found["p_t"] == pytest.approx(paired.pvalue)
    assert found["p_sign_flip"] == pytest.approx(2 / 32)  # all five seeds favour weighted_ce
    assert found["verdict"].startswith("loss=weighted_ce beats loss=default on eval_accuracy by")
    assert "5 paired seeds" in found["verdict"]


def test_lower_is_better_metric_says_beats_for_a_lower_loss(sweep):
    found = contrast_of(analyse(compare([sweep])), "eval_loss")
    assert found["difference"] < 0
    assert found["verdict"].startswith("loss=weighted_ce beats loss=default on eval_loss")
    assert "(lower is better)" in found["verdict"]


def test_baseline_flag_and_no_difference_says_how_many_seeds(sweep):
    result = analyse(compare([sweep]), baseline="weighted_ce")
    assert result["baseline"] == "loss=weighted_ce"
    assert "is worse than loss=weighted_ce" in contrast_of(result, "eval_accuracy")["verdict"]
    same = contrast_of(result, "train_loss")  # 0.4 everywhere
    assert same["verdict"].startswith("no detectable difference on train_loss: +0")
    assert analyse(compare([sweep]), baseline="best")["baseline"] == "loss=weighted_ce"
    with pytest.raises(Exception, match="--baseline 'focal' matches none.*loss=default"):
        analyse(compare([sweep]), baseline="focal")


def test_unshared_seeds_fall_back_to_welch_and_two_seeds_give_no_verdict(tmp_path):
    shifted = {seed + 10: value for seed, value in WEIGHTED.items()}
    sweep = make_sweep(tmp_path / "a", {"default": DEFAULT, "weighted_ce": shifted})
    found = contrast_of(analyse(compare([sweep])), "eval_accuracy")
    welch = sps.ttest_ind(list(WEIGHTED.values()), list(DEFAULT.values()), equal_var=False)
    assert found["test"] == "welch" and found["p_t"] == pytest.approx(welch.pvalue)
    assert "only 0 seed(s) shared" in found["verdict"] and "5 vs 5 unpaired" in found["verdict"]
    few = make_sweep(
        tmp_path / "b", {"default": {1: 0.8, 2: 0.81}, "weighted_ce": {1: 0.9, 2: 0.91}}
    )
    verdict = contrast_of(analyse(compare([few])), "eval_accuracy")["verdict"]
    assert verdict.startswith("too few seeds for a verdict (2 paired seeds; need 3)")


def test_cli_writes_json_md_csv_and_prints_the_verdict(sweep, tmp_path):
    out = tmp_path / "report"
    done = run_compare(sweep, "--out", out)
    assert done.returncode == 0, done.stderr
    assert "loss=weighted_ce: loss=weighted_ce beats loss=default on eval_accuracy" in done.stdout
    assert {"compare.json", "compare.md", "compare_stats.csv"} <= {p.name for p in out.iterdir()}
    result = json.loads((out / "compare.json").read_text())
    stats = pd.read_csv(out / "compare_stats.csv")
    accuracy = stats[stats["metric"] == "eval_accuracy"].set_index("setting")
    shown = result["settings"][1]["metrics"]["eval_accuracy"]
    assert accuracy.loc["loss=weighted_ce", "ci95_low"] == pytest.approx(shown["low"])
    assert "| loss=weighted_ce | paired | 5 |" in (out / "compare.md").read_text()
    assert not (out / "wandb").exists()  # these runs did not log to W&B


def test_compare_run_in_wandb_read_back_from_offline_files(tmp_path):
    sweep = make_sweep(tmp_path / "multirun" / "2026-12-05" / "09-00-00",
                       {"default": DEFAULT, "weighted_ce": WEIGHTED}, logger="wandb")  # fmt: skip
    done = run_compare(sweep)
    assert done.returncode == 0, done.stderr
    [run_file] = (sweep / "wandb").glob("offline-run-*/run-*.wandb")
    run = wandb_offline.summary(run_file)
    assert (run["job_type"], run["group"]) == ("compare", "2026-12-05_09-00-00")
    assert run["exit_code"] == 0
    assert "beats loss=default on eval_accuracy" in run["summary"]["verdict/eval_accuracy"]
    [row] = wandb_offline.history(run_file)  # media keys come back flattened: key/_type
    assert row["compare/_type"] == "image-file" and row["runs/nrows"] == 10
    table_file = run_file.parent / "files" / row["settings/eval_accuracy/path"]
    table = json.loads(table_file.read_text())
    assert [r[0] for r in table["data"]] == ["loss=default", "loss=weighted_ce"]
    assert table["columns"][:4] == ["setting", "n", "seeds", "mean"]


def run_compare(*args, cwd=REPO) -> subprocess.CompletedProcess:
    command = [sys.executable, str(REPO / "scripts" / "compare.py"), *map(str, args)]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)
