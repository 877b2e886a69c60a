"""hydratune: Hugging Face fine-tuning experiments from Hydra configs.

Importing the package stays light (no torch, no transformers): it only registers the
OmegaConf resolvers that the shipped configs use, so composition and ``--cfg job`` are fast.
"""

from omegaconf import OmegaConf

from hydratune.runtime.distributed import now
from hydratune.samples import sample_path

__version__ = "0.1.0"


def register_resolvers() -> None:
    """``${hydratune.sample:NAME}`` (shipped data) and ``${hydratune.now:FORMAT}`` (run time)."""
    for name, resolver in (("hydratune.sample", sample_path), ("hydratune.now", now)):
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, resolver)


register_resolvers()
