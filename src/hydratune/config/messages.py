"""Config and data errors end the command with one block: ``Error: <message>`` and the fix.

A :class:`~hydratune.config.errors.HydratuneError` (our checks) or a Hydra composition error (an
unknown option, a key that is not in the config, a required ``???`` value) is a mistake in the
command, not a bug: a traceback would bury the one useful line. The traceback stays one
environment variable away (``HYDRA_FULL_ERROR=1``); other errors keep theirs.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import sys
from contextlib import contextmanager

from hydratune.config.errors import HydratuneError, Refusal
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
    except SystemExit as stop:
        if getattr(stop, "signal", None):  # the run's own SIGTERM exit (run/lifecycle.py)
            sys.stderr.write(f"\nInterrupted: {stop}\n")
        raise
    except (Exception, Refusal) as caught:
        err = caught.error if isinstance(caught, Refusal) else caught
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
    said = next((e for e in _errors(err) if isinstance(e, HydratuneError)), None)
    if said is not None:  # ours, raised inside a resolver or a Hydra callback
        return str(said)
    os_error = next((e for e in _errors(err) if _os_message(e)), None)
    if os_error is not None:
        return _os_message(os_error)
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    if not isinstance(err, (HydraException, OmegaConfBaseException)):
        return None
    text = "\n".join(_chain(err))
    return _with_fix(text)


_NO_ACCESS = {errno.EACCES, errno.EPERM, errno.EROFS}
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT}


def _os_message(err: BaseException) -> str | None:
    """A path that cannot be written (permissions, a read-only or full disk): where and the
    fix. Other OS errors keep their traceback (they are not the user's to fix)."""
    if not isinstance(err, OSError) or err.errno not in _NO_ACCESS | _NO_SPACE:
        return None
    path = os.path.abspath(err.filename) if err.filename else "a file of the run"
    if err.errno in _NO_SPACE:
        return (
            f"No space left on the disk of {path}{_free_said(err.filename and path)} "
            f"({err.strerror}). "
            "Fix: free some space there, or point what writes there at another disk "
            "(hydra.run.dir=, trainer.args.output_dir=, HF_DATASETS_CACHE=, WANDB_DIR=), then "
            "re-run the same command: an unfinished run resumes from its last complete "
            "checkpoint."
        )
    return (
        f"Cannot write {path}: {err.strerror}. Fix: run from a directory you can write to, "
        "or name one: hydra.run.dir=<dir> (a sweep: hydra.sweep.dir=<dir>), "
        "trainer.args.output_dir=<dir> for the checkpoints."
    )


def _free_said(path) -> str:
    """``, N MiB free`` on the disk of ``path`` (its nearest existing parent)."""
    while path and not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return f", {shutil.disk_usage(path).free / 2**20:.1f} MiB free" if path else ""


def _errors(err: BaseException) -> list[BaseException]:
    """``err`` and its causes."""
    seen = []
    while err is not None and len(seen) < 20:
        seen.append(err)
        err = err.__cause__ or err.__context__
    return seen


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
