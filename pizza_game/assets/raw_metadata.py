"""The metadata of a raw run: what it collected over its range, real and mock shares, rejected
rows, unknown team names."""

from __future__ import annotations

from typing import Any

import dagster as dg
import pandas as pd

from pizza_game.assets.metadata import preview
from pizza_game.model import RawPartition, Span
from pizza_game.team_names import unknown_teams, unknown_teams_text


def raw_metadata(batch: dict[str, RawPartition], rows: pd.DataFrame, spans: list[Span], time_column: str) -> dict[str, Any]:
    """What a raw run collected over ``spans`` (``rows``: all of the batch's rows): rows,
    rejected rows, real and mock shares, sources, fallback reasons."""
    parts = list(batch.values())
    real_rows = sum(len(p.rows) for p in parts if p.source == "real")
    reasons = sorted({p.notes.get("reason", "") for p in parts if p.source == "mock"} - {""})
    # Most partitions reject nothing: stacking a range's thousands of empty tables cost more
    # than the rest of the metadata.
    rejecting = [p.rejected for p in parts if len(p.rejected)]
    rejected = pd.concat(rejecting, ignore_index=True) if rejecting else pd.DataFrame()
    metadata: dict[str, Any] = {
        "dagster/row_count": dg.MetadataValue.int(len(rows)),
        "partitions": dg.MetadataValue.int(len(parts)),
        "real_partitions": dg.MetadataValue.int(sum(p.is_real_data for p in parts)),
        "mock_partitions": dg.MetadataValue.int(sum(p.source == "mock" for p in parts)),
        "missing_partitions": dg.MetadataValue.int(sum(p.missing for p in parts)),
        "real_share": dg.MetadataValue.float(real_rows / len(rows) if len(rows) else 0.0),
        "mock_share": dg.MetadataValue.float(1.0 - real_rows / len(rows) if len(rows) else 0.0),
        "time_range": dg.MetadataValue.text(
            f"{spans[0].start:%Y-%m-%d %H:%M} – {spans[-1].end:%Y-%m-%d %H:%M} UTC ({len(spans):,} partitions)"
        ),
        "rejected_rows": dg.MetadataValue.int(len(rejected)),
        "fallback_reasons": dg.MetadataValue.json(reasons),
        "preview": preview(rows),
    }
    if len(rows):
        metadata["rows_time_range"] = dg.MetadataValue.text(
            f"{rows[time_column].min():%Y-%m-%d %H:%M} – {rows[time_column].max():%Y-%m-%d %H:%M} UTC"
        )
    if len(rejected):
        metadata["rejected_preview"] = preview(rejected[["where", "reason"]])
    return metadata


def unknown_teams_metadata(matches: pd.DataFrame) -> dict[str, Any]:
    """How many team names of ``matches`` the alias table does not know, and which."""
    names = unknown_teams(matches)
    metadata: dict[str, Any] = {
        "unknown_team_names": dg.MetadataValue.int(len(names)),
        "unknown_team_names_list": dg.MetadataValue.json(names),
    }
    if names:
        metadata["unknown_team_names_note"] = dg.MetadataValue.text(unknown_teams_text(names))
    return metadata
