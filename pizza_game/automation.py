"""Jobs: the pipeline runs in two stages, one per partition grain.

Dagster gives every run one partition range, in one partitions definition. Orders are hourly and
matches/merged data daily, so a date range is exactly two runs whatever its length: the order
hours (``orders_job``), then the match days, the merged days and everything downstream
(``analysis_job``). Both use single-run backfill policies, so a season is still two runs.
"""

from __future__ import annotations

import dagster as dg

orders_job = dg.define_asset_job(
    "orders_job",
    selection=dg.AssetSelection.assets("raw_orders"),
    description="Collect pizza orders for a range of hours (one run for the whole range).",
)

analysis_job = dg.define_asset_job(
    "analysis_job",
    selection=dg.AssetSelection.assets("raw_orders").downstream(include_self=False)
    | dg.AssetSelection.assets("raw_matches"),
    description=(
        "Collect matches, merge them with the collected orders and analyse and publish the results, "
        "for a range of days (one run for the whole range)."
    ),
)
