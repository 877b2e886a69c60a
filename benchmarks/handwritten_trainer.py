"""Fine-tune a sequence classifier on a GLUE-style TSV pair, written by hand without hydratune.

The baseline for benchmarks/classification.py: the same work as

    python scripts/run.py model=hf data=files logger=none ...

with the TrainingArguments of conf/trainer/plain.yaml, except for the sampling: plain shuffled
batches, as run_glue.py-style scripts do. Any number of classes (labels 0..K-1). The only
addition to the script you would write is a count of real and padded tokens per batch (a
sum over the attention mask), so the benchmark can report real tokens/s and the pad share.

    python benchmarks/handwritten_trainer.py --model <dir> --data <dir with train.tsv, dev.tsv> \
        --output-dir /tmp/handwritten
"""

import argparse
import json
from pathlib import Path

import numpy as np
from datasets import load_dataset
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    Trainer,
    TrainerCallback,
    TrainingArguments,
    set_seed,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a local Hugging Face checkpoint dir")
    parser.add_argument("--data", required=True, help="a dir holding train.tsv and dev.tsv")
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--max-train-samples", type=int, default=2000)
    parser.add_argument("--max-eval-samples", type=int, default=None, help="default: all")
    parser.add_argument("--epochs", type=float, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args()


def compute_metrics(eval_pred) -> dict:
    """The scores hydratune's metrics=classification reports (binary, or macro for more
    classes, AUROC one-vs-rest): the same work."""
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support, roc_auc_score

    logits, labels = eval_pred
    predictions = np.argmax(logits, axis=-1)
    binary = logits.shape[-1] == 2
    precision, recall, f1, _ = precision_recall_fscore_support(
        labels, predictions, average="binary" if binary else "macro", zero_division=0
    )
    exp = np.exp(logits - logits.max(-1, keepdims=True))
    probabilities = exp / exp.sum(-1, keepdims=True)
    auroc = (
        roc_auc_score(labels, probabilities[:, 1])
        if binary
        else roc_auc_score(labels, probabilities, multi_class="ovr", average="macro")
    )
    return {
        "accuracy": float(accuracy_score(labels, predictions)),
        "f1": float(f1),
        "precision": float(precision),
        "recall": float(recall),
        "auroc": float(auroc),
    }


class CountingCollator(DataCollatorWithPadding, TrainerCallback):
    """Padding as usual; also sums the real (attention mask) and padded tokens of the training
    batches: what was collated since the last step is booked to training when the next step
    begins, and dropped when an eval step consumes it instead."""

    def __init__(self, tokenizer):
        super().__init__(tokenizer)
        self.pending, self.real, self.total = (0, 0), 0, 0

    def __call__(self, features):
        batch = super().__call__(features)
        mask = batch["attention_mask"]
        self.pending = (self.pending[0] + int(mask.sum()), self.pending[1] + mask.numel())
        return batch

    def on_step_begin(self, args, state, control, **kwargs):
        self.real, self.total = self.real + self.pending[0], self.total + self.pending[1]
        self.pending = (0, 0)

    def on_prediction_step(self, args, state, control, **kwargs):
        self.pending = (0, 0)


def main() -> None:
    args = parse_args()
    out = Path(args.output_dir)
    data = Path(args.data)

    raw = load_dataset(
        "csv",
        data_files={"train": str(data / "train.tsv"), "validation": str(data / "dev.tsv")},
        delimiter="\t",
        quoting=3,  # csv.QUOTE_NONE: GLUE TSVs contain bare quote characters
    )
    raw["train"] = raw["train"].select(range(min(args.max_train_samples, len(raw["train"]))))
    if args.max_eval_samples:
        eval_rows = min(args.max_eval_samples, len(raw["validation"]))
        raw["validation"] = raw["validation"].select(range(eval_rows))

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    tokenized = raw.map(
        lambda batch: tokenizer(batch["sentence"], truncation=True, max_length=args.max_length),
        batched=True,
    )

    set_seed(args.seed)  # before the model: the new classification head is randomly initialised
    num_labels = len(set(raw["train"]["label"]))
    model = AutoModelForSequenceClassification.from_pretrained(args.model, num_labels=num_labels)

    training_args = TrainingArguments(
        output_dir=str(out / "checkpoints"),
        num_train_epochs=args.epochs,
        per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=64,
        learning_rate=args.lr,
        weight_decay=0.01,
        warmup_steps=0.1,
        lr_scheduler_type="linear",
        max_grad_norm=1.0,
        eval_strategy="epoch",
        save_strategy="epoch",
        save_total_limit=2,
        logging_steps=10,
        logging_first_step=True,
        seed=args.seed,
        report_to="none",
    )
    trainer = Trainer(
        model=model,
        args=training_args,
        train_dataset=tokenized["train"],
        eval_dataset=tokenized["validation"],
        processing_class=tokenizer,
        data_collator=(counter := CountingCollator(tokenizer)),
        callbacks=[counter],
        compute_metrics=compute_metrics,
    )

    metrics = trainer.train().metrics
    real, total = counter.real, counter.total
    metrics["train_real_tokens_per_second"] = round(real / metrics["train_runtime"], 2)
    metrics["train_pad_share"] = round(1 - real / total, 4)
    metrics.update(trainer.evaluate())
    trainer.save_model(str(out / "model"))
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
