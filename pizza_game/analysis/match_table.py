"""The per-match drill-down: every analysed match's windows over the whole horizon, and why not.

One row per analysed match x window x region (the engine's ``match_windows``, with their column
names), joined with the match's competition, teams and kick-off, plus one row per match the
analysis left out (window and region empty, ``unused_reason`` the exclusion). Per-match lifts are
descriptive: observed / expected - 1 of that match's window, not a test; the tests (and their
confidence intervals) are in correlation_results.csv, over the slots whose ``used`` is true.

``anomaly`` is whether the window is a count-model anomaly; it is taken from the engine's
``match_windows`` when the anomaly detection has set it, and is empty (unknown) otherwise.
"""

from __future__ import annotations

import pandas as pd

from pizza_game.model import source_labels

MATCH_INFO = ("match_id", "competition", "home_team", "away_team", "kickoff_at")
LEADING = (
    *MATCH_INFO,
    "window",
    "region",
    "start",
    "end",
    "observed",
    "expected",
    "lift",
    "anomaly",
    "real_share",
    "source",
    "used",
    "unused_reason",
)


def match_table(
    match_windows: pd.DataFrame, matches: pd.DataFrame, excluded: pd.DataFrame
) -> pd.DataFrame:
    """The drill-down table (see module docstring), sorted by kick-off, match, window, region."""
    info = matches.drop_duplicates("match_id", keep="last")[list(MATCH_INFO)]
    info = info.assign(match_id=info["match_id"].astype(str))
    rows = match_windows.drop(
        columns=[c for c in MATCH_INFO if c != "match_id"], errors="ignore"
    ).assign(match_id=lambda t: t["match_id"].astype(str))
    rows = rows.merge(info, on="match_id", how="left")
    if "anomaly" not in rows:
        rows["anomaly"] = pd.Series(pd.NA, index=rows.index, dtype="boolean")
    rows["source"] = source_labels(rows["real_share"])
    left_out = excluded.assign(match_id=excluded["match_id"].astype(str))[
        [*MATCH_INFO, "excluded_reason"]
    ].rename(columns={"excluded_reason": "unused_reason"})
    left_out = left_out.assign(window="", region="", used=False, source="")
    table = pd.concat([rows, left_out], ignore_index=True) if len(left_out) else rows
    order = {"pre": 0, "during": 1, "post": 2, "extended": 3, "": 4}
    table = table.assign(_w=table["window"].map(order), _all=table["region"] != "ALL")
    table = table.sort_values(["kickoff_at", "match_id", "_w", "_all", "region"], kind="stable")
    rest = [c for c in table.columns if c not in LEADING and not c.startswith("_")]
    return table[[*LEADING, *rest]].reset_index(drop=True)
