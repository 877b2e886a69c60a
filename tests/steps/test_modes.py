"""do_train / do_eval / do_predict, from_run=, predictions, and a user's Trainer subclass,
through the real pipeline on a small trained classifier."""

from __future__ import annotations

import csv
import json
import logging

import pytest
from omegaconf import OmegaConf

from conftest import FAST, compose_config
from hydratune.config.errors import ConfigError
from hydratune.pipeline import run
from hydratune.samples import sample_path

QUICK = (*FAST, "logger=none")
COMPARED = ("eval_loss", "eval_accuracy", "eval_f1", "eval_precision", "eval_recall", "eval_auroc")


def read_json(path):
    return json.loads(path.read_text())


def run_like_hydra(run_dir, *overrides):
    """Run as ``scripts/run.py`` does: the composed config saved in ``.hydra/`` first."""
    cfg = compose_config(*QUICK, *overrides)
    (run_dir / ".hydra").mkdir(parents=True)
    OmegaConf.save(cfg, run_dir / ".hydra" / "config.yaml")
    run(cfg, run_dir=run_dir, overrides=overrides)
    return read_json(run_dir / "metrics.json")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A finished classifier run (2 epochs on 96 rows, a checkpoint each) and its metrics."""
    run_dir = tmp_path_factory.mktemp("trained") / "run"
    return run_dir, run_like_hydra(run_dir)


def sample_rows(n: int, labelled: bool) -> list[dict]:
    with open(sample_path("demo_sentiment/eval.csv"), newline="") as handle:
        rows = list(csv.DictReader(handle))[:n]
    return [row if labelled else {"text": row["text"]} for row in rows]


def test_evaluating_a_finished_run_repeats_its_final_metrics(trained, tmp_path):
    run_dir, trained_metrics = trained
    again = tmp_path / "again"
    metrics = run_like_hydra(again, f"from_run={run_dir}", "trainer.args.do_train=false")
    for key in COMPARED:
        assert metrics[key] == pytest.approx(trained_metrics[key], abs=1e-6), key
    assert "train_loss" not in metrics
    record = read_json(again / "run.json")
    assert record["status"] == "completed" and record["mode"] == "evaluate"
    assert record["from_run"] == str(run_dir)
    assert not (again / "checkpoints").exists() and not (again / "model").exists()
    assert not list(again.rglob("optimizer.pt"))


def test_a_checkpoint_dir_evaluates_as_it_did_at_its_step(trained, tmp_path):
    run_dir, _ = trained
    first = min((run_dir / "checkpoints").glob("checkpoint-*"), key=lambda p: int(p.name[11:]))
    step = int(first.name[11:])
    logged = next(e for e in read_json(run_dir / "log_history.json") if e.get("step") == step
                  and "eval_loss" in e)  # fmt: skip
    metrics = run_like_hydra(tmp_path / "again", f"from_run={first}", "trainer.args.do_train=false")
    assert metrics["eval_loss"] == pytest.approx(logged["eval_loss"], abs=1e-6)
    assert metrics["eval_accuracy"] == pytest.approx(logged["eval_accuracy"], abs=1e-6)


def test_training_goes_on_from_a_checkpoint_with_new_settings(trained, tmp_path):
    from safetensors.torch import load_file

    run_dir, _ = trained
    first = min((run_dir / "checkpoints").glob("checkpoint-*"), key=lambda p: int(p.name[11:]))
    out = tmp_path / "more"
    metrics = run_like_hydra(out, f"from_run={first}", "trainer.args.max_steps=2")
    assert metrics["train_loss"] > 0 and read_json(out / "run.json")["mode"] == "train+evaluate"
    before, after = (
        load_file(first / "model.safetensors"),
        load_file(out / "model" / "model.safetensors"),
    )
    assert set(before) == set(after) and any(not before[k].equal(after[k]) for k in before)


def predict_from(trained, out, test_file, batch_rows: int, *overrides):
    """A predict run from the trained run; its metrics and predictions.csv rows."""
    metrics = run_like_hydra(
        out, f"from_run={trained[0]}", f"data.test_files={test_file}",
        f"predict.batch_rows={batch_rows}", "trainer.args.do_train=false",
        "trainer.args.do_predict=true", *overrides,
    )  # fmt: skip
    with open(out / "predictions.csv", newline="") as handle:
        return metrics, list(csv.DictReader(handle))


def test_predicting_an_unlabelled_file_writes_one_row_each(trained, tmp_path, write_rows):
    test_file = write_rows("unlabelled.csv", sample_rows(50, labelled=False))
    out = tmp_path / "predict"
    metrics, rows = predict_from(trained, out, test_file, 16, "trainer.args.do_eval=false")
    assert len(rows) == 50 and [int(r["row"]) for r in rows] == list(range(1, 51))
    assert list(rows[0]) == ["row", "text", "predicted", "p_negative", "p_positive"]
    for row, given in zip(rows, sample_rows(50, labelled=False), strict=True):
        assert row["text"] == given["text"]
        p = (float(row["p_negative"]), float(row["p_positive"]))
        assert sum(p) == pytest.approx(1, abs=1e-5)
        assert row["predicted"] == ("positive" if p[1] > p[0] else "negative")
    assert not any(key.startswith("test_") for key in metrics)
    assert read_json(out / "run.json")["mode"] == "predict"
    # each row's probabilities are the model's for that row's text (file order, not the
    # length-grouped order Trainer gives eval batches)
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(trained[0] / "model").eval()
    tokenizer = AutoTokenizer.from_pretrained(trained[0] / "model")
    with torch.no_grad():
        for row in rows[:10]:
            logits = model(**tokenizer(row["text"], return_tensors="pt")).logits
            assert float(row["p_positive"]) == pytest.approx(
                logits.softmax(-1)[0, 1].item(), abs=1e-4
            )  # one row alone vs in a padded batch: float32 differences ~1e-5


def test_test_metrics_are_what_the_predictions_say(trained, tmp_path, write_rows):
    test_file = write_rows("labelled.csv", sample_rows(40, labelled=True))
    out = tmp_path / "predict"
    metrics, rows = predict_from(trained, out, test_file, 7)  # 6 chunks of 7 rows or fewer
    assert len(rows) == 40 and rows[0]["label"] in ("negative", "positive")
    implied = sum(r["predicted"] == r["label"] for r in rows) / len(rows)
    assert metrics["test_accuracy"] == pytest.approx(implied)
    assert metrics["test_loss"] > 0 and "eval_accuracy" in metrics  # do_eval stays on
    assert (out / "test_classification_report.json").exists()
    assert read_json(out / "run.json")["mode"] == "evaluate+predict"


def test_a_model_trained_on_other_labels_is_refused_naming_both(trained, write_rows):
    from hydratune.groups.data import files
    from hydratune.groups.model.from_run import model

    run_dir, _ = trained
    rows = [{"text": f"text {i}", "label": "abc"[i % 3]} for i in range(12)]
    data = files(train_files=write_rows("three.csv", rows), eval_size=3)
    with pytest.raises(ConfigError, match=r"\['negative', 'positive'\].*\['a', 'b', 'c'\]"):
        model(data, path=str(run_dir / "model"))


def test_from_run_takes_the_saved_groups_and_this_commands_keys(tmp_path):
    from hydratune.config.from_run import inherit

    saved_run = tmp_path / "saved"
    (saved_run / "model").mkdir(parents=True)
    (saved_run / "model" / "config.json").write_text("{}")
    saved = compose_config("data=files", "data.train_files=old.csv", "data.eval_files=old_dev.csv",
                           "trainer.args.learning_rate=0.5")  # fmt: skip
    (saved_run / ".hydra").mkdir()
    OmegaConf.save(saved, saved_run / ".hydra" / "config.yaml")

    overrides = [f"from_run={saved_run}", "data.eval_files=new.csv"]
    cfg = inherit(compose_config(*overrides), overrides)
    assert cfg.data.train_files == "old.csv" and cfg.data.eval_files == "new.csv"
    assert cfg.trainer.args.learning_rate == 0.5
    assert cfg.model.path == str(saved_run / "model")
    assert cfg.peft._target_.endswith("peft.none")

    chosen = [f"from_run={saved_run}", "data=demo_sentiment"]  # a new data option: it wins
    assert inherit(compose_config(*chosen), chosen).data.train_files.endswith("train.csv")
    with pytest.raises(ConfigError, match="no saved model"):
        inherit(compose_config(f"from_run={tmp_path}"), [])


def test_modes_that_cannot_run_fail_before_the_model_loads(tmp_path):
    nothing = ("trainer.args.do_train=false", "trainer.args.do_eval=false")
    with pytest.raises(ConfigError, match="nothing to do"):
        run(compose_config(*QUICK, *nothing), run_dir=tmp_path / "a")
    with pytest.raises(ConfigError, match="data.test_files"):
        run(compose_config(*QUICK, "trainer.args.do_predict=true"), run_dir=tmp_path / "b")
    record = read_json(tmp_path / "b" / "run.json")
    assert record["status"] == "failed" and "load_model" not in record["timings_s"]


# The seed tutorial's CustomTrainer, as written there (plus the `import torch` it forgot).
SEED_TRAINER = """
import torch
from torch import nn
from transformers import Trainer

