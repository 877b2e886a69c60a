"""Value ranges in builder annotations: ``r: Annotated[int, Range(ge=1, what="LoRA rank")]``.

:mod:`hydratune.config.validate` reads them with the types, so a rank of 0 or a negative class
weight is refused with the key and the fix before any data loads. A range applies to a number,
and to every number of a list (class weights); strings, null and booleans are the type check's job.
"""

from __future__ import annotations

import numbers
import typing
from dataclasses import dataclass


@dataclass(frozen=True)
class Range:
    """Bounds a number must keep: ``ge``/``gt`` below, ``le``/``lt`` above."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    what: str = ""  # what the value is, said in the message: "the LoRA rank"

    def problem(self, value) -> str | None:
        numbers_in = value if isinstance(value, (list, tuple)) else [value]
        bad = [v for v in numbers_in if _is_number(v) and not self._holds(v)]
        if not bad:
            return None
        listed = isinstance(value, (list, tuple))
        notes = [self.what] if self.what else []
        notes += [f"here {bad[0]}"] if listed else []
        said = f" ({'; '.join(notes)})" if notes else ""
        each = "each value " if listed else ""
        return f"{each}must be {self.describe()}{said}: set it {self.fix()}"

    def _holds(self, v) -> bool:
        return not (
            (self.ge is not None and v < self.ge)
            or (self.gt is not None and v <= self.gt)
            or (self.le is not None and v > self.le)
            or (self.lt is not None and v >= self.lt)
        )

    def describe(self) -> str:
        parts = [f"{op} {bound:g}" for op, bound in self._bounds()]
        return " and ".join(parts)

    def fix(self) -> str:
        low = self.ge if self.ge is not None else self.gt
        high = self.le if self.le is not None else self.lt
        if low is not None and high is not None:
            return f"between {low:g} and {high:g}"
        if low is not None:
            return f"to {low:g} or more" if self.ge is not None else f"above {low:g}"
        return f"to {high:g} or less" if self.le is not None else f"below {high:g}"

    def _bounds(self):
        words = (("at least", self.ge), ("greater than", self.gt), ("at most", self.le),
                 ("less than", self.lt))  # fmt: skip
        for op, bound in words:
            if bound is not None:
                yield op, bound


@dataclass(frozen=True)
class FractionOrCount:
    """A share of the rows in (0, 1), or a whole number of rows >= 1 (``data.eval_size``)."""

    def problem(self, value) -> str | None:
        if not _is_number(value):
            return None
        if 0 < value < 1 or (value >= 1 and float(value).is_integer()):
            return None
        return "must be a fraction in (0, 1) or a whole number of rows: set it to e.g. 0.1 or 100"


@dataclass(frozen=True)
class NonEmpty:
    """A list (or string) that must hold something: ``[]`` would silently mean "nothing"."""

    what: str = ""

    def problem(self, value) -> str | None:
        if isinstance(value, (list, tuple, str)) and not value:
            return f"must not be empty{f' ({self.what})' if self.what else ''}"
        return None


POSITIVE = Range(gt=0)
NON_NEGATIVE = Range(ge=0)
AT_LEAST_ONE = Range(ge=1)
DROPOUT = Range(ge=0, lt=1, what="a dropout probability")


def constraints(hint) -> list:
    """The range markers of an annotation, also inside ``X | None``."""
    found = []
    if typing.get_origin(hint) is typing.Annotated:
        found += [m for m in hint.__metadata__ if hasattr(m, "problem")]
        hint = typing.get_args(hint)[0]
    for arm in typing.get_args(hint):
        if typing.get_origin(arm) is typing.Annotated:
            found += constraints(arm)
    return found


def range_problem(value, hint) -> str | None:
    for constraint in constraints(hint):
        problem = constraint.problem(value)
        if problem:
            return problem
    return None


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
