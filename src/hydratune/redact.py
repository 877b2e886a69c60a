"""Secrets out of everything a run writes: run.json, the W&B config and command line, and
Hydra's own ``.hydra/*.yaml``."""

from __future__ import annotations

import os
from pathlib import Path

SECRET_WORDS = {"token", "key", "secret", "password", "passwd", "apikey", "credentials"}
REDACTED = "<redacted>"


def is_secret_key(key: str) -> bool:
    """``hf_token``, ``api_key``, ``WANDB_API_KEY``, ``secret``: a word of the key is secret.
    Whole words only, so ``tokenizer_name_or_path`` or ``max_new_tokens`` stay visible."""
    words = key.lower().replace("-", "_").replace(".", "_").split("_")
    return any(word in SECRET_WORDS for word in words)


def redact(obj):
    """A copy of a config with the values of secret-looking keys replaced."""
    if isinstance(obj, dict):
        return {k: REDACTED if is_secret_key(str(k)) else redact(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [redact(v) for v in obj]
    return obj


def redact_overrides(overrides: list[str]) -> list[str]:
    """``+logger.api_key=abc`` -> ``+logger.api_key=<redacted>``."""
    redacted = []
    for override in overrides:
        key, sep, _ = override.partition("=")
        last = key.lstrip("+~").rsplit(".", 1)[-1]
        redacted.append(f"{key}={REDACTED}" if sep and is_secret_key(last) else override)
    return redacted


def redact_hydra_files(run_dir: Path) -> None:
    """Hydra saved the command line in ``.hydra/`` before we ran: redact secrets there too."""
    import yaml

    for path in (Path(run_dir) / ".hydra").glob("*.yaml"):
        text = path.read_text()
        if not any(word in text.lower() for word in SECRET_WORDS):
            continue
        saved = yaml.safe_load(text)
        cleaned = _redact_saved(saved)
        if cleaned != saved:
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(yaml.safe_dump(cleaned, sort_keys=False))
            os.replace(tmp, path)


def _redact_saved(obj):
    if isinstance(obj, list) and all(isinstance(v, str) for v in obj):
        return redact_overrides(obj)  # override lists: key=value strings
    if isinstance(obj, dict):
        return {
            k: REDACTED if is_secret_key(str(k)) and not isinstance(v, (dict, list))
            else _redact_saved(v)
            for k, v in obj.items()
        }  # fmt: skip
    if isinstance(obj, list):
        return [_redact_saved(v) for v in obj]
    if isinstance(obj, str) and "=" in obj:  # override_dirname: overrides joined by commas
        return ",".join(redact_overrides(obj.split(",")))
    return obj
