"""Row formatting for SFT data (``data.formatting``): trl's ``formatting_func`` role, applied
in the data so that completion-only loss still works."""

from __future__ import annotations

from datasets import Dataset

from hydratune.config.errors import ConfigError, DataError

ALPACA_WITH_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further "
    "context. Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n"
)
ALPACA_NO_INPUT = (
    "Below is an instruction that describes a task. Write a response that appropriately "
    "completes the request.\n\n### Instruction:\n{instruction}\n\n### Response:\n"
)


def alpaca(row: dict) -> dict:
    """Stanford Alpaca rows (instruction, input, output) as prompt/completion, its own prompt."""
    template = ALPACA_WITH_INPUT if row.get("input") else ALPACA_NO_INPUT
    prompt = template.format(instruction=row["instruction"], input=row.get("input"))
    return {"prompt": prompt, "completion": row["output"]}


FORMATTERS = {"alpaca": alpaca}  # data.formatting=<name>; anything else is a dotted path


def formatting_function(name: str):
    """A built-in formatter by name, or any function by its dotted path."""
    if name in FORMATTERS:
        return FORMATTERS[name]
    if "." not in name:
        raise ConfigError(
            f"data.formatting={name!r} is neither built in ({sorted(FORMATTERS)}) nor a dotted "
            "path to a function (my_pkg.module.function)."
        )
    from hydra.utils import get_method

    try:
        return get_method(name)
    except Exception as err:  # Hydra wraps import errors in several types
        raise ConfigError(f"data.formatting={name!r} cannot be imported: {err}") from None


def apply_formatting(split_name: str, split: Dataset, format_row, name: str) -> Dataset:
    """Map every row through ``format_row``; a failure on the first row names the columns."""
    try:
        _formatted(format_row(split[0]))
    except Exception as err:
        raise DataError(
            f"data.formatting={name} fails on row 0 of the {split_name} split (its columns are "
            f"{split.column_names}): {type(err).__name__}: {err}"
        ) from err
    return split.map(
        lambda row: _formatted(format_row(row)),
        remove_columns=split.column_names,
        desc=f"Formatting {split_name}",
    )


def _formatted(value) -> dict:
    if isinstance(value, str):
        return {"text": value}
    if isinstance(value, dict):
        return value
    raise TypeError(f"a formatting function returns a str or a dict, not {type(value).__name__}")
