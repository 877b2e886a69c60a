"""Config errors in under a second: validation before torch and transformers load.

:func:`hydratune.config.validate.validate` reads builders' signatures and the arguments
dataclass's fields, and importing them (our groups, ``transformers.TrainingArguments``) costs
5-20 s. What it reads of them is small and only changes with the code, so the first check writes
it to a cache file (``~/.cache/hydratune/signatures-<key>.pkl``) and later ones read it from
there. The key covers the versions of transformers and trl and the size and mtime of every file
of this package, so an upgrade or an edit makes a new file. A user's own builder or Trainer class
is never cached: it is imported as it is now (the slow path for that check only).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import typing
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path

from omegaconf import DictConfig

from hydratune.config.ranges import Range
from hydratune.config.validate import LIVE, Spec, validate

log = logging.getLogger(__name__)
CACHE_ENV = "HYDRATUNE_CACHE_DIR"
CACHED_PREFIXES = ("hydratune.", "transformers.", "trl.")  # code whose files key the cache
_UnionType = type(int | None)


def check_early(cfg: DictConfig) -> None:
    """Validate ``cfg`` from cached signatures (``ConfigError`` listing every problem).

    A ``from_run=`` config is checked by the pipeline once that run's config is merged in.
    """
    if cfg.get("from_run"):
        return
    cached = Cached(cache_file())
    try:
        validate(cfg, cached)
    finally:
        cached.save()


class Cached:
    """The lookup :func:`validate` reads signatures from: the cache file, else the imports."""

    def __init__(self, path: Path):
        self.path = path
        self.changed = False
        try:
            self.entries = pickle.loads(path.read_bytes())
        except Exception:  # noqa: BLE001  missing, half-written or from another Python: rebuild
            self.entries = {}

    def builder(self, target: str) -> Spec:
        if not target.startswith(CACHED_PREFIXES):  # the user's: it may change at any time
            return LIVE.builder(target)
        key = ("builder", target)
        if key not in self.entries:
            known, hints, cls = LIVE.builder(target)
            self._store(key, Spec(known and _plain_parameters(known), _plain_hints(hints), cls))
        return self.entries[key]

    def arguments(self, trainer: DictConfig):
        spec = self.builder(trainer._target_) if trainer.get("_target_") else None
        path = trainer.get("cls") or (spec.cls if spec else None)
        if not (isinstance(path, str) and path.startswith(CACHED_PREFIXES)):
            return LIVE.arguments(trainer)  # a user's Trainer subclass or builder
        key = ("arguments", path, trainer._target_)
        if key not in self.entries:
            self._store(key, LIVE.arguments(trainer))
        return self.entries[key]

    def _store(self, key, value) -> None:
        self.entries[key] = value
        self.changed = True

    def save(self) -> None:
        """Write atomically; a cache that cannot be written costs time, never the run."""
        if not self.changed:
            return
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(pickle.dumps(self.entries))
            os.replace(tmp, self.path)
        except (OSError, pickle.PicklingError, TypeError, AttributeError) as err:
            tmp.unlink(missing_ok=True)
            log.debug("signature cache not written (%s): %s", self.path, err)


def cache_file() -> Path:
    root = os.environ.get(CACHE_ENV) or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "hydratune"
    )
    return Path(root) / f"signatures-{cache_key()}.pkl"


def cache_key() -> str:
    """transformers' and trl's versions and every file of this package (path, size, mtime)."""
    digest = hashlib.sha256()
    for name in ("transformers", "trl"):
        try:
            digest.update(f"{name}={metadata.version(name)};".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=none;".encode())
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


def _plain_parameters(known: dict) -> dict:
    """Parameters without their defaults (a default may be any object; validation only asks
    whether there is one)."""
    return {
        name: p.replace(default=None if p.default is not p.empty else p.empty, annotation=p.empty)
        for name, p in known.items()
    }


def _plain_hints(hints: dict) -> dict:
    """Annotations that validation checks (builtins, typing forms, ``Range``); any other class
    becomes ``Any``, which validation does not judge, so loading the cache imports nothing."""
    return {name: hint if _is_plain(hint) else typing.Any for name, hint in hints.items()}


def _is_plain(hint) -> bool:
    if hint in (int, float, bool, str, type(None), list, dict, tuple, typing.Any):
        return True
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Annotated:
        return _is_plain(args[0]) and all(isinstance(m, Range) for m in hint.__metadata__)
    if origin is typing.Literal:
        return all(isinstance(a, (int, float, bool, str, type(None))) for a in args)
    if origin in (typing.Union, _UnionType, list, tuple, dict, Sequence, Mapping):
        return all(a is Ellipsis or _is_plain(a) for a in args)
    return False
