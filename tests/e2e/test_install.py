"""`pip install` the built wheel into a fresh venv outside the repo and use the `hydratune`
command from an empty directory: the default run, a sweep, --help, a user's own config dir.

The venv reuses this interpreter's site-packages for the dependencies (torch is not
downloaded again; a `.pth` file makes them visible), so pip resolves `hydratune[sweep]`
against what is installed and installs only the wheel: the package, its configs and its
console scripts come from the wheel alone.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow
TINY = ["data.max_train_samples=32", "data.max_eval_samples=16", "trainer.args.num_train_epochs=1",
        "trainer.args.disable_tqdm=true", "logger=none"]  # fmt: skip


def sh(*command, cwd, timeout=600, check=True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HYDRA_FULL_ERROR")}
    done = subprocess.run(list(map(str, command)), cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)  # fmt: skip
    if check:
        assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("install")
    wheels = root / "wheels"
    sh(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
       "-w", wheels, REPO, cwd=root)  # fmt: skip
    (wheel,) = wheels.glob("hydratune-*.whl")
    env = root / "venv"
    sh(sys.executable, "-m", "venv", "--without-pip", env, cwd=root)
    python = env / "bin" / "python"
    target = sh(python, "-c", "import site; print(site.getsitepackages()[0])", cwd=root)
    shared = [p for p in site.getsitepackages() if Path(p).is_dir()]
    Path(target.stdout.strip(), "shared_dependencies.pth").write_text("\n".join(shared) + "\n")
    sh(python, "-m", "pip", "install", "-q", f"{wheel}[sweep]", cwd=root)
    return env


def test_the_wheel_holds_package_configs_and_commands(venv, tmp_path):
    probe = "import hydratune, hydratune.conf; print(hydratune.__file__, hydratune.conf.__file__)"
    where = sh(venv / "bin/python", "-c", probe, cwd=tmp_path)
    assert all(str(venv) in line for line in where.stdout.split()), where.stdout
    for script in ("hydratune", "hydratune-compare", "hydratune-merge-adapter"):
        assert (venv / "bin" / script).exists()
    helped = sh(venv / "bin/hydratune", "--help", cwd=tmp_path)
    listed = (
        "data: demo_chat, demo_sentiment, demo_seq2seq, files",
        "logger: many, mlflow, none",
        "experiment: agnews_minilm, alpaca_lora, oasst_chat_lora, scitldr_t5, sst2_minilm",
    )
    for line in listed:
        assert line in helped.stdout, helped.stdout[:3000]


def test_default_run_and_sweep_from_an_empty_directory(venv, tmp_path):
    sh(venv / "bin/hydratune", *TINY, cwd=tmp_path)
    (run_dir,) = (tmp_path / "outputs").glob("*/*")
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "completed"
    assert "eval_accuracy" in json.loads((run_dir / "metrics.json").read_text())
    sh(venv / "bin/hydratune", "-m", "seed=1,2", *TINY, cwd=tmp_path)
    (sweep,) = (tmp_path / "multirun").glob("*/*")
    assert sorted(p.parent.name for p in sweep.glob("*/run.json")) == ["0", "1"]
    compared = sh(venv / "bin/hydratune-compare", sweep, cwd=tmp_path)
    assert "seed" in compared.stdout and (sweep / "compare.csv").exists()


def test_a_users_config_dir_adds_data_and_experiments(venv, tmp_path, write_rows):
    rows = [{"review": f"{w} day number {i}", "stars": "good" if w == "fine" else "bad"}
            for i in range(24) for w in ("fine", "awful")]  # fmt: skip
    train = write_rows("reviews.csv", rows)
    conf = tmp_path / "my_conf"
    (conf / "data").mkdir(parents=True)
    (conf / "experiment").mkdir()
    (conf / "data" / "reviews.yaml").write_text(textwrap.dedent(f"""\
        defaults:
          - files
          - _self_
        train_files: {train}
        text_column: review
        label_column: stars
        eval_size: 0.25
        """))  # fmt: skip
    (conf / "experiment" / "mine.yaml").write_text(textwrap.dedent("""\
        # @package _global_
        defaults:
          - override /data: reviews
        run_name: mine
        trainer:
          args:
            num_train_epochs: 2
        """))  # fmt: skip
    work = tmp_path / "project"
    work.mkdir()
    listed = sh(venv / "bin/hydratune", "--config-dir", conf, "--help", cwd=work)
    assert "data: demo_chat, demo_sentiment, demo_seq2seq, files, hub, reviews," in listed.stdout
    sh(venv / "bin/hydratune", "--config-dir", conf, "experiment=mine", *TINY, cwd=work)
    (run_dir,) = (work / "outputs").glob("*/*")
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "completed"
    saved = (run_dir / ".hydra" / "config.yaml").read_text()
    assert "text_column: review" in saved and "num_train_epochs: 1" in saved  # the CLI wins
    searched = sh(venv / "bin/hydratune", f"hydra.searchpath=[file://{conf}]", "data=reviews",
                  "--cfg", "job", cwd=work)  # fmt: skip
    assert "label_column: stars" in searched.stdout
    listed = sh(venv / "bin/hydratune", f"hydra.searchpath=[file://{conf}]", "--help", cwd=work)
    assert "data: demo_chat, demo_sentiment, demo_seq2seq, files, hub, reviews," in listed.stdout


def test_your_own_code_from_your_project_dir_by_target(venv, tmp_path):
    """The README's `metrics._target_=my_pkg.my_metrics` and `trainer.cls=my_pkg.CustomTrainer`,
    run from the project dir that holds my_pkg, with nothing on PYTHONPATH."""
    work = tmp_path / "myproj"
    (work / "my_pkg").mkdir(parents=True)
    (work / "my_pkg" / "__init__.py").write_text(textwrap.dedent("""\
        import numpy as np
        from transformers import Trainer

        def my_metrics(eval_pred):
            logits, labels = eval_pred
            return {"my_accuracy": float((np.argmax(logits, -1) == labels).mean())}

        class CustomTrainer(Trainer):
            pass
        """))  # fmt: skip
    sh(venv / "bin/hydratune", "metrics._target_=my_pkg.my_metrics",
       "trainer.cls=my_pkg.CustomTrainer", *TINY, cwd=work)  # fmt: skip
    (run_dir,) = (work / "outputs").glob("*/*")
    assert "eval_my_accuracy" in json.loads((run_dir / "metrics.json").read_text())
    logged = (run_dir / "run.log").read_text()
    assert (
        "Dropped the replaced option's keys that your _target_ does not take: metrics.average"
        in logged
    )


def test_a_sweep_with_a_failed_job_ends_with_its_table_and_exit_1(venv, tmp_path):
    done = sh(venv / "bin/hydratune", "-m", "trainer.args.fp16=true,false", *TINY, cwd=tmp_path,
              check=False)  # fmt: skip
    said = done.stdout + done.stderr
    assert done.returncode == 1, said[-3000:]
    (sweep,) = (tmp_path / "multirun").glob("*/*")
    assert f"Sweep {sweep.relative_to(tmp_path)}, 2 jobs: 1 did not succeed" in said
    rows = [line.split() for line in said.splitlines() if line[:2] in ("0 ", "1 ")]
    assert [row[:2] for row in rows] == [["0", "failed"], ["1", "completed"]], said[-3000:]
    assert "ConfigError" in rows[0] and rows[1][2] != "-"  # error type; the metric
    assert "Error: trainer.args.fp16=true needs a CUDA GPU" in done.stderr
