"""The checks of the raw assets: declared on them, judged on the whole range a run wrote."""

import dagster as dg
import pandas as pd

from pizza_game.assets.checks import (
    MIN_REAL_SHARE,
    VOLUME_TOLERANCE,
    check_result,
    real_share_spec,
    schema_spec,
    typical_volume_spec,
    unique_ids_spec,
)
from pizza_game.model import RawPartition
from pizza_game.quality import (
    Verdict,
    Volumes,
    real_share_verdict,
    schema_verdict,
    typical_volume_verdict,
    unique_ids_verdict,
)
from pizza_game.schema import MATCH_COLUMNS, ORDER_COLUMNS

ORDER_CHECKS = [
    schema_spec("raw_orders"),
    unique_ids_spec("raw_orders", "order_id"),
    typical_volume_spec("raw_orders", "the orders per hour"),
    real_share_spec("raw_orders"),
]
MATCH_CHECKS = [
    schema_spec("raw_matches"),
    unique_ids_spec("raw_matches", "match_id"),
    real_share_spec("raw_matches"),
]


def order_check_results(
    batch: dict[str, RawPartition], rows: pd.DataFrame, volumes: Volumes, history: list[Volumes], judged: str
) -> list[dg.AssetCheckResult]:
    """The results of ORDER_CHECKS; ``volumes`` of the run against ``history``, hour of day by hour."""
    return [
        check_result("schema", schema_verdict(rows, ORDER_COLUMNS), judged),
        check_result("unique_order_ids", unique_ids_verdict(rows, "order_id"), judged),
        check_result(
            "typical_volume",
            typical_volume_verdict(volumes, history, tolerance=VOLUME_TOLERANCE, unit="orders"),
            judged,
            dg.AssetCheckSeverity.WARN,
        ),
        check_result("real_share", batch_real_share(batch, rows), judged, dg.AssetCheckSeverity.WARN),
    ]


def match_check_results(batch: dict[str, RawPartition], rows: pd.DataFrame, judged: str) -> list[dg.AssetCheckResult]:
    """The results of MATCH_CHECKS."""
    return [
        check_result("schema", schema_verdict(rows, MATCH_COLUMNS), judged),
        check_result("unique_match_ids", unique_ids_verdict(rows, "match_id"), judged),
        check_result("real_share", batch_real_share(batch, rows), judged, dg.AssetCheckSeverity.WARN),
    ]


def batch_real_share(batch: dict[str, RawPartition], rows: pd.DataFrame) -> Verdict:
    """Real rows among the rows; without rows (a day without matches), real partitions among partitions."""
    if len(rows):
        real = sum(len(p.rows) for p in batch.values() if p.is_real_data)
        return real_share_verdict(real, len(rows), MIN_REAL_SHARE)
    with_data = [p for p in batch.values() if not p.missing]
    return real_share_verdict(sum(p.is_real_data for p in with_data), len(with_data), MIN_REAL_SHARE, unit="partitions")
