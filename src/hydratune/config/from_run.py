"""Start from a finished run: ``from_run=<run dir or checkpoint dir>``.

:func:`inherit` rewrites the composed config before anything runs: the model becomes that run's
saved model (full weights, a LoRA adapter on its base, or a ``model=custom`` module, with its
tokenizer, label names and chat template), and the data, collator, loss, metrics and trainer
nodes become the ones saved in its ``.hydra/config.yaml``. What the command line says about one
of those groups still wins: ``data=files ...`` replaces the saved node, ``data.eval_files=new.csv``
changes one key of it. So ``from_run=outputs/D/T trainer.args.do_train=false`` evaluates the run
again exactly as it was evaluated.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from omegaconf import DictConfig, OmegaConf, open_dict

from hydratune.config.errors import ConfigError
from hydratune.config.from_run_data import data_for_modes

log = logging.getLogger(__name__)

INHERITED = ("data", "collator", "loss", "metrics", "trainer")  # taken from the saved run
_MODEL_FILES = ("config.json", "adapter_config.json", "hydratune_module.json")
_CHECKPOINT_DONE = "hydratune_complete.json"  # run/checkpoints.py's marker of a saved checkpoint


def inherit(cfg: DictConfig, overrides: list[str]) -> DictConfig:
    """``cfg`` with the model and (unless overridden) the groups of the run it starts from."""
    source = cfg.get("from_run")
    if not source:
        return cfg
    model_dir, run_dir = locate(source)
    cfg = cfg.copy()
    saved = _saved_config(run_dir)
    with open_dict(cfg):
        for group in INHERITED if saved is not None else ():
            if group in saved and not _chosen(group, overrides):
                cfg[group] = _with_overrides(saved[group], cfg, group, overrides)
        cfg.model = {"_target_": "hydratune.groups.model.from_run.model", "path": str(model_dir)}
        cfg.peft = {"_target_": "hydratune.groups.peft.none"}  # an adapter comes loaded
    data_for_modes(cfg, model_dir, _keys(overrides))  # no train split unless training
    return cfg


def locate(source: str) -> tuple[Path, Path | None]:
    """The model folder (``<run>/model`` or the checkpoint itself) and the run dir above it."""
    path = Path(source).expanduser()
    if not path.is_dir():
        raise ConfigError(f"from_run={source}: no such directory. Give a run dir or a checkpoint.")
    model_dir = path / "model" if (path / "model").is_dir() else path
    if not any((model_dir / name).exists() for name in _MODEL_FILES):
        raise ConfigError(
            f"from_run={source} holds no saved model (no model/ folder, and none of "
            f"{list(_MODEL_FILES)}): give a completed run's dir or one of its checkpoint-N dirs."
        )
    run_dir = next((p for p in (path, *path.parents[:3]) if (p / ".hydra").is_dir()), None)
    if not (path / _CHECKPOINT_DONE).exists():  # a complete checkpoint of any run will do
        _refuse_unfinished(source, run_dir)
    _refuse_half_written(source, model_dir)
    return model_dir, run_dir


def _refuse_unfinished(source: str, run_dir: Path | None) -> None:
    """A run dir's model/ is only whole when the run completed."""
    record_path = run_dir / "run.json" if run_dir else None
    if record_path is None or not record_path.exists():
        return  # a model saved by hand, or by another tool
    try:
        status = json.loads(record_path.read_text()).get("status")
    except (OSError, ValueError, AttributeError):
        status = "unreadable"
    if status in ("completed", None):
        return
    said = {"running": "still running, or was killed before it could say so"}.get(status, status)
    raise ConfigError(
        f"from_run={source}: that run did not complete (run.json status: {said}), so its "
        f"model may be partial. Fix: resume it first (re-run its command with "
        f"hydra.run.dir={run_dir}), or start from one of its complete checkpoints "
        f"(from_run={run_dir}/checkpoints/checkpoint-N)."
    )


def _refuse_half_written(source: str, model_dir: Path) -> None:
    """A save killed midway leaves a truncated config: say so, not a JSON traceback later."""
    for name in _MODEL_FILES:
        path = model_dir / name
        try:
            json.loads(path.read_text()) if path.exists() else None
        except (OSError, ValueError) as err:
            raise ConfigError(
                f"from_run={source}: {path} is not valid JSON ({err}): the save was cut short "
                "(a run killed while saving). Fix: start from a complete checkpoint of that "
                "run (its checkpoints/checkpoint-N), or re-run it."
            ) from None


def _saved_config(run_dir: Path | None) -> DictConfig | None:
    if run_dir is None or not (run_dir / ".hydra" / "config.yaml").exists():
        log.warning("from_run: no .hydra/config.yaml found; using this command's data config")
        return None
    return OmegaConf.load(run_dir / ".hydra" / "config.yaml")


def _keys(overrides: list[str]) -> list[str]:
    """The config keys (``data.eval_files``) or groups (``data``) the overrides name."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(list(overrides))
    return [o.key_or_group for o in parsed]


def _chosen(group: str, overrides: list[str]) -> bool:
    """``group=option`` on the command line picks a new node for the group."""
    return group in _keys(overrides)


def _with_overrides(saved: DictConfig, cfg: DictConfig, group: str, overrides) -> DictConfig:
    """The saved node with this command's ``group.key=value`` values (as composed) on top."""
    node = saved.copy()
    with open_dict(node):
        for key in _keys(overrides):
            if key.startswith(f"{group}."):
                inner = key[len(group) + 1 :]
                OmegaConf.update(node, inner, OmegaConf.select(cfg, key), force_add=True)
    return node
