"""Arguments that tutorials still use and today's libraries renamed or removed.

Each entry says what replaced the name, so ``trainer.args.evaluation_strategy=epoch`` (the seed
tutorial's spelling) gets "renamed eval_strategy" instead of a bare "unknown field". Read by
validation (``trainer.args`` keys) and by the CLI's error report (keys Hydra could not set).
"""

from __future__ import annotations

# name -> what to write instead (transformers 5, trl 1)
RENAMED = {
    "evaluation_strategy": "renamed eval_strategy: trainer.args.eval_strategy=epoch (or steps, no)",
    "no_cuda": "renamed use_cpu: trainer.args.use_cpu=true (null = CPU when no GPU is visible)",
    "fp16_opt_level": "removed with apex's O1/O2 levels: mixed precision is native AMP, "
    "trainer.args.fp16=true (CUDA) or trainer.args.bf16=true",
    "fp16_backend": "removed with apex: trainer.args.fp16=true or trainer.args.bf16=true",
    "half_precision_backend": "removed with apex: trainer.args.fp16=true or trainer.args.bf16=true",
    "logging_dir": "removed: TensorBoard files go to <run dir>/tensorboard with logger=tensorboard",
    "max_seq_length": "renamed max_length in trl.SFTConfig (trainer=sft: "
    "trainer.args.max_length=512); classification: data.max_length=128",
    "tokenizer": "renamed processing_class in Trainer(...); hydratune passes the model's own "
    "tokenizer: set model.tokenizer_name_or_path=<hub id or dir> (model=hf)",
    "per_gpu_train_batch_size": "renamed per_device_train_batch_size",
    "per_gpu_eval_batch_size": "renamed per_device_eval_batch_size",
    "overwrite_output_dir": "removed: each run writes its own run dir (hydra.run.dir=...)",
    "push_to_hub_token": "renamed hub_token (better: the HF_TOKEN environment variable)",
    "warmup_ratio": "merged into warmup_steps: below 1 it is a ratio (warmup_steps=0.1)",
    "group_by_length": "renamed train_sampling_strategy=group_by_length",
    "include_inputs_for_metrics": "renamed include_for_metrics=[inputs]",
    "save_safetensors": "removed: models are always saved as safetensors",
}


def renamed_message(key: str) -> str | None:
    """``trainer.args.<key> ... <what replaced it>.`` for a renamed or removed name, else None.

    ``key`` may be dotted (``trainer.args.no_cuda``); its last part is looked up.
    """
    name = key.rsplit(".", 1)[-1]
    if name not in RENAMED:
        return None
    return f"{key} was {RENAMED[name]}."
