"""hydratune's configs, packaged as ``hydratune.conf`` (Hydra: ``pkg://hydratune.conf``).

``conf/`` stays at the top of the repository; ``src/hydratune/conf`` links to it, so the wheel,
an editable install and ``PYTHONPATH=src`` all find the same files. Hydra needs this file to
accept the folder as a package.
"""
