"""The alarms of the SAM-expanded template watch metrics the handler really writes, and the
metrics are valid CloudWatch EMF (pizza_game/metrics.py; the handler's own lines are checked in
test_handler_e2e.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml
from samtranslator.translator.transform import transform

from pizza_game import metrics
from pizza_game.metrics import RunOutcome, emf_document, metric_values
from pizza_game_tests.deploy.emf import emf_errors
from pizza_game_tests.deploy.test_lint import SAM_PARAMETERS, TEMPLATE, NoManagedPolicies

# AWS's own metrics, which the code does not write: Lambda errors (timeouts and crashes before
# the metrics line included) and messages in the dead-letter queue.
AWS_METRICS = {("AWS/Lambda", "Errors"), ("AWS/SQS", "ApproximateNumberOfMessagesVisible")}
# Which function writes which RunKind (the hourly rule invokes only the pipeline function).
KINDS = {
    "PipelineFunction": {metrics.HOURLY, metrics.RANGE},
    "BackfillFunction": {metrics.RANGE},
}
FULL_SUMMARY = {
    "orders": 1200, "orders_real_share": 0.25, "matches": 4, "matches_real_share": 1.0,
    "findings": ["a", "b"], "headline_lift": -0.042, "quicksight_refresh": "failed",
    "fallback_reasons": {"raw_orders": ["orders API gave up after 5 attempts: 503"]},
    "run_ids": ["r1", "r2"],
}  # fmt: skip


@pytest.fixture(scope="module")
def expanded() -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_DEFAULT_REGION", SAM_PARAMETERS["AWS::Region"])
        return transform(cfn_yaml.load(str(TEMPLATE)), dict(SAM_PARAMETERS), NoManagedPolicies())


def alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: item["Properties"]
        for name, item in template["Resources"].items()
        if item["Type"] == "AWS::CloudWatch::Alarm"
    }


def watched(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """Every metric an alarm reads: its own, or those of its metric-math query."""
    if "MetricName" in alarm:
        return [{key: alarm.get(key) for key in ("Namespace", "MetricName", "Dimensions")}]
    return [query["MetricStat"]["Metric"] for query in alarm["Metrics"] if "MetricStat" in query]


def test_every_alarm_watches_a_metric_the_code_writes_with_its_dimensions(expanded: dict[str, Any]) -> None:
    found = alarms(expanded)
    assert len(found) == 9
    ours = 0
    for name, alarm in found.items():
        for metric in watched(alarm):
            key = (metric["Namespace"], metric["MetricName"])
            if key in AWS_METRICS:
                continue
            ours += 1
            assert metric["Namespace"] == metrics.NAMESPACE, name
            assert metric["MetricName"] in metrics.METRICS, (name, metric["MetricName"])
            dimensions = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
            assert tuple(d["Name"] for d in metric["Dimensions"]) == metrics.DIMENSIONS, name
            function = dimensions["FunctionName"]["Ref"]
            assert dimensions["RunKind"] in KINDS[function], name
    assert ours == 9  # seven alarms, the duration alarm reading three series


def test_the_code_writes_every_metric_it_declares() -> None:
    outcome = RunOutcome(
        "pizza-game-pipeline", metrics.HOURLY, True, 42.5, FULL_SUMMARY,
        {"raw_orders": True, "raw_matches": True},
    )  # fmt: skip
    values = metric_values(outcome)
    assert set(values) == set(metrics.METRICS)
    assert values["OrdersRealShare"] == 25.0 and values["HeadlineLift"] == -4.2
    assert (values["ApiFallbacks"], values["QuickSightRefreshFailures"]) == (1, 1)
    assert values["SignificantFindings"] == 2


def test_the_alarms_cover_what_the_issue_lists(expanded: dict[str, Any]) -> None:
    found = alarms(expanded)
    metric_of = {name: {m["MetricName"] for m in watched(alarm)} for name, alarm in found.items()}
    no_success = found["NoSuccessfulHourlyRunAlarm"]
    assert (no_success["Period"] * no_success["EvaluationPeriods"], no_success["TreatMissingData"]) == (
        3 * 3600,
        "breaching",
    )
    assert found["RunDurationAlarm"]["Threshold"] == 600
    assert metric_of["BackfillErrorsAlarm"] == {"RunSuccess"}
    assert {"OrdersRealShare", "MatchesRealShare", "ApiFallbacks", "QuickSightRefreshFailures"} <= set().union(
        *metric_of.values()
    )


def test_every_alarm_notifies_the_given_topic_and_the_created_one(expanded: dict[str, Any]) -> None:
    for name, alarm in alarms(expanded).items():
        assert alarm["AlarmActions"] == [
            {"Fn::If": ["HasAlarmTopic", {"Ref": "AlarmTopicArn"}, {"Ref": "AWS::NoValue"}]},
            {"Fn::If": ["CreateAlarmTopic", {"Ref": "AlarmTopic"}, {"Ref": "AWS::NoValue"}]},
        ], name
    resources = expanded["Resources"]
    subscription = resources["AlarmEmailSubscription"]
    assert subscription["Condition"] == "CreateAlarmTopic"
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}


@pytest.mark.parametrize(
    "outcome",
    [
        RunOutcome("pizza-game-pipeline", metrics.HOURLY, True, 61.2, FULL_SUMMARY, {"raw_orders": True}),
        RunOutcome("pizza-game-backfill", metrics.RANGE, False, 0.01),
        RunOutcome("pizza-game-pipeline", metrics.RANGE, True, 3.0, {**FULL_SUMMARY, "orders": 0, "matches": 0}),
    ],
)
def test_emf_documents_are_valid(outcome: RunOutcome) -> None:
    document = json.loads(json.dumps(emf_document(outcome, 1_764_633_600_000)))
    assert emf_errors(document) == []
    [directive] = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "PizzaGame"
    assert directive["Dimensions"] == [["FunctionName", "RunKind"]]
    assert [m["Name"] for m in directive["Metrics"]] == list(metric_values(outcome))
    assert all(m["Unit"] == metrics.METRICS[m["Name"]] for m in directive["Metrics"])


def test_a_share_of_no_rows_is_left_out_not_sent_as_zero() -> None:
    values = metric_values(
        RunOutcome("f", metrics.RANGE, True, 1.0, {**FULL_SUMMARY, "orders": 0, "matches": 0, "quicksight_refresh": "not_configured"})
    )
    assert "OrdersRealShare" not in values and "MatchesRealShare" not in values
    assert "QuickSightRefreshFailures" not in values


@pytest.mark.parametrize(
    ("status", "failures"),
    [("failed", 1), ("started", 0), ("orders_hourly: started, kpis: failed", 1), ("kpis: skipped, match_windows: started", 0)],
)
def test_a_refresh_failure_of_any_dataset_counts(status: str, failures: int) -> None:
    values = metric_values(RunOutcome("f", metrics.RANGE, True, 1.0, {**FULL_SUMMARY, "quicksight_refresh": status}))
    assert values["QuickSightRefreshFailures"] == failures


def test_the_validator_rejects_what_the_spec_forbids() -> None:
    good = emf_document(RunOutcome("f", metrics.RANGE, True, 1.0), 1)
    broken = [
        {**good, "_aws": {**good["_aws"], "Timestamp": "now"}},
        {**good, "FunctionName": 7},
        {**good, "RunSuccess": "1"},
        json.loads(json.dumps(good).replace('"Seconds"', '"Secs"')),
        {key: value for key, value in good.items() if key != "_aws"},
    ]
    assert all(emf_errors(document) for document in broken)
    assert emf_errors(good) == []
