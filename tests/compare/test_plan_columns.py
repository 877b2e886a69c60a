"""hydratune-compare shows a planned sweep's estimates beside what each run measured."""

from __future__ import annotations

from hydratune.compare import compare
from hydratune.compare.table import report
from hydratune.run.record import write_json


def test_estimates_sit_beside_measured_time_and_memory(tmp_path):
    for n, (seed, measured, planned) in enumerate([(1, 30.0, 27.5), (2, 33.0, 27.5)]):
        run_dir = tmp_path / str(n)
        (run_dir / ".hydra").mkdir(parents=True)
        (run_dir / ".hydra" / "overrides.yaml").write_text(f"- seed={seed}\n")
        write_json(run_dir / "run.json", {
            "status": "completed", "overrides": [f"seed={seed}"], "timings_s": {"total": measured},
            "measured_peak_memory_mb": 600.0 + n,
            "plan_estimate": {"est_total_seconds": planned, "est_peak_memory_mb": 580.0},
        })  # fmt: skip
        write_json(run_dir / "metrics.json", {"eval_accuracy": 0.8})

    comparison = compare([tmp_path])
    table = comparison.table.set_index("run")
    assert table.loc["1", "runtime_s"] == 33.0 and table.loc["1", "est_runtime_s"] == 27.5
    assert table.loc["1", "peak_memory_mb"] == 601.0
    assert table.loc["1", "est_peak_memory_mb"] == 580.0
    assert "est_runtime_s" in report(comparison) and "est_peak_memory_mb" in report(comparison)