class CustomTrainer(Trainer):
    def compute_loss(self, model, inputs, return_outputs=False):
        labels = inputs.get("labels")
        # forward pass
        outputs = model(**inputs)
        logits = outputs.get("logits")
        # compute custom loss (suppose one has 3 labels with different weights)
        loss_fct = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 3.0]))
        loss = loss_fct(logits.view(-1, self.model.config.num_labels), labels.view(-1))
        return (loss, outputs) if return_outputs else loss
"""


@pytest.fixture
def seed_trainer(tmp_path, monkeypatch):
    (tmp_path / "seed_trainer.py").write_text(SEED_TRAINER)
    monkeypatch.syspath_prepend(str(tmp_path))
    return "seed_trainer.CustomTrainer"


class FixedLogits:
    """A model whose logits for token id i are row i of a fixed table."""

    def __new__(cls):
        import torch
        from transformers import PretrainedConfig
        from transformers.modeling_outputs import SequenceClassifierOutput

        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.config = PretrainedConfig(num_labels=3)
                self.table = torch.nn.Parameter(torch.tensor([[2.0, 0, 0], [0, 1, 0], [0, 0, 0.5]]))

            def forward(self, input_ids, labels=None):
                logits = self.table[input_ids[:, 0]]
                loss = torch.nn.functional.cross_entropy(logits, labels)
                return SequenceClassifierOutput(loss=loss, logits=logits)

        return Model()


def test_the_seed_custom_trainer_weights_the_loss_as_the_closed_form_says(seed_trainer, tmp_path):
    import torch

    from hydratune.groups.trainer import plain

    def trainer(cls):
        return plain(None, FixedLogits(), None, None, None, None, cls=cls,
                     args={"output_dir": str(tmp_path / cls), "use_cpu": True})  # fmt: skip

    batch = {"input_ids": torch.tensor([[0], [1], [2]]), "labels": torch.tensor([0, 1, 2])}
    custom, default = trainer(seed_trainer), trainer("transformers.Trainer")
    # per-row -log p(true class): log(1 + 2e^-2), log(1 + 2e^-1), log(1 + 2e^-0.5)
    per_row = [0.2395448, 0.5514446, 0.7943768]
    mean = sum(per_row) / 3  # the default loss: 0.5284554
    weighted = (1 * per_row[0] + 2 * per_row[1] + 3 * per_row[2]) / (1 + 2 + 3)  # 0.6209274
    model = custom.model
    assert default.compute_loss(model, batch).item() == pytest.approx(mean, abs=1e-6)
    assert custom.compute_loss(model, batch, num_items_in_batch=3).item() == pytest.approx(
        weighted, abs=1e-6
    )
    assert weighted - mean == pytest.approx(0.0924720, abs=1e-6)
    assert custom.loss_is_scaled_for_ga is False  # a per-batch mean: Trainer divides by GA


def test_the_seed_custom_trainer_trains_through_trainer_cls(seed_trainer, write_rows, tmp_path,
                                                           caplog):  # fmt: skip
    rows = [{"text": f"{w} item {i}", "label": w} for i in range(16) for w in ("ant", "bee", "cat")]
    overrides = ("data=files", f"data.train_files={write_rows('three.csv', rows)}",
                 "data.eval_size=12", f"trainer.cls={seed_trainer}", "trainer.args.max_steps=4",
                 "trainer.args.gradient_accumulation_steps=2")  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="hydratune.groups.trainer"):
        metrics = run_like_hydra(tmp_path / "run", *overrides)
    assert metrics["train_loss"] > 0 and "eval_accuracy" in metrics
    assert "ignores num_items_in_batch" in caplog.text  # gradient accumulation > 1


def test_early_stopping_conflicts_are_config_errors_before_the_model(tmp_path):
    cases = {
        "trainer.args.eval_strategy=no": "eval_strategy=no",
        "trainer.args.save_strategy=steps": "eval_strategy=epoch but save_strategy=steps",
        "+trainer.args.load_best_model_at_end=false": "load_best_model_at_end=false",
        "+trainer.args.metric_for_best_model=accuracy": "metric_for_best_model=accuracy",
    }
    for n, (override, message) in enumerate(cases.items()):
        cfg = compose_config(*QUICK, "callbacks=early_stopping", override)
        with pytest.raises(ConfigError, match=message):
            run(cfg, run_dir=tmp_path / str(n))
        assert "load_data" not in read_json(tmp_path / str(n) / "run.json")["timings_s"]


class Recorder:
    """A user's callback, by _target_ (``callbacks.extra``)."""

    seen: list = []

    def __new__(cls, tag: str):
        from transformers import TrainerCallback

        class Record(TrainerCallback):
            def on_evaluate(self, args, state, control, **kwargs):
                Recorder.seen.append((tag, state.global_step))

        return Record()


