"""Entries rejected before normalization (not an object, wrong shape) as canonical rejected rows."""

from __future__ import annotations

import pandas as pd

from pizza_game.normalize.json_text import strict_json
from pizza_game.schema import REJECTED_COLUMNS, empty_rejected


def rejected_entry(where: str, reason: str, value: object) -> dict[str, str]:
    """One rejected row: where it was, why, and the value as JSON text (strict JSON: no NaN or
    Infinity, which are written as the strings "nan", "inf")."""
    return {"where": where, "reason": reason, "record": strict_json(value)}


def rejected_table(entries: list[dict[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(entries, columns=list(REJECTED_COLUMNS)) if entries else empty_rejected()


def concat_rejected(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """All rejected rows of ``tables`` in one table (empty tables skipped)."""
    tables = [t for t in tables if len(t)]
    return pd.concat(tables, ignore_index=True) if tables else empty_rejected()
