"""Arrow columns from codes: a day's strings interned once, records looked up by index.

A GA4 day has hundreds of thousands of rows but only a few thousand distinct values
and a handful of distinct nested records; building each column by `take` from the
distinct values keeps a day's table cheap to assemble.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa


class Strings:
    """Interns one day's strings: values become indices into a single array."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self.index: dict[str, int] = {}

    def code(self, value: str) -> int:
        """The index of `value`, added on first sight."""
        if value not in self.index:
            self.index[value] = len(self.values)
            self.values.append(value)
        return self.index[value]

    def codes(self, values: Iterable[str]) -> np.ndarray:
        return np.array([self.code(v) for v in values], dtype=np.int64)

    def column(self, codes: np.ndarray) -> pa.Array:
        """A string array from codes; -1 means null."""
        mask = codes < 0
        indices = pa.array(np.where(mask, 0, codes), mask=mask, type=pa.int64())
        return pa.array(self.values, type=pa.string()).take(indices)


def lookup_struct(type_: pa.StructType, records: list[dict], codes: np.ndarray,
                  overrides: dict[str, pa.Array] | None = None, mask: np.ndarray | None = None) -> pa.StructArray:
    """A struct column whose row i is records[codes[i]]; absent fields are null."""
    children = []
    for field in type_:
        if overrides and field.name in overrides:
            children.append(overrides[field.name])
        elif pa.types.is_struct(field.type):
            children.append(lookup_struct(field.type, [r.get(field.name) or {} for r in records], codes))
        else:
            values = pa.array([r.get(field.name) for r in records], type=field.type)
            children.append(values.take(pa.array(codes, type=pa.int64())))
    return pa.StructArray.from_arrays(
        children, fields=list(type_), mask=None if mask is None else pa.array(mask, type=pa.bool_())
    )


def constant(value: str, type_: pa.DataType, n: int) -> pa.Array:
    """`value` in each of n rows."""
    return pa.array([value], type=type_).take(pa.array(np.zeros(n, dtype=np.int64)))
