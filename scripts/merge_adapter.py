"""Fold a LoRA adapter into its base: ``python scripts/merge_adapter.py <run dir>/model <out>``
= ``hydratune-merge-adapter`` (the code is :func:`hydratune.cli.merge_adapter`)."""

from hydratune.cli import merge_adapter

if __name__ == "__main__":
    merge_adapter()
