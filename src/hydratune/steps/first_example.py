"""The first training example as the model will see it, for ``dry_run=true``.

The seed tutorial's tokenizer section as a check: the row's text, its tokens and ids with the
special tokens ([CLS], [SEP], chat markers) marked, the padding and attention mask its batch
gives it, and for SFT which tokens carry loss, computed the way SFTTrainer builds its rows
(chat template with assistant masks, or prompt + completion + EOS).
"""

from __future__ import annotations

SHOWN = 48  # tokens printed; dry_run.json keeps them all


def classification_example(data, tokenized_train, collator, batch_size: int, tokenizer) -> dict:
    """Row 0 of the train split: text(s) -> tokens -> ids, padded within its first batch."""
    row = data.splits["train"][0]
    rows = [tokenized_train[i] for i in range(min(batch_size, len(tokenized_train)))]
    batch = collator(rows) if callable(collator) else {"input_ids": [rows[0]["input_ids"]]}
    ids = [int(i) for i in batch["input_ids"][0]]
    mask = batch.get("attention_mask")
    texts = {data.text_column: row[data.text_column]}
    if data.text_pair_column:
        texts[data.text_pair_column] = row[data.text_pair_column]
    label = row["labels"]
    name = data.label_names[label] if isinstance(label, int) else label
    return {
        "text": texts,
        "label": {"id": label, "name": name},
        **_token_view(ids, tokenizer),
        "attention_mask": [int(m) for m in mask[0]] if mask is not None else None,
        "padding_tokens": sum(1 for i in ids if i == tokenizer.pad_token_id),
    }


def sft_example(data, tokenizer, args: dict) -> dict:
    """Row 0 of the SFT train split as SFTTrainer tokenizes it, with the loss mask."""
    row = data.splits["train"][0]
    ids, loss = sft_row_ids(row, data.format, tokenizer, args)
    return {
        "format": data.format,
        "text": {k: row[k] for k in ("messages", "prompt", "completion", "text") if k in row},
        **_token_view(ids, tokenizer),
        "attention_mask": [1] * len(ids),  # one row: the trainer pads (or packs) each batch
        "loss_mask": loss,
        "tokens_with_loss": sum(loss),
        "text_with_loss": tokenizer.decode([i for i, on in zip(ids, loss, strict=True) if on]),
    }


def sft_row_ids(row: dict, kind: str, tokenizer, args: dict) -> tuple[list[int], list[int]]:
    """(token ids, 1 where the label is kept) for one SFT row, as SFTTrainer builds it."""
    if kind == "messages":
        assistant_only = bool(args.get("assistant_only_loss"))
        encoded = tokenizer.apply_chat_template(
            row["messages"], tokenize=True, return_dict=True,
            return_assistant_tokens_mask=assistant_only,
        )  # fmt: skip
        ids = list(encoded["input_ids"])
        return ids, list(encoded["assistant_masks"]) if assistant_only else [1] * len(ids)
    eos = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
    if kind == "prompt_completion":
        prompt = tokenizer(row["prompt"])["input_ids"]
        completion = tokenizer(row["completion"], add_special_tokens=False)["input_ids"] + eos
        only = args.get("completion_only_loss") is not False  # trl: on unless said off
        return prompt + completion, [int(not only)] * len(prompt) + [1] * len(completion)
    ids = tokenizer(row["text"])["input_ids"] + eos
    return ids, [1] * len(ids)


def _token_view(ids: list[int], tokenizer) -> dict:
    # added tokens count too: chat markers such as <|im_start|> are added, not always "special"
    special = set(tokenizer.all_special_ids) | set(getattr(tokenizer, "added_tokens_decoder", {}))
    return {
        "tokens": tokenizer.convert_ids_to_tokens(ids),
        "ids": ids,
        "special": [int(i in special) for i in ids],
    }


def format_example(example: dict) -> list[str]:
    """Printable lines: the text, then tokens (``*`` = special), ids, mask, loss."""
    tokens = [
        t + ("*" if s else "") for t, s in zip(example["tokens"], example["special"], strict=True)
    ]
    more = f" ... (+{len(tokens) - SHOWN}, all in dry_run.json)" if len(tokens) > SHOWN else ""
    lines = ["  first train example, as the tokenizer sees it (* = special token):"]
    for key, value in example["text"].items():
        lines.append(f"    {key:<9} {_short(value)}")
    if "label" in example:
        lines.append(f"    label     {example['label']['name']} (id {example['label']['id']})")
    lines.append(f"    tokens    {' '.join(tokens[:SHOWN])}{more}")
    lines.append(f"    ids       {' '.join(map(str, example['ids'][:SHOWN]))}")
    if example.get("attention_mask") is not None:
        mask = "".join(map(str, example["attention_mask"][:SHOWN]))
        lines.append(f"    attention {mask}  ({example.get('padding_tokens', 0)} padding)")
    if "loss_mask" in example:
        lines.append(
            f"    loss      {''.join(map(str, example['loss_mask'][:SHOWN]))}  "
            f"({example['tokens_with_loss']} of {len(example['ids'])} tokens carry loss)"
        )
        lines.append(f"    loss text {_short(example['text_with_loss'])}")  # fmt: skip
    return lines


def _short(value, width: int = 90) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."
