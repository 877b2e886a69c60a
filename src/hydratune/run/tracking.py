"""What the run needs of a tracker (W&B, TensorBoard, MLflow, ...), and the one that tracks
nothing: ``logger=none``, and every rank but the main one."""

from __future__ import annotations


class NoTracker:
    """``logger=none``: Trainer reports nowhere."""

    report_to = "none"
    run_id = None

    def log_summary(self, metrics: dict) -> None:
        pass

    def finish(self, exit_code: int) -> None:
        pass
