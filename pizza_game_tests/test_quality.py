"""The quality verdicts behind the asset checks: each fails on bad data and passes on good data."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from pizza_game.normalize.orders import normalize_orders
from pizza_game.quality import (
    Volumes,
    freshness_verdict,
    manifest_verdict,
    real_share_verdict,
    schema_verdict,
    typical_volume_verdict,
    unique_ids_verdict,
    volumes_by_bucket,
)
from pizza_game.schema import ORDER_COLUMNS

NOW = pd.Timestamp("2024-10-15T14:30Z")


def orders(ids: list[str]) -> pd.DataFrame:
    records = pd.DataFrame(
        {"order_id": ids, "ordered_at": ["2024-10-15T13:05:00Z"] * len(ids), "items": 1, "total": 9.5}
    )
    return normalize_orders(records, source="real", where="test").rows


def test_canonical_orders_pass_the_schema_check() -> None:
    assert schema_verdict(orders(["a", "b"]), ORDER_COLUMNS).passed


def test_a_missing_column_an_extra_column_and_a_wrong_type_fail_the_schema_check() -> None:
    table = orders(["a", "b"]).drop(columns="region").assign(note="x", items=lambda t: t["items"].astype(float))
    verdict = schema_verdict(table, ORDER_COLUMNS)
    assert not verdict.passed
    assert "missing columns ['region']" in verdict.description
    assert "unexpected columns ['note']" in verdict.description
    assert "items is float64" in verdict.description


def test_numbers_in_a_text_column_fail_the_schema_check() -> None:
    table = orders(["a", "b"]).assign(store_id=[1, 2])
    assert not schema_verdict(table, ORDER_COLUMNS).passed


def test_unique_ids_pass_and_repeated_ids_fail_naming_them() -> None:
    assert unique_ids_verdict(orders(["a", "b", "c"]), "order_id").passed
    verdict = unique_ids_verdict(orders(["a", "b"]).pipe(lambda t: pd.concat([t, t.iloc[[0]]])), "order_id")
    assert not verdict.passed
    assert verdict.metadata["duplicate_rows"] == 1 and verdict.metadata["examples"] == ["a"]


@pytest.mark.parametrize(("real", "passed"), [(60, True), (40, False), (0, False)])
def test_the_real_share_check_warns_below_its_threshold(real: int, passed: bool) -> None:
    assert real_share_verdict(real, 100, 0.5).passed is passed


def test_a_day_without_rows_is_judged_by_its_partitions() -> None:
    verdict = real_share_verdict(1, 1, 0.5, unit="partitions")
    assert verdict.passed and "1 partitions" in verdict.description


NIGHT_AND_EVENING: list[Volumes] = [{"03": [20.0, 1.0], "19": [400.0, 1.0]}, {"03": [24.0, 1.0], "19": [380.0, 1.0]}, {"19": [420.0, 1.0]}]


def test_a_usual_volume_passes_hour_by_hour() -> None:
    current = volumes_by_bucket([("19", 390), ("19", 410), ("03", 22)])
    verdict = typical_volume_verdict(current, NIGHT_AND_EVENING)
    assert verdict.passed
    assert verdict.metadata["expected"] == pytest.approx(2 * 400 + 22)


def test_a_volume_far_below_its_typical_value_fails() -> None:
    verdict = typical_volume_verdict(volumes_by_bucket([("19", 12)]), NIGHT_AND_EVENING)
    assert not verdict.passed and verdict.metadata["ratio"] == pytest.approx(0.03)


def test_a_volume_far_above_its_typical_value_fails() -> None:
    assert not typical_volume_verdict(volumes_by_bucket([("19", 4000)]), NIGHT_AND_EVENING).passed


def test_a_quiet_night_hour_is_too_small_to_judge() -> None:
    verdict = typical_volume_verdict(volumes_by_bucket([("03", 0)]), NIGHT_AND_EVENING)
    assert verdict.passed and "too few to judge" in verdict.description


def test_without_history_the_volume_check_passes_and_says_so() -> None:
    verdict = typical_volume_verdict(volumes_by_bucket([("19", 5)]), [])
    assert verdict.passed and "first run" in verdict.description


GOOD_MANIFEST: dict[str, Any] = {
    "fileLocations": [{"URIs": ["s3://bucket/quicksight-ready/dashboard-data/2024/10/15/20241015_000000_dashboard_data.json"]}],
    "globalUploadSettings": {"format": "JSON"},
}


def test_a_valid_manifest_over_existing_files_passes() -> None:
    assert manifest_verdict(GOOD_MANIFEST, schemes=("s3", "https"), missing_files=[]).passed


def test_a_manifest_in_the_wrong_format_or_listing_missing_files_fails() -> None:
    redshift = {"entries": [{"url": "s3://bucket/a.json"}]}
    assert not manifest_verdict(redshift, schemes=("s3",), missing_files=[]).passed
    gone = GOOD_MANIFEST["fileLocations"][0]["URIs"][0]
    verdict = manifest_verdict(GOOD_MANIFEST, schemes=("s3",), missing_files=[gone])
    assert not verdict.passed and "does not exist" in verdict.description


def test_recent_data_is_fresh_and_old_or_missing_data_is_not() -> None:
    limit = pd.Timedelta(minutes=90)
    assert freshness_verdict(NOW - pd.Timedelta(minutes=30), now=NOW, max_age=limit, what="x", missing="none").passed
    stale = freshness_verdict(NOW - pd.Timedelta(hours=5), now=NOW, max_age=limit, what="The newest hour", missing="none")
    assert not stale.passed and "5.0 h old" in stale.description
    missing = freshness_verdict(None, now=NOW, max_age=limit, what="x", missing="Nothing collected.")
    assert not missing.passed and missing.description == "Nothing collected."
