"""scripts/compare.py on run dirs written as the pipeline writes them: table, seeds, CSV, PNG."""

from __future__ import annotations

import math
import subprocess
import sys

import pandas as pd
import pytest

from conftest import REPO
from hydratune.compare import CompareError, aggregate_seeds, compare, write
from hydratune.compare.table import short_names
from hydratune.run.record import write_json

LRS = ("0.001", "0.0001")  # as Hydra writes 1e-3,1e-4 into each job's overrides
SEEDS = (1, 2, 3)
# eval_accuracy per (learning rate, seed); lr=1e-4 seed=3 fails
ACCURACY = {
    ("0.001", 1): 0.75,
    ("0.001", 2): 0.8125,
    ("0.001", 3): 0.78125,
    ("0.0001", 1): 0.625,
    ("0.0001", 2): 0.6875,
}
SHARED = ["logger=none", "data.max_train_samples=96"]


def write_run(
    run_dir, overrides, status="completed", accuracy=None, decay=0.02, seed=0, error=None
):
    """A run dir with the files run() writes: run.json, .hydra/, metrics and log history."""
    (run_dir / ".hydra").mkdir(parents=True)
    (run_dir / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
    record = {
        "status": status,
        "overrides": overrides,
        "run_dir": str(run_dir),
        "started_at": "2026-11-24T15:15:45+00:00",
        "wandb_run_id": None,
        "timings_s": {"load_data": 0.8, "total": 7.0 + 10 * (accuracy or 0)},
    }
    if error:
        record["error"] = {"type": error, "message": "CUDA out of memory"}
    write_json(run_dir / "run.json", record)
    if status != "completed":
        return
    steps = range(2, 62, 2)
    history = [
        {
            "epoch": s / 20,
            "grad_norm": 0.3,
            "learning_rate": 1e-3,
            "loss": curve(s, decay, seed),
            "step": s,
        }
        for s in steps
    ]
    metrics = {
        "epoch": 3.0,
        "eval_accuracy": accuracy,
        "eval_auroc": accuracy + 0.05,
        "eval_f1": accuracy - 0.1,
        "eval_loss": 1 - accuracy,
        "eval_runtime": 0.01,
        "eval_samples_per_second": 7825.2,
        "eval_steps_per_second": 195.6,
        "total_flos": 9296470464.0,
        "train_loss": history[-1]["loss"],
        "train_runtime": 1.03,
        "train_samples_per_second": 928.2,
        "train_steps_per_second": 58.0,
    }
    history.append({k: v for k, v in metrics.items() if k.startswith("eval_")} | {"step": 60})
    history.append({"epoch": 3.0, "step": 60, "train_loss": metrics["train_loss"]})
    write_json(run_dir / "metrics.json", metrics)
    write_json(run_dir / "log_history.json", history)


def curve(step, decay, seed):
    """A noisy decaying training loss; the seed shifts the noise and the plateau a little."""
    return 0.45 + 0.01 * seed + 0.25 * math.exp(-decay * step) + 0.012 * math.sin(step + 2 * seed)


def make_sweep(root):
    """multirun/DATE/TIME of ``-m trainer.args.learning_rate=1e-3,1e-4 seed=1,2,3``, one failed."""
    (root / "multirun.yaml").parent.mkdir(parents=True, exist_ok=True)
    (root / "multirun.yaml").write_text("hydra:\n  mode: MULTIRUN\n")
    job = 0
    for lr in LRS:
        for seed in SEEDS:
            overrides = [f"trainer.args.learning_rate={lr}", f"seed={seed}", *SHARED]
            decay = 0.06 if lr == "0.001" else 0.015
            if (lr, seed) in ACCURACY:
                write_run(
                    root / str(job), overrides, accuracy=ACCURACY[lr, seed], decay=decay, seed=seed
                )
            else:
                write_run(root / str(job), overrides, status="failed", error="OutOfMemoryError")
            job += 1
    return root


@pytest.fixture
def sweep(tmp_path):
    return make_sweep(tmp_path / "multirun" / "2026-11-24" / "15-15-45")


def test_table_has_one_row_per_run_and_only_varied_overrides(sweep):
    comparison = compare([sweep])
    table = comparison.table
    assert len(table) == 6
    assert comparison.params == ["learning_rate"] and comparison.seeds == ["seed"]
    overrides = [c for c in table.columns if c in comparison.names.values()]
    assert overrides == ["learning_rate", "seed"]
    assert comparison.constant == {"logger": "none", "data.max_train_samples": "96"}
    best = table.iloc[0]  # sorted by eval_accuracy, best first
    assert (best["run"], best["learning_rate"], best["seed"]) == ("1", 1e-3, 2)
    assert best["eval_accuracy"] == 0.8125
    assert best["train_loss"] == pytest.approx(curve(60, 0.06, 2))
    assert {"train_loss", "eval_loss", "eval_f1", "runtime_s"} <= set(comparison.shown)
    assert "eval_runtime" not in comparison.shown


def test_failed_run_is_a_row_with_its_error_and_no_metrics(sweep):
    table = compare([sweep]).table
    failed = table[table["status"] == "failed"]
    assert len(failed) == 1
    row = failed.iloc[0]
    assert (row["run"], row["learning_rate"], row["seed"]) == ("5", 1e-4, 3)
    assert row["error"] == "OutOfMemoryError"
    assert row[["train_loss", "eval_loss", "eval_accuracy"]].isna().all()
    assert table.iloc[-1]["status"] == "failed"  # runs without the metric sort last


def test_sorting_follows_the_metric_in_both_directions(sweep):
    best_first = compare([sweep]).table["eval_accuracy"].dropna().tolist()
    assert best_first == sorted(ACCURACY.values(), reverse=True)
    worst_first = compare([sweep], ascending=True).table["eval_accuracy"].dropna().tolist()
    assert worst_first == sorted(ACCURACY.values())
    # a loss is best when lowest
    by_loss = compare([sweep], metric="eval_loss").table["eval_loss"].dropna().tolist()
    assert by_loss == sorted(by_loss)
    by_seed = compare([sweep], sort="seed", ascending=False).table["seed"].tolist()
    assert by_seed == [3, 3, 2, 2, 1, 1]
    assert compare([sweep], sort="trainer.args.learning_rate").table["learning_rate"][0] == 1e-4


def test_seeds_aggregate_to_mean_and_spread_per_learning_rate(sweep):
    stats = aggregate_seeds(compare([sweep])).set_index("learning_rate")
    assert stats.loc[1e-3, ["mean", "std", "min", "max", "n"]].tolist() == pytest.approx(
        [0.78125, 0.03125, 0.75, 0.8125, 3]
    )
    assert stats.loc[1e-4, ["mean", "std", "min", "max", "n"]].tolist() == pytest.approx(
        [0.65625, math.sqrt(2) * 0.03125, 0.625, 0.6875, 2]
    )


def test_csv_round_trips_and_png_is_a_real_plot(sweep, tmp_path):
    comparison = compare([sweep])
    csv, png = write(comparison, sweep)
    assert (csv, png) == (sweep / "compare.csv", sweep / "compare.png")
    again = pd.read_csv(csv, dtype={"run": str})
    pd.testing.assert_frame_equal(again, comparison.table.fillna(math.nan), check_dtype=False)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 30_000


def test_cli_prints_the_table_and_honours_out(sweep, tmp_path):
    out = tmp_path / "report"
    done = run_compare(sweep, "--out", out, "--metrics", "eval_accuracy,eval_f1")
    assert done.returncode == 0, done.stderr
    written = {"compare.csv", "compare.png", "compare.json", "compare.md", "compare_stats.csv"}
    assert {p.name for p in out.iterdir()} == written
    assert not (sweep / "compare.csv").exists()
    header = next(line for line in done.stdout.splitlines() if line.lstrip().startswith("run"))
    assert header.split() == [
        "run",
        "learning_rate",
        "seed",
        "status",
        "error",
        "eval_accuracy",
        "eval_f1",
        "runtime_s",
    ]
    assert "OutOfMemoryError" in done.stdout
    assert "same in all runs: logger=none data.max_train_samples=96" in done.stdout
    assert "eval_accuracy over seeds" in done.stdout


def test_several_run_dirs_write_to_the_current_directory(sweep, tmp_path):
    cwd = tmp_path / "here"
    cwd.mkdir()
    done = run_compare(sweep / "0", sweep / "4", cwd=cwd)
    assert done.returncode == 0, done.stderr
    assert (cwd / "compare.png").exists()
    table = pd.read_csv(cwd / "compare.csv", dtype={"run": str})
    assert table["run"].tolist() == ["0", "4"]
    assert "learning_rate" in table and "seed" in table


def test_no_runs_is_a_clear_error(tmp_path):
    with pytest.raises(CompareError, match="no run.json"):
        compare([tmp_path])
    done = run_compare(tmp_path)
    assert done.returncode != 0
    assert f"No runs under {tmp_path}: no run.json" in done.stderr
    assert not (tmp_path / "compare.csv").exists()


def test_unknown_metric_names_the_choices(sweep):
    with pytest.raises(CompareError, match="No column 'eval_bleu'.*eval_accuracy"):
        compare([sweep], metric="eval_bleu")


def run_compare(*args, cwd=REPO) -> subprocess.CompletedProcess:
    command = [sys.executable, str(REPO / "scripts" / "compare.py"), *map(str, args)]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60)


