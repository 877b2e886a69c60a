"""``trainer.args.do_predict=true`` for seq2seq data: ``predictions.jsonl`` with one generated
target per test source (``row``, ``source``, ``generated``, ``reference`` when the row has one)
and ``test_*`` BLEU/chrF/ROUGE when every row has a reference.

Decoding follows the run's ``Seq2SeqTrainingArguments`` (``generation_max_length``,
``generation_num_beams``; unset: the model's generation config), in batches of
``per_device_eval_batch_size``, rows written in file order as they come.
"""

from __future__ import annotations

import json
from pathlib import Path

from hydratune.run.distributed import is_main_process


def predict_pairs(trainer, data, path: Path, *, batch_rows: int = 1024) -> dict:
    from tqdm.auto import tqdm

    split = data.splits["test"]
    step = max(1, min(batch_rows, trainer.args.per_device_eval_batch_size))
    generated, references = [], []
    bar = tqdm(total=len(split), desc="Generating", disable=trainer.args.disable_tqdm)
    with open(path, "w", encoding="utf-8") if is_main_process() else open("/dev/null", "w") as out:
        for start in range(0, len(split), step):
            pairs = data.prediction_rows(split.select(range(start, min(start + step, len(split)))))
            texts = generate_targets(trainer, data, [source for source, _ in pairs])
            for offset, ((source, reference), text) in enumerate(zip(pairs, texts, strict=True)):
                line = {"row": start + offset + 1, "source": source, "generated": text,
                        "reference": reference}  # fmt: skip
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
                generated.append(text)
                references.append(reference)
            bar.update(len(pairs))
    bar.close()
    return _scores(generated, references)


def generate_targets(trainer, data, sources: list[str]) -> list[str]:
    """The model's targets for ``sources`` (prefixed already), with the run's decoding."""
    import torch

    tokenizer, model, args = trainer.processing_class, trainer.model, trainer.args
    batch = tokenizer(sources, max_length=data.max_source_length, truncation=True,
                      padding=True, return_tensors="pt").to(model.device)  # fmt: skip
    options = {"max_length": getattr(args, "generation_max_length", None),
               "num_beams": getattr(args, "generation_num_beams", None)}  # fmt: skip
    model.eval()
    with torch.no_grad():
        ids = model.generate(**batch, **{k: v for k, v in options.items() if v})
    return [text.strip() for text in tokenizer.batch_decode(ids, skip_special_tokens=True)]


def _scores(generated: list[str], references: list) -> dict:
    """``test_*`` scores when every row has a reference (a partly labelled file: none)."""
    from hydratune.groups.metrics.generation import generation_scores

    if not generated or any(reference is None for reference in references):
        return {}
    return {f"test_{k}": v for k, v in generation_scores(generated, references).items()}
