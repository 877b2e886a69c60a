"""SFT: the same run through hydratune (``trainer=sft``) and trl's own ``trl sft`` CLI, and real
(non-pad) tokens/s with packing vs padding.

Setup (not timed): a tiny Llama (built by ``hydratune.groups.model.tiny_llama``, byte-level BPE
trained on the rows) is saved with ``save_pretrained`` to a temp dir; the Alpaca rows are
turned into prompt/completion with hydratune's ``alpaca`` formatter and written as
``train.jsonl`` for ``trl sft``, while hydratune reads the Alpaca JSON itself
(``data.formatting=alpaca``). Both train the same rows with the same SFTConfig fields
(steps, batch, max_length, packing, completion-only loss, optimizer, seed), no eval during
training and no checkpoints; hydratune also evaluates 8 rows at the end and both save the model.

Real tokens = trl's logged ``num_tokens`` (attention-mask sum; every token when padding-free);
tokens/s = real tokens / ``train_runtime``. Pad share = padding in the batches the train
dataloader yields for the same steps and seed.

    python benchmarks/sft.py --repeats 3 [--steps 20 --batch-size 8 --max-length 512]
"""

from __future__ import annotations

import ast
import json
import os
import re
from pathlib import Path

from common import (
    ALPACA,
    PYTHON,
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

TRL = Path(PYTHON).with_name("trl")
OPTIM = {  # the same optimisation for both tools (SFTConfig / TrainingArguments fields)
    "learning_rate": 1e-3, "weight_decay": 0.01, "warmup_steps": 0.1,
    "lr_scheduler_type": "linear", "optim": "adamw_torch_fused", "max_grad_norm": 1.0, "seed": 42,
}  # fmt: skip
MODEL = {  # tiny Llama dims: big enough that attention and matmuls, not Python, dominate
    "hidden_size": 256, "num_hidden_layers": 4, "num_attention_heads": 4,
    "num_key_value_heads": 2, "intermediate_size": 688, "max_position_embeddings": 1024,
}  # fmt: skip


def parse_args(argv=None):
    parser = base_parser(__doc__.splitlines()[0], repeats=3)
    parser.add_argument("--data", type=Path, default=ALPACA, help="Alpaca JSON rows")
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--hidden-size", type=int, default=MODEL["hidden_size"])
    parser.add_argument("--no-trl-packing", action="store_true", help="skip trl's packing runs")
    parser.add_argument(
        "--no-trl-1thread", action="store_true",
        help="skip the padding run of trl sft with accelerate's default CPU threads (1)",
    )  # fmt: skip
    parser.add_argument(
        "--trl-threads", type=int, default=os.cpu_count(),
        help="accelerate launch's --num_cpu_threads_per_process for trl sft (its own default "
        "is 1 on CPU, hydratune's torch uses every core); 0 = leave accelerate's default",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if problem := missing_data("alpaca", args.data, "--data"):
        parser.error(problem + ".")
    if args.smoke:
        args.rows, args.steps, args.hidden_size = 64, 3, 64
    return args


# Setup ------------------------------------------------------------------------------------------


def prepare(args, workdir: Path) -> dict[str, Path]:
    """Write the rows for both tools and save the tiny causal LM; return their paths."""
    from datasets import Dataset, DatasetDict

    from hydratune.groups.data import SFTData, alpaca
    from hydratune.groups.model import tiny_llama

    rows = json.loads(args.data.read_text())[: args.rows]
    paths = {"alpaca": workdir / "alpaca.json", "eval": workdir / "alpaca_eval.json"}
    paths["alpaca"].write_text(json.dumps(rows))
    paths["eval"].write_text(json.dumps(rows[:8]))
    formatted = [alpaca(r) for r in rows]
    paths["trl_data"] = workdir / "prompt_completion"
    paths["trl_data"].mkdir(parents=True, exist_ok=True)
    with (paths["trl_data"] / "train.jsonl").open("w") as out:
        out.writelines(json.dumps(r) + "\n" for r in formatted)
    data = SFTData(DatasetDict({"train": Dataset.from_list(formatted)}), "prompt_completion")
    model, tokenizer = tiny_llama(data, **{**MODEL, "hidden_size": args.hidden_size})
    paths["model"] = workdir / "tiny_llama"
    model.save_pretrained(paths["model"])
    tokenizer.save_pretrained(paths["model"])
    return paths


# The two commands -------------------------------------------------------------------------------


def shared_args(args, packing: bool) -> dict:
    return {
        **OPTIM, "max_steps": args.steps, "per_device_train_batch_size": args.batch_size,
        "max_length": args.max_length, "packing": packing, "completion_only_loss": True,
        "eval_strategy": "no", "save_strategy": "no", "logging_steps": args.steps,
        "logging_first_step": False, "bf16": False, "use_cpu": True, "report_to": "none",
        "dataloader_num_workers": 0,
    }  # fmt: skip


def hydratune_command(args, paths: dict, run_dir: Path, packing: bool) -> list:
    trainer_args = {k: v for k, v in shared_args(args, packing).items() if k != "seed"}
    return [
        PYTHON, "scripts/run.py", "trainer=sft", "model=hf",
        f"model.name_or_path={paths['model']}", "data=sft_files",
        f"data.train_files={paths['alpaca']}", f"data.eval_files={paths['eval']}",
        "data.formatting=alpaca", "logger=none", f"seed={OPTIM['seed']}",
        *(f"trainer.args.{k}={_hydra_value(v)}" for k, v in trainer_args.items()),
        f"hydra.run.dir={run_dir}",
    ]  # fmt: skip


def trl_command(args, paths: dict, run_dir: Path, packing: bool, threads: int | None) -> list:
    """``trl sft``; ``threads`` = accelerate launch's ``--num_cpu_threads_per_process`` (trl
    passes it on), None = accelerate's own default: 1 thread on CPU unless OMP_NUM_THREADS."""
    flags = {**shared_args(args, packing), "gradient_checkpointing": False, "dtype": "float32"}
    if threads:
        flags["num_cpu_threads_per_process"] = threads
    return [
        TRL, "sft", "--model_name_or_path", paths["model"], "--dataset_name", paths["trl_data"],
        "--output_dir", run_dir, *(x for k, v in flags.items() for x in (f"--{k}", str(v))),
    ]  # fmt: skip


def _hydra_value(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


TOOLS = {  # name: (command builder, how to read its result)
    "hydratune": (hydratune_command, "hydratune"),
    "trl": (lambda a, p, r, pk: trl_command(a, p, r, pk, a.trl_threads), "trl"),
    "trl_1thread": (lambda a, p, r, pk: trl_command(a, p, r, pk, None), "trl"),
}


# Running and reading results --------------------------------------------------------------------


def hydratune_result(run_dir: Path) -> dict:
    metrics = json.loads((run_dir / "metrics.json").read_text())
    history = json.loads((run_dir / "log_history.json").read_text())
    return _result(metrics, history)


def trl_result(log: Path) -> dict:
    """trl sft writes no metrics file: read the dicts the Trainer prints as it logs."""
    logged = [ast.literal_eval(m) for m in re.findall(r"\{'[^{}]*\}", log.read_text())]
    metrics = next(d for d in reversed(logged) if "train_runtime" in d)
    return _result(metrics, logged)


def _result(metrics: dict, history: list[dict]) -> dict:
    tokens = float([h for h in history if "num_tokens" in h][-1]["num_tokens"])
    runtime = float(metrics["train_runtime"])
    samples = float(metrics["train_samples_per_second"])
    return {"train_samples_per_second": samples, "real_tokens": tokens, "train_runtime": runtime,
            "real_tokens_per_second": tokens / runtime}  # fmt: skip


def variant(args, paths: dict, workdir: Path, tool: str, packing: bool):
    name = f"{tool}-{'packing' if packing else 'padding'}"
    build, reader = TOOLS[tool]

    def run(i: int) -> dict:
        run_dir, log = workdir / f"{name}-{i}", workdir / f"{name}-{i}.log"
        env = offline_env(HF_DATASETS_CACHE=str(workdir / f"cache-{name}-{i}"))
        wall = timed_run(build(args, paths, run_dir, packing), log, env)
        result = hydratune_result(run_dir) if reader == "hydratune" else trl_result(log)
        return {**result, "wall_s": wall}

    return name, run


def pad_share(args, paths: dict, packing: bool) -> float:
    """Share of padding in the batches trl's train dataloader yields for the run's steps."""
    from datasets import load_dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    config = {k: v for k, v in shared_args(args, packing).items() if k != "use_cpu"}
    trainer = SFTTrainer(
        model=AutoModelForCausalLM.from_pretrained(paths["model"]),
        args=SFTConfig(output_dir=str(paths["model"] / "pad"), use_cpu=True, **config),
        train_dataset=load_dataset(str(paths["trl_data"]), split="train"),
        processing_class=AutoTokenizer.from_pretrained(paths["model"]),
    )
    real = total = 0
    for step, batch in enumerate(trainer.get_train_dataloader()):
        if step == args.steps:
            break
        ids = batch["input_ids"]
        mask = batch.get("attention_mask")
        real += int(mask.sum()) if mask is not None else ids.numel()  # padding-free: no pads
        total += ids.numel()
    return 1 - real / total


def measure(args, workdir: Path) -> list[dict]:
    paths = prepare(args, workdir)
    plan = [("hydratune", False), ("trl", False), ("hydratune", True)]
    plan += [] if args.no_trl_packing else [("trl", True)]
    plan += [] if args.no_trl_1thread else [("trl_1thread", False)]
    variants = dict(variant(args, paths, workdir, tool, packing) for tool, packing in plan)
    runs = interleaved(variants, args.repeats)
    shares = {packing: pad_share(args, paths, packing) for packing in (False, True)}
    return rows(runs, shares, args)


def rows(runs: dict[str, list[dict]], shares: dict, args) -> list[dict]:
    def compare(a, b, key):
        ours, theirs = [r[key] for r in runs[a]], [r[key] for r in runs[b]]
        return median(ours), median(theirs), median(ratios(ours, theirs))

    n = f"median of {args.repeats}; {args.steps} steps x {args.batch_size} rows"
    out = []
    for layout in ("padding", "packing"):
        if f"trl-{layout}" not in runs:
            continue
        for key, label in (("train_samples_per_second", "train samples/s"),
                           ("real_tokens_per_second", "real tokens/s")):  # fmt: skip
            ours, theirs, ratio = compare(f"hydratune-{layout}", f"trl-{layout}", key)
            out.append(row("sft", f"{label}, {layout}: hydratune vs `trl sft` ({n})", ours,
                           theirs, ratio, ">= 0.98", ratio >= 0.98))  # fmt: skip
    if "trl_1thread-padding" in runs:
        ours, theirs, ratio = compare("hydratune-padding", "trl_1thread-padding",
                                      "real_tokens_per_second")  # fmt: skip
        label = "real tokens/s, padding: hydratune vs `trl sft` as it comes (accelerate: 1 thread)"
        out.append(row("sft", f"{label} ({n})", ours, theirs, ratio))
    for tool in ("hydratune", "trl"):
        if f"{tool}-packing" not in runs:
            continue
        packed, padded, gain = compare(f"{tool}-packing", f"{tool}-padding",
                                       "real_tokens_per_second")  # fmt: skip
        out.append(row("sft", f"real tokens/s through {tool}: packing vs padding (baseline "
                       f"col; CPU, sdpa; {n})", packed, padded, gain,
                       ">= 1.5 on a GPU with varlen attention", None))  # fmt: skip
    out.append(row("sft", "pad share of batch tokens: packing vs padding (baseline col)",
                   shares[True], shares[False], None, runs=runs))  # fmt: skip
    return out


if __name__ == "__main__":
    standalone("sft", parse_args, measure)
