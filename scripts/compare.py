"""Compare runs: ``python scripts/compare.py multirun/DATE/TIME`` = ``hydratune-compare``
(``--help`` lists the options; the code is :mod:`hydratune.compare.cli`)."""

from hydratune.compare.cli import main

if __name__ == "__main__":
    main()
