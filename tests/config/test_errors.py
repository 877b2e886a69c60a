"""Config mistakes through the real command: one `Error:` block naming the fix, no traceback,
a non-zero exit; the traceback only with HYDRA_FULL_ERROR=1. Also trainer.args.<field>=
without `+`, the README's sweeps included."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser

from conftest import REPO, compose_config
from hydratune.config.overrides import as_typed, force_trainer_args


def hydratune(*args: str, cwd, env=None, timeout=300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"} | (env or {})
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / "run.py"), "logger=none", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


# (overrides, what the message must say): each names the key and the fix
COMPOSITION = [  # Hydra's errors, reworded: well under a second each
    (["data=nope"], "Available options in 'data': demo_chat, demo_sentiment, demo_seq2seq, files"),
    (["data.txt_column=x"], "data.txt_column is not a key of the composed config"),
    (["tokenizer=bert-base-uncased"], "model.tokenizer_name_or_path="),
    (["trainer.tokenizer=x"], "renamed processing_class"),
]
VALIDATION = [  # hydratune's checks, before any weights load (each process imports torch)
    (["experiment=sst2_minilm"], "sst2_dir is required (??? in the config): set sst2_dir=<value>"),
    (
        ["trainer.args.evaluation_strategy=epoch"],
        "renamed eval_strategy: trainer.args.eval_strategy",
    ),
    (["trainer.args.no_cuda=true"], "renamed use_cpu: trainer.args.use_cpu=true"),
    (["trainer.args.logging_dir=logs"], "logger=tensorboard"),
    (["trainer.args.fp16_opt_level=O2"], "trainer.args.fp16=true (CUDA) or trainer.args.bf16=true"),
    (["trainer=sft", "trainer.args.max_seq_length=128"], "trainer.args.max_length="),
    (["trainer.args.learnig_rate=1e-3"], "Did you mean ['learning_rate']?"),
    (["model=hf"], "model.name_or_path is required: set model.name_or_path=<value>."),
    (["trainer.args.fp16=true"], "needs a CUDA GPU"),
]
ERRORS = COMPOSITION + [pytest.param(*case, marks=pytest.mark.slow) for case in VALIDATION]


@pytest.mark.parametrize(("overrides", "fix"), ERRORS, ids=[" ".join(c[0]) for c in COMPOSITION
                                                            + VALIDATION])  # fmt: skip
def test_config_errors_print_one_block_with_the_fix(overrides, fix, tmp_path):
    if overrides == ["trainer.args.fp16=true"]:
        pytest.importorskip("torch").cuda.is_available() and pytest.skip("a GPU takes fp16")
    done = hydratune(*overrides, cwd=tmp_path)
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert "\nError: " in "\n" + done.stderr, done.stderr[-2000:]
    assert fix in done.stderr, done.stderr[-2000:]
    assert not (tmp_path / "outputs").exists() or not list((tmp_path / "outputs").rglob("model"))


def test_the_traceback_is_one_variable_away(tmp_path):
    done = hydratune("data=nope", cwd=tmp_path, env={"HYDRA_FULL_ERROR": "1"})
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "MissingConfigException" in done.stderr


def test_every_arguments_field_is_settable_without_plus():
    cfg = compose_config(*force_trainer_args(["trainer.args.label_smoothing_factor=0.1"]))
    assert cfg.trainer.args.label_smoothing_factor == 0.1
    sft = compose_config("trainer=sft", *force_trainer_args(["trainer.args.neftune_noise_alpha=5"]))
    assert sft.trainer.args.neftune_noise_alpha == 5
    assert as_typed(["++trainer.args.fp16=true", "++x=1", "seed=1"]) == [
        "trainer.args.fp16=true", "++x=1", "seed=1",
    ]  # fmt: skip


def test_the_readmes_sweep_splits_into_jobs():
    """``-m trainer.args.fp16=true,false trainer.args.gradient_accumulation_steps=1,4``: four
    jobs, each of which composes (fp16=true then fails validation on a CPU, in seconds)."""
    argv = force_trainer_args(
        ["trainer.args.fp16=true,false", "trainer.args.gradient_accumulation_steps=1,4", "seed=1"]
    )
    parsed = OverridesParser.create().parse_overrides(argv)
    (jobs,) = BasicSweeper.split_arguments(parsed, max_batch_size=None)
    assert len(jobs) == 4
    for job in jobs:
        cfg = compose_config(*job)
        assert cfg.trainer.args.fp16 in (True, False)
        assert cfg.trainer.args.gradient_accumulation_steps in (1, 4)
