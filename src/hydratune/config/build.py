"""Instantiate a group's builder with run-time objects: the one way every layer builds a node.

It lives at the bottom so that groups and steps build nested nodes without reaching up to the
pipeline.
"""

from __future__ import annotations

import functools
import inspect
from typing import NamedTuple

from hydra.utils import instantiate
from omegaconf import DictConfig


class Hooks(NamedTuple):
    compute_loss_func: object | None
    compute_metrics: object | None


def build(node: DictConfig, **runtime):
    """Instantiate a group's builder with run-time objects.

    Objects go in through ``_partial_`` rather than ``instantiate(**kwargs)``: Hydra would turn
    dataclass objects (collators, datasets) into configs and copy the rest. Calling the partial
    ourselves also lets our errors reach the user as they are, not wrapped by Hydra.
    """
    return instantiate(node, _partial_=True, _convert_="all")(**runtime)


def build_hooks(loss: DictConfig, metrics: DictConfig, data) -> Hooks:
    """The run's Trainer hooks: ``compute_loss_func`` and ``compute_metrics``."""
    return Hooks(build_hook(loss, data), build_hook(metrics, data))


def build_hook(node: DictConfig, data):
    """A loss or metrics option: a builder taking ``data`` (ours), or a user's hook itself.

    ``loss._target_=my_pkg.my_loss`` names a function with Trainer's hook signature
    ``(outputs, labels, num_items_in_batch)``; it is used as is, with the node's other keys
    bound as keyword arguments.
    """
    deferred = instantiate(node, _partial_=True, _convert_="all")
    if "data" in inspect.signature(deferred.func).parameters:
        return deferred(data=data)
    return functools.partial(deferred.func, *deferred.args, **deferred.keywords)


def hook_parameters(hook) -> dict | None:
    """What a partial-bound hook was configured with (auto class weights, gamma), for run.json."""
    keywords = getattr(hook, "keywords", None)
    if keywords is None:
        return None
    name = getattr(hook.func, "__qualname__", str(hook.func))
    values = {k: v.tolist() if hasattr(v, "tolist") else v for k, v in keywords.items()}
    return {"function": name, **values}
