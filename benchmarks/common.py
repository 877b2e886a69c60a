"""What every benchmark shares: timed subprocesses, medians, result rows, a markdown table.

A result row is a plain dict (JSON as it is):
``benchmark, measure, hydratune, baseline, ratio, target, met`` plus ``detail``.
Values are medians over interleaved repeats; ``ratio`` is the median of the per-repeat ratios,
so each ratio compares runs made one right after the other.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
# Data the benchmarks read: none ships with the repo (licences). SST-2 = GLUE's SST-2 dir
# (train.tsv, dev.tsv); AG News = the headerless ag_news_csv file (class 1-4, title,
# description); Alpaca = a JSON list of instruction/input/output rows. The defaults are where
# this project's machines keep them; elsewhere pass --sst2 DIR / --agnews FILE / --alpaca FILE
# (run.py) or the flags each benchmark alone lists in --help.
SST2 = REPO.parent / "shared/data/sst2"
AGNEWS = REPO.parent / "shared/data/ag_news/test.csv"
ALPACA = REPO.parent / "shared/data/alpaca_sample/alpaca_data_1k.json"
DATA_FILES = {"sst2": ("train.tsv", "dev.tsv"), "agnews": (), "alpaca": ()}  # inside a dir
COLUMNS = ("benchmark", "measure", "hydratune", "baseline", "ratio", "target", "met")


def missing_data(kind: str, path: Path, flag: str) -> str | None:
    """Why ``path`` cannot be the ``kind`` data (None: it can), naming the flag that sets it."""
    needed = [path / name for name in DATA_FILES[kind]] or [path]
    absent = [str(p) for p in needed if not p.exists()]
    if not absent:
        return None
    what = {
        "sst2": "the SST-2 dir (train.tsv, dev.tsv)",
        "agnews": "the AG News csv (class, title, description)",
        "alpaca": "the Alpaca JSON file",
    }[kind]
    return f"{flag} names {what}, and {', '.join(absent)} is not there: pass {flag} <path>"


class RunFailed(RuntimeError):
    """A benchmarked command exited non-zero; the message ends with its log."""


def offline_env(**extra: str) -> dict:
    """The environment every benchmarked process gets: offline, no W&B, plus ``extra``."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "WANDB_MODE": "disabled"}
    env.pop("OMP_NUM_THREADS", None)  # every tool picks its own threads, as users would see
    return {**env, **extra}


def timed_run(command: Sequence[str], log: Path, env: dict | None = None) -> float:
    """Run ``command`` in the repo root, output to ``log``; return its wall time in seconds."""
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log.open("w") as out:
        done = subprocess.run(
            list(map(str, command)), cwd=REPO, env=env or offline_env(), stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    wall = time.perf_counter() - started
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise RunFailed(f"{' '.join(map(str, command))}\nfailed ({done.returncode}):\n{tail}")
    return wall


def interleaved(
    variants: dict[str, Callable[[int], dict]], repeats: int, reverse_odd: bool = True
) -> dict[str, list]:
    """Call each variant once per repeat, in turn; keep every result. Odd repeats go in reverse
    order (A B, B A, A B, ...), so neither side always runs first or after the same neighbour.
    Variants that depend on an earlier one in the same repeat pass ``reverse_odd=False``."""
    results: dict[str, list] = {name: [] for name in variants}
    for i in range(repeats):
        order = list(variants.items())
        for name, measure in reversed(order) if reverse_odd and i % 2 else order:
            result = measure(i)
            results[name].append(result)
            print(f"  {name} {i + 1}/{repeats}: {brief(result)}", flush=True)
    return results


def brief(result) -> str:
    if isinstance(result, dict):
        return ", ".join(f"{k}={v:.3g}" for k, v in result.items() if isinstance(v, int | float))
    return f"{result:.3g}"


def median(values) -> float:
    return statistics.median(values)


def ratios(over: list[float], under: list[float]) -> list[float]:
    """Per-repeat ratios ``over[i] / under[i]`` of interleaved runs."""
    return [a / b for a, b in zip(over, under, strict=True)]


def row(
    benchmark: str,
    measure: str,
    hydratune,
    baseline,
    ratio: float | None,
    target: str = "",
    met: bool | None = None,
    **detail,
) -> dict:
    """One line of the results table; ``detail`` keeps per-repeat values for the JSON."""
    values = (benchmark, measure, hydratune, baseline, ratio, target, met)
    return {**dict(zip(COLUMNS, values, strict=True)), "detail": detail}


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict:
    import torch  # only for the description; imported after the timed runs

    return {
        "cpu_count": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def markdown(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(COLUMNS[:-1]) + " | met? |", "|---|---|---:|---:|---:|---|---|"]
    for r in rows:
        lines.append("| " + " | ".join(fmt(r[c]) for c in COLUMNS) + " |")
    return "\n".join(lines)


def base_parser(description: str, repeats: int) -> argparse.ArgumentParser:
    """Options every benchmark script takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--repeats", type=int, default=repeats, help="interleaved repeats")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check it runs")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temp dir")
    parser.add_argument("--out", type=Path, default=None, help="write the rows as JSON here")
    return parser


def report(name: str, rows: list[dict], out: Path | None, load: dict | None = None) -> None:
    """Print the rows as a table; write them (and the load averages) as JSON."""
    print(markdown(rows))
    if out:
        payload = {"benchmark": name, "load_average": load, "rows": rows}
        out.write_text(json.dumps(payload, indent=2))
        print(f"wrote {out}")


def standalone(name: str, parse_args: Callable, measure: Callable) -> None:
    """``python benchmarks/<name>.py ...``: run one benchmark, print and write its rows."""
    import tempfile

    args = parse_args()
    before = load_average()
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        rows = measure(args, args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix=f"hydratune-{name}-") as workdir:
            rows = measure(args, Path(workdir))
    report(name, rows, args.out, {"before": before, "after": load_average()})
