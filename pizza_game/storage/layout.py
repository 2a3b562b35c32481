"""The bucket layout (DESIGN.md): every key the project writes, as pure functions of time.

The same keys are used under a local directory and in S3. A key's timestamp is the partition
span start for partitioned outputs, and ``as_of`` (the first instant of the last analysed day)
for the analysis outputs, so re-running the same dates writes the same keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime

RAW_ORDERS_PREFIX = "raw-data/dominos-orders"
RAW_MATCHES_PREFIX = "raw-data/football-data"
MERGED_PREFIX = "processed-data/merged-datasets"
# Each merged day again, column by column (storage/columns.py): what the analysis reads.
MERGED_COLUMNS_PREFIX = "processed-data/merged-columns"
CORRELATION_PREFIX = "processed-data/correlation-analysis"
DASHBOARD_PREFIX = "quicksight-ready/dashboard-data"
METADATA_PREFIX = "quicksight-ready/metadata"
# The manifest of the primary QuickSight dataset; the others are <dataset>_manifest.json beside it.
MANIFEST_KEY = f"{METADATA_PREFIX}/manifest.json"
# One lineage record per publish (what it published, from which inputs), dated by the publish.
LINEAGE_PREFIX = f"{METADATA_PREFIX}/lineage"
REPORTS_PREFIX = "reports"
# Files users drop for import (the import sensor's drop area), and where they go once handled.
IMPORTS_PREFIX = "imports"
IMPORTS_DONE_PREFIX = "imports/done"
IMPORTS_FAILED_PREFIX = "imports/failed"
# An import's journal (started, then complete) and its rejected rows that fall in no partition.
IMPORTS_JOURNAL_PREFIX = "imports/journal"
IMPORTS_REJECTED_PREFIX = "imports/rejected"
REPORT_LATEST_KEY = "reports/latest.html"
# Files every report loads (Plotly's bundle), each written once under a name that changes with its bytes.
REPORT_ASSETS_PREFIX = "reports/assets"


def _dated(prefix: str, at: datetime, name: str) -> str:
    # The text of "{at:%Y/%m/%d}/{at:%Y%m%d_%H%M%S}" (4-digit years) from the fields: strftime
    # was 0.4 s of a 5-month run, which computes 60,000 keys.
    y, m, d = f"{at.year:04d}", f"{at.month:02d}", f"{at.day:02d}"
    return f"{prefix}/{y}/{m}/{d}/{y}{m}{d}_{at.hour:02d}{at.minute:02d}{at.second:02d}_{name}"


def raw_orders_key(source: str, span_start: datetime) -> str:
    name = "mock_orders.json" if source == "mock" else "orders.json"
    return _dated(f"{RAW_ORDERS_PREFIX}/{source}", span_start, name)


def raw_matches_key(source: str, span_start: datetime) -> str:
    name = "mock_matches.json" if source == "mock" else "matches.json"
    return _dated(f"{RAW_MATCHES_PREFIX}/{source}", span_start, name)


def merged_keys(span_start: datetime) -> dict[str, str]:
    return {ext: _dated(MERGED_PREFIX, span_start, f"merged_data.{ext}") for ext in ("csv", "json")}


def merged_columns_key(span_start: datetime) -> str:
    return _dated(MERGED_COLUMNS_PREFIX, span_start, "merged_columns.bin")


def correlation_results_key(as_of: datetime) -> str:
    return _dated(CORRELATION_PREFIX, as_of, "correlation_results.csv")


def significant_correlations_key(as_of: datetime) -> str:
    return _dated(CORRELATION_PREFIX, as_of, "significant_correlations.csv")


def correlation_summary_key(as_of: datetime) -> str:
    return _dated(CORRELATION_PREFIX, as_of, "correlation_summary.json")


def match_windows_key(as_of: datetime) -> str:
    """The per-match drill-down: one row per analysed match, window and region."""
    return _dated(CORRELATION_PREFIX, as_of, "match_windows.csv")


def dashboard_data_key(as_of: datetime, ext: str = "json") -> str:
    return _dated(DASHBOARD_PREFIX, as_of, f"dashboard_data.{ext}")


def dataset_key(dataset: str, as_of: datetime) -> str:
    """One file of a QuickSight dataset (a day's slice, or one analysis), beside the dashboard data."""
    return _dated(DASHBOARD_PREFIX, as_of, f"{dataset}.csv")


def dataset_manifest_key(dataset: str) -> str:
    return f"{METADATA_PREFIX}/{dataset}_manifest.json"


def lineage_key(published_at: datetime, run_id: str) -> str:
    """One record per publish, so every publish of the same day keeps its own record."""
    return _dated(LINEAGE_PREFIX, published_at, f"{run_id[:8]}.json")


def import_journal_key(asset: str, fingerprint: str) -> str:
    return f"{IMPORTS_JOURNAL_PREFIX}/{asset}/{fingerprint}.json"


def import_rejected_key(asset: str, fingerprint: str) -> str:
    return f"{IMPORTS_REJECTED_PREFIX}/{asset}/{fingerprint}.json"


def report_key(as_of: datetime) -> str:
    return _dated(REPORTS_PREFIX, as_of, "dashboard.html")


def report_asset_key(name: str) -> str:
    return f"{REPORT_ASSETS_PREFIX}/{name}"


def _dashboard_json(as_of: datetime) -> str:
    return dashboard_data_key(as_of, "json")


def _dashboard_csv(as_of: datetime) -> str:
    return dashboard_data_key(as_of, "csv")


# The analysis outputs, each stamped with the day it describes: extension -> key, per output.
# The first extension is the one read back.
DATED_OUTPUTS: dict[str, dict[str, Callable[[datetime], str]]] = {
    "correlation_results": {"csv": correlation_results_key},
    "significant_correlations": {"csv": significant_correlations_key},
    "correlation_summary": {"json": correlation_summary_key},
    "match_windows": {"csv": match_windows_key},
    "dashboard_data": {"json": _dashboard_json, "csv": _dashboard_csv},
}

_DATED = re.compile(r"^(?P<prefix>.+)/\d{4}/\d{2}/\d{2}/(?P<stamp>\d{8}_\d{6})_(?P<name>[^/]+)$")


def parse_dated(key: str) -> tuple[str, datetime, str] | None:
    """(prefix, stamp, name) of a dated key ``prefix/YYYY/MM/DD/YYYYMMDD_HHMMSS_name``, else None."""
    match = _DATED.match(key)
    if match is None:
        return None
    stamp = datetime.strptime(match["stamp"], "%Y%m%d_%H%M%S").replace(tzinfo=UTC)
    return match["prefix"], stamp, match["name"]


# A dataset file's name: the dataset, lower case with underscores, then .csv.
_DATASET_FILE = re.compile(r"[a-z_]+\.csv")


def parse_dataset_file(key: str) -> tuple[str, datetime] | None:
    """(dataset, day) of a QuickSight dataset file (``dataset_key``), given as a key or a URI."""
    parsed = parse_dated(key)
    if parsed is None or not _DATASET_FILE.fullmatch(parsed[2]):
        return None
    _, stamp, name = parsed
    return name.removesuffix(".csv"), stamp.replace(hour=0, minute=0, second=0)


def day_folder(prefix: str, day: datetime) -> str:
    """The ``prefix/YYYY/MM/DD/`` folder of the keys dated on ``day``."""
    return f"{prefix}/{day:%Y/%m/%d}/"


def folder_day(folder: str) -> date:
    """The day of a ``.../YYYY/MM/DD/`` folder."""
    year, month, day = folder.rstrip("/").split("/")[-3:]
    return date(int(year), int(month), int(day))


def month_folder(key: str) -> str:
    """The ``.../YYYY/MM/`` folder holding a dated key (listing a month is one request on S3)."""
    return key.rsplit("/", 2)[0] + "/"
