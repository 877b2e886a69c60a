"""``<group>._target_=my_pkg.my_fn`` on the command line: the option's own keys go.

Naming your own function replaces the builder of the option the group had (``metrics`` defaults
to ``classification``, whose YAML sets ``average: auto``). Hydra keeps that option's keys in the
node, so without this they would reach a function that never asked for them and validation would
refuse them. A key that your function does not take and that you did not set on the command line
is the option's, not yours: it is dropped with a note in the log. Keys you set stay, and are
checked against your function's parameters as usual.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from omegaconf import DictConfig, open_dict

from hydratune.config.errors import ConfigError
from hydratune.config.kinds import GROUPS
from hydratune.config.validate import LIVE

log = logging.getLogger("hydratune")
_KEY = re.compile(r"^[+~]*([\w.]+?)=")


def drop_option_keys(cfg: DictConfig, overrides: Iterable[str]) -> list[str]:
    """Drop, from each group whose ``_target_`` the command line names, the option's keys its
    new function does not take; return the dropped ``group.key`` names."""
    given = {m.group(1) for m in map(_KEY.match, overrides) if m}
    dropped = []
    for group in GROUPS:
        node = cfg.get(group)
        if f"{group}._target_" not in given or not isinstance(node, DictConfig):
            continue
        try:
            known = LIVE.builder(node._target_).known
        except ConfigError:
            continue  # validation says it cannot be imported, with the reason
        if known is None:
            continue  # it takes **kwargs: every key reaches it
        extra = [k for k in node if not _hydra_key(k) and k not in known]
        extra = [k for k in extra if f"{group}.{k}" not in given]
        with open_dict(node):
            for key in extra:
                node.pop(key)
        dropped += [f"{group}.{key}" for key in extra]
    if dropped:
        log.info(
            "Dropped the replaced option's keys that your _target_ does not take: %s",
            ", ".join(dropped),
        )
    return dropped


def _hydra_key(key: str) -> bool:
    return key.startswith("_") and key.endswith("_")
