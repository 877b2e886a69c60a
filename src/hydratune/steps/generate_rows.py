"""Greedy generation for SFT test rows: ``predictions.jsonl``.

Kept small and separate so the generation settings of seq2seq runs can share it. A row's prompt
is everything before its answer: the turns before the last assistant turn of a chat (with the
chat template's generation prompt), or the ``prompt`` of prompt/completion data; the answer in
the file is kept as ``reference``.
"""

from __future__ import annotations

import json
from pathlib import Path

from hydratune.config.errors import ConfigError
from hydratune.run.distributed import is_main_process


def write_generations(trainer, data, tokenizer, path: Path, *, batch_rows=16,
                      max_new_tokens=64) -> dict:  # fmt: skip
    """Generate for every test row, ``batch_rows`` at a time; rows are written as they come."""
    from tqdm.auto import tqdm

    split = data.splits["test"]
    if data.format == "text":
        raise ConfigError(
            "do_predict on text data: its rows have no prompt to answer. Give data.test_files "
            "in messages or prompt/completion format."
        )
    model = trainer.model
    bar = tqdm(total=len(split), desc="Generating", disable=trainer.args.disable_tqdm)
    with open(path, "w", encoding="utf-8") if is_main_process() else _Discard() as out:
        for start in range(0, len(split), batch_rows):
            rows = [split[i] for i in range(start, min(start + batch_rows, len(split)))]
            pairs = [prompt_and_reference(row, data.format, tokenizer) for row in rows]
            texts = greedy(model, tokenizer, [p for p, _ in pairs], max_new_tokens)
            for offset, ((prompt, reference), text) in enumerate(zip(pairs, texts, strict=True)):
                line = {"row": start + offset + 1, "prompt": prompt, "generated": text,
                        "reference": reference}  # fmt: skip
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
            bar.update(len(rows))
    bar.close()
    return {}


def prompt_and_reference(row: dict, data_format: str, tokenizer) -> tuple[str, str | None]:
    """The text the model continues, and the answer the file gives (if any)."""
    if data_format == "messages":
        turns = row["messages"]
        last = max(i for i, t in enumerate(turns) if t["role"] == "assistant")
        prompt = tokenizer.apply_chat_template(
            turns[:last], tokenize=False, add_generation_prompt=True
        )
        return prompt, turns[last]["content"]
    prompt, completion = row["prompt"], row.get("completion")
    if isinstance(prompt, list):  # conversational prompt/completion
        prompt = tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
        completion = completion[-1]["content"] if completion else None
    return prompt, completion


def greedy(model, tokenizer, prompts: list[str], max_new_tokens: int) -> list[str]:
    """Greedy continuations of ``prompts`` (left-padded into one batch), new tokens only."""
    import torch

    side, tokenizer.padding_side = tokenizer.padding_side, "left"  # new tokens line up at the end
    try:
        batch = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
    finally:
        tokenizer.padding_side = side
    batch = batch.to(model.device)
    model.eval()
    with torch.no_grad():
        out = model.generate(
            **batch,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
    new = out[:, batch["input_ids"].shape[1] :]
    return tokenizer.batch_decode(new, skip_special_tokens=True)


class _Discard:
    """Where ranks other than the main one write: nowhere."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def write(self, text: str) -> None:
        pass
