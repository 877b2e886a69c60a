"""Workarounds for wandb (written against wandb 0.31) and transformers' W&B callback (5.25).

Each says the version it was written for and the condition for removing it; process-wide
changes (``sys.argv``, ``WANDB_SERVICE``) are scoped by context managers.
"""

from __future__ import annotations

import logging
import os
import sys
from contextlib import contextmanager

log = logging.getLogger(__name__)

_INHERITED_SERVICE = os.environ.get("WANDB_SERVICE")  # set before this process used W&B


@contextmanager
def command_line(argv: list[str]):
    """``sys.argv`` is ``argv`` inside the block. wandb 0.31 records ``sys.argv`` in the run's
    metadata at ``init`` and takes no argument for it (secrets in overrides would be kept);
    remove when ``wandb.init`` accepts the command line to record."""
    previous, sys.argv = sys.argv, list(argv)
    try:
        yield
    finally:
        sys.argv = previous


def own_service() -> None:
    """Open W&B runs in a service of this process's own. A parent process's wandb-core (a
    notebook, a test runner, a launcher) that set ``WANDB_SERVICE`` would hold our run: a killed
    attempt's run stays open there and blocks its own resume ("run ID is in use", wandb 0.31).
    Only the inherited value is dropped, and for the rest of the process on purpose: the run's
    later calls (log, finish) must reach the service its ``init`` started. Remove when wandb
    closes a run whose client process died."""
    inherited = os.environ.get("WANDB_SERVICE")
    if inherited and inherited == _INHERITED_SERVICE:
        del os.environ["WANDB_SERVICE"]


class _Service:
    """Whether W&B's service process still answers. W&B is a record of the run, not the run:
    once it dies (killed, out of memory, a full disk) training goes on untracked, and
    run.json and metrics.json still complete."""

    dead: BaseException | None = None


def guarded(call):
    if _Service.dead is not None:
        return None
    try:
        return call()
    except Exception as err:  # noqa: BLE001  any failure of the tracker must not stop training
        _Service.dead = err
        log.warning(
            "W&B stopped answering (%s: %s): training goes on without tracking; run.json and "
            "metrics.json are still written. `wandb sync` the offline run later for what it "
            "got.", type(err).__name__, err,
        )  # fmt: skip
        return None


# transformers 5.25 builds its WandbCallback from the INTEGRATION_TO_CALLBACK registry and lets
# any W&B error escape into training; wandb 0.31's post-import telemetry hooks raise when the
# service has died. Remove when the callback guards its calls (or W&B stops raising).
def tolerate_a_dead_service() -> None:
    """Make the W&B callback Trainer builds for ``report_to=wandb`` survive the service dying:
    each of its events goes through :func:`guarded`. transformers picks the callback class from
    its ``INTEGRATION_TO_CALLBACK`` registry when the Trainer is built (after this run opened)."""
    from transformers import TrainerCallback
    from transformers.integrations import integration_utils as hf
    from wandb.sdk.lib.import_hooks import unregister_all_post_import_hooks

    # W&B also reports each library imported after init (telemetry), from inside the import
    # statement, where no guard reaches: with the service gone, a lazy `import sklearn...`
    # in evaluation raised ConnectionResetError. That telemetry is not worth a run.
    unregister_all_post_import_hooks()
    _Service.dead = None  # a new run, a new service connection
    base = hf.INTEGRATION_TO_CALLBACK["wandb"]
    if getattr(base, "tolerant", False):
        return

    def tolerant(name):
        def event(self, *args, **kwargs):
            return guarded(lambda: getattr(base, name)(self, *args, **kwargs))

        return event

    events = {n: tolerant(n) for n in dir(TrainerCallback) if n.startswith("on_")}
    hf.INTEGRATION_TO_CALLBACK["wandb"] = type(
        "TolerantWandbCallback", (base,), {**events, "tolerant": True}
    )
