"""Small datasets shipped with the package, so the default runs need no network."""

from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parent


def sample_path(relative: str) -> str:
    """Absolute path of a shipped sample file, e.g. ``demo_sentiment/train.csv``."""
    path = SAMPLES_DIR / relative
    if not path.exists():
        known = sorted(str(p.relative_to(SAMPLES_DIR)) for p in SAMPLES_DIR.rglob("*.*"))
        raise FileNotFoundError(f"No shipped sample {relative!r}; samples are: {known}")
    return str(path)
