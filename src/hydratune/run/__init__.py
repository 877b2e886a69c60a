"""A run's lifecycle: run.json record, redaction, run-dir claim, distributed setup,
checkpoints, logs, tracking, Hydra callbacks."""
