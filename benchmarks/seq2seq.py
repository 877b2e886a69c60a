"""What does hydratune cost over a hand-written Seq2SeqTrainer script doing the same work?

Trains one saved tiny T5 checkpoint (built once by ``model=tiny_t5`` on demo_seq2seq) with
``scripts/run.py trainer=seq2seq model=hf`` and with ``benchmarks/handwritten_seq2seq.py``,
interleaved (A B, B A, ...), each run a fresh subprocess; compares train samples/s and the
generation scores at equal seed.

    python benchmarks/seq2seq.py --repeats 2 --out seq2seq.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from common import (
    PYTHON,
    REPO,
    base_parser,
    interleaved,
    median,
    offline_env,
    ratios,
    row,
    standalone,
    timed_run,
)

SAMPLE = REPO / "src/hydratune/samples/demo_seq2seq"
SETTINGS = {"epochs": 10, "batch_size": 32, "lr": 3e-3, "seed": 42}
SCORES = ("eval_bleu", "eval_chrf", "eval_rougeL", "eval_loss")


def parse_args(argv=None):
    parser = base_parser(__doc__.splitlines()[0], repeats=2)
    parser.add_argument("--epochs", type=float, default=SETTINGS["epochs"])
    parser.add_argument(
        "--threads", type=int, default=None,
        help="OMP_NUM_THREADS for both tools (default: each picks its own); on a loaded "
        "machine 1 thread is far faster than 2",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.smoke:
        args.epochs = 1
    return args


def build_checkpoint(path: Path) -> None:
    """The tiny T5 both tools start from: hydratune's builder, saved once."""
    code = (
        "import sys; from hydratune.groups.data import seq2seq_files;"
        "from hydratune.groups.model import tiny_t5; from transformers import set_seed;"
        f"d = seq2seq_files(train_files='{SAMPLE / 'train.jsonl'}', eval_files="
        f"'{SAMPLE / 'eval.jsonl'}', max_source_length=64, max_target_length=32);"
        "set_seed(42); m, t = tiny_t5(d);"
        "m.save_pretrained(sys.argv[1]); t.save_pretrained(sys.argv[1])"
    )
    timed_run([PYTHON, "-c", code, str(path)], path.parent / "checkpoint.log")


def hydratune_command(args, model: Path, run_dir: Path) -> list[str]:
    s = SETTINGS
    return [
        sys.executable, "scripts/run.py", "trainer=seq2seq", "model=hf",
        f"model.name_or_path={model}", "logger=none", f"hydra.run.dir={run_dir}",
        f"trainer.args.num_train_epochs={args.epochs}",
        f"trainer.args.per_device_train_batch_size={s['batch_size']}",
        f"trainer.args.learning_rate={s['lr']}", f"seed={s['seed']}",
        "trainer.args.eval_strategy=no", "trainer.args.save_strategy=no",
    ]  # fmt: skip


def handwritten_command(args, model: Path, run_dir: Path) -> list[str]:
    s = SETTINGS
    return [
        sys.executable, "benchmarks/handwritten_seq2seq.py", "--model", str(model),
        "--train", str(SAMPLE / "train.jsonl"), "--eval", str(SAMPLE / "eval.jsonl"),
        "--output-dir", str(run_dir), "--epochs", str(args.epochs),
        "--batch-size", str(s["batch_size"]), "--lr", str(s["lr"]), "--seed", str(s["seed"]),
    ]  # fmt: skip


def measure(args, workdir: Path) -> list[dict]:
    model = workdir / "tiny_t5"
    build_checkpoint(model)
    threads = {"OMP_NUM_THREADS": str(args.threads)} if args.threads else {}
    env = offline_env(HF_DATASETS_CACHE=str(workdir / "cache"), **threads)
    commands = {"hydratune": hydratune_command, "handwritten": handwritten_command}

    def variant(tool):
        def once(i: int) -> dict:
            run_dir = workdir / f"{tool}-{i}"
            run_dir.mkdir(parents=True)
            wall = timed_run(commands[tool](args, model, run_dir), workdir / f"{tool}-{i}.log", env)
            metrics = json.loads((run_dir / "metrics.json").read_text())
            kept = ("train_samples_per_second", "train_runtime", *SCORES)
            return {"wall_s": wall, **{key: metrics[key] for key in kept}}

        return once

    runs = interleaved({tool: variant(tool) for tool in commands}, args.repeats)
    ours, theirs = runs["hydratune"], runs["handwritten"]

    def values(results, key):
        return [result[key] for result in results]

    speed = ratios(
        values(ours, "train_samples_per_second"), values(theirs, "train_samples_per_second")
    )
    n = f"median of {args.repeats}, demo_seq2seq, {args.epochs:g} epochs, threads {args.threads}"
    rows = [
        row("seq2seq", f"train samples/s vs hand-written Seq2SeqTrainer ({n})",
            median(values(ours, "train_samples_per_second")),
            median(values(theirs, "train_samples_per_second")), median(speed), ">= 0.98",
            median(speed) >= 0.98, hydratune_runs=ours, baseline_runs=theirs),
    ]  # fmt: skip
    for key in SCORES:
        equal = len({result[key] for result in ours + theirs}) == 1
        a, b = median(values(ours, key)), median(values(theirs, key))
        rows.append(row("seq2seq", f"{key} at equal seed (every run)", a, b, a / b, "equal", equal))
    return rows


if __name__ == "__main__":
    standalone("seq2seq", parse_args, measure)
