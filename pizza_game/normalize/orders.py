"""Canonical orders from loosely typed records (API pages, files, generators)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pizza_game.normalize.checks import (
    Problem,
    check_source,
    collect_rejected,
    first_problem,
    float_column,
    int_column,
    nested,
    reject_duplicates,
    required,
    row_origins,
    text_id,
    time_problems,
)
from pizza_game.normalize.timestamps import parse_utc
from pizza_game.schema import ORDER_COLUMNS, Normalized, coerce, empty_orders, empty_rejected

# Bounds of an order (documented in docs/collectors.md): more is a typo or an overflow, not pizza.
MAX_ITEMS = 1000
MAX_TOTAL = 100_000.0


def normalize_orders(
    records: pd.DataFrame,
    *,
    source: str,
    where: str,
    naive_timezone: str | None = None,
    date_format: str | None = None,
    ambiguous: str = "reject",
) -> Normalized:
    """Canonical orders from loosely typed records (API pages, files, generators).

    Accepts ``ordered_at`` or ``date`` + ``time``; ``order_id`` is required. ``store_id`` and
    ``region`` default to "unknown", ``items`` to 1 and ``total`` to 0.0 only when the column is
    absent altogether. ``items`` is a whole number from 1 to MAX_ITEMS, ``total`` a finite number
    from 0 to MAX_TOTAL; timestamps as ``parse_utc`` reads them.
    Duplicated ``order_id``s collapse to the first; the others are rejected as duplicates.
    """
    check_source(source)
    records = records.reset_index(drop=True)
    n = len(records)
    if n == 0:
        return Normalized(empty_orders(), empty_rejected())
    origin = row_origins(records, where)
    required(records, where, "orders", ("order_id",))
    ordered_at, time_problem = parse_utc(
        _order_stamps(records, where), naive_timezone=naive_timezone, date_format=date_format, ambiguous=ambiguous
    )
    order_id = text_id(records["order_id"])
    items, items_bad = int_column(records["items"] if "items" in records.columns else pd.Series([1] * n))
    total, total_bad = float_column(records["total"] if "total" in records.columns else pd.Series([0.0] * n))
    problems = [nested(records), ("missing order_id", (order_id.isna() | (order_id == "")).to_numpy())]
    problems += time_problems(time_problem)
    problems += _amount_problems(items, items_bad, total, total_bad)
    reason = first_problem(problems, n)
    table = pd.DataFrame(
        {
            "order_id": order_id,
            "ordered_at": ordered_at,
            "store_id": _text_or_unknown(records, "store_id"),
            "region": _text_or_unknown(records, "region"),
            "items": items,
            "total": total,
            "source": source,
        }
    )
    reject_duplicates(table["order_id"], reason, "first", "duplicate order_id (the first one is kept)")
    rejected = collect_rejected(records, reason, origin, ordered_at)
    return Normalized(coerce(table.loc[reason == ""], ORDER_COLUMNS), rejected)


def _order_stamps(records: pd.DataFrame, where: str) -> pd.Series:
    """The order times as given: ``ordered_at``, or ``date`` and ``time`` joined by a space."""
    if "ordered_at" in records.columns:
        return records["ordered_at"]
    if {"date", "time"} <= set(records.columns):
        return records["date"].astype("string") + " " + records["time"].astype("string")
    raise ValueError(
        f"{where}: orders need an 'ordered_at' column or 'date' and 'time' columns; "
        f"found {sorted(c for c in records.columns if c != '_where')}"
    )


def _amount_problems(items: pd.Series, items_bad: np.ndarray, total: pd.Series, total_bad: np.ndarray) -> list[Problem]:
    """Items and totals that are not numbers, missing, or outside the bounds of an order."""
    return [
        ("items is not a whole number", items_bad),
        ("missing items", items.isna().to_numpy() & ~items_bad),
        (f"items must be from 1 to {MAX_ITEMS:,}", ((items.fillna(1) < 1) | (items.fillna(1) > MAX_ITEMS)).to_numpy()),
        ("total is not a finite number", total_bad),
        ("missing total", total.isna().to_numpy() & ~total_bad),
        (f"total must be from 0 to {MAX_TOTAL:,.0f}", ((total.fillna(0) < 0) | (total.fillna(0) > MAX_TOTAL)).to_numpy()),
    ]


def _text_or_unknown(records: pd.DataFrame, name: str) -> pd.Series:
    """A text column stripped, "unknown" where missing or when the column is absent."""
    if name in records.columns:
        return records[name].astype("string").fillna("unknown").str.strip()
    return pd.Series(["unknown"] * len(records), dtype="string")
