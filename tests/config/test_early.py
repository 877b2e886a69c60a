"""Config errors before torch loads: validation from cached signatures gives the same answer
as validation from the imported builders, and the command reports a mistake without torch."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO, compose_config
from hydratune.config.custom_targets import drop_option_keys
from hydratune.config.early import Cached, cache_file
from hydratune.config.errors import ConfigError
from hydratune.config.validate import validate

MISTAKES = [
    ("trainer.args.learning_rate=-1",),
    ("+trainer.args.lerning_rate=1e-3",),  # a typo: close matches named
    ("+trainer.args.fsdp=true", "trainer.args.num_train_epochs=x"),  # flag value; wrong type
    ("trainer=sft", "+trainer.args.max_seq_length=64"),  # renamed by trl
    ("peft=lora", "peft.r=0", "loss=focal", "loss.gamma=-1"),  # ranges in builder annotations
    ("trainer=sft", "trainer.loss_on=sideways", "seed=x"),  # a Literal choice; the seed
]


def problems(cfg, lookup=None) -> str:
    with pytest.raises(ConfigError) as caught:
        validate(cfg) if lookup is None else validate(cfg, lookup)
    return str(caught.value)


@pytest.mark.parametrize("overrides", MISTAKES, ids=lambda o: " ".join(o))
def test_cached_signatures_find_what_the_imported_builders_find(tmp_path, overrides):
    cfg = compose_config(*overrides)
    live = problems(cfg)
    first = Cached(tmp_path / "signatures.pkl")
    assert problems(cfg, first) == live
    first.save()
    again = Cached(tmp_path / "signatures.pkl")  # read back from the file
    assert problems(cfg, again) == live and not again.changed


def test_the_command_reports_a_config_error_without_importing_torch(tmp_path):
    env_dir = tmp_path / "cache"
    cfg = compose_config("trainer.args.learning_rate=-1")
    import os

    os.environ["HYDRATUNE_CACHE_DIR"] = str(env_dir)
    try:
        cached = Cached(cache_file())  # what an earlier command leaves
        problems(cfg, cached)
        cached.save()
    finally:
        del os.environ["HYDRATUNE_CACHE_DIR"]
    done = subprocess.run(
        [sys.executable, "-X", "importtime", str(REPO / "scripts" / "run.py"),
         "trainer.args.learning_rate=-1", "trainer.args.lerning_rate=1"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "HYDRATUNE_CACHE_DIR": str(env_dir)},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Error: 2 problems in the config" in done.stderr
    assert "learning_rate=-1 must be greater than 0" in done.stderr
    assert "Did you mean ['learning_rate'" in done.stderr
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert not imported & {"torch", "transformers", "trl", "datasets", "wandb"}
    (run_json,) = tmp_path.glob("outputs/*/*/run.json")  # the refusal is recorded, as before
    assert '"status": "failed"' in run_json.read_text()


def test_a_target_named_on_the_command_line_drops_the_options_keys_it_does_not_take(
    tmp_path, monkeypatch
):
    (tmp_path / "my_metrics.py").write_text(
        "def score(eval_pred, *, scale=1.0):\n    return {'score': scale}\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    given = ["metrics._target_=my_metrics.score", "+metrics.scale=2.0"]
    cfg = compose_config(*given)
    assert cfg.metrics.average == "auto"  # the classification option's own key
    assert drop_option_keys(cfg, given) == ["metrics.average"]
    assert dict(cfg.metrics) == {"_target_": "my_metrics.score", "scale": 2.0}
    validate(cfg)  # nothing left to refuse
    typed = [*given[:1], "+metrics.sclae=2"]  # a key you set yourself is never dropped
    cfg = compose_config(*typed)
    assert drop_option_keys(cfg, typed) == ["metrics.average"]
    assert "metrics.sclae is not a parameter of my_metrics.score" in problems(cfg)
