"""The QuickSight block of deploy/template.yaml: in sync with its generator, accepted by cfn-lint
(as written and SAM-expanded) and checkov, and its definitions valid for the QuickSight API
model (botocore's Stubber validates every parameter of the create calls)."""

from __future__ import annotations

import copy
from typing import Any

import boto3
import pytest
from botocore.exceptions import ParamValidationError
from botocore.stub import Stubber
from cfnlint.decode import cfn_yaml

from pizza_game.quicksight import definition
from pizza_game.quicksight.datasets import DATASETS, QUICKSIGHT_TYPE
from pizza_game.quicksight.publish import manifest_key

# The fixtures variant/expanded_template come from test_lint: pytest finds them by name in this
# module, so the tests' parameters of the same name are the fixtures, not redefinitions.
from pizza_game_tests.deploy.test_lint import (  # noqa: F401 (fixtures)
    TEMPLATE,
    cfn_lint,
    checkov,
    expanded_template,
    variant,
)


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return cfn_yaml.load(str(TEMPLATE))["Resources"]


@pytest.fixture
def client():
    return boto3.client("quicksight", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")


def call(client, operation: str, params: dict) -> None:
    """``operation`` through the Stubber: botocore validates ``params`` against the API model."""
    with Stubber(client) as stub:
        stub.add_response(operation, {"Status": 200, "RequestId": "r"}, params)
        getattr(client, operation)(**params)


def test_the_template_block_is_what_the_generator_writes():
    assert definition.template_block(TEMPLATE.read_text()) == definition.render_block(), (
        "deploy/template.yaml's QuickSight block is stale: python -m pizza_game.quicksight.definition"
    )


def test_the_template_holds_one_data_source_and_dataset_per_dataset_and_a_dashboard(resources):
    quicksight = {k: v for k, v in resources.items() if v["Type"].startswith("AWS::QuickSight::")}
    kinds = sorted(v["Type"] for v in quicksight.values())
    assert kinds == ["AWS::QuickSight::Dashboard"] + ["AWS::QuickSight::DataSet"] * 5 + ["AWS::QuickSight::DataSource"] * 5
    assert not any(v["Type"] == "AWS::QuickSight::RefreshSchedule" for v in resources.values()), "the pipeline refreshes"
    assert all(v["Condition"] == definition.CONDITION for v in quicksight.values())
    for name in DATASETS:
        source = resources[definition.data_source_logical_id(name)]["Properties"]
        s3 = source["DataSourceParameters"]["S3Parameters"]
        assert s3["ManifestFileLocation"]["Key"] == manifest_key(name)
        assert s3["RoleArn"] == {"Fn::GetAtt": ["QuickSightS3Role", "Arn"]}
        data_set = resources[definition.data_set_logical_id(name)]["Properties"]
        assert data_set["ImportMode"] == "SPICE"
        (table,) = data_set["PhysicalTableMap"].values()
        assert [c["Name"] for c in table["S3Source"]["InputColumns"]] == list(DATASETS[name].columns)
        (logical,) = data_set["LogicalTableMap"].values()
        casts = {
            t["CastColumnTypeOperation"]["ColumnName"]: t["CastColumnTypeOperation"]["NewColumnType"]
            for t in logical["DataTransforms"]
            if "CastColumnTypeOperation" in t
        }
        expected = {c: QUICKSIGHT_TYPE[k] for c, k in DATASETS[name].columns.items() if QUICKSIGHT_TYPE[k] != "STRING"}
        assert casts == expected, name


def test_the_dashboard_holds_the_visuals_and_filter_controls_analysts_need(resources):
    sheet = resources["QuickSightDashboard"]["Properties"]["Definition"]["Sheets"][0]
    visuals: dict[str, list[str]] = {kind: [] for visual in sheet["Visuals"] for kind in visual}
    for visual in sheet["Visuals"]:
        for kind, body in visual.items():
            visuals[kind].append(body["VisualId"])
    assert visuals == {
        "KPIVisual": ["kpi-orders", "kpi-matches", "kpi-real-share", "kpi-headline-lift"],
        "TableVisual": ["headline-ci", "relationships-table", "match-table"],
        "LineChartVisual": ["orders-line"],
        "BarChartVisual": ["lift-bars"],
    }
    titles = [next(iter(c.values()))["Title"] for c in sheet["FilterControls"]]
    assert titles == ["Team", "Competition", "Data source", "Region", "Period (orders)", "Period (kick-offs)"]


def test_cfn_lint_accepts_the_quicksight_resources_as_written_and_sam_expanded(expanded_template):  # noqa: F811 (fixture)
    assert cfn_lint(TEMPLATE.read_text()) == []
    expanded = expanded_template.read_text()
    assert "AWS::QuickSight::Dashboard" in expanded
    assert cfn_lint(expanded) == []


def test_checkov_accepts_the_template_with_the_quicksight_resources(expanded_template):  # noqa: F811 (fixture)
    for path in (TEMPLATE, expanded_template):
        summary = checkov(path)
        assert summary["passed"] > 0 and summary["parsing_errors"] == 0


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_data_sources_and_datasets_are_valid_api_calls(client, dataset):
    refs = definition.ApiRefs()
    call(client, "create_data_source", definition.data_source(refs, dataset))
    call(client, "create_data_set", definition.data_set(refs, dataset))


def test_the_dashboard_definition_is_a_valid_api_call(client):
    call(client, "create_dashboard", definition.dashboard(definition.ApiRefs()))


def test_a_misspelt_visual_property_fails_the_validation(client):
    params = definition.dashboard(definition.ApiRefs())
    broken = copy.deepcopy(params)
    bars = broken["Definition"]["Sheets"][0]["Visuals"][6]["BarChartVisual"]
    bars["ChartConfiguration"]["Orientaton"] = bars["ChartConfiguration"].pop("Orientation")
    with pytest.raises(ParamValidationError, match="Orientaton"):
        call(client, "create_dashboard", broken)
    wrong_type = copy.deepcopy(params)
    wrong_type["Definition"]["Sheets"][0]["Visuals"][0]["KPIVisual"]["ChartConfiguration"]["FieldWells"]["Values"][0][
        "NumericalMeasureField"
    ]["AggregationFunction"]["SimpleNumericalAggregation"] = ["SUM"]
    with pytest.raises(ParamValidationError):
        call(client, "create_dashboard", wrong_type)
