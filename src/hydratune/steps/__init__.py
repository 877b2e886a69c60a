"""What a run does with built objects: modes, evaluate, predict, generate, dry run."""
