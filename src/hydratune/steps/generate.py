"""The one generation path: prompts, decoding, ``generations.jsonl`` and the W&B table.

Teacher-forced eval loss says little about what a generative model writes. SFT runs
(:class:`SampleGenerations`, a callback) generate for the first ``generation.num_samples`` eval
prompts after training, and at each evaluation with ``generation.every_eval``; SFT predictions
(:func:`predict_generations`) generate for every test row; seq2seq runs write the same file
from their eval predictions (:func:`write_reports`, ``metrics=generation``). Every prompt comes
from :func:`prompt_and_reference`, every decoding from :func:`generate`, every file from
:func:`write_generations`. Metrics only score (:mod:`hydratune.groups.metrics.generation`).
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from transformers import TrainerCallback

from hydratune.config.errors import ConfigError
from hydratune.config.kinds import Kind
from hydratune.groups.data.sft import prompt_and_reference  # unlabelled prompts too

log = logging.getLogger(__name__)

FILE = "generations.jsonl"
TABLE = "generations"  # the W&B table's key
COLUMNS = ("prompt", "reference", "generated")
TABLE_ROWS = 100  # eval generations shown in the W&B table (generations.jsonl has all)


@dataclass(frozen=True)
class GenerationSettings:
    num_samples: int = 8
    every_eval: bool = False
    max_new_tokens: int = 64
    do_sample: bool = False
    temperature: float = 1.0
    top_p: float = 1.0
    seed: int = 42

    def generate_kwargs(self) -> dict:
        """``model.generate`` keywords; sampling knobs only when sampling (else transformers
        warns that they are ignored)."""
        kwargs = {"max_new_tokens": self.max_new_tokens, "do_sample": self.do_sample}
        if self.do_sample:
            kwargs.update(temperature=self.temperature, top_p=self.top_p)
        return kwargs


def settings(
    *,
    num_samples: int = 8,
    every_eval: bool = False,
    max_new_tokens: int = 64,
    do_sample: bool = False,
    temperature: float = 1.0,
    top_p: float = 1.0,
    seed: int = 42,
) -> GenerationSettings:
    """The ``generation:`` node as an object (its keys are validated like a group's)."""
    if num_samples < 0 or max_new_tokens < 1:
        raise ConfigError(
            f"generation.num_samples={num_samples} must be >= 0 (0 = none) and "
            f"generation.max_new_tokens={max_new_tokens} >= 1."
        )
    if do_sample and (temperature <= 0 or not 0 < top_p <= 1):
        raise ConfigError(
            f"Sampling needs generation.temperature > 0 (got {temperature}) and "
            f"0 < generation.top_p <= 1 (got {top_p})."
        )
    return GenerationSettings(num_samples, every_eval, max_new_tokens, do_sample,
                              temperature, top_p, seed)  # fmt: skip


def attach_generation(
    generation: GenerationSettings | None, data, trainer, run_dir: Path, tracker=None
) -> None:
    """Add :class:`SampleGenerations` to an SFT trainer whose data has prompts to generate for
    (prompt/completion or chats; text data has none). Seq2seq runs generate at evaluation
    already (``predict_with_generate``)."""
    if generation is None or not generation.num_samples or data.kind != Kind.CAUSAL_LM:
        return
    if data.format == "text":
        log.info("generation: text data has no prompts; no generations.jsonl is written")
        return
    if "eval" not in data.splits:  # a predict-only run reads no eval split
        return
    prompts = sample_prompts(data.splits["eval"], data.format, generation.num_samples)
    run = getattr(tracker, "run", None)  # the W&B run of logger=wandb, none otherwise
    trainer.add_callback(SampleGenerations(generation, prompts, trainer, Path(run_dir), run))


def final_generations(trainer) -> dict:
    """Generate after training (the trainer's :class:`SampleGenerations`, if it has one):
    writes generations.jsonl and returns ``eval_gen_rougeL`` / ``eval_gen_bleu``."""
    for callback in trainer.callback_handler.callbacks:
        if isinstance(callback, SampleGenerations):
            return callback.generate_and_log(trainer.state.global_step, final=True)
    return {}


def sample_prompts(split, format: str, count: int) -> list[dict]:
    """The first ``count`` rows as ``{"prompt": text or turns, "reference": text or None}``."""
    rows = split.select(range(min(count, len(split))))
    pairs = [prompt_and_reference(row, format) for row in rows]
    return [{"prompt": prompt, "reference": reference} for prompt, reference in pairs]


def render(prompt, tokenizer) -> str:
    """Prompt text as training saw it: plain text as it is (trl adds no template to
    prompt/completion text), chat turns through the chat template's generation prompt."""
    if isinstance(prompt, str):
        return prompt
    return tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)


