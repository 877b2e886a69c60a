"""``hydratune-compare --diff RUN_A RUN_B``: what differs between two runs, from their files.

Sections: overrides, the resolved config, code (git commit, dirty, patch), packages, Python and
hardware, the command, data files (size and content hash) and final metrics. Sections with
differences print shortest first (a changed commit or package reads before a page of config
keys); the rest are named on one ``same:`` line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from hydratune.compare.runs import CompareError
from hydratune.compare.table import SPEED_SUFFIXES

MISSING = "(absent)"


@dataclass
class Section:
    title: str
    rows: list[tuple[str, object, object]] = field(default_factory=list)  # key, a, b


def diff_runs(a: Path, b: Path) -> list[Section]:
    """Every section, each with the keys whose values differ between run ``a`` and run ``b``."""
    runs = [_load(Path(a)), _load(Path(b))]
    sections = [
        ("overrides", lambda r: dict(_split(o) for o in r["info"].get("overrides", []))),
        ("config", lambda r: _flat(r["config"])),
        ("code", lambda r: _code(r["info"].get("git") or {})),
        ("packages", lambda r: r["info"].get("packages") or {}),
        ("python and hardware", _platform),
        ("command", lambda r: _flat(r["info"].get("command") or {})),
        ("data files", lambda r: _data_files(r["info"].get("data_files") or {})),
        ("metrics", lambda r: {"status": r["info"].get("status"), **_metrics(r["metrics"])}),
    ]
    return [Section(title, _differences(read(runs[0]), read(runs[1]))) for title, read in sections]


def diff_text(sections: list[Section], a: Path | None = None, b: Path | None = None) -> str:
    changed = sorted((s for s in sections if s.rows), key=lambda s: len(s.rows))
    lines = [f"A: {a}", f"B: {b}", ""] if a and b else []
    for section in changed:
        lines.append(f"{section.title} ({_count(len(section.rows))}):")
        width = min(48, max(len(k) for k, _, _ in section.rows))
        for key, old, new in section.rows:
            lines.append(f"  {key:<{width}}  {_show(old)}  ->  {_show(new)}")
    same = [s.title for s in sections if not s.rows]
    if same:
        lines.append("same: " + ", ".join(same))
    return "\n".join(lines)


def _load(run_dir: Path) -> dict:
    path = run_dir / "run.json"
    if not path.exists():
        raise CompareError(f"{run_dir} is not a run dir: it has no run.json")
    metrics = run_dir / "metrics.json"
    return {
        "info": json.loads(path.read_text()),
        "metrics": json.loads(metrics.read_text()) if metrics.exists() else {},
        "config": _config(run_dir),
    }


def _config(run_dir: Path) -> dict:
    """The run's .hydra/config.yaml, resolved where it resolves (hydratune's resolvers)."""
    path = run_dir / ".hydra" / "config.yaml"
    if not path.exists():
        return {}
    from omegaconf import OmegaConf

    import hydratune.run.distributed  # noqa: F401  registers hydratune.* resolvers

    config = OmegaConf.load(path)
    try:
        return OmegaConf.to_container(config, resolve=True)
    except Exception:  # noqa: BLE001  a ${hydra:...} key outside a Hydra app: as written
        return OmegaConf.to_container(config, resolve=False)


def _differences(a: dict, b: dict) -> list[tuple[str, object, object]]:
    keys = list(dict.fromkeys([*a, *b]))
    pairs = [(k, a.get(k, MISSING), b.get(k, MISSING)) for k in keys]
    return [(k, old, new) for k, old, new in pairs if old != new]


def _flat(tree, prefix: str = "") -> dict:
    if isinstance(tree, dict) and tree:
        out = {}
        for key, value in tree.items():
            out.update(_flat(value, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): tree}


def _split(override: str) -> tuple[str, str]:
    key, _, value = override.partition("=")
    return key.lstrip("+"), value


def _code(git: dict) -> dict:
    """The commit, the dirty flag and the patch's hash (its file is in each run dir)."""
    return {k: git.get(k) for k in ("commit", "dirty", "patch_sha256") if k in git}


def _platform(run: dict) -> dict:
    info = run["info"]
    return {"python": info.get("python"), "host": info.get("host"),
            **_flat(info.get("hardware") or {}, "hardware.")}  # fmt: skip


def _data_files(files: dict) -> dict:
    """Keyed by file name where names are unique (two checkouts hold the same files under
    different roots), each by its content hash, else its size and mtime."""
    names = [Path(p).name for p in files]
    unique = len(set(names)) == len(names)
    out = {}
    for path, found in files.items():
        key = Path(path).name if unique else path
        out[key] = found.get("sha256") or f"size {found.get('size')}, mtime {found.get('mtime')}"
    return out


def _metrics(metrics: dict) -> dict:
    """Final metrics without the speed ones (they differ on every run)."""
    return {k: v for k, v in metrics.items() if not k.endswith((*SPEED_SUFFIXES, "_per_second"))}


def _show(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value):
        return value[:12]  # a sha256: its start tells two apart
    if isinstance(value, str) and len(value) == 40:
        return value[:12]  # a git commit
    return json.dumps(value) if not isinstance(value, str) else value


def _count(n: int) -> str:
    return f"{n} difference" if n == 1 else f"{n} differences"
