"""The anomalies in words for the command line (summary.anomaly_lines)."""

from pizza_game.analysis.summary import anomaly_lines


def test_anomaly_lines_give_counts_the_most_significant_and_what_was_not_tested():
    reason = "needs at least 8 match-free reference days at the window's time of day; this range has 2"
    spikes = {
        "alpha": 0.05,
        "count": 2,
        "in_match_windows": 1,
        "by_scale": {
            "hour": {"tested": 3120, "anomalies": 1, "in_match_windows": 0, "not_tested": []},
            "window": {
                "tested": 0,
                "anomalies": 0,
                "in_match_windows": 0,
                "not_tested": [
                    {"window": "pre", "region": "ALL", "units": 12, "reason": reason},
                    {"window": "pre", "region": "London", "units": 12, "reason": reason},
                    {"window": "during", "region": "ALL", "units": 12, "reason": reason},
                ],
            },
            "day": {"tested": 130, "anomalies": 1, "in_match_windows": 1, "not_tested": []},
        },
        "largest": [
            {
                "scale": "day",
                "start": "2024-10-05T23:00:00+00:00",
                "end": "2024-10-06T23:00:00+00:00",
                "region": "London",
                "window": "",
                "observed": 1210.0,
                "expected": 701.4,
                "lift": 0.725,
                "p_value": 3.1e-9,
                "p_adjusted": 4.0e-7,
                "source": "real",
                "windows": "m1:pre",
            }
        ],
    }
    first, second = anomaly_lines(spikes)
    assert "hour 1 of 3,120 tested, window 0 of 0 tested, day 1 of 130 tested" in first
    assert "1 of 2 in match windows" in first
    assert (
        "Most significant: day 2024-10-05T23:00:00+00:00 London, 1,210 orders vs 701.4 expected "
        "(+72%, p 3.1e-09, adjusted p 4e-07, real orders)." in first
    )
    assert second == f"Not tested: window pre, during in 2 region row(s), 36 unit(s): {reason}."
    assert anomaly_lines({}) == []
