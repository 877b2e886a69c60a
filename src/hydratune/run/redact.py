"""Secrets out of everything a run writes: run.json, the W&B config and command line, and
Hydra's own ``.hydra/*.yaml``."""

from __future__ import annotations

import os
from pathlib import Path

SECRET_WORDS = {"token", "key", "secret", "password", "passwd", "apikey", "credentials"}
# Known secret names whose last word alone would not say so (WANDB_API_KEY says it already).
SECRET_NAMES = {"auth", "authorization", "bearer", "credential", "passphrase", "wandb_api"}
# Tokenizer special tokens and their ids, and other keys that merely end in a secret word:
# their values (``<pad>``, ``0``) are data, and blanking them makes the record lie.
NOT_SECRET_BEFORE = {
    "pad", "eos", "bos", "unk", "sep", "cls", "mask", "special", "chat", "start", "end",
    "decoder", "label", "sort", "cache", "dataset", "column",
}  # fmt: skip
REDACTED = "<redacted>"


def is_secret_key(key: str) -> bool:
    """What the key means: a secret word as its LAST word (``hf_token``, ``api_key``,
    ``WANDB_API_KEY``, ``db-password``), or a known secret name. ``pad_token``, ``eos_token``,
    ``pad_token_id``, ``max_new_tokens`` and ``tokenizer_name_or_path`` stay visible."""
    words = [w for w in key.lower().replace("-", "_").replace(".", "_").split("_") if w]
    if not words:
        return False
    if any(words[-len(name.split("_")) :] == name.split("_") for name in SECRET_NAMES):
        return True
    if words[-1] not in SECRET_WORDS:
        return False
    return len(words) == 1 or words[-2] not in NOT_SECRET_BEFORE


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
