"""SFT data (trainer=sft): chats, prompt/completion pairs or plain text, in trl's formats.

SFTTrainer applies the chat template, adds EOS, tokenizes, masks and packs, so the data stays
as rows of text here; :meth:`SFTData.loss_flags` says which tokens carry loss.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from datasets import Dataset, DatasetDict

from hydratune.config.errors import ConfigError, DataError
from hydratune.config.kinds import Kind
from hydratune.groups.data.formatting import apply_formatting, formatting_function
from hydratune.groups.data.readers import check_not_empty, first_split, head, split_and_trim

LOSS_ON = ("auto", "completion", "assistant", "all")  # trainer.loss_on
LOSS_ON_AUTO = {"messages": "assistant", "prompt_completion": "completion", "text": None}
_FORMAT_FOR = {"assistant": "messages (chat)", "completion": "prompt/completion"}
SFT_FORMATS = {  # trl's dataset formats, detected from the columns in this order
    "messages": ("messages",),  # conversations: lists of {role, content}; chat template applied
    "prompt_completion": ("prompt", "completion"),  # loss on the completion only, by default
    "text": ("text",),  # language modelling: every token carries loss
}
_SFT_EXTRAS = ("tools", "chat_template_kwargs")  # per-row columns trl's tokenization also reads


@dataclass
class SFTData:
    """Splits (``train``, ``eval``, optional ``test``) in one of trl's :data:`SFT_FORMATS`.

    SFTTrainer applies the chat template, adds EOS, tokenizes, masks and packs, so
    :meth:`tokenize` hands the splits over as they are.
    """

    splits: DatasetDict
    format: str

    @property
    def kind(self) -> str:
        return Kind.CAUSAL_LM

    def loss_flags(self, loss_on: str) -> dict:
        """SFTConfig flags for ``trainer.loss_on``: ``auto`` = the completion of
        prompt/completion data and the assistant turns of chats; ``completion`` and
        ``assistant`` name one of those; ``all`` = every token; ``null`` = as trainer.args say."""
        if loss_on is None:
            return {}
        if loss_on == "all":
            return {"completion_only_loss": False, "assistant_only_loss": False}
        wanted = {"auto": LOSS_ON_AUTO[self.format], "completion": "completion",
                  "assistant": "assistant"}[loss_on]  # fmt: skip
        if wanted is None:  # text data: every token is the completion already
            return {}
        fits = {"messages": "assistant", "prompt_completion": "completion"}.get(self.format)
        if wanted != fits:
            raise ConfigError(
                f"trainer.loss_on={loss_on} needs {_FORMAT_FOR[wanted]} data, but this data is "
                f"{self.format}: use trainer.loss_on=auto or all."
            )
        return {
            "completion_only_loss": wanted == "completion",
            "assistant_only_loss": wanted == "assistant",
        }

    def train_texts(self) -> Iterator[str]:
        """What an offline tokenizer learns from: texts, prompts, completions, chat turns."""
        train = self.splits["train"]
        if self.format == "messages":
            for messages in train["messages"]:
                yield from (f"{m['role']}\n{m['content']}" for m in messages)
        elif self.format == "prompt_completion":
            for column in ("prompt", "completion"):
                yield from (_plain_text(value) for value in train[column])
        else:
            yield from train["text"]

    def tokenize(self, tokenizer) -> DatasetDict:
        return self.splits

    def prediction_rows(self, rows) -> list[tuple]:
        """``(prompt, reference or None)`` per row to predict: a chat's turns up to its last
        assistant turn (whose text is the reference), or all of them when it ends with another
        turn (a user's question to answer); a ``prompt`` and its ``completion`` if it has one.
        Text rows have no prompt (the predict step refuses them)."""
        return [prompt_and_reference(row, self.format) for row in rows]

    def head(self, rows: int) -> SFTData:
        """The first ``rows`` rows of each split (dry runs, previews)."""
        return replace(self, splits=head(self.splits, rows))


def sft_splits(
    splits: dict[str, Dataset],
    *,
    formatting: str | None,
    eval_size: float,
    seed: int,
    max_train_samples: int | None,
    max_eval_samples: int | None,
) -> SFTData:
    """Raw splits -> :class:`SFTData`: formatted (``data.formatting``), held out, checked."""
    format_row = formatting_function(formatting) if formatting else None
    for name, split in splits.items():
        check_not_empty(name, split)
        if format_row:
            splits[name] = apply_formatting(name, split, format_row, formatting)
    first, _ = first_split(splits)  # train; eval or test in evaluate/predict-only runs
    kind = sft_format(splits[first], first)
    for name, split in splits.items():  # before the held-out split: rows as in the file
        if sft_format(split, name) != kind:
            said = sft_format(split, name)
            raise DataError(f"The {name} split is {said} data, the {first} split is {kind}.")
        splits[name] = _checked_sft_split(name, split, kind)
    splits = split_and_trim(splits, eval_size, seed, max_train_samples, max_eval_samples)
    return SFTData(DatasetDict(splits), kind)


def sft_format(split: Dataset, split_name: str = "train") -> str:
    """``messages``, ``prompt_completion`` or ``text``, from the split's columns. Test rows
    (predicted, so they may be unlabelled) may be ``prompt`` alone: prompt_completion."""
    for kind, columns in SFT_FORMATS.items():
        if set(columns) <= set(split.column_names):
            return kind
    if split_name == "test" and "prompt" in split.column_names:
        return "prompt_completion"
    raise DataError(
        f"The {split_name} split has columns {split.column_names}; SFT data needs 'messages' "
        "(lists of role/content turns), 'prompt' and 'completion', or 'text'. Rename the columns, "
        "or build them with data.formatting=alpaca or data.formatting=my_pkg.my_function."
    )


def _checked_sft_split(split_name: str, split: Dataset, kind: str) -> Dataset:
    """Keep the format's columns; every row must be usable, or the error names it. Test rows
    are prompts to answer: a chat may end with its user turn, a prompt may have no completion."""
    prompts = split_name == "test"
    columns = [c for c in SFT_FORMATS[kind] if c in split.column_names or not prompts]
    for column in columns:
        for row, value in enumerate(split[column][:], start=1):
            if prompts and column == "completion" and value is None:
                continue  # an unlabelled row among labelled ones
            problem = _sft_value_problem(kind, value, needs_answer=not prompts)
            if problem:
                raise DataError(
                    f"Row {row} of the {split_name} split (1 = its first data row): column "
                    f"{column!r} {problem}. Fix or drop that row."
                )
    extras = [c for c in _SFT_EXTRAS if c in split.column_names]
    return split.select_columns([*columns, *extras])


def _sft_value_problem(kind: str, value, needs_answer: bool = True) -> str | None:
    if kind != "messages":
        conversational = isinstance(value, list) and kind == "prompt_completion"
        if isinstance(value, str):  # "" or "  " would train on an EOS alone
            return None if value.strip() else f"is blank ({value!r})"
        return None if conversational else f"is {value!r}, not text"
    if not isinstance(value, list) or not value:
        return "is not a non-empty list of turns"
    for turn in value:
        if not isinstance(turn, dict) or not isinstance(turn.get("role"), str):
            return f"has a turn without a 'role': {turn!r}"
        if not isinstance(turn.get("content"), str):
            return f"has a {turn['role']} turn without text 'content'"
        if turn["role"] == "assistant" and not turn["content"].strip():
            return "has a blank assistant turn (nothing to learn from it)"
    if needs_answer and not any(turn["role"] == "assistant" for turn in value):
        return "has no assistant turn, so nothing to learn"
    return None


def _plain_text(value) -> str:
    """A prompt or completion as text: conversational ones are lists of turns."""
    return value if isinstance(value, str) else "\n".join(turn["content"] for turn in value)


def prompt_and_reference(row: dict, data_format: str) -> tuple:
    """What the model continues (text, or chat turns) and the answer the row gives (if any)."""
    if data_format == "messages":
        turns = row["messages"]
        if turns[-1]["role"] != "assistant":
            return turns, None
        return turns[:-1], turns[-1]["content"]
    prompt, completion = row["prompt"], row.get("completion")
    if completion is None:
        return prompt, None
    if isinstance(completion, list):  # conversational prompt/completion
        return prompt, completion[-1]["content"] if completion else None
    return prompt, completion
