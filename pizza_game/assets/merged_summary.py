"""What merged_dataset records of a run's merged days: its metadata and its checks' results.

The days are written as they are merged; a ``MergedSummary`` keeps of each only what the metadata
and the checks need (its series, coverage and national windows), not its matches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dagster as dg
import pandas as pd

from pizza_game.analysis.merge import ALL_REGIONS
from pizza_game.assets.checks import MIN_REAL_SHARE, VOLUME_TOLERANCE, check_result
from pizza_game.assets.metadata import preview
from pizza_game.model import HOUR_NS, SERIES_COLUMNS, MergedDay
from pizza_game.quality import (
    Volumes,
    real_share_verdict,
    schema_verdict,
    typical_volume_verdict,
    volumes_by_bucket,
)
from pizza_game.storage.iso_times import utc_nanos

# Metadata: [orders, days] per weekday, what the typical_volume check compares runs by.
VOLUMES_BY_WEEKDAY = "orders_by_weekday"


def daily_orders(day: MergedDay) -> float:
    """The day's orders: national, in the bins with order data (what typical_volume judges).

    On the columns' arrays, not with pandas' masks: the volume check takes it of every stored
    day of its four-week history in every run."""
    series = day.series
    bin_days = utc_nanos(series["bin_start"]).view("int64") // (24 * HOUR_NS) * (24 * HOUR_NS)
    national = (
        (series["region"].to_numpy() == ALL_REGIONS)
        & series["covered"].to_numpy(dtype=bool)
        & (bin_days == day.day.value)
    )
    return float(series["orders"].to_numpy(dtype="float64", na_value=0.0)[national].sum())


@dataclass
class MergedSummary:
    """The merged days of a run, day by day, as far as the metadata and the checks need them."""

    keys: list[str] = field(default_factory=list)
    series: list[pd.DataFrame] = field(default_factory=list)
    coverage: list[dict] = field(default_factory=list)
    national_windows: list[pd.DataFrame] = field(default_factory=list)
    # (weekday, the day's orders) per day, for the typical_volume check.
    weekday_orders: list[tuple[str, float]] = field(default_factory=list)

    def add(self, key: str, day: MergedDay) -> None:
        self.keys.append(key)
        self.series.append(day.series)
        self.coverage.append(day.coverage)
        self.national_windows.append(day.windows[day.windows["region"] == ALL_REGIONS])
        self.weekday_orders.append((f"{day.day:%A}", daily_orders(day)))

    def result(self, value: object, history: list[Volumes], judged: str) -> dg.MaterializeResult:
        """The asset's result: ``value`` for its IO manager, the metadata, and the checks
        schema, typical_volume (against ``history``) and real_share; ``judged`` names the partitions."""
        series = pd.concat(self.series, ignore_index=True)
        national = series[(series["region"] == ALL_REGIONS) & series["covered"]]
        volumes = volumes_by_bucket(self.weekday_orders)
        orders = float(national["orders"].sum())
        real_orders = float(national["real_orders"].sum())
        return dg.MaterializeResult(
            value=value,
            metadata={**self._metadata(orders, real_orders, len(series)), VOLUMES_BY_WEEKDAY: dg.MetadataValue.json(volumes)},
            check_results=[
                check_result("schema", schema_verdict(series, SERIES_COLUMNS), judged),
                check_result(
                    "typical_volume",
                    typical_volume_verdict(volumes, history, tolerance=VOLUME_TOLERANCE, unit="orders"),
                    judged,
                    dg.AssetCheckSeverity.WARN,
                ),
                check_result(
                    "real_share",
                    real_share_verdict(real_orders, orders, MIN_REAL_SHARE, unit="orders"),
                    judged,
                    dg.AssetCheckSeverity.WARN,
                ),
            ],
        )

    def _metadata(self, orders: float, real_orders: float, rows: int) -> dict:
        """``orders`` and ``real_orders``: national, in the bins with order data; ``rows`` of the series."""
        windows = pd.concat(self.national_windows, ignore_index=True)
        real_share = real_orders / orders if orders else 0.0
        return {
            "days": dg.MetadataValue.int(len(self.keys)),
            "orders": dg.MetadataValue.int(int(orders)),
            "real_share": dg.MetadataValue.float(real_share),
            "mock_share": dg.MetadataValue.float(1.0 - real_share if orders else 0.0),
            "matches": dg.MetadataValue.int(sum(c["matches"] for c in self.coverage)),
            "matches_analysable": dg.MetadataValue.int(sum(c["matches_analysable"] for c in self.coverage)),
            "matches_excluded": dg.MetadataValue.int(sum(c["matches_excluded"] for c in self.coverage)),
            "hours_missing": dg.MetadataValue.int(sum(len(c["hours_missing"]) for c in self.coverage)),
            "dagster/row_count": dg.MetadataValue.int(rows),
            "time_range": dg.MetadataValue.text(f"{min(self.keys)} – {max(self.keys)} (UTC days)"),
            "window_preview": preview(windows[["match_id", "window", "start", "orders", "coverage"]], 8),
        }
