"""What the ``hydratune`` task does before the pipeline imports torch: your ``_target_``'s
node made to fit it, and the config checked from cached signatures, so a mistake is reported
in about the time Hydra takes to compose. A refused config still leaves run.json saying
``failed`` with the error, as a run refused by the pipeline does."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from hydratune.config.custom_targets import drop_option_keys
from hydratune.config.early import check_early
from hydratune.config.errors import ConfigError


def preflight(cfg: DictConfig) -> None:
    from hydratune.run.lifecycle import RunContext

    context = RunContext.from_hydra()
    drop_option_keys(cfg, context.overrides)
    try:
        check_early(cfg)
    except ConfigError as err:
        record_refusal(context, err)
        raise


def record_refusal(context, error: BaseException) -> None:
    """run.json ``failed`` with the error, unless the dir already holds a run or is held by a
    live one (never overwrite another run's record)."""
    from hydratune.run import claim
    from hydratune.run.distributed import is_main_process
    from hydratune.run.record import RunRecord

    if not is_main_process() or (context.run_dir / "run.json").exists():
        return
    try:
        claim.hold(context.run_dir)
    except ConfigError:
        return
    try:
        RunRecord(context.run_dir, context.overrides, Path.cwd()).start().finish("failed", error)
    finally:
        claim.release(context.run_dir)
