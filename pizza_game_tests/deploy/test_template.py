"""What deploy/template.yaml promises, read from the parsed template (intrinsics as dicts)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

from pizza_game import settings
from pizza_game.storage.layout import (
    DASHBOARD_PREFIX,
    MANIFEST_KEY,
    MERGED_PREFIX,
    RAW_ORDERS_PREFIX,
    REPORTS_PREFIX,
)

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "template.yaml"


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
    expiry = {rule["Prefix"]: rule["ExpirationInDays"] for rule in rules if "Prefix" in rule}
    raw = RAW_ORDERS_PREFIX.split("/")[0] + "/"
    processed = MERGED_PREFIX.split("/")[0] + "/"
    assert expiry == {raw: 90, processed: 365, DASHBOARD_PREFIX + "/": 30}
    assert all(rule["Status"] == "Enabled" for rule in rules)


def test_replaced_versions_expire(template: dict[str, Any]) -> None:
    rules = resource(template, "DataBucket")["LifecycleConfiguration"]["Rules"]
    [versions] = [rule for rule in rules if "NoncurrentVersionExpiration" in rule]
    assert "Prefix" not in versions
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


def test_function_is_an_image_with_room_to_run_one_at_a_time(template: dict[str, Any]) -> None:
    function = template["Resources"]["PipelineFunction"]
    assert function["Type"] == "AWS::Serverless::Function"
    props = function["Properties"]
    assert props["PackageType"] == "Image"
    assert props["ReservedConcurrentExecutions"] == 1
    assert props["Timeout"] == 900
    assert default(template, props["MemorySize"]) >= 1024
    assert template["Parameters"]["MemorySize"]["MinValue"] >= 1024
    assert default(template, props["EphemeralStorage"]["Size"]) >= 1024
    assert props["Role"] == {"Fn::GetAtt": ["PipelineRole", "Arn"]}


def test_function_runs_at_the_top_of_every_hour(template: dict[str, Any]) -> None:
    [event] = resource(template, "PipelineFunction")["Events"].values()
    assert event["Type"] == "Schedule"
    assert event["Properties"]["Schedule"] == "cron(0 * * * ? *)"
    assert default(template, event["Properties"]["State"]) == "ENABLED"
    assert event["Properties"]["DeadLetterConfig"] == {
        "Arn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    }


def test_failures_go_to_an_encrypted_dead_letter_queue(template: dict[str, Any]) -> None:
    props = resource(template, "PipelineFunction")
    assert props["DeadLetterQueue"] == {
        "Type": "SQS",
        "TargetArn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]},
    }
    assert props["EventInvokeConfig"]["MaximumRetryAttempts"] == 2
    assert resource(template, "DeadLetterQueue")["SqsManagedSseEnabled"] is True


def test_logs_go_to_a_log_group_with_retention(template: dict[str, Any]) -> None:
    props = resource(template, "PipelineFunction")
    assert props["LoggingConfig"]["LogGroup"] == {"Ref": "PipelineLogGroup"}
    assert default(template, resource(template, "PipelineLogGroup")["RetentionInDays"]) > 0


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
                assert sub_text(item) in prefixes, item
    deletes = [s for s in s3 if "s3:DeleteObject" in as_list(s["Action"])]
    assert [statement_resources(s) for s in deletes] == [
        [{"Fn::Sub": "${DataBucket.Arn}/raw-data/*"}]
    ]


def test_quicksight_access_is_the_configured_dataset_only(template: dict[str, Any]) -> None:
    dataset = (
        "arn:${AWS::Partition}:quicksight:${AWS::Region}:${Account}:dataset/${QuickSightDatasetId}"
    )
    quicksight = [s for s in role_statements(template) if "quicksight:" in str(s["Action"])]
    actions = {action for s in quicksight for action in as_list(s["Action"])}
    assert actions == {
        "quicksight:CreateIngestion",
        "quicksight:DescribeIngestion",
        "quicksight:DescribeDataSet",
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
        {"Fn::GetAtt": ["PipelineLogGroup", "Arn"]}
    ]
    assert statement_resources(by_sid["SendToDeadLetterQueue"]) == [
        {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    ]


def test_quicksight_data_source_reads_the_manifest_when_asked_for(
    template: dict[str, Any],
) -> None:
    source = template["Resources"]["QuickSightDataSource"]
    assert source["Condition"] == "CreateQuickSightDataSource"
    location = source["Properties"]["DataSourceParameters"]["S3Parameters"]["ManifestFileLocation"]
    assert location == {"Bucket": {"Ref": "DataBucket"}, "Key": MANIFEST_KEY}


def test_outputs_name_the_bucket_function_and_queue(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert outputs["BucketName"]["Value"] == {"Ref": "DataBucket"}
    assert outputs["FunctionName"]["Value"] == {"Ref": "PipelineFunction"}
    assert outputs["DeadLetterQueueUrl"]["Value"] == {"Ref": "DeadLetterQueue"}
