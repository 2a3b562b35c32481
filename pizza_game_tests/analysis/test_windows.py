import numpy as np
import pandas as pd
import pytest

from pizza_game.analysis.windows import (
    WindowConfig,
    count_in_windows,
    split_analysable,
    sum_in_windows,
    window_bounds,
)
from pizza_game.model import to_ns
from pizza_game.normalize.matches import normalize_matches


def test_default_windows_follow_the_design():
    bounds = window_bounds(pd.Series(pd.to_datetime(["2024-05-04T14:00:00Z"])), WindowConfig())
    got = {
        window: (pd.Timestamp(start, tz="UTC"), pd.Timestamp(end, tz="UTC"))
        for window, start, end in zip(
            bounds["window"], bounds["start_ns"].to_numpy(), bounds["end_ns"].to_numpy(), strict=True
        )
    }
    ts = lambda text: pd.Timestamp(text, tz="UTC")  # noqa: E731
    assert got == {
        "pre": (ts("2024-05-04 12:00"), ts("2024-05-04 14:00")),
        "during": (ts("2024-05-04 14:00"), ts("2024-05-04 16:00")),
        "post": (ts("2024-05-04 16:00"), ts("2024-05-04 18:00")),
        "extended": (ts("2024-05-04 02:00"), ts("2024-05-05 02:00")),
    }


def test_bounds_of_several_kickoffs_are_grouped_by_window_in_kickoff_order():
    kickoffs = pd.Series(pd.to_datetime(["2024-05-04T14:00:00Z", "2024-05-04T19:30:00Z", "2024-05-05T12:00:00Z"]))
    bounds = window_bounds(kickoffs, WindowConfig())
    assert bounds["window"].tolist() == [w for w in ("pre", "during", "post", "extended") for _ in range(3)]
    assert bounds["position"].tolist() == [0, 1, 2] * 4
    kick_ns = to_ns(kickoffs)
    during = bounds[bounds["window"] == "during"]
    assert during["start_ns"].tolist() == kick_ns.tolist()
    assert (during["end_ns"] - during["start_ns"]).tolist() == [120 * 60 * 10**9] * 3
    assert bounds.index.equals(pd.RangeIndex(12))
    empty = window_bounds(pd.Series(pd.to_datetime([], utc=True)), WindowConfig())
    assert len(empty) == 0 and empty["window"].dtype == bounds["window"].dtype
    assert empty.dtypes.drop("window").tolist() == [np.dtype("int64")] * 3


def test_reach_and_invalid_config():
    assert WindowConfig(pre_minutes=90).reach() == (pd.Timedelta("12h"), pd.Timedelta("12h"))
    assert WindowConfig(post_minutes=600, during_minutes=300).reach()[1] == pd.Timedelta("15h")
    with pytest.raises(ValueError, match="pre_minutes"):
        WindowConfig(pre_minutes=0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vectorized_counts_equal_a_direct_filter(seed):
    rng = np.random.default_rng(seed)
    times = np.sort(rng.integers(0, 10_000, 2_000))
    values = rng.uniform(0, 30, 2_000)
    starts = rng.integers(0, 9_000, 50)
    ends = starts + rng.integers(1, 1_000, 50)
    expected = [((times >= s) & (times < e)).sum() for s, e in zip(starts, ends, strict=True)]
    expected_sum = [values[(times >= s) & (times < e)].sum() for s, e in zip(starts, ends, strict=True)]
    assert count_in_windows(times, starts, ends).tolist() == expected
    np.testing.assert_allclose(sum_in_windows(times, values, starts, ends), expected_sum, rtol=1e-12)


def test_half_open_windows_count_boundary_orders_once():
    times = to_ns(pd.Series(pd.to_datetime(["2024-05-04T14:00:00Z"])))
    bounds = window_bounds(pd.Series(pd.to_datetime(["2024-05-04T14:00:00Z"])), WindowConfig())
    counts = dict(zip(bounds["window"], count_in_windows(times, bounds["start_ns"].to_numpy(), bounds["end_ns"].to_numpy()), strict=True))
    assert counts == {"pre": 0, "during": 1, "post": 0, "extended": 1}


def test_only_played_matches_with_known_kickoff_are_analysable():
    records = pd.DataFrame(
        {
            "match_id": ["a", "b", "c", "d", "e"],
            "kickoff_at": ["2024-05-04T14:00:00Z", "2024-05-04T00:00:00Z", "2024-05-04T16:30:00Z", "2024-05-04T19:00:00Z", "2024-05-04T11:30:00Z"],
            "home_team": list("vwxyz"),
            "away_team": list("VWXYZ"),
            "status": ["FINISHED", "SCHEDULED", "POSTPONED", "TIMED", "IN_PLAY"],
        }
    )
    matches = normalize_matches(records, source="real", where="t").rows
    used, excluded = split_analysable(matches)
    assert used["match_id"].tolist() == ["a", "e"]
    assert dict(zip(excluded["match_id"], excluded["excluded_reason"], strict=True)) == {
        "b": "kick-off time not known",
        "c": "not played: status POSTPONED",
        "d": "not played: status TIMED",
    }
