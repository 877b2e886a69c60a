"""``run.log`` (Hydra's job log file) holds the run's log: ours, the libraries' warnings, and
the Trainer's loss and metric lines.

Hydra's job logging gives the root logger a console and a file handler. hydratune's loggers
propagate to them; transformers and datasets keep a stderr handler of their own and do not, and
the Trainer prints its logs with ``print``/tqdm. Both are routed here once Hydra has set up the
file, and nothing changes outside Hydra (tests, notebooks).
"""

from __future__ import annotations

import logging

TRAINER_LOG = "hydratune.trainer_log"  # file-only: the console already shows these lines


def run_log_handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if isinstance(h, logging.FileHandler)]


def route_library_logs() -> None:
    """Let transformers' and datasets' records reach the root handlers (console and run.log)."""
    files = run_log_handlers()
    if not files:
        return
    import datasets.utils.logging  # noqa: F401  sets up its logger, with a stderr handler
    import transformers

    transformers.utils.logging.disable_default_handler()  # the root's console shows them
    transformers.utils.logging.enable_propagation()
    logging.getLogger("datasets").handlers.clear()  # it propagates already: no doubles
    trainer_log = logging.getLogger(TRAINER_LOG)
    trainer_log.propagate, trainer_log.handlers = False, files
    trainer_log.setLevel(logging.INFO)


def trainer_log_callback():
    """A TrainerCallback that writes each of the Trainer's logs (loss, eval metrics) to run.log."""
    from transformers import TrainerCallback

    class TrainerLogToFile(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if state.is_world_process_zero and logs:
                logging.getLogger(TRAINER_LOG).info("step %d: %s", state.global_step, logs)

    return TrainerLogToFile()
