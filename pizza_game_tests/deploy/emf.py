"""A validator of CloudWatch Embedded Metric Format documents, written from the specification
(CloudWatch User Guide, "Specification: Embedded metric format"): the root ``_aws`` member with
an integer ``Timestamp`` (ms) and ``CloudWatchMetrics`` directives, each with a ``Namespace``,
``Dimensions`` (arrays of at most 30 dimension keys, each a string member of the root) and
``Metrics`` (at most 100, each ``Name`` a numeric member of the root, ``Unit`` one of the units
CloudWatch accepts, ``StorageResolution`` 1 or 60)."""

from __future__ import annotations

from typing import Any

UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
    "Terabits/Second", "Count/Second", "None",
}  # fmt: skip


def emf_errors(document: Any) -> list[str]:
    """What makes ``document`` invalid EMF; empty when it is valid."""
    if not isinstance(document, dict):
        return ["the document is not a JSON object"]
    meta = document.get("_aws")
    if not isinstance(meta, dict):
        return ["no _aws object"]
    errors = []
    timestamp = meta.get("Timestamp")
    if not isinstance(timestamp, int) or isinstance(timestamp, bool) or timestamp < 0:
        errors.append(f"_aws.Timestamp must be a non-negative integer of ms, got {timestamp!r}")
    directives = meta.get("CloudWatchMetrics")
    if not isinstance(directives, list) or not directives:
        return [*errors, "_aws.CloudWatchMetrics must be a non-empty array"]
    for directive in directives:
        namespace = directive.get("Namespace")
        if not isinstance(namespace, str) or not 1 <= len(namespace) <= 1024:
            errors.append(f"Namespace must be a string of 1 to 1024 characters, got {namespace!r}")
        dimension_sets = directive.get("Dimensions")
        if not isinstance(dimension_sets, list):
            errors.append("Dimensions must be an array of dimension sets")
            dimension_sets = []
        for dimension_set in dimension_sets:
            if not isinstance(dimension_set, list) or len(dimension_set) > 30:
                errors.append(f"a dimension set must be an array of at most 30 keys: {dimension_set!r}")
                continue
            for key in dimension_set:
                if not isinstance(document.get(key), str):
                    errors.append(f"dimension {key!r} is not a string member of the root")
        metrics = directive.get("Metrics")
        if not isinstance(metrics, list) or len(metrics) > 100:
            errors.append("Metrics must be an array of at most 100 metric definitions")
            continue
        for metric in metrics:
            name = metric.get("Name")
            value = document.get(name) if isinstance(name, str) else None
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            if not (numeric or (isinstance(value, list) and value and all(isinstance(v, int | float) for v in value))):
                errors.append(f"metric {name!r} has no numeric member in the root")
            if metric.get("Unit", "None") not in UNITS:
                errors.append(f"metric {name!r} has unit {metric.get('Unit')!r}, not an EMF unit")
            if metric.get("StorageResolution", 60) not in (1, 60):
                errors.append(f"metric {name!r} has StorageResolution {metric['StorageResolution']!r}")
    return errors
