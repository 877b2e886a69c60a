"""Token limits that leave room for text.

A tokenizer asked to truncate a row to fewer tokens than its special tokens take does not
truncate at all (BERT, ``max_length=1``: every row stays whole, while a dry run counts each as
truncated), and a limit equal to them keeps only the special tokens: either way the run trains
on something else than it says. Checked when the tokenizer exists (the dry run too).
"""

from __future__ import annotations

from hydratune.config.errors import ConfigError


def check_room(tokenizer, max_length: int | None, key: str, pair: bool = False) -> None:
    """Refuse a ``max_length`` with no room for a text token beside the special tokens."""
    if max_length is None:
        return
    special = tokenizer.num_special_tokens_to_add(pair=pair)
    if max_length <= special:
        raise ConfigError(
            f"{key}={max_length} leaves no room for text: this tokenizer adds {special} special "
            f"tokens to every {'pair' if pair else 'row'}, and a shorter limit is not applied "
            f"at all. Set {key} to at least {special + 1} (null = the model's limit)."
        )
