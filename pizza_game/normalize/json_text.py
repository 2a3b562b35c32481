"""Records as strict JSON text: how rejected rows keep the record they were given."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

# Rejected values nested deeper than this are kept as the start of their text.
MAX_DEPTH = 50
MAX_TEXT = 10_000


def strict_json(value: object) -> str:
    """``value`` as strict JSON: no NaN or Infinity (written as the strings "nan", "inf"), and
    structures deeper than MAX_DEPTH kept as the start of their text."""
    return json.dumps(_finite(value, 0), sort_keys=True, default=str, allow_nan=False)


def _finite(value: object, depth: int) -> object:
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    if depth >= MAX_DEPTH and isinstance(value, (dict, list, tuple)):
        return str(value)[:MAX_TEXT]
    if isinstance(value, dict):
        return {str(k): _finite(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v, depth + 1) for v in value]
    return value


def record_json(record: dict) -> str:
    """A record as JSON text, the way rejected rows keep it (missing values as null)."""
    return strict_json({str(k): _jsonable(v) for k, v in record.items()})


def _jsonable(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and not np.isfinite(value):
        return None if np.isnan(value) else str(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value if isinstance(value, (str, int, float, bool, list, dict)) else str(value)