def test_own_callbacks_by_target_are_called(trained, tmp_path):
    run_dir, _ = trained
    Recorder.seen.clear()
    extra = "callbacks.extra=[{_target_: test_modes.Recorder, tag: mine}]"
    run_like_hydra(tmp_path / "again", f"from_run={run_dir}", "trainer.args.do_train=false", extra)
    assert Recorder.seen == [("mine", 0)]


@pytest.mark.slow
def test_early_stopping_ends_the_demo_early_and_keeps_the_best_model(tmp_path, caplog):
    import logging

    from safetensors.torch import load_file

    run_dir = tmp_path / "run"
    cfg = compose_config(
        "logger=none", "callbacks=early_stopping", "trainer.args.disable_tqdm=true"
    )
    with caplog.at_level(logging.INFO, logger="hydratune"):
        run(cfg, run_dir=run_dir, overrides=["callbacks=early_stopping"])
    history = read_json(run_dir / "log_history.json")
    evals = [e for e in history if "eval_loss" in e and "train_loss" not in e]
    assert history[-1]["epoch"] < cfg.trainer.args.num_train_epochs  # stopped early
    last = max((run_dir / "checkpoints").glob("checkpoint-*"), key=lambda p: int(p.name[11:]))
    best = read_json(last / "trainer_state.json")["best_model_checkpoint"]
    saved, kept = (
        load_file(run_dir / "model" / "model.safetensors"),
        load_file(f"{best}/model.safetensors"),
    )
    assert all(saved[k].equal(kept[k]) for k in kept)
    said = caplog.text  # when it stopped and what it kept, in the run's log
    assert f"Early stopping at step {history[-1]['step']}: eval_loss=" in said
    assert f"Kept the best checkpoint, {best} (step {best.rsplit('-', 1)[1]}, eval_loss=" in said
    metrics = read_json(run_dir / "metrics.json")
    assert metrics["eval_loss"] == pytest.approx(min(e["eval_loss"] for e in evals[:-1]), abs=1e-6)


