"""Data-quality verdicts: plain functions that judge a table or a document and say why.

The asset checks (assets/checks.py) turn these into Dagster check results. A verdict judges
everything one materialization wrote, which for a range run is the whole range of partitions.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from pizza_game.quicksight.manifest import validate_manifest

EXAMPLES = 5


@dataclass(frozen=True)
class Verdict:
    """Whether the data passed, one sentence saying why, and the figures behind it."""

    passed: bool
    description: str
    metadata: dict[str, object] = field(default_factory=dict)


def schema_verdict(table: pd.DataFrame, columns: Mapping[str, str]) -> Verdict:
    """The table has exactly the canonical ``columns``, each with its canonical dtype."""
    missing = [c for c in columns if c not in table.columns]
    extra = [str(c) for c in table.columns if c not in columns]
    wrong = {
        c: f"{_kind(table[c])} (expected {dtype})"
        for c, dtype in columns.items()
        if c in table.columns and not _has_type(table[c], dtype)
    }
    problems = (
        ([f"missing columns {missing}"] if missing else [])
        + ([f"unexpected columns {extra}"] if extra else [])
        + [f"{c} is {text}" for c, text in wrong.items()]
    )
    if problems:
        return Verdict(False, "Schema differs from the canonical table: " + "; ".join(problems), {"problems": problems})
    return Verdict(True, f"All {len(columns)} canonical columns present with their types.", {"columns": len(columns)})


def _has_type(values: pd.Series, dtype: str) -> bool:
    """``dtype`` as the canonical tables spell it; "str" means text or missing values only."""
    if dtype == "str":
        return pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")
    return str(values.dtype) == dtype


def _kind(values: pd.Series) -> str:
    return f"{values.dtype} holding {pd.api.types.infer_dtype(values, skipna=True)} values"


def unique_ids_verdict(table: pd.DataFrame, id_column: str) -> Verdict:
    """No id appears twice (within a partition or across the partitions judged)."""
    ids = table[id_column]
    repeated = ids[ids.duplicated(keep=False)]
    count = int(ids.duplicated().sum())
    examples = sorted(set(repeated.astype(str)))[:EXAMPLES]
    metadata = {"rows": len(table), "duplicate_rows": count, "examples": examples}
    if count:
        return Verdict(False, f"{count:,} row(s) repeat an {id_column} already present (e.g. {', '.join(examples)}).", metadata)
    return Verdict(True, f"All {len(table):,} {id_column}s are unique.", metadata)


def real_share_verdict(real: float, total: float, threshold: float, unit: str = "rows") -> Verdict:
    """At least ``threshold`` of the rows (or partitions) are real, not generated."""
    share = real / total if total else 0.0
    metadata: dict[str, object] = {"real_share": round(share, 4), "threshold": threshold, unit: total}
    text = f"{share:.0%} of {total:,.0f} {unit} are real data"
    if share < threshold:
        return Verdict(False, f"{text}, below the {threshold:.0%} wanted: results rest mostly on generated data.", metadata)
    return Verdict(True, f"{text} (at least {threshold:.0%} wanted).", metadata)


# A volume per bucket (hour of day, or weekday): bucket -> [rows, partitions].
Volumes = Mapping[str, list[float]]


def volumes_by_bucket(counts: Iterable[tuple[str, float]]) -> dict[str, list[float]]:
    """[rows, partitions] per bucket from (bucket, rows) pairs, one pair per partition."""
    out: dict[str, list[float]] = {}
    for bucket, rows in counts:
        total = out.setdefault(bucket, [0.0, 0.0])
        total[0] += float(rows)
        total[1] += 1.0
    return out


def typical_volume_verdict(
    current: Volumes, history: Sequence[Volumes], *, tolerance: float = 3.0, min_expected: float = 50.0, unit: str = "rows"
) -> Verdict:
    """The volume is within ``tolerance`` times (either way) of its typical value.

    Typical: per bucket, the median over ``history`` (one entry per stored partition of the recent
    past, or per run) of rows per partition. The
    expected volume is that typical value summed over the partitions judged, bucket by bucket, so a
    night hour is compared with night hours. Too little history (no bucket in common) or too small
    an expectation (under ``min_expected``) passes, saying so.
    """
    rows = sum(v[0] for v in current.values())
    typical: dict[str, float] = {}
    for bucket in current:
        rates = [h[bucket][0] / h[bucket][1] for h in history if bucket in h and h[bucket][1]]
        if rates:
            typical[bucket] = statistics.median(rates)
    expected = sum(typical[bucket] * current[bucket][1] for bucket in typical)
    judged = sum(current[bucket][0] for bucket in typical)
    metadata: dict[str, object] = {"rows": rows, "expected": round(expected, 1), "history_partitions": len(history), "slots_compared": len(typical)}
    if not typical:
        return Verdict(True, f"No stored partitions of the recent past to compare {rows:,.0f} {unit} with (first run).", metadata)
    if expected < min_expected:
        return Verdict(True, f"{judged:,.0f} {unit} where about {expected:,.0f} are typical: too few to judge.", metadata)
    ratio = judged / expected
    metadata["ratio"] = round(ratio, 3)
    text = f"{judged:,.0f} {unit} where about {expected:,.0f} are typical ({ratio:.2f}x)"
    if ratio > tolerance or ratio < 1 / tolerance:
        return Verdict(False, f"{text}: more than {tolerance:g}x away from the recent typical volume.", metadata)
    return Verdict(True, f"{text}, within {tolerance:g}x of the recent typical volume.", metadata)


def manifest_verdict(document: object, *, schemes: tuple[str, ...], missing_files: list[str]) -> Verdict:
    """The written manifest is a valid QuickSight manifest and every file it lists exists."""
    problems = validate_manifest(document, schemes=schemes)
    problems += [f"listed file does not exist: {uri}" for uri in missing_files]
    if problems:
        return Verdict(False, "The manifest QuickSight reads is not valid: " + "; ".join(problems[:EXAMPLES]), {"problems": problems})
    # No problems: ``document`` is a manifest object with its fileLocations.
    locations = document["fileLocations"] if isinstance(document, dict) else []
    files = sum(len(loc.get("URIs", [])) for loc in locations)
    return Verdict(True, f"Valid QuickSight manifest listing {files:,} existing file(s).", {"files": files})


def freshness_verdict(
    as_of: pd.Timestamp | None, *, now: pd.Timestamp, max_age: pd.Timedelta, what: str, missing: str
) -> Verdict:
    """``what`` (data or a publish, as of ``as_of``) is at most ``max_age`` old at ``now``.

    ``as_of`` None means nothing was found; ``missing`` says what, in a sentence.
    """
    if as_of is None:
        return Verdict(False, missing, {"max_age_minutes": max_age.total_seconds() / 60})
    age = now - as_of
    metadata = {
        "as_of": as_of.isoformat(),
        "age_minutes": round(age.total_seconds() / 60, 1),
        "max_age_minutes": max_age.total_seconds() / 60,
    }
    if age > max_age:
        return Verdict(False, f"{what} is {_ago(age)} old, more than the {_ago(max_age)} allowed.", metadata)
    return Verdict(True, f"{what} is {_ago(age)} old (at most {_ago(max_age)} allowed).", metadata)


def _ago(delta: pd.Timedelta) -> str:
    minutes = delta.total_seconds() / 60
    if minutes < 120:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} days"
