"""Sweeps: a 4-job sweep with Hydra's basic launcher (one job after the other, in-process) vs
``hydra/launcher=joblib`` with 2 workers, whole-process wall time, interleaved.

Each job is the default offline run (2-layer BERT on the shipped 3,000 sentiment sentences)
with 30 epochs instead of 5 (~75 s of training a job: training, not the processes' start-up,
dominates; the whole benchmark takes ~25 min on 2 cores) and ``logger=none``; the jobs differ
by seed. The run pipeline gives each of k joblib workers cores / k torch threads, so the
workers do not fight over the cores.

    python benchmarks/sweeps.py --repeats 3 [--jobs 4 --workers 2 --epochs 30]
"""

from __future__ import annotations

import json
from pathlib import Path

from common import (
    PYTHON,
    base_parser,
    interleaved,
    median,
    ratios,
    row,
    standalone,
    timed_run,
)


def parse_args(argv=None):
    parser = base_parser(__doc__.splitlines()[0], repeats=3)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=30, help="the default run's own: 5")
    args = parser.parse_args(argv)
    if args.smoke:
        args.epochs = 1
    return args


def command(args, sweep_dir: Path, launcher: list[str]) -> list:
    seeds = ",".join(str(seed) for seed in range(1, args.jobs + 1))
    return [
        PYTHON, "scripts/run.py", "-m", f"seed={seeds}", "logger=none",
        *([f"trainer.args.num_train_epochs={args.epochs}"] if args.epochs else []), *launcher,
        f"hydra.sweep.dir={sweep_dir}",
    ]  # fmt: skip


def sweep(args, workdir: Path, name: str, launcher: list[str]):
    def run(i: int) -> dict:
        sweep_dir = workdir / f"{name}-{i}"
        wall = timed_run(command(args, sweep_dir, launcher), workdir / f"{name}-{i}.log")
        records = [json.loads(p.read_text()) for p in sweep_dir.glob("*/run.json")]
        done = [r for r in records if r.get("status") == "completed"]
        if len(done) != args.jobs:
            raise RuntimeError(f"{sweep_dir}: {len(done)} of {args.jobs} jobs completed")
        train = median(r["timings_s"]["train"] for r in done)
        return {"wall_s": wall, "median_job_train_s": train}

    return run


def measure(args, workdir: Path) -> list[dict]:
    joblib = ["hydra/launcher=joblib", f"hydra.launcher.n_jobs={args.workers}"]
    variants = {
        "basic": sweep(args, workdir, "basic", []),
        "joblib": sweep(args, workdir, "joblib", joblib),
    }
    return rows(interleaved(variants, args.repeats), args)


def rows(runs: dict[str, list[dict]], args) -> list[dict]:
    def values(name, key):
        return [r[key] for r in runs[name]]

    basic, parallel = values("basic", "wall_s"), values("joblib", "wall_s")
    speedup = median(ratios(basic, parallel))
    n = f"median of {args.repeats}; {args.jobs} jobs, {args.epochs} epochs each"
    job_basic, job_parallel = (
        values("basic", "median_job_train_s"),
        values("joblib", "median_job_train_s"),
    )
    return [
        row("sweeps", f"sweep wall s: joblib {args.workers} workers vs basic launcher "
            f"(ratio = speed-up; {n})", median(parallel), median(basic), speedup, ">= 1.6x",
            speedup >= 1.6, hydratune_runs=parallel, baseline_runs=basic),
        row("sweeps", f"train s per job: joblib {args.workers} workers vs basic launcher "
            f"(ratio = joblib / basic; {n})", median(job_parallel), median(job_basic),
            median(ratios(job_parallel, job_basic))),
    ]  # fmt: skip


if __name__ == "__main__":
    standalone("sweeps", parse_args, measure)
