"""Start-up: how long until hydratune shows a config, checks a run, or is imported.

Each measure is a fresh process, interleaved with its baseline:

- ``python scripts/run.py --cfg job`` vs a bare one-file Hydra app with ``--cfg job`` (Hydra's
  own start-up); composition must not import torch, transformers or trl (``-X importtime``);
- ``python scripts/run.py dry_run=true`` (default offline config) vs a process that only imports
  torch and ``transformers.Trainer`` (the floor of any script that touches a model);
- ``python -c "import hydratune"`` vs ``python -c "import torch"``.

    python benchmarks/startup.py --repeats 5 [--out startup.json]
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from common import (
    PYTHON,
    REPO,
    base_parser,
    interleaved,
    median,
    offline_env,
    ratios,
    row,
    standalone,
    timed_run,
)

HEAVY = ("torch", "transformers", "trl")
BARE_APP = """
import hydra

@hydra.main(version_base="1.3", config_path=".", config_name="config")
def main(cfg):
    pass

if __name__ == "__main__":
    main()
"""


def parse_args(argv=None):
    return base_parser(__doc__.splitlines()[0], repeats=5).parse_args(argv)


def bare_hydra_app(workdir: Path) -> Path:
    """A one-file Hydra app with a two-key config: what Hydra itself costs to start."""
    app = workdir / "bare_app"
    app.mkdir(parents=True, exist_ok=True)
    (app / "config.yaml").write_text("seed: 42\nname: bare\n")
    (app / "app.py").write_text(textwrap.dedent(BARE_APP))
    return app / "app.py"


def heavy_imports(command: list[str]) -> list[str]:
    """Which of torch/transformers/trl ``command`` (a Python one) imports, by ``-X importtime``."""
    done = subprocess.run(
        [PYTHON, "-X", "importtime", *command[1:]], cwd=REPO, env=offline_env(),
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    modules = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    return sorted({m.split(".")[0] for m in modules} & set(HEAVY))


def commands(workdir: Path) -> dict[str, dict[str, list]]:
    """Per measure: the hydratune command and its baseline command."""
    run = [PYTHON, "scripts/run.py"]
    return {
        "cfg_job": {
            "hydratune": [*run, "--cfg", "job"],
            "baseline": [PYTHON, bare_hydra_app(workdir), "--cfg", "job"],
        },
        "dry_run": {
            "hydratune": [*run, "dry_run=true", "logger=none"],  # + a fresh run dir each time
            "baseline": [PYTHON, "-c", "import torch, transformers; transformers.Trainer"],
        },
        "import": {
            "hydratune": [PYTHON, "-c", "import hydratune"],
            "baseline": [PYTHON, "-c", "import torch"],
        },
    }


def measure(args, workdir: Path) -> list[dict]:
    pairs = commands(workdir)
    variants = {}
    for name, pair in pairs.items():
        for side, command in pair.items():
            variants[f"{name}/{side}"] = timer(command, workdir / f"{name}-{side}")
    walls = interleaved(variants, args.repeats)
    return rows(pairs, walls, args.repeats)


def timer(command: list, stem: Path):
    """Time ``command`` once per repeat; a hydratune run gets a fresh run dir each time."""

    def run(i: int) -> float:
        run_dir = [f"hydra.run.dir={stem}-{i}"] if "scripts/run.py" in command else []
        return timed_run([*command, *run_dir], stem.with_name(f"{stem.name}-{i}.log"))

    return run


def rows(pairs: dict, walls: dict[str, list[float]], repeats: int) -> list[dict]:
    def pair(name):
        ours, theirs = walls[f"{name}/hydratune"], walls[f"{name}/baseline"]
        return median(ours), median(theirs), median(ratios(ours, theirs)), ours, theirs

    cfg_imports = heavy_imports(pairs["cfg_job"]["hydratune"])
    import_imports = heavy_imports(pairs["import"]["hydratune"])
    cfg, bare, cfg_ratio, cfg_runs, bare_runs = pair("cfg_job")
    dry, floor, dry_ratio, dry_runs, floor_runs = pair("dry_run")
    imp, torch_imp, imp_ratio, imp_runs, torch_runs = pair("import")
    n = f"median of {repeats}"
    return [
        row("startup", f"`--cfg job` wall s vs bare Hydra app ({n})", cfg, bare, cfg_ratio,
            "< 1.0 s", cfg < 1.0, hydratune_runs=cfg_runs, baseline_runs=bare_runs),
        row("startup", "`--cfg job` imports torch/transformers/trl", ", ".join(cfg_imports)
            or "none", None, None, "none", not cfg_imports),
        row("startup", f"`dry_run=true` wall s vs import torch+transformers ({n})", dry, floor,
            dry_ratio, "", None, hydratune_runs=dry_runs, baseline_runs=floor_runs),
        row("startup", f"`import hydratune` wall s vs `import torch` ({n})", imp, torch_imp,
            imp_ratio, "no torch/transformers/trl", not import_imports,
            heavy_imports=import_imports, hydratune_runs=imp_runs, baseline_runs=torch_runs),
    ]  # fmt: skip


if __name__ == "__main__":
    standalone("startup", parse_args, measure)
