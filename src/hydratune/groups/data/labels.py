"""Label values -> class names and ids, refusing the label sets that would train a wrong task.

Three silent mistakes are caught here: spellings of one label that differ only by case or
surrounding spaces (``"Positive"`` and ``"positive "`` would become two classes), integer ids
that do not count from 0 (``1..4`` would add an empty class 0: macro F1 over a class that never
occurs, AUROC undefined) and a column whose values mix types (named by its first odd row).

Integer ids with gaps or an offset are mapped to contiguous ids in sorted order and keep their
original values as class names (``id2label``: ``{0: "1", 1: "2", ...}``), so predictions and
reports show the ids of the file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from hydratune.config.errors import DataError


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def int_label_names(values: list[int]) -> list[str]:
    """Class names for integer labels: ``0..K-1`` as they are; any other set of ids (``1..4``,
    ``{0, 2, 5}``) in sorted order, each id kept as its name."""
    return [str(v) for v in sorted(set(values))]


def class_index(names: Sequence[str], int_labels: bool) -> dict[str, int] | None:
    """``str(label value) -> class id``; None when integer labels already are the class ids:
    ``0..K-1``, or ids into ``data.label_names`` given as non-numeric names (``[neg, pos]``).
    Names that are all numbers (``["1", "2"]``, read from a finished run) match by value."""
    if int_labels and names == [str(i) for i in range(len(names))]:
        return None
    if int_labels and not all(_is_decimal(name) for name in names):
        return None
    return {name: i for i, name in enumerate(names)}


def given_names(label_names: Sequence[str] | Mapping) -> tuple[list[str], dict[str, int] | None]:
    """``data.label_names`` as a list (names in class-id order) or a mapping from the file's
    label values to names (``{1: World, 2: Sports}``: ids follow the sorted values)."""
    if isinstance(label_names, Mapping):
        keys = sorted(label_names, key=_sort_key)
        names = [str(label_names[key]) for key in keys]
        return names, {str(key): i for i, key in enumerate(keys)}
    return [str(name) for name in label_names], None


def refuse_collisions(names: Sequence[str], column: str) -> None:
    """Two label spellings equal after stripping spaces and ignoring case are one label typed
    two ways, not two classes: refuse, naming both."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(name.strip().casefold(), []).append(name)
    clashes = [spellings for spellings in groups.values() if len(spellings) > 1]
    if clashes:
        shown = "; ".join(" vs ".join(repr(s) for s in spellings) for spellings in clashes[:5])
        raise DataError(
            f"Label column {column!r} spells one label in several ways that differ only by "
            f"case or surrounding spaces: {shown}. They would train as separate classes: make "
            "them one spelling in the data (or list them in data.label_names if they are "
            "really different classes)."
        )


def string_labels(values: list) -> set[str]:
    """The string label values of a column (inside lists too: multi-label names)."""
    items = [item for v in values for item in (v if isinstance(v, list) else [v])]
    return {item for item in items if isinstance(item, str)}


def refuse_mixed_types(values: list, column: str, split_name: str) -> None:
    """A column whose values are of several types: name the first row of a minority type,
    the one that is most likely the typo."""
    types = Counter(_type_name(v) for v in values)
    if len(types) < 2:
        return
    usual = types.most_common(1)[0][0]
    row, odd = next((i, v) for i, v in enumerate(values, start=1) if _type_name(v) != usual)
    raise DataError(
        f"Label column {column!r} mixes {', '.join(sorted(types))} values: row {row} of the "
        f"{split_name} split (1 = its first data row) holds {odd!r} ({_type_name(odd)}) where "
        f"{types[usual]} rows hold {usual}. Fix that row; classification needs integer class "
        "ids or string class names throughout."
    )


def _type_name(value) -> str:
    return "int" if is_int(value) else type(value).__name__


def _is_decimal(name: str) -> bool:
    return name.lstrip("-").isdigit()


def _sort_key(value):
    return (0, int(value), "") if is_int(value) or _is_decimal(str(value)) else (1, 0, str(value))
