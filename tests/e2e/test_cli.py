"""scripts/run.py as a user runs it: Hydra run dirs, fast composition, clear failures."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import FAST, REPO, run_script


def test_cli_run_writes_hydra_run_dir_with_every_artifact(tmp_path):
    done = run_script(*FAST, "trainer.args.num_train_epochs=1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    (run_dir,) = (tmp_path / "outputs").glob("*/*")
    assert {".hydra", "metrics.json", "run.json", "model", "checkpoints", "wandb"} <= {
        p.name for p in run_dir.iterdir()
    }
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "completed"
    assert "data.max_train_samples=96" in record["overrides"]
    assert (run_dir / ".hydra" / "config.yaml").exists()


def test_composition_does_not_import_heavy_libraries():
    probe = (
        "import sys, runpy\n"
        f"sys.argv = ['run.py', '--cfg', 'job']\n"
        "try:\n"
        f"    runpy.run_path({str(REPO / 'scripts' / 'run.py')!r}, run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('torch', 'transformers', 'datasets', 'trl', 'wandb')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO)
    assert "HEAVY []" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
    assert "_target_: hydratune.groups.model.tiny_bert" in done.stdout


def test_cli_error_names_the_problem(tmp_path):
    done = run_script("data.text_column=review", "logger=none", cwd=tmp_path)
    assert done.returncode != 0
    assert (
        "Column 'review' not in the train split; its columns are ['text', 'label']" in done.stderr
    )


def test_secrets_are_written_nowhere_in_the_run_dir(tmp_path):
    secret = "hf_sekrit_0123456789"
    done = run_script(
        *FAST, "trainer.args.num_train_epochs=1", f"+trainer.args.hub_token={secret}", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (run_dir,) = (tmp_path / "outputs").glob("*/*")
    leaks = [p for p in run_dir.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]
    assert leaks == []
    record = json.loads((run_dir / "run.json").read_text())
    assert "+trainer.args.hub_token=<redacted>" in record["overrides"]
