"""Train a seq2seq checkpoint on source/target jsonl pairs, written by hand without hydratune.

The baseline for benchmarks/seq2seq.py: the same work as

    python scripts/run.py trainer=seq2seq model=hf data=seq2seq_files logger=none ...

with the Seq2SeqTrainingArguments of conf/trainer/plain.yaml + seq2seq.yaml, and the scores
of metrics=generation computed here with sacrebleu and rouge-score directly.

    python benchmarks/handwritten_seq2seq.py --model <dir> --train train.jsonl \
        --eval eval.jsonl --output-dir /tmp/handwritten
"""

import argparse
import json
from pathlib import Path

import numpy as np
from datasets import load_dataset
from transformers import (
    AutoModelForSeq2SeqLM,
    AutoTokenizer,
    DataCollatorForSeq2Seq,
    Seq2SeqTrainer,
    Seq2SeqTrainingArguments,
    set_seed,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a local encoder-decoder checkpoint dir")
    parser.add_argument("--train", required=True, help="jsonl with source and target")
    parser.add_argument("--eval", required=True)
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--epochs", type=float, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--max-source-length", type=int, default=64)
    parser.add_argument("--max-target-length", type=int, default=32)
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args()


def scores(tokenizer):
    """compute_metrics: BLEU, chrF, ROUGE-1/2/L/Lsum and generated length, as metrics=generation."""
    import sacrebleu
    from rouge_score import rouge_scorer

    kinds = ["rouge1", "rouge2", "rougeL", "rougeLsum"]
    scorer = rouge_scorer.RougeScorer(kinds, use_stemmer=True)

    def compute(eval_pred):
        pad = tokenizer.pad_token_id
        generated = np.where(eval_pred.predictions < 0, pad, eval_pred.predictions)
        labels = np.where(eval_pred.label_ids < 0, pad, eval_pred.label_ids)
        predictions = [
            t.strip() for t in tokenizer.batch_decode(generated, skip_special_tokens=True)
        ]
        references = [t.strip() for t in tokenizer.batch_decode(labels, skip_special_tokens=True)]
        pairs = [scorer.score(r, p) for p, r in zip(predictions, references, strict=True)]
        out = {k: float(np.mean([pair[k].fmeasure for pair in pairs])) for k in kinds}
        out["bleu"] = sacrebleu.corpus_bleu(predictions, [references]).score
        out["chrf"] = sacrebleu.corpus_chrf(predictions, [references]).score
        out["gen_len"] = float(np.count_nonzero(generated != pad, axis=-1).mean())
        return {k: round(v, 4) for k, v in out.items()}

    return compute


def main() -> None:
    args = parse_args()
    out = Path(args.output_dir)
    raw = load_dataset("json", data_files={"train": args.train, "eval": args.eval})
    tokenizer = AutoTokenizer.from_pretrained(args.model)

    def encode(batch):
        encoded = tokenizer(batch["source"], max_length=args.max_source_length, truncation=True)
        targets = tokenizer(
            text_target=batch["target"], max_length=args.max_target_length, truncation=True
        )
        encoded["labels"] = targets["input_ids"]
        return encoded

    tokenized = raw.map(encode, batched=True, remove_columns=raw["train"].column_names)

    set_seed(args.seed)
    model = AutoModelForSeq2SeqLM.from_pretrained(args.model)
    training_args = Seq2SeqTrainingArguments(
        output_dir=str(out / "checkpoints"),
        num_train_epochs=args.epochs,
        per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=64,
        learning_rate=args.lr,
        weight_decay=0.01,
        warmup_steps=0.1,
        lr_scheduler_type="linear",
        max_grad_norm=1.0,
        optim="adamw_torch_fused",
        train_sampling_strategy="group_by_length",
        eval_strategy="no",
        save_strategy="no",
        logging_steps=10,
        logging_first_step=True,
        seed=args.seed,
        report_to="none",
        predict_with_generate=True,
        include_for_metrics=["inputs"],
    )
    trainer = Seq2SeqTrainer(
        model=model,
        args=training_args,
        train_dataset=tokenized["train"],
        eval_dataset=tokenized["eval"],
        processing_class=tokenizer,
        data_collator=DataCollatorForSeq2Seq(tokenizer),
        compute_metrics=scores(tokenizer),
    )
    metrics = trainer.train().metrics
    metrics.update(trainer.evaluate())
    trainer.save_model(str(out / "model"))
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
