"""Asset metadata every asset may show: a table's rows, schema and preview."""

from __future__ import annotations

from typing import Any

import dagster as dg
import pandas as pd

PREVIEW_ROWS = 5


def preview(table: pd.DataFrame, rows: int = PREVIEW_ROWS) -> dg.MetadataValue:
    head = table.head(rows)
    return dg.MetadataValue.md(head.to_markdown(index=False) if len(head) else "(no rows)")


def table_metadata(table: pd.DataFrame) -> dict[str, Any]:
    """Rows, column schema and a preview of a table, as Dagster shows them on the asset."""
    return {
        "dagster/row_count": dg.MetadataValue.int(len(table)),
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name=str(c), type=str(t)) for c, t in table.dtypes.items()]
        ),
        "preview": preview(table),
    }
