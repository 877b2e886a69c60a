"""The comparison as its own W&B run in the sweep's group (``job_type=compare``): the runs
table, the seed statistics and contrasts as W&B Tables, compare.png as an image and the
verdicts in the summary, so the dashboard holds the verdict next to the jobs' curves. Offline
like the jobs (their ``logger.mode``): written to ``<out>/wandb/``, ``wandb sync`` uploads it.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from hydratune.compare.runs import Comparison


def log_comparison(comparison: Comparison, result: dict | None, out_dir: Path) -> str:
    """Open, fill and finish the compare run; return where its files are."""
    import wandb

    from hydratune.compare import stats_report

    settings = _logger_settings(comparison)
    os.environ.setdefault("WANDB_SILENT", "true")
    run = wandb.init(
        dir=str(out_dir), project=settings["project"], entity=settings.get("entity"),
        mode=settings["mode"], group=settings["group"], job_type="compare",
        name=f"compare {settings['group'] or out_dir.name}", reinit="finish_previous",
        config={"baseline": result and result["baseline"], "metric": comparison.metric,
                "runs": len(comparison.table), "params": comparison.params,
                "seeds": comparison.seeds},
    )  # fmt: skip
    try:
        shown = comparison.table[[*comparison.shown, "wandb_run_id"]].astype(object)
        logged = {"runs": wandb.Table(dataframe=shown.where(shown.notna(), None))}
        if result is not None:
            for metric in result["verdicts"]:
                frame = stats_report.settings_frame(result, metric)
                logged[f"settings/{metric}"] = wandb.Table(dataframe=frame)
                contrasts = stats_report.contrasts_frame(result, metric)
                if not contrasts.empty:
                    logged[f"contrasts/{metric}"] = wandb.Table(dataframe=contrasts)
            run.summary.update(
                {f"verdict/{m}": "\n".join(v) for m, v in result["verdicts"].items()}
            )
        png = out_dir / "compare.png"
        if png.exists():
            logged["compare"] = wandb.Image(str(png))
        run.log(logged)
    finally:
        run.finish()
    return run.dir if settings["mode"] != "offline" else str(Path(run.dir).parent)


def _logger_settings(comparison: Comparison) -> dict:
    """project, entity, mode and group of the compared runs' W&B logger (their first run's
    ``.hydra/config.yaml``); the group, as the jobs got it, is the sweep dir's ``DATE_TIME``."""
    run_dir = Path(comparison.table["run_dir"].iloc[0])
    config = yaml.safe_load((run_dir / ".hydra" / "config.yaml").read_text()) or {}
    logger = config.get("logger") or {}
    if "wandb" in logger and isinstance(logger["wandb"], dict):  # logger=many
        logger = logger["wandb"]
    group = logger.get("group")
    if not group and (run_dir.parent / "multirun.yaml").exists():
        group = "_".join(run_dir.parent.parts[-2:])
    mode = logger.get("mode") or "offline"
    return {"project": logger.get("project") or "hydratune", "entity": logger.get("entity"),
            "mode": "offline" if mode == "disabled" else mode, "group": group}  # fmt: skip
