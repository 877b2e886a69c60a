"""Train one run (or a sweep with -m): ``python scripts/run.py`` = the installed ``hydratune``.

python scripts/run.py                          # offline tiny classifier on the demo data
python scripts/run.py model=hf model.name_or_path=<dir> data=files data.train_files=<csv>
python scripts/run.py -m seed=1,2,3            # a sweep, one run dir per job
"""

from hydratune.cli import main

if __name__ == "__main__":
    main()
