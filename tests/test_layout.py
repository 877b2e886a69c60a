"""The folders show the architecture: every option of every group composes, and its builder
lives in the module named like its group (conf/model/hf.yaml -> hydratune.groups.model.hf)."""

from __future__ import annotations

import inspect

import pytest
from hydra.utils import get_object

from conftest import CONF, REPO, compose_config
from hydratune.config.kinds import GROUPS

GROUP_MODULES = tuple(g for g in GROUPS if (CONF / g).is_dir())  # declared once, in config
REQUIRED = {"model/hf": ["model.name_or_path=x"], "data/files": ["data.train_files=x"],
            "data/hub": ["data.path=x"], "data/sft_files": ["data.train_files=x"],
            "data/seq2seq_files": ["data.train_files=x"],
            "data/seq2seq_hub": ["data.path=x"]}  # fmt: skip


def every_option():
    for group in GROUP_MODULES:
        for path in sorted((CONF / group).glob("*.yaml")):
            yield group, path.stem


@pytest.mark.parametrize(("group", "option"), list(every_option()))
def test_each_option_targets_a_builder_in_its_groups_module(group, option):
    cfg = compose_config(f"{group}={option}", *REQUIRED.get(f"{group}/{option}", []))
    target = cfg[group]._target_
    module, name = target.rsplit(".", 1)
    assert module == f"hydratune.groups.{group}", target
    builder = get_object(target)
    assert callable(builder)
    if not (CONF / group / f"{option}.yaml").read_text().count("defaults:"):
        assert name == option, f"{group}={option} is built by {name}"  # named like the option
    source = inspect.getsourcefile(builder)
    assert f"groups/{group}" in source.replace("\\", "/"), source


def test_modules_stay_small():
    sizes = {p: len(p.read_text().splitlines()) for p in (REPO / "src").rglob("*.py")}
    too_long = {str(p.relative_to(REPO)): n for p, n in sizes.items() if n > 400}
    assert not too_long, too_long


def test_test_only_code_lives_with_the_tests():
    assert not (REPO / "src/hydratune/wandb_offline.py").exists()
    assert (REPO / "tests/helpers/wandb_offline.py").exists()
