"""What deploy/template.yaml promises, read from the parsed template (intrinsics as dicts)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore import xform_name
from cfnlint.decode import cfn_yaml

from pizza_game import settings
from pizza_game.lambda_lock import RUN_LOCK_KEY
from pizza_game.storage import layout
from pizza_game.storage.layout import (
    DASHBOARD_PREFIX,
    MANIFEST_KEY,
    MERGED_PREFIX,
    RAW_MATCHES_PREFIX,
    RAW_ORDERS_PREFIX,
    REPORT_LATEST_KEY,
    REPORTS_PREFIX,
)

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "template.yaml"
PACKAGE = TEMPLATE.parents[1] / "pizza_game"
FUNCTIONS = ("PipelineFunction", "BackfillFunction")
# The IAM action each S3 client method the package may call needs. boto3's managed transfers
# (upload_file, ...) are absent on purpose: they go multipart, which needs more actions.
S3_ACTIONS = {
    "put_object": "s3:PutObject",
    "get_object": "s3:GetObject",
    "head_object": "s3:GetObject",
    "delete_object": "s3:DeleteObject",
    "head_bucket": "s3:ListBucket",
    "list_objects_v2": "s3:ListBucket",
}
S3_TRANSFERS = {"upload_file", "upload_fileobj", "download_file", "download_fileobj"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return cfn_yaml.load(str(TEMPLATE))


def resource(template: dict[str, Any], name: str) -> dict[str, Any]:
    return template["Resources"][name]["Properties"]


def default(template: dict[str, Any], value: Any) -> Any:
    """A literal, or the default of the parameter a ``Ref`` names."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return template["Parameters"][value["Ref"]]["Default"]
    return value


def unwrap_if(value: Any) -> Iterator[Any]:
    """Every branch of nested ``Fn::If``s except AWS::NoValue; plain values as they are."""
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        for branch in value["Fn::If"][1:]:
            yield from unwrap_if(branch)
    elif value != {"Ref": "AWS::NoValue"}:
        yield value


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    statements = []
    for policy in resource(template, "PipelineRole")["Policies"]:
        for document in unwrap_if(policy):
            statements.extend(document["PolicyDocument"]["Statement"])
    return statements


def statement_resources(statement: dict[str, Any]) -> list[Any]:
    return [r for item in as_list(statement["Resource"]) for r in unwrap_if(item)]


def sub_text(value: Any) -> str:
    """The format string of a ``Fn::Sub`` (short or list form)."""
    sub = value["Fn::Sub"]
    return sub[0] if isinstance(sub, list) else sub


def test_bucket_is_versioned_encrypted_private_and_owner_enforced(template: dict[str, Any]) -> None:
    bucket = resource(template, "DataBucket")
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    [rule] = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert template["Resources"]["DataBucket"]["DeletionPolicy"] == "Retain"


def test_lifecycle_expires_each_layer_of_the_layout(template: dict[str, Any]) -> None:
    rules = resource(template, "DataBucket")["LifecycleConfiguration"]["Rules"]
    expiry = {rule["Prefix"]: rule["ExpirationInDays"] for rule in rules if "ExpirationInDays" in rule}
    raw = RAW_ORDERS_PREFIX.split("/")[0] + "/"
    processed = MERGED_PREFIX.split("/")[0] + "/"
    dated_reports = REPORTS_PREFIX + "/2"
    assert expiry == {raw: 90, processed: 365, DASHBOARD_PREFIX + "/": 30, dated_reports: 30}
    assert all(rule["Status"] == "Enabled" for rule in rules)
    # Every dated report expires; latest.html and the Plotly bundle the pages load do not.
    for year in (2024, 2099):
        assert layout.report_key(datetime(year, 1, 1, tzinfo=UTC)).startswith(dated_reports)
    assert not REPORT_LATEST_KEY.startswith(dated_reports)
    assert not layout.report_asset_key("plotly-3.0.0-0123456789ab.min.js").startswith(tuple(expiry))
    # reports/latest.html is replaced every hour: its old versions go after a day.
    [latest_rule] = [rule for rule in rules if rule.get("Prefix") == REPORT_LATEST_KEY]
    assert latest_rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    assert "ExpirationInDays" not in latest_rule


def test_replaced_versions_expire(template: dict[str, Any]) -> None:
    rules = resource(template, "DataBucket")["LifecycleConfiguration"]["Rules"]
    [versions] = [rule for rule in rules if "NoncurrentVersionExpiration" in rule and "Prefix" not in rule]
    days = default(template, versions["NoncurrentVersionExpiration"]["NoncurrentDays"])
    assert 1 <= days <= 90