def generate(model, tokenizer, prompts: list, generation: GenerationSettings) -> list[str]:
    """Continuations of ``prompts`` (left-padded into one batch), new tokens only, seeded; the
    model's mode and the global RNG are left as they were."""
    import torch

    from hydratune.compat.transformers import padding_side

    with padding_side(tokenizer, "left"):  # new tokens line up at the end
        texts = [render(prompt, tokenizer) for prompt in prompts]
        batch = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    batch = batch.to(model.device)
    was_training = model.training
    model.eval()
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(generation.seed)  # same prompt, same sample, every time
        out = model.generate(
            **batch,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
            **generation.generate_kwargs(),
        )
    model.train(was_training)
    new = out[:, batch["input_ids"].shape[1] :]
    return [text.strip() for text in tokenizer.batch_decode(new, skip_special_tokens=True)]


def predict_generations(trainer, data, path: Path, *, batch_rows=16, max_new_tokens=64) -> dict:
    """``predictions.jsonl`` for SFT test rows: greedy, ``batch_rows`` at a time, each row
    written as it comes (row number, prompt, generated, reference)."""
    from tqdm.auto import tqdm

    from hydratune.run.distributed import is_main_process

    split = data.splits["test"]
    if data.format == "text":
        raise ConfigError(
            "do_predict on text data: its rows have no prompt to answer. Give data.test_files "
            "in messages or prompt/completion format."
        )
    greedy = GenerationSettings(max_new_tokens=max_new_tokens)
    tokenizer = trainer.processing_class
    bar = tqdm(total=len(split), desc="Generating", disable=trainer.args.disable_tqdm)
    with open(path, "w", encoding="utf-8") if is_main_process() else _Discard() as out:
        for start in range(0, len(split), batch_rows):
            rows = split.select(range(start, min(start + batch_rows, len(split))))
            pairs = data.prediction_rows(rows)  # unlabelled prompts too
            texts = generate(trainer.model, tokenizer, [p for p, _ in pairs], greedy)
            for offset, ((prompt, reference), text) in enumerate(zip(pairs, texts, strict=True)):
                line = {"row": start + offset + 1, "prompt": render(prompt, tokenizer),
                        "generated": text, "reference": reference}  # fmt: skip
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
            bar.update(len(rows))
    bar.close()
    return {}


class SampleGenerations(TrainerCallback):
    """Generates for a fixed set of eval prompts with the settings' decoding, seeded, on the
    main process; the training RNG is left as it was."""

    def __init__(self, generation: GenerationSettings, prompts: list[dict], trainer, run_dir,
                 run=None):  # fmt: skip
        self.run = run
        self.generation = generation
        self.prompts = prompts
        self.trainer = trainer
        self.run_dir = run_dir
        self.training = True  # evaluations after training (the run's final ones) are not "every"

    def on_train_end(self, args, state, control, **kwargs):
        self.training = False

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        if self.generation.every_eval and self.training and state.is_world_process_zero:
            scores = self.generate_and_log(state.global_step, final=False)
            state.log_history.append({**scores, "step": state.global_step})

    def generate_and_log(self, step: int, final: bool) -> dict:
        if not self.trainer.is_world_process_zero():
            return {}
        rows = [{**row, "generated": self.generate(row["prompt"])} for row in self.prompts]
        scores = reference_scores(rows)
        if final:
            write_generations(self.run_dir, rows)
        charted = {key.replace("eval_", "eval/", 1): value for key, value in scores.items()}
        log_table(
            rows, {**charted, "train/global_step": step}, self.run
        )  # W&B's names for Trainer's keys
        return scores

    def generate(self, prompt) -> str:
        """One prompt at a time, unpadded: the same sample at every evaluation."""
        model, tokenizer = self.trainer.model, self.trainer.processing_class
        return generate(model, tokenizer, [prompt], self.generation)[0]


