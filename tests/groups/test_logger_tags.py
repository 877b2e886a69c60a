"""W&B tags of a sweep job: the keys its sweep command gave several values."""

from __future__ import annotations

from hydratune.groups.logger.tags import swept_keys


def test_swept_keys_are_the_overrides_with_several_values(tmp_path):
    multirun = tmp_path / "multirun.yaml"
    multirun.write_text(
        "hydra:\n  overrides:\n    task:\n    - seed=1,2,3\n    - loss=default,weighted_ce\n"
        "    - ++trainer.args.num_train_epochs=1\n    - trainer.args.learning_rate=range(1,3)\n"
        "    - data.max_train_samples=96\n"
    )
    assert swept_keys(multirun) == {"seed", "loss", "trainer.args.learning_rate"}
    assert swept_keys(tmp_path / "absent.yaml") == set()
