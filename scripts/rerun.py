"""Rerun a run: ``python scripts/rerun.py outputs/DATE/TIME [--out DIR] [--tolerance X]`` =
``hydratune-rerun`` (the code is :mod:`hydratune.compare.rerun`)."""

from hydratune.compare.rerun import main

if __name__ == "__main__":
    main()
