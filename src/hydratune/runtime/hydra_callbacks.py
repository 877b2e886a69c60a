"""Hydra callbacks (``hydra.callbacks``) that the shipped presets use."""

from __future__ import annotations

from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig


class CreateSweepDir(Callback):
    """Create the sweep dir before the sweeper starts: Optuna opens its sqlite storage there
    before Hydra has launched the first job (which is when Hydra would create it)."""

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        Path(config.hydra.sweep.dir).mkdir(parents=True, exist_ok=True)
