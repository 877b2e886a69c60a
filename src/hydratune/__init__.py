"""hydratune: Hugging Face fine-tuning experiments from Hydra configs.

Importing the package stays light (no torch, no transformers): it only registers the
OmegaConf resolvers that the shipped configs use, so composition and ``--cfg job`` are fast.
"""

from omegaconf import OmegaConf

from hydratune.run.claim import claim
from hydratune.run.distributed import now
from hydratune.run.launcher_schema import register_launcher_schema
from hydratune.samples import package_path, sample_path

__version__ = "0.1.0"


def register_resolvers() -> None:
    """``${hydratune.sample:NAME}`` (shipped data), ``${hydratune.package:PKG/DIR}`` (a dir in
    an installed package), ``${hydratune.now:FORMAT}`` (run time) and ``${hydratune.claim:PATH}``
    (the run dir, claimed for this run alone)."""
    resolvers = (
        ("hydratune.sample", sample_path),
        ("hydratune.package", package_path),
        ("hydratune.now", now),
        ("hydratune.claim", claim),
    )
    for name, resolver in resolvers:
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, resolver)


register_resolvers()
register_launcher_schema()  # hydra/launcher=slurm takes timeout_min=auto, mem_gb=auto
