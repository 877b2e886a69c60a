"""``--help`` lists the options of ``hydra.searchpath=[...]`` dirs, as it does ``--config-dir``'s.

Written against hydra-core 1.3.8: ``Hydra.list_all_config_groups`` (what ``$APP_CONFIG_GROUPS``
in the help template prints) asks ``ConfigLoaderImpl.get_group_options`` without the command
line's overrides, so the search path it lists from lacks the dirs that ``hydra.searchpath=``
adds, while composing (``--cfg job``, a run) uses them. Remove when
``hydratune 'hydra.searchpath=[file://my_conf]' --help`` lists my_conf's options without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager

HELP_FLAGS = {"--help", "-h"}


@contextmanager
def help_lists_searchpath(argv: Sequence[str]):
    """While ``--help`` runs, list group options with the command line's ``hydra.searchpath``."""
    given = [a for a in argv if a.lstrip("+").startswith("hydra.searchpath=")]
    if not given or not HELP_FLAGS & set(argv):
        yield
        return
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra.core.object_type import ObjectType

    original = ConfigLoaderImpl.get_group_options

    def with_searchpath(self, group_name, results_filter=ObjectType.CONFIG, config_name=None,
                        overrides=None):  # fmt: skip
        return original(self, group_name, results_filter, config_name, overrides or given)

    ConfigLoaderImpl.get_group_options = with_searchpath
    try:
        yield
    finally:
        ConfigLoaderImpl.get_group_options = original
