"""hydratune-rerun on a real run: the same config into a new run dir, train_loss reproduced
exactly; and --diff naming what changed between runs from different checkouts."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from conftest import FAST, REPO, run_script


def script(name, *args):
    command = [sys.executable, str(REPO / "scripts" / name), *map(str, args)]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_rerun_reproduces_train_loss_exactly_and_diff_names_a_changed_package(tmp_path):
    original = tmp_path / "original"
    done = run_script(*FAST, "logger=none", f"hydra.run.dir={original}")
    assert done.returncode == 0, done.stderr[-2000:]
    info = json.loads((original / "run.json").read_text())
    files = {name.rsplit("/", 1)[-1]: found for name, found in info["data_files"].items()}
    assert set(files) == {"train.csv", "eval.csv"} and all("sha256" in f for f in files.values())

    again = tmp_path / "again"
    done = script("rerun.py", original, "--out", again)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    first, second = (json.loads((d / "metrics.json").read_text()) for d in (original, again))
    assert second["train_loss"] == first["train_loss"]
    assert f"Reproduced exactly: {original} -> {again}" in done.stdout
    assert "train_loss" in done.stdout and "NOT reproduced" not in done.stdout
    assert "same: overrides, config" in done.stdout  # the recorded config, replayed

    # the same run as recorded by another checkout: other commit, other transformers
    other = tmp_path / "other"
    shutil.copytree(original, other)
    edited = json.loads((other / "run.json").read_text())
    edited["git"]["commit"] = "0" * 40
    edited["packages"]["transformers"] = "5.0.0"
    (other / "run.json").write_text(json.dumps(edited))
    done = script("compare.py", "--diff", original, other)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.split() == ["transformers", info["packages"]["transformers"], "->", "5.0.0"]
               for line in lines)  # fmt: skip
    assert any(line.split()[:1] == ["commit"] and "000000000000" in line for line in lines)
    assert lines.index("code (1 difference):") < lines.index("same: overrides, config, "
                                                              "python and hardware, command, "
                                                              "data files, metrics")  # fmt: skip


def test_rerun_of_a_dir_that_is_no_run_says_so(tmp_path):
    done = script("rerun.py", tmp_path)
    assert done.returncode == 1
    assert f"Error: {tmp_path} is not a run dir: it needs run.json" in done.stderr
