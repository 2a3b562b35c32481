"""What a data root must look like after a run: every key of the bucket layout, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

DATE = r"\d{4}/\d{2}/\d{2}/\d{8}_\d{6}"
FOLDER_AND_STAMP = re.compile(r"(\d{4})/(\d{2})/(\d{2})/(\d{8})_\d{6}_")

KEY_FAMILIES = {
    "raw_orders": rf"raw-data/dominos-orders/(real/{DATE}_orders|mock/{DATE}_mock_orders)\.json",
    "raw_matches": rf"raw-data/football-data/(real/{DATE}_matches|mock/{DATE}_mock_matches)\.json",
    "merged_dataset": rf"processed-data/merged-datasets/{DATE}_merged_data\.(csv|json)",
    "merged_columns": rf"processed-data/merged-columns/{DATE}_merged_columns\.bin",
    "correlation_results": rf"processed-data/correlation-analysis/{DATE}_correlation_results\.csv",
    "significant_correlations": rf"processed-data/correlation-analysis/{DATE}_significant_correlations\.csv",
    "correlation_summary": rf"processed-data/correlation-analysis/{DATE}_correlation_summary\.json",
    "match_windows": rf"processed-data/correlation-analysis/{DATE}_match_windows\.csv",
    "dashboard_data": rf"quicksight-ready/dashboard-data/{DATE}_dashboard_data\.(json|csv)",
    "quicksight_datasets": rf"quicksight-ready/dashboard-data/{DATE}_(orders_hourly|match_windows|lift_by_window|relationships|kpis)\.csv",
    "quicksight_manifest": r"quicksight-ready/metadata/((orders_hourly|match_windows|lift_by_window|relationships|kpis)_)?manifest\.json",
    "lineage": rf"quicksight-ready/metadata/lineage/{DATE}_[0-9a-f]{{8}}\.json",
    "dashboard_report": rf"reports/({DATE}_dashboard|latest)\.html",
    "report_assets": r"reports/assets/plotly-\d+\.\d+\.\d+-[0-9a-f]{12}\.min\.js",
}


def family_of(key: str) -> str | None:
    """The layout family of ``key``; None if it matches none or its folder is not its stamp's day."""
    dated = FOLDER_AND_STAMP.search(key)
    if dated and "".join(dated.groups()[:3]) != dated.group(4):
        return None
    for name, pattern in KEY_FAMILIES.items():
        if re.fullmatch(pattern, key):
            return name
    return None


def keys_under(root: Path) -> list[str]:
    """The objects under ``root``, as LocalStore lists them (dotfiles, e.g. its lock files, are not objects)."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


def families(keys: list[str]) -> dict[str | None, list[str]]:
    """Keys grouped by layout family; keys matching no family are under None."""
    grouped: dict[str | None, list[str]] = {}
    for key in keys:
        grouped.setdefault(family_of(key), []).append(key)
    return grouped
