"""A sweep is frozen at launch: a config file edited while the sweep runs does not reach the
jobs that start after the edit, and a different sweep is refused in a frozen sweep's dir."""

from __future__ import annotations

import json
import os

import pytest

from conftest import run_script

EDITOR = '''
import os
from pathlib import Path

from hydra.experimental.callback import Callback


class EditAfterFirstJob(Callback):
    """Edits the experiment file once job 0 has finished, before job 1 is composed."""

    def on_job_end(self, config, job_return, **kwargs):
        path = Path(os.environ["EDIT_FILE"])
        path.write_text(path.read_text().replace("max_train_samples: 40", "max_train_samples: 80"))
'''


@pytest.mark.slow
def test_a_job_runs_the_config_of_the_launch_not_the_edited_file(tmp_path, monkeypatch):
    experiment = tmp_path / "my_conf" / "experiment" / "mine.yaml"
    experiment.parent.mkdir(parents=True)
    experiment.write_text("# @package _global_\ndata:\n  max_train_samples: 40\n")
    (tmp_path / "editor_cb.py").write_text(EDITOR)
    monkeypatch.setenv("EDIT_FILE", str(experiment))
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path}:{os.environ.get('PYTHONPATH', '')}")
    sweep = tmp_path / "sweep"
    command = ["-m", "--config-dir", str(tmp_path / "my_conf"), "experiment=mine",
               "dry_run=true", "logger=none", f"hydra.sweep.dir={sweep}",
               "+hydra.callbacks.editor._target_=editor_cb.EditAfterFirstJob"]  # fmt: skip

    done = run_script(*command, "seed=1,2", cwd=tmp_path)

    assert done.returncode == 0, done.stderr[-3000:]
    assert "max_train_samples: 80" in experiment.read_text()  # edited before job 1 started
    rows = [json.loads((sweep / n / "dry_run.json").read_text())["rows"]["train"] for n in "01"]
    assert rows == [40, 40]  # job 1 ran the launch-time config
    assert "max_train_samples: 40" in (sweep / "1" / ".hydra" / "config.yaml").read_text()
    listed = json.loads((sweep / "frozen" / "jobs.json").read_text())
    assert [job["overrides"][-1] for job in listed] == ["seed=1", "seed=2"]

    other = run_script(*command, "seed=1,3", cwd=tmp_path)  # another sweep, same dir
    assert other.returncode == 1 and "holds another sweep" in other.stderr


@pytest.mark.slow
def test_snapshot_code_makes_the_jobs_import_the_sweeps_copy(tmp_path):
    sweep = tmp_path / "sweep"
    launch = ["-m", "hydra/launcher=local", "snapshot_code=true", "dry_run=true", "logger=none"]
    done = run_script(*launch, "seed=1", f"hydra.sweep.dir={sweep}", cwd=tmp_path)

    assert done.returncode == 0, done.stderr[-3000:]
    assert (sweep / "code" / "hydratune" / "conf" / "config.yaml").is_file()
    record = json.loads((sweep / "0" / "run.json").read_text())
    assert record["code"] == str((sweep / "code" / "hydratune").resolve())