@pytest.mark.slow
def test_sft_lora_run_predicts_generations_and_reloads_from_its_dir(tmp_path, write_rows):
    from hydratune.groups.model.from_run import model as saved_model

    with open(sample_path("demo_chat/eval.jsonl")) as handle:
        chats = [json.loads(line) for line in handle][:4]
    test_file = write_rows("chats.jsonl", chats)
    sft = ("trainer=sft", "peft=lora", "data.max_train_samples=32", "data.max_eval_samples=4",
           "trainer.args.max_steps=4", f"data.test_files={test_file}",
           "predict.max_new_tokens=8")  # fmt: skip
    first = tmp_path / "sft"
    run_like_hydra(first, *sft, "trainer.args.do_predict=true")
    lines = [json.loads(x) for x in (first / "predictions.jsonl").read_text().splitlines()]
    assert [x["row"] for x in lines] == [1, 2, 3, 4]
    assert all(isinstance(x["generated"], str) and x["reference"] for x in lines)
    assert lines[0]["prompt"].endswith("<|im_start|>assistant\n")  # the chat template's cue

    again = tmp_path / "again"
    run_like_hydra(again, f"from_run={first}", "trainer.args.do_train=false",
                   "trainer.args.do_eval=false", "trainer.args.do_predict=true")  # fmt: skip
    repeated = [json.loads(x) for x in (again / "predictions.jsonl").read_text().splitlines()]
    assert [x["generated"] for x in repeated] == [x["generated"] for x in lines]  # greedy
    from peft import PeftModel

    from hydratune.groups.data import sft_files

    reloaded, tokenizer = saved_model(sft_files(train_files=test_file), path=str(first / "model"))
    assert isinstance(reloaded, PeftModel) and "<|im_start|>" in tokenizer.chat_template


def test_multilabel_predictions_are_label_sets(write_rows):
    import numpy as np

    from hydratune.groups.data import files
    from hydratune.steps.predict import _header, _lines

    rows = [{"text": f"t{i}", "label": ["a", "b", "c"][: 1 + i % 3]} for i in range(9)]
    path = write_rows("multi.jsonl", rows)
    data = files(train_files=path, test_files=path, eval_size=3)
    assert data.kind == "multilabel"
    test = data.splits["test"][:2]
    logits = np.array([[2.0, -1.0, 0.5], [-3.0, -2.0, -0.1]])  # sigmoid: .88 .27 .62 / .05 .12 .48
    lines = list(_lines(data, test, logits, 0.5, labelled=True))
    assert _header(data, True) == ["row", "text", "predicted", "p_a", "p_b", "p_c", "label"]
    assert [line[1] for line in lines] == ["a|c", ""]
    assert [line[-1] for line in lines] == ["a", "a|b"]
    assert float(lines[0][2]) == pytest.approx(1 / (1 + np.exp(-2.0)), abs=1e-6)