def test_bucket_policy_denies_requests_without_tls(template: dict[str, Any]) -> None:
    policy = resource(template, "DataBucketPolicy")
    assert policy["Bucket"] == {"Ref": "DataBucket"}
    [deny] = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny["Principal"] == "*"
    assert deny["Action"] == "s3:*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [
        {"Fn::GetAtt": ["DataBucket", "Arn"]},
        {"Fn::Sub": "${DataBucket.Arn}/*"},
    ]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_functions_are_the_image_with_room_to_run(template: dict[str, Any], name: str) -> None:
    function = template["Resources"][name]
    assert function["Type"] == "AWS::Serverless::Function"
    props = function["Properties"]
    assert props["PackageType"] == "Image"
    assert props["ImageUri"] == {"Ref": "ImageUri"}
    assert props["Timeout"] == 900
    assert default(template, props["MemorySize"]) >= 1024
    assert template["Parameters"]["MemorySize"]["MinValue"] >= 1024
    assert default(template, props["EphemeralStorage"]["Size"]) >= 1024
    assert props["Role"] == {"Fn::GetAtt": ["PipelineRole", "Arn"]}


@pytest.mark.parametrize(
    ("name", "parameter", "condition"),
    [
        ("PipelineFunction", "PipelineConcurrency", "HasPipelineReservation"),
        ("BackfillFunction", "BackfillConcurrency", "HasBackfillReservation"),
    ],
)
def test_reserved_concurrency_is_optional_and_off_by_default(
    template: dict[str, Any], name: str, parameter: str, condition: str
) -> None:
    """0 must mean 'no reservation', never ReservedConcurrentExecutions: 0 (which throttles every
    invocation), and the default reserves nothing, so any account quota can create the stack."""
    reserved = resource(template, name)["ReservedConcurrentExecutions"]
    assert reserved == {"Fn::If": [condition, {"Ref": parameter}, {"Ref": "AWS::NoValue"}]}
    assert template["Conditions"][condition] == {"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, 0]}]}
    assert template["Parameters"][parameter]["Default"] == 0
    description = template["Parameters"][parameter]["Description"]
    assert "quota" in description and ("100" in description or "101" in description)


def test_hourly_runs_hold_the_bucket_lock_and_backfill_days_do_not(template: dict[str, Any]) -> None:
    pipeline = resource(template, "PipelineFunction")["Environment"]["Variables"]
    backfill = resource(template, "BackfillFunction")["Environment"]["Variables"]
    assert (pipeline[settings.PIZZA_GAME_RUN_LOCK], backfill[settings.PIZZA_GAME_RUN_LOCK]) == ("on", "off")
    [statement] = [s for s in role_statements(template) if s["Sid"] == "HoldRunLock"]
    assert set(statement["Action"]) == {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}
    assert statement_resources(statement) == [{"Fn::Sub": f"${{DataBucket.Arn}}/{RUN_LOCK_KEY}"}]


def test_pipeline_function_runs_at_the_top_of_every_hour(template: dict[str, Any]) -> None:
    [event] = resource(template, "PipelineFunction")["Events"].values()
    assert event["Type"] == "Schedule"
    assert event["Properties"]["Schedule"] == "cron(0 * * * ? *)"
    assert default(template, event["Properties"]["State"]) == "ENABLED"
    assert event["Properties"]["DeadLetterConfig"] == {
        "Arn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    }


def test_backfill_function_has_no_schedule(template: dict[str, Any]) -> None:
    assert "Events" not in resource(template, "BackfillFunction")


@pytest.mark.parametrize("name", FUNCTIONS)
def test_failures_go_to_an_encrypted_dead_letter_queue(template: dict[str, Any], name: str) -> None:
    props = resource(template, name)
    assert props["DeadLetterQueue"] == {
        "Type": "SQS",
        "TargetArn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]},
    }
    assert props["EventInvokeConfig"]["MaximumRetryAttempts"] == 2
    assert resource(template, "DeadLetterQueue")["SqsManagedSseEnabled"] is True


@pytest.mark.parametrize(
    ("name", "log_group", "suffix"),
    [
        ("PipelineFunction", "PipelineLogGroup", "pipeline"),
        ("BackfillFunction", "BackfillLogGroup", "backfill"),
    ],
)
def test_each_function_logs_to_its_own_log_group_with_retention(
    template: dict[str, Any], name: str, log_group: str, suffix: str
) -> None:
    props = resource(template, name)
    assert props["FunctionName"] == {"Fn::Sub": f"${{AWS::StackName}}-{suffix}"}
    assert props["LoggingConfig"]["LogGroup"] == {"Ref": log_group}
    group = resource(template, log_group)
    # Lambda writes to /aws/lambda/FUNCTION_NAME; the retention applies only to that name.
    assert group["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{AWS::StackName}}-{suffix}"}
    assert default(template, group["RetentionInDays"]) > 0


def test_environment_uses_the_settings_names_and_holds_no_secret(template: dict[str, Any]) -> None:
    variables = resource(template, "PipelineFunction")["Environment"]["Variables"]
    assert variables["S3_BUCKET_NAME"] == {"Ref": "DataBucket"}
    expected = {
        settings.S3_BUCKET_NAME,
        settings.QUICKSIGHT_ACCOUNT_ID,
        settings.QUICKSIGHT_DATASET_ID,
        settings.MAX_REQUESTS_PER_MINUTE,
        settings.MAX_REQUESTS_PER_HOUR,
        *settings.SECRET_PARAMETERS.values(),
    }
    assert expected <= set(variables)
    assert all(name.isupper() and hasattr(settings, name) for name in variables), variables
    assert not set(settings.SECRET_NAMES) & set(variables)
    for secret, parameter in settings.SECRET_PARAMETERS.items():
        assert secret in settings.SECRET_NAMES
        assert variables[parameter]["Ref"] in template["Parameters"]


def test_backfill_function_has_the_pipeline_settings_but_never_refreshes_quicksight(
    template: dict[str, Any],
) -> None:
    pipeline = resource(template, "PipelineFunction")
    backfill = resource(template, "BackfillFunction")
    variables = backfill["Environment"]["Variables"]
    assert variables[settings.QUICKSIGHT_DATASET_ID] == ""
    own = {settings.QUICKSIGHT_DATASET_ID, settings.PIZZA_GAME_RUN_LOCK}
    assert {k: v for k, v in variables.items() if k not in own} == {
        k: v for k, v in pipeline["Environment"]["Variables"].items() if k not in own
    }
    shared = ("MemorySize", "EphemeralStorage", "Architectures", "EventInvokeConfig")
    assert {key: backfill[key] for key in shared} == {key: pipeline[key] for key in shared}


def test_role_has_no_wildcard_resource_or_action(template: dict[str, Any]) -> None:
    for statement in role_statements(template):
        assert statement["Effect"] == "Allow"
        assert "*" not in statement_resources(statement), statement["Sid"]
        assert all(not action.endswith(":*") for action in as_list(statement["Action"]))


def test_s3_access_is_limited_to_the_bucket_and_its_layout_prefixes(
    template: dict[str, Any],
) -> None:
    prefixes = {
        f"${{DataBucket.Arn}}/{top}/*"
        for top in ("raw-data", "processed-data", "quicksight-ready", REPORTS_PREFIX)
    }
    s3 = [s for s in role_statements(template) if as_list(s["Action"])[0].startswith("s3:")]
    assert s3
    for statement in s3:
        assert all(action.startswith("s3:") for action in as_list(statement["Action"]))
        for item in statement_resources(statement):
            if statement["Action"] == "s3:ListBucket":
                assert item == {"Fn::GetAtt": ["DataBucket", "Arn"]}
            else:
                assert sub_text(item) in prefixes | {f"${{DataBucket.Arn}}/{RUN_LOCK_KEY}"}, item
    deletes = [s for s in s3 if "s3:DeleteObject" in as_list(s["Action"])]
    assert [statement_resources(s) for s in deletes] == [
        [{"Fn::Sub": "${DataBucket.Arn}/raw-data/*"}],
        [{"Fn::Sub": f"${{DataBucket.Arn}}/{RUN_LOCK_KEY}"}],
    ]


def package_calls() -> Iterator[tuple[Path, str, str, ast.Call]]:
    """(file, enclosing function, method name, call) for every method call in the pizza_game
    package."""
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    yield path, function.name, node.func.attr, node


def s3_operations_called() -> dict[str, set[str]]:
    """{S3 client method: files calling it}, paginated operations included."""
    model = botocore.session.get_session().get_service_model("s3")
    operations = {xform_name(name) for name in model.operation_names} | S3_TRANSFERS
    called: dict[str, set[str]] = {}
    for path, _, method, call in package_calls():
        name = method
        first = call.args[0] if call.args else None
        if name == "get_paginator" and isinstance(first, ast.Constant) and isinstance(first.value, str):
            name = first.value
        if name in operations:
            called.setdefault(name, set()).add(path.relative_to(PACKAGE).as_posix())
    return called


def test_role_grants_exactly_the_s3_actions_the_code_calls(template: dict[str, Any]) -> None:
    called = s3_operations_called()
    assert set(called) <= set(S3_ACTIONS), f"S3 calls without a known IAM action: {called}"
    # The run lock's conditional puts and deletes are its own (lambda_lock.py).
    assert {file for files in called.values() for file in files} == {"storage/s3.py", "lambda_lock.py"}
    granted = {
        action
        for statement in role_statements(template)
        for action in as_list(statement["Action"])
        if action.startswith("s3:")
    }
    assert granted == {S3_ACTIONS[name] for name in called}


def test_only_raw_data_and_the_run_lock_are_ever_deleted(template: dict[str, Any]) -> None:
    """The role may delete under raw-data/ and the run lock only, so nothing the Lambda runs but
    RawStore, an import's landing (mock copies under raw-data/) and the lock may call delete. The import drop area (imports/) also moves files, but
    only the Dagster import sensor does that; the Lambda never runs sensors, so its role has no
    delete there."""
    callers = {
        (path.relative_to(PACKAGE).as_posix(), function)
        for path, function, method, _ in package_calls()
        if method in ("delete", "delete_object", "delete_objects")
    }
    assert callers == {
        ("storage/partitioned.py", "write_many"),
        ("storage/partitioned.py", "_drop_mock_overtaken"),
        ("storage/landing.py", "_land_rows"),  # an import removes the mock copies of its hours
        ("storage/s3.py", "delete"),
        ("collectors/drop_area.py", "_move"),
        ("lambda_lock.py", "release"),
    }
    raw_folders = {prefix.split("/")[0] for prefix in (RAW_ORDERS_PREFIX, RAW_MATCHES_PREFIX)}
    deletes = [s for s in role_statements(template) if "s3:DeleteObject" in as_list(s["Action"])]
    assert [sub_text(r) for s in deletes for r in statement_resources(s)] == [
        *(f"${{DataBucket.Arn}}/{folder}/*" for folder in raw_folders),
        f"${{DataBucket.Arn}}/{RUN_LOCK_KEY}",
    ]


def test_quicksight_access_is_the_configured_dataset_only(template: dict[str, Any]) -> None:
    dataset = (
        "arn:${AWS::Partition}:quicksight:${AWS::Region}:${Account}:dataset/${QuickSightDatasetId}-*"
    )
    quicksight = [s for s in role_statements(template) if "quicksight:" in str(s["Action"])]
    actions = {action for s in quicksight for action in as_list(s["Action"])}
    assert actions == {
        "quicksight:CreateIngestion",
        "quicksight:DescribeIngestion",
        "quicksight:DescribeDataSet",
        "quicksight:ListIngestions",
    }
    for statement in quicksight:
        for item in statement_resources(statement):
            assert sub_text(item) in (dataset, f"{dataset}/ingestion/*"), item
    [policy] = [
        p for p in resource(template, "PipelineRole")["Policies"] if "quicksight:" in str(p)
    ]
    assert policy["Fn::If"][0] == "HasQuickSightDataset"


def test_api_keys_are_readable_only_from_their_parameters(template: dict[str, Any]) -> None:
    ssm = [s for s in role_statements(template) if "ssm:" in str(s["Action"])]
    [statement] = ssm
    assert statement["Action"] == "ssm:GetParameters"
    parameter = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"
    assert {sub_text(item) for item in statement_resources(statement)} == {
        parameter + "${FootballApiKeyParameter}",
        parameter + "${DominosApiKeyParameter}",
    }


def test_logs_and_queue_permissions_name_their_own_resources(template: dict[str, Any]) -> None:
    by_sid = {s["Sid"]: s for s in role_statements(template)}
    assert statement_resources(by_sid["WriteOwnLogs"]) == [
        {"Fn::GetAtt": ["PipelineLogGroup", "Arn"]},
        {"Fn::GetAtt": ["BackfillLogGroup", "Arn"]},
    ]
    assert statement_resources(by_sid["SendToDeadLetterQueue"]) == [
        {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    ]


def test_quicksight_data_source_reads_the_manifest_when_asked_for(
    template: dict[str, Any],
) -> None:
    source = template["Resources"]["QuickSightDataSource"]
    assert source["Condition"] == "CreateQuickSightDashboard"
    location = source["Properties"]["DataSourceParameters"]["S3Parameters"]["ManifestFileLocation"]
    assert location == {"Bucket": {"Ref": "DataBucket"}, "Key": MANIFEST_KEY}


def test_outputs_name_the_bucket_functions_and_queue(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert outputs["BucketName"]["Value"] == {"Ref": "DataBucket"}
    assert outputs["FunctionName"]["Value"] == {"Ref": "PipelineFunction"}
    assert outputs["BackfillFunctionName"]["Value"] == {"Ref": "BackfillFunction"}
    assert outputs["DeadLetterQueueUrl"]["Value"] == {"Ref": "DeadLetterQueue"}
