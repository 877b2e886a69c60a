"""Config and data errors end the command with one block: ``Error: <message>`` and the fix.

A :class:`~hydratune.config.errors.HydratuneError` (our checks) or a Hydra composition error (an
unknown option, a key that is not in the config, a required ``???`` value) is a mistake in the
command, not a bug: a traceback would bury the one useful line. The traceback stays one
environment variable away (``HYDRA_FULL_ERROR=1``); other errors keep theirs.
"""

from __future__ import annotations

import os
import re
import sys
from contextlib import contextmanager

from hydratune.config.errors import HydratuneError
from hydratune.config.renamed import renamed_message

FULL_ERROR = "HYDRA_FULL_ERROR"
_NOT_IN_STRUCT = re.compile(r"Key '([\w.]+)' is not in struct|Could not override '([\w.]+)'")
_GROUP_HINT = "Fix: pick one of the options above; `hydratune --help` lists every group."


@contextmanager
def clean_errors(program: str = "hydratune"):
    """Around Hydra's entry point: Hydra re-raises job errors to us (we set HYDRA_FULL_ERROR
    for it) and we decide what the user sees."""
    asked = os.environ.get(FULL_ERROR) == "1"
    os.environ[FULL_ERROR] = "1"  # Hydra: raise, do not print its own trimmed traceback
    try:
        yield
    except Exception as err:
        message = user_message(err)
        if asked or message is None:
            raise
        sys.stderr.write(
            f"\nError: {message}\n({FULL_ERROR}=1 {program} ... shows the traceback)\n"
        )
        sys.exit(1)
    finally:
        if not asked:
            os.environ.pop(FULL_ERROR, None)


def user_message(err: BaseException) -> str | None:
    """The block to print for a config or data error; None for anything else (a bug)."""
    if isinstance(err, HydratuneError):
        return str(err)
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    if not isinstance(err, (HydraException, OmegaConfBaseException)):
        return None
    text = "\n".join(_chain(err))
    return _with_fix(text)


def _chain(err: BaseException) -> list[str]:
    """The messages of ``err`` and its causes, without repeats."""
    seen = []
    while err is not None:
        text = str(err).strip()
        if text and text not in seen:
            seen.append(text)
        err = err.__cause__ or err.__context__
    return seen


def _with_fix(text: str) -> str:
    """Hydra's message plus what to type instead."""
    found = _NOT_IN_STRUCT.search(text)
    if found:
        key = found.group(1) or found.group(2)
        renamed = renamed_message(key)
        if renamed:
            return renamed
        return (
            f"{key} is not a key of the composed config. {_first_line(text)}\n"
            f"Fix: check the spelling (`hydratune --cfg job` prints every key), or add a new "
            f"key with +{key}=<value>."
        )
    if "Missing mandatory value" in text:
        key = re.search(r"Missing mandatory value: ([\w.]+)", text) or re.search(
            r"full_key: ([\w.]+)", text
        )  # the ??? key itself, also when another key's interpolation reached it
        name = key.group(1) if key else "the key"
        return f"{name} is required (??? in the config): set {name}=<value>."
    if "Could not find" in text or "Could not load" in text:
        return f"{_folded(text)}\n{_GROUP_HINT.strip()}"
    return text


def _folded(text: str) -> str:
    """Hydra's tab-indented lists (options, search path) folded onto their heading's line."""
    lines = []
    for line in text.splitlines():
        if line.startswith("\t") and lines:
            sep = " " if lines[-1].endswith(":") else ", "
            lines[-1] += sep + line.strip()
        elif line.strip():
            lines.append(line.strip())
    return "\n".join(lines)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0]