def test_column_names_are_the_shortest_unambiguous_suffix():
    names = short_names(["model.dropout", "peft.dropout", "trainer.args.learning_rate", "seed"])
    assert names == {
        "model.dropout": "model.dropout",
        "peft.dropout": "peft.dropout",
        "trainer.args.learning_rate": "learning_rate",
        "seed": "seed",
    }


def test_unrelated_runs_plot_one_default_category_and_legends_apart(tmp_path):
    from hydratune.compare.plot import figure

    unrelated = {
        "plain": [],
        "sft": ["trainer=sft", "peft=lora", "model=tiny_llama", "data=demo_chat"],
        "s2s": ["trainer=seq2seq", "data=demo_seq2seq"],
        "lr": ["trainer.args.learning_rate=0.001", "loss=weighted_ce"],
    }
    for i, (name, overrides) in enumerate(unrelated.items()):
        write_run(tmp_path / name, overrides, accuracy=0.6 + i / 20)
    fig = figure(compare([tmp_path / name for name in unrelated]))
    fig.canvas.draw()
    panels = [ax for ax in fig.axes if ax.get_xticklabels()]
    for ax in panels:  # runs that left a param unset are one category, not one per run
        ticks = [t.get_text().split("\n")[0] for t in ax.get_xticklabels()]
        assert ticks.count("(default)") <= 1, ticks
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    texts = [t.get_text() for legend in legends for t in legend.get_texts()]
    assert texts and not any("(default)" in t for t in texts)  # only what a run set
    boxes = [legend.get_window_extent() for legend in legends]
    overlapping = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if a.overlaps(b)]
    assert not overlapping
