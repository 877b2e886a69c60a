"""hydratune: Hugging Face fine-tuning experiments from Hydra configs.

Importing the package stays light (no torch, no transformers): it only registers the
OmegaConf resolvers that the shipped configs use, so composition and ``--cfg job`` are fast.
"""

from hydratune.samples import register_resolvers

__version__ = "0.1.0"

register_resolvers()
