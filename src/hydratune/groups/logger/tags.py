"""W&B tags from the overrides that make a run what it is: in a sweep, the job's value of each
swept key (``seed=3``, ``loss=weighted_ce``; the keys the sweep's command gave several values,
or that the sweeper searches); a single run, each of its overrides. The W&B runs table then
filters and groups a sweep's runs by setting without parsing run names."""

from __future__ import annotations

from pathlib import Path

from hydratune.run.redact import redact_overrides

MAX_TAG = 64  # W&B refuses longer tags


def override_tags() -> list[str]:
    """The tags of the current Hydra job (none outside a Hydra app)."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return []
    hydra = HydraConfig.get()
    overrides = redact_overrides(list(hydra.overrides.task))
    if hydra.mode is not None and hydra.mode.name == "MULTIRUN":
        swept = swept_keys(Path(hydra.sweep.dir) / "multirun.yaml")
        swept |= {str(k) for k in (hydra.sweeper.get("params") or {})}  # Optuna's search space
        overrides = [o for o in overrides if _key(o) in swept]
    return [o[:MAX_TAG] for o in overrides]


def swept_keys(multirun_yaml: Path) -> set[str]:
    """Keys the sweep's command gave several values (``seed=1,2,3``, ``range(...)``)."""
    if not multirun_yaml.exists():
        return set()
    import yaml
    from hydra.core.override_parser.overrides_parser import OverridesParser

    task = ((yaml.safe_load(multirun_yaml.read_text()) or {}).get("hydra") or {}).get(
        "overrides", {}
    ).get("task") or []
    parsed = OverridesParser.create().parse_overrides(task)
    return {o.key_or_group for o in parsed if o.is_sweep_override()}


def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")
