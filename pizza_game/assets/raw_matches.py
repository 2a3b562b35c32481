"""raw_matches: football matches per kick-off day, as collected."""

import dagster as dg

from pizza_game.assets.checks import partitions_text
from pizza_game.assets.raw import batch_rows, collect, range_metadata, raw_asset, refuse_long_ranges
from pizza_game.assets.raw_checks import MATCH_CHECKS, match_check_results
from pizza_game.assets.raw_metadata import raw_metadata, unknown_teams_metadata
from pizza_game.collectors.collect import mock_matches, real_matches
from pizza_game.partition_keys import partition_spans
from pizza_game.partitions import daily_partitions
from pizza_game.resources.football_data import FootballDataResource
from pizza_game.resources.mock_data import MockDataResource
from pizza_game.resources.storage import StorageResource


@raw_asset(daily_partitions, MATCH_CHECKS)
def raw_matches(
    context: dg.AssetExecutionContext,
    storage: StorageResource,
    football_data: FootballDataResource,
    mock_data: MockDataResource,
):  # see VALUE_WITH_CHECKS
    """Football matches per kick-off day (canonical: teams, kick-off UTC, status, scores, source).

    From football-data.org v4 when FOOTBALL_API_KEY is set (the response bodies are kept as
    received); else real matches imported with `pizza-game import matches`; else (fallback on)
    a generated fixture list labelled mock.
    """
    refuse_long_ranges(context, "raw_matches", daily_partitions)
    spans = partition_spans(context.partition_keys)
    batch = collect(
        context,
        storage,
        "raw_matches",
        spans,
        real_matches(football_data.client, spans),
        mock_data,
        # The generated world is one league: the Premier League.
        lambda run, why: mock_matches(run, seed=mock_data.seed, competitions=["PL"], reason=why),
    )
    rows = batch_rows(batch)
    range_metadata(context, {**raw_metadata(batch, rows, spans, "kickoff_at"), **unknown_teams_metadata(rows)})
    return dg.MaterializeResult(
        value=batch,
        check_results=match_check_results(batch, rows, partitions_text(context.partition_keys)),
    )
