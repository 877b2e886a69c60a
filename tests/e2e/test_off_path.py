"""Off the happy path through the real CLI: each variation next to a README command either
completes, or exits non-zero before the model loads with the fix in its message (issue 17).
``trainer.args.<field>=`` fields that conf/trainer/*.yaml does not list need no ``+``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from conftest import MINILM, REPO, run_script

pytestmark = pytest.mark.slow  # a subprocess per row: ~10 s each on 2 shared cores

TINY = [  # the README commands, shrunk
    "logger=none",
    "data.max_train_samples=32",
    "data.max_eval_samples=8",
    "trainer.args.num_train_epochs=1",
    "trainer.args.disable_tqdm=true",
]

REFUSED = [  # (overrides, what the message must say)
    (["collator=seq2seq"], "collator=seq2seq works on seq2seq data"),
    (["collator=default"], "add data.pad_to_max_length=true"),
    (["metrics=multilabel"], "use metrics=classification"),
    (["loss=bce"], "loss=bce is for multi-label data"),
    (["trainer=sft", "model=tiny_bert"], "use model=tiny_llama"),
    (["trainer=sft", "model=hf", f"model.name_or_path={MINILM}"], "not a causal language model"),
    (["trainer.args.fp16=true"], "needs a CUDA GPU"),  # the README's fp16=true,false sweep
    (["trainer.args.learnig_rate=1e-3"], "Did you mean ['learning_rate']"),
    (["collator=lm"], "Could not find 'collator/lm'"),  # removed: see README's collator row
]


def cli(tmp_path, *overrides: str, name: str = "run") -> subprocess.CompletedProcess:
    """The run's output (Hydra logs to stdout, errors and warnings go to stderr) as ``.out``."""
    done = run_script(*TINY, f"hydra.run.dir={tmp_path / name}", *overrides, cwd=tmp_path)
    done.out = done.stdout + done.stderr
    return done


@pytest.mark.parametrize(("overrides", "message"), REFUSED, ids=lambda v: str(v)[:40])
def test_a_variation_that_cannot_train_exits_in_seconds_with_its_fix(tmp_path, overrides, message):
    started = time.perf_counter()
    done = cli(tmp_path, *overrides)
    assert done.returncode != 0
    assert message in done.out, done.out[-3000:]
    assert time.perf_counter() - started < 120  # 2 shared cores under load: startup dominates
    record = tmp_path / "run" / "run.json"
    if record.exists():  # refused before any weights loaded or anything trained
        timings = json.loads(record.read_text())["timings_s"]
        assert not {"load_model", "train"} & set(timings), timings


def test_readme_default_command_ends_with_a_summary_and_a_full_run_log(tmp_path):
    done = cli(tmp_path, "trainer.args.learning_rate=1e-3", "seed=7")  # README's second line
    assert done.returncode == 0, done.out[-3000:]
    summary = [line for line in done.out.splitlines() if "Run completed" in line]
    assert summary and "eval_accuracy=" in summary[0] and str(tmp_path / "run") in summary[0]
    log = (tmp_path / "run" / "run.log").read_text()
    assert "trainer_log" in log and "'eval_accuracy'" in log and "Run completed" in log


def test_sft_on_a_checkpoint_without_chat_template_uses_chatml_and_reloads(
    tmp_path, causal_lm_without_template
):
    from hydratune.groups.model.tokenizers import CHAT_TEMPLATE
    from hydratune.groups.peft import load_adapter

    done = cli(tmp_path, "trainer=sft", "peft=lora", "model=hf",
               f"model.name_or_path={causal_lm_without_template}")  # fmt: skip
    assert done.returncode == 0, done.out[-3000:]
    assert "has no chat template: using hydratune's ChatML template" in done.out
    assert "Run completed, eval_loss=" in done.out
    model_dir = tmp_path / "run" / "model"
    from transformers import AutoTokenizer

    assert AutoTokenizer.from_pretrained(model_dir).chat_template == CHAT_TEMPLATE  # saved
    config = json.loads((tmp_path / "run" / "run.json").read_text())
    assert config["status"] == "completed"
    reloaded = load_adapter(model_dir)  # the README recipe, with an hf base
    assert type(reloaded).__name__ == "PeftModelForCausalLM"
    trainable = sum(p.numel() for p in load_adapter(model_dir, is_trainable=True).parameters()
                    if p.requires_grad)  # fmt: skip
    assert trainable > 0
    resolved = (tmp_path / "run" / ".hydra" / "config.yaml").read_text()
    assert "learning_rate: 0.0002" in resolved  # peft=lora's rate for a checkpoint


def test_readme_sft_lora_command_keeps_the_tiny_models_rate(tmp_path):
    done = cli(tmp_path, "trainer=sft", "peft=lora")
    assert done.returncode == 0, done.out[-3000:]
    assert "learning_rate: 0.005" in (tmp_path / "run" / ".hydra" / "config.yaml").read_text()
    assert "is_gradient_checkpointing" not in done.out  # our get_peft_model call: silenced
    from hydratune.groups.peft import load_adapter

    assert load_adapter(tmp_path / "run" / "model") is not None  # base in model/base/


def test_own_files_with_an_unlabelled_test_split_and_a_field_outside_the_yaml(tmp_path, write_rows):
    test = write_rows("test.csv", [{"text": "fine"}, {"text": "awful"}])
    train = str(REPO / "src/hydratune/samples/demo_sentiment/train.csv")
    done = cli(tmp_path, "data=files", f"data.train_files={train}", f"data.test_files={test}",
               "trainer.args.label_smoothing_factor=0.1")  # fmt: skip
    assert done.returncode == 0, done.out[-3000:]
    assert "The test split has no 'label' column, so it is not evaluated" in done.out
    config = (tmp_path / "run" / ".hydra" / "config.yaml").read_text()
    assert "label_smoothing_factor: 0.1" in config


def test_a_sweep_ends_with_a_table_of_its_jobs(tmp_path):
    done = run_script("-m", *TINY, "seed=1,2", f"hydra.sweep.dir={tmp_path / 'sweep'}",
                      cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.out[-3000:]
    out = done.stdout + done.stderr
    assert "2 jobs:" in out
    table = out[out.index("2 jobs:") :].splitlines()
    assert table[1].split()[:3] == ["job", "status", "eval_accuracy"]
    assert [line.split()[:2] for line in table[3:5]] == [["0", "completed"], ["1", "completed"]]
    assert table[3].split()[-1] == "seed=1"  # only the overrides that differ


def test_benchmarks_refuse_missing_data_and_keep_results(tmp_path):
    def bench(*args):
        command = [sys.executable, "benchmarks/run.py", *args]
        return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)

    missing = bench("--only", "classification", "--sst2", str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert "--sst2 names the SST-2 dir (train.tsv, dev.tsv)" in missing.stderr
    out = tmp_path / "results.json"
    out.write_text("{}")
    data = REPO / "src/hydratune/samples/demo_sentiment"  # not SST-2's columns: the run fails
    (tmp_path / "sst2").mkdir()
    for name in ("train.tsv", "dev.tsv"):
        (tmp_path / "sst2" / name).write_text((data / "train.csv").read_text())
    failed = bench("--only", "classification", "--smoke", "--args",
                   "classification:--datasets sst2", "--sst2", str(tmp_path / "sst2"), "--out",
                   str(out))  # fmt: skip
    assert failed.returncode == 1, failed.stdout[-2000:] + failed.stderr[-2000:]
    assert out.read_text() == "{}"  # the good results stay
    assert "FAILED" in out.with_suffix(".failed.json").read_text()
