"""The timeline's reading of the merged series: region rows, coverage and the rows it refuses."""

import numpy as np
import pandas as pd
import pytest

from pizza_game.analysis.timeline import build_timeline, utc_times


def series(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    """A merged series table of (bin start, region, orders) rows, every bin covered."""
    return pd.DataFrame(
        {
            "bin_start": pd.to_datetime([t for t, _, _ in rows], utc=True),
            "region": [r for _, r, _ in rows],
            "covered": True,
            "orders": [o for _, _, o in rows],
            "real_orders": 0,
        }
    )


def test_regions_are_national_first_then_sorted_on_one_grid():
    timeline = build_timeline(
        series(
            [
                ("2024-10-01T00:15Z", "North West", 3),
                ("2024-10-01T00:00Z", "ALL", 5),
                ("2024-10-01T00:15Z", "ALL", 7),
                ("2024-10-01T00:00Z", "London", 2),
                ("2024-10-01T00:45Z", "ALL", 1),
            ]
        ),
        "Europe/London",
    )
    assert timeline.regions == ["ALL", "London", "North West"]
    assert timeline.covered.tolist() == [True, True, False, True]
    np.testing.assert_array_equal(
        timeline.orders, [[5, 7, 0, 1], [2, 0, 0, 0], [0, 3, 0, 0]]
    )


@pytest.mark.parametrize("dtype", ["string", "category", "object"])
def test_regions_of_other_types_are_read_as_their_names(dtype):
    rows = [("2024-10-01T00:00Z", "ALL", 5), ("2024-10-01T00:00Z", "London", 2), ("2024-10-01T00:15Z", "ALL", 1)]
    plain = build_timeline(series([*rows, ("2024-10-01T00:15Z", "7", 4)]), "Europe/London")
    typed = series([*rows, ("2024-10-01T00:15Z", 7, 4)]).astype({"region": dtype})  # type: ignore[list-item]
    timeline = build_timeline(typed, "Europe/London")
    assert timeline.regions == plain.regions == ["ALL", "7", "London"]
    np.testing.assert_array_equal(timeline.orders, plain.orders)


def test_regions_in_runs_and_scattered_are_coded_alike():
    rows = [
        ("2024-10-01T00:00Z", "ALL", 5),
        ("2024-10-01T00:15Z", "ALL", 7),
        ("2024-10-01T00:00Z", "London", 2),
        ("2024-10-01T00:15Z", "London", 1),
        ("2024-10-01T00:30Z", "ALL", 4),
        ("2024-10-01T00:30Z", "Wales", 3),
        ("2024-10-01T00:45Z", "London", 6),
        ("2024-10-01T00:45Z", "ALL", 9),
    ]
    runs = build_timeline(series(rows), "Europe/London")
    scattered = build_timeline(series(rows[::-1]), "Europe/London")
    assert runs.regions == scattered.regions == ["ALL", "London", "Wales"]
    np.testing.assert_array_equal(runs.orders, [[5, 7, 4, 9], [2, 1, 0, 6], [0, 0, 3, 0]])
    np.testing.assert_array_equal(scattered.orders, runs.orders)


def test_duplicated_rows_are_counted_and_the_first_named():
    rows = [
        ("2024-10-01T00:00Z", "ALL", 5),
        ("2024-10-01T00:15Z", "ALL", 7),
        ("2024-10-01T00:15Z", "London", 2),
        ("2024-10-01T00:00Z", "London", 1),
        ("2024-10-01T00:15Z", "London", 4),
        ("2024-10-01T00:00Z", "ALL", 5),
    ]
    with pytest.raises(ValueError, match=r"2 duplicated .* 2024-10-01T00:15:00\+00:00 'London'"):
        build_timeline(series(rows), "Europe/London")


def test_a_series_without_national_rows_is_refused():
    with pytest.raises(ValueError, match="no national rows"):
        build_timeline(series([("2024-10-01T00:00Z", "London", 1)]), "Europe/London")


def test_utc_times_are_what_to_datetime_makes():
    instants = np.array([0, 1_727_740_800_000_000_000, np.iinfo("int64").min], dtype="int64")
    pd.testing.assert_index_equal(utc_times(instants), pd.to_datetime(instants, utc=True))
    empty = np.array([], dtype="int64")
    pd.testing.assert_index_equal(utc_times(empty), pd.to_datetime(empty, utc=True))