def reference_scores(rows: list[dict], prefix: str = "eval_gen_") -> dict:
    """ROUGE-L and BLEU of the generations against their references (none: no scores)."""
    from hydratune.groups.metrics.generation import generation_scores

    scored = [row for row in rows if row.get("reference")]
    if not scored:
        return {}
    scores = generation_scores([r["generated"] for r in scored], [r["reference"] for r in scored])
    return {f"{prefix}rougeL": scores["rougeL"], f"{prefix}bleu": scores["bleu"]}


def write_generations(run_dir: Path, rows: list[dict], prefix: str = "eval") -> Path:
    """``generations.jsonl`` (``test_generations.jsonl`` for the test split): one JSON object
    per line with ``prompt`` (text, or the chat turns), ``reference`` and ``generated``."""
    name = FILE if prefix == "eval" else f"{prefix}_{FILE}"
    path = Path(run_dir) / name
    lines = [json.dumps({key: row.get(key) for key in COLUMNS}, ensure_ascii=False) for row in rows]
    tmp = path.with_suffix(".jsonl.tmp")
    tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    tmp.replace(path)  # never a half-written file
    log.info("%d generations written to %s", len(rows), path)
    return path


def write_reports(compute_metrics, run_dir: Path, split: str) -> None:
    """After a final evaluation: the metrics' own report (per-class report and confusion matrix)
    and, for generated text, ``generations.jsonl`` and (eval) the W&B table."""
    from hydratune.run.distributed import is_main_process

    if compute_metrics is None or not is_main_process():
        return
    write_report = getattr(compute_metrics, "write_report", None)
    if write_report:
        write_report(run_dir, split)
    from hydratune.groups.metrics.generation import GenerationMetrics

    if isinstance(compute_metrics, GenerationMetrics) and compute_metrics.last is not None:
        predictions, references, sources = compute_metrics.last
        sources = sources or [None] * len(predictions)
        rows = [
            {"prompt": source, "reference": reference, "generated": prediction}
            for source, reference, prediction in zip(sources, references, predictions, strict=True)
        ]
        write_generations(run_dir, rows, split)
        if split == "eval":
            log_table(rows[:TABLE_ROWS], {})


def log_table(rows: list[dict], values: dict, run=None) -> None:
    """The rows as a W&B Table (key ``generations``) with ``values``, into ``run`` (default:
    the open W&B run); a no-op without W&B (``logger=none``)."""
    wandb = sys.modules.get("wandb")  # imported only where the logger opened a run
    run = run or (wandb.run if wandb is not None else None)
    if run is None:
        return
    import wandb

    table = wandb.Table(columns=list(COLUMNS))
    for row in rows:
        prompt = row["prompt"]
        shown = prompt if isinstance(prompt, str) or prompt is None else _chat_text(prompt)
        table.add_data(shown, row.get("reference"), row["generated"])
    run.log({TABLE: table, **values})


def _text(value) -> str:
    return value if isinstance(value, str) else "\n".join(turn["content"] for turn in value)


def _chat_text(turns: list[dict]) -> str:
    return "\n".join(f"{turn['role']}: {turn['content']}" for turn in turns)


class _Discard:
    """Where ranks other than the main one write: nowhere."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def write(self, text: str) -> None:
        pass
