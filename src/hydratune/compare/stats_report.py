"""The seed statistics of :func:`hydratune.compare.verdict.analyse` as text (console),
``compare_stats.csv`` (one row per setting and metric), ``compare.json`` (all of it) and
``compare.md`` (the same tables and verdicts, for a README or a PR)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from hydratune.compare.runs import lower_is_better


def settings_frame(result: dict, metric: str) -> pd.DataFrame:
    """One row per setting: n, seeds, mean, its interval, sd, min, max."""
    level = round(100 * result["confidence"])
    rows = []
    for entry in result["settings"]:
        found = entry["metrics"].get(metric)
        if found is None:
            continue
        rows.append({
            "setting": entry["setting"], "n": found["n"], "seeds": " ".join(found["seeds"]),
            "mean": found["mean"], f"ci{level}_low": found["low"],
            f"ci{level}_high": found["high"], "sd": found["sd"], "min": found["min"],
            "max": found["max"],
        })  # fmt: skip
    return pd.DataFrame(rows)


def contrasts_frame(result: dict, metric: str) -> pd.DataFrame:
    """One row per setting against the baseline: the difference, its interval and p-values."""
    level = round(100 * result["confidence"])
    rows = [
        {
            "setting": c["setting"],
            "test": c["test"],
            "n": c["n"],
            "difference": c["difference"],
            f"ci{level}_low": c["low"],
            f"ci{level}_high": c["high"],
            "p_t": c["p_t"],
            "p_sign_flip": c["p_sign_flip"],
        }  # fmt: skip
        for c in result["contrasts"]
        if c["metric"] == metric
    ]
    return pd.DataFrame(rows)


def text(result: dict, metrics=None) -> str:
    """Per metric: the settings' intervals, the contrasts with the baseline, the verdicts."""
    lines = []
    level = round(100 * result["confidence"])
    for metric in metrics or list(result["verdicts"]):
        better = "lower" if lower_is_better(metric) else "higher"
        lines += ["", f"{metric} by setting: mean and {level}% t interval over seeds "
                  f"({better} is better)", _to_text(settings_frame(result, metric))]  # fmt: skip
        contrasts = contrasts_frame(result, metric)
        if not contrasts.empty:
            lines += [f"minus the baseline {result['baseline']} (paired over shared seeds):",
                      _to_text(contrasts)]  # fmt: skip
        lines += [f"  {line}" for line in result["verdicts"][metric]]
    return "\n".join(lines)


def markdown(result: dict, metrics=None) -> str:
    level = round(100 * result["confidence"])
    out = [f"# Comparison (baseline: {result['baseline']})", ""]
    for metric in metrics or list(result["verdicts"]):
        better = "lower" if lower_is_better(metric) else "higher"
        out += [f"## {metric} ({better} is better; mean and {level}% t interval over seeds)", ""]
        out += [_to_markdown(settings_frame(result, metric)), ""]
        contrasts = contrasts_frame(result, metric)
        if not contrasts.empty:
            out += [f"Minus the baseline {result['baseline']}:", "", _to_markdown(contrasts), ""]
        out += [f"- {line}" for line in result["verdicts"][metric]] + [""]
    return "\n".join(out)


def write(result: dict, out_dir: Path) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / name for name in ("compare.json", "compare.md", "compare_stats.csv")}
    paths["compare.json"].write_text(json.dumps(result, indent=2) + "\n")
    paths["compare.md"].write_text(markdown(result))
    frames = [settings_frame(result, m).assign(metric=m) for m in result["verdicts"]]
    frames = [f for f in frames if not f.empty]
    if frames:
        pd.concat(frames).to_csv(paths["compare_stats.csv"], index=False)
    return [p for p in paths.values() if p.exists()]


def _to_text(frame: pd.DataFrame) -> str:
    return frame.to_string(index=False, na_rep="", float_format=lambda v: f"{v:.4g}")


def _to_markdown(frame: pd.DataFrame) -> str:
    """A pipe table without the tabulate package."""
    cells = frame.map(lambda v: "" if v is None or v != v else f"{v:.4g}"
                      if isinstance(v, float) else str(v))  # fmt: skip
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    return "\n".join([header, rule, *("| " + " | ".join(r) + " |" for r in cells.values.tolist())])
