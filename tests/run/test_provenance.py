"""Provenance in run.json: the code state (commit, dirty flag, saved patch) of the checkout a
run came from, hardware, command line, data file fingerprints; and its cost."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time

from hydratune.run import provenance
from hydratune.run.record import RunRecord


def git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def make_repo(path):
    path.mkdir()
    git(path, "init", "-q")
    (path / "train.py").write_text("lr = 1e-3\n")
    git(path, "add", "train.py")
    git(path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    return path


def test_run_json_names_commit_dirty_patch_hardware_command_and_data(tmp_path):
    repo = make_repo(tmp_path / "project")
    (repo / "train.py").write_text("lr = 3e-4\n")  # an uncommitted change
    data = tmp_path / "train.csv"
    data.write_text("text,label\ngood,1\nbad,0\n")
    run_dir = tmp_path / "run"
    started = time.perf_counter()
    record = RunRecord(run_dir, ["seed=1"], repo).start()
    provenance.note_data_files([str(data)])
    record.finish("completed")
    took = time.perf_counter() - started
    info = json.loads((run_dir / "run.json").read_text())
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True)
    assert info["git"]["commit"] == head.stdout.strip()
    assert info["git"]["dirty"] is True and info["git"]["patch"] == "git.patch"
    patch = (run_dir / "git.patch").read_text()
    assert "-lr = 1e-3" in patch and "+lr = 3e-4" in patch
    assert info["git"]["patch_sha256"] == hashlib.sha256(patch.encode()).hexdigest()
    assert info["hardware"]["cores"] >= 1 and "cpu" in info["hardware"]
    assert {"argv", "cwd"} <= set(info["command"])
    assert {"torch", "transformers", "trl", "peft", "datasets", "accelerate", "hydratune"} <= set(
        info["packages"]
    )
    [(path, found)] = info["data_files"].items()
    assert path == str(data.resolve())
    assert found["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert found["size"] == data.stat().st_size
    assert took < 1.0  # ~0.1 s on an idle core; a loaded CI machine gets slack


def test_clean_checkout_writes_no_patch_and_a_new_run_forgets_old_files(tmp_path):
    repo = make_repo(tmp_path / "project")
    provenance.note_data_files([str(repo / "train.py")])
    record = RunRecord(tmp_path / "run", [], repo).start()  # a new run: a fresh file list
    record.finish("failed", ValueError("x"))
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert info["git"]["dirty"] is False and "patch" not in info["git"]
    assert not (tmp_path / "run" / "git.patch").exists()
    assert info["data_files"] == {}


def test_large_files_are_named_by_size_and_mtime_only(tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 100)
    found = provenance.fingerprint(big, limit=10)
    assert found["size"] == 100 and "sha256" not in found and found["mtime"] > 0
