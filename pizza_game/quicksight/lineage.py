"""The lineage record of a publish: which run published which day's datasets, from which code
version, with how many rows and how much real data (quicksight/publish.py writes it)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

import pandas as pd


def code_version() -> str:
    try:
        return version("pizza-game")
    except PackageNotFoundError:
        return "unknown (not installed)"


def kpi_real_share(tables: dict[str, pd.DataFrame]) -> float | None:
    """The real-data share the kpis dataset reports; None when it has none (no orders)."""
    share = tables["kpis"].iloc[0]["real_share"]
    return None if pd.isna(share) else float(share)


def lineage_record(run_id: str, published_at: pd.Timestamp, as_of: pd.Timestamp, tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """The record of publishing ``tables`` (the datasets of the day ``as_of``) in run ``run_id``."""
    kpi = tables["kpis"].iloc[0]
    real_share = kpi_real_share(tables)
    return {
        "run_id": run_id,
        "published_at": published_at,
        "code_version": code_version(),
        "as_of": as_of,
        "rows": {name: len(table) for name, table in tables.items()},
        "orders": None if pd.isna(kpi["orders"]) else int(kpi["orders"]),
        "real_share": real_share,
        "mock_share": None if real_share is None else 1.0 - real_share,
    }
