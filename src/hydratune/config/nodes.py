"""What a config node says before anything is built: the object its ``_target_`` names, the
option of ours it builds, and (``model=hf``) its checkpoint's config.json."""

from __future__ import annotations

from omegaconf import DictConfig

from hydratune.config.errors import ConfigError


def locate(target: str):
    from hydra.utils import get_object

    try:
        return get_object(target)
    except Exception as err:
        raise ConfigError(f"{target!r} cannot be imported: {err}") from err


def option(node: DictConfig | None, group: str) -> str | None:
    """The option of ours a node builds (``hydratune.groups.<group>.<name>``), else None."""
    target = (node or {}).get("_target_") or ""
    module, _, name = target.rpartition(".")
    return name if module.startswith(f"hydratune.groups.{group}") else None


def checkpoint_config(node):
    """A ``model=hf`` checkpoint's config (config.json only, no weights); None when it cannot
    be read here (model loading then says why)."""
    from transformers import AutoConfig

    from hydratune.compat.hub import local_only

    path = str(node.name_or_path)
    try:
        config = AutoConfig.from_pretrained(
            path, local_files_only=local_only(path), revision=node.get("revision"),
            trust_remote_code=bool(node.get("trust_remote_code")),
        )  # fmt: skip
    except Exception:  # noqa: BLE001  missing or unreachable: model loading reports it clearly
        return None
    return config
