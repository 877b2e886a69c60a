"""Every workaround for a library's behaviour, in one place: one module per library.

- :mod:`.transformers`: tokenizer padding side for a block, a sequential eval sampler for
  chunked predictions, the old ``compute_loss`` signature adapted.
- :mod:`.trl`: SFTConfig's GPU defaults (bf16, activation checkpointing) filled from the device.
- :mod:`.wandb`: the recorded command line, the run's own service, a callback that survives the
  service dying.
- :mod:`.hub`: the hub probed once instead of a ~45 s offline hang; datasets' offline switch
  scoped to a block.

Each workaround names the library version it was written against and the condition for
removing it. Process-wide changes are scoped by context managers.
"""
