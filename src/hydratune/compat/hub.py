"""Loading by hub id without the long offline hang (huggingface_hub 2.4, datasets 5.2).

Unreachable, ``from_pretrained`` retries for ~45 s before failing. We probe the endpoint once
(2 s at most) and, when it cannot be reached, load from the local cache only, failing at once
with a message that says what to do.
"""

from __future__ import annotations

import functools
import os
import socket
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from hydratune.config.errors import HubUnreachableError

_TRUE = {"1", "true", "yes", "on"}


@functools.cache
def hub_reachable(timeout: float = 2.0) -> bool:
    """Whether the Hugging Face endpoint accepts a TCP connection (False when told offline)."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in _TRUE:
        return False
    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    try:
        with socket.create_connection((endpoint.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def local_only(name_or_path: str) -> bool:
    """``local_files_only`` for ``from_pretrained``: True for directories and when offline."""
    return Path(name_or_path).is_dir() or not hub_reachable()


def explain_unreachable(name_or_path: str, err: Exception) -> HubUnreachableError:
    return HubUnreachableError(
        f"{name_or_path!r} is not a local directory, the Hugging Face Hub cannot be reached "
        f"from here, and it is not in the local cache ({type(err).__name__}). Give "
        "model.name_or_path a directory written by save_pretrained, or download it on a "
        "machine with network into HF_HOME first."
    )


@contextmanager
def datasets_offline(offline: bool = True):
    """datasets reads only its local cache inside the block. datasets 5.2 reads its module-level
    ``config.HF_HUB_OFFLINE`` at call time and has no per-call switch, so it is set for the block
    and put back after; remove when ``load_dataset`` takes an offline argument."""
    if not offline:
        yield
        return
    import datasets

    previous, datasets.config.HF_HUB_OFFLINE = datasets.config.HF_HUB_OFFLINE, True
    try:
        yield
    finally:
        datasets.config.HF_HUB_OFFLINE = previous
