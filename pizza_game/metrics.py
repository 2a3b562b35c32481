"""One CloudWatch Embedded Metric Format (EMF) document per Lambda run: the run's numbers as metrics.

CloudWatch Logs turns a JSON log line with an ``_aws.CloudWatchMetrics`` directive into metrics
in namespace ``PizzaGame``, with the dimensions ``FunctionName`` and ``RunKind`` (``hourly`` for
the scheduled run, ``range`` for a partition or range sent by hand or by a backfill). The alarms
of deploy/template.yaml watch these metrics; pizza_game_tests/deploy checks that every alarm names
one of ``METRICS``. A metric without a value this run (a share of zero rows, a refresh that was not
configured) is left out rather than sent as zero: the alarms treat missing data as no news.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

NAMESPACE = "PizzaGame"
DIMENSIONS = ("FunctionName", "RunKind")
HOURLY = "hourly"
RANGE = "range"

# Metric name -> EMF unit.
METRICS: dict[str, str] = {
    "RunSuccess": "Count",  # 1 when the whole range was processed, else 0
    "RunDuration": "Seconds",
    "OrdersCollected": "Count",
    "MatchesCollected": "Count",
    "OrdersRealShare": "Percent",
    "MatchesRealShare": "Percent",
    "ApiFallbacks": "Count",  # sources whose API was configured but which fell back to generated data
    "SignificantFindings": "Count",
    "HeadlineLift": "Percent",
    "QuickSightRefreshFailures": "Count",  # 1 when a configured refresh failed, else 0
}
# RawAsset -> the metric of its real share.
REAL_SHARE_METRICS = {"raw_orders": "OrdersRealShare", "raw_matches": "MatchesRealShare"}
REFRESH_FAILED = "failed"
REFRESH_NOT_CONFIGURED = "not_configured"


@dataclass(frozen=True)
class RunOutcome:
    """What one invocation did, as far as the metrics go.

    ``summary`` is the handler's result (``lambda_budget.combined``; None when nothing ran);
    ``apis_configured`` says, per raw asset, whether its real API had a URL and key, so that a
    generated fallback counts as an API fallback only where an API was meant to answer.
    """

    function_name: str
    run_kind: str
    success: bool
    seconds: float
    summary: Mapping[str, Any] | None = None
    apis_configured: Mapping[str, bool] = field(default_factory=dict)


def metric_values(outcome: RunOutcome) -> dict[str, float]:
    """The metrics of ``outcome`` that have a value this run."""
    values: dict[str, float] = {
        "RunSuccess": 1 if outcome.success else 0,
        "RunDuration": round(outcome.seconds, 3),
    }
    summary = outcome.summary
    if summary is None:
        return values
    values["OrdersCollected"] = int(summary.get("orders", 0))
    values["MatchesCollected"] = int(summary.get("matches", 0))
    if summary.get("orders"):
        values["OrdersRealShare"] = _percent(summary.get("orders_real_share", 0.0))
    if summary.get("matches"):
        values["MatchesRealShare"] = _percent(summary.get("matches_real_share", 0.0))
    reasons = summary.get("fallback_reasons", {})
    values["ApiFallbacks"] = sum(
        1 for asset, configured in outcome.apis_configured.items() if configured and reasons.get(asset)
    )
    values["SignificantFindings"] = len(summary.get("findings", []))
    if summary.get("headline_lift") is not None:
        values["HeadlineLift"] = _percent(summary["headline_lift"])
    # One word when every dataset's refresh agrees, else "dataset: status, ..." (assets/publish.py).
    refresh = summary.get("quicksight_refresh", "")
    statuses = {part.rsplit(": ", 1)[-1] for part in refresh.split(", ")} if refresh else set()
    if statuses - {REFRESH_NOT_CONFIGURED}:
        values["QuickSightRefreshFailures"] = 1 if REFRESH_FAILED in statuses else 0
    return values


def emf_document(outcome: RunOutcome, timestamp_ms: int) -> dict[str, Any]:
    """The EMF members of ``outcome``: the ``_aws`` directive, the dimensions and the values. The
    handler adds its log fields (message, request id, run ids, error) beside them in the same line."""
    values = metric_values(outcome)
    return {
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [list(DIMENSIONS)],
                    "Metrics": [{"Name": name, "Unit": METRICS[name]} for name in values],
                }
            ],
        },
        "FunctionName": outcome.function_name,
        "RunKind": outcome.run_kind,
        **values,
    }


def _percent(share: float) -> float:
    return round(100.0 * float(share), 3)
