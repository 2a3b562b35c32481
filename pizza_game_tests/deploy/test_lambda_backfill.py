"""Fan-out of a date range to the deployed function (pizza_game/lambda_backfill.py)."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

import boto3
import pytest
import requests
from botocore.stub import Stubber

from pizza_game.lambda_backfill import InvokeResult, day_partitions, invoke_backfill


def test_day_partitions_are_every_day_of_the_half_open_range() -> None:
    assert day_partitions(date(2024, 2, 27), date(2024, 3, 2)) == [
        "2024-02-27",
        "2024-02-28",
        "2024-02-29",
        "2024-03-01",
    ]
    assert day_partitions(datetime(2024, 5, 1), datetime(2024, 5, 2)) == ["2024-05-01"]


@pytest.mark.parametrize(
    ("start", "end", "named"),
    [
        (date(2024, 5, 8), date(2024, 5, 1), "end"),
        (date(2024, 5, 1), date(2024, 5, 1), "end"),
        (datetime(2024, 5, 1, 6), date(2024, 5, 8), "start"),
    ],
)
def test_bad_range_is_a_value_error(start: date, end: date, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        day_partitions(start, end)


def stubbed_lambda() -> Any:
    return boto3.client(
        "lambda",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def expected_invoke(partition: str) -> dict[str, object]:
    return {
        "FunctionName": "pizza-game-pipeline",
        "InvocationType": "Event",
        "Payload": json.dumps({"partition": partition}).encode(),
    }


def test_one_asynchronous_invoke_per_day_and_errors_do_not_stop_the_others() -> None:
    client = stubbed_lambda()
    with Stubber(client) as stubber:
        stubber.add_response("invoke", {"StatusCode": 202}, expected_invoke("2024-05-01"))
        stubber.add_client_error(
            "invoke",
            service_error_code="TooManyRequestsException",
            service_message="Rate exceeded",
            http_status_code=429,
            expected_params=expected_invoke("2024-05-02"),
        )
        stubber.add_response("invoke", {"StatusCode": 202}, expected_invoke("2024-05-03"))
        results = invoke_backfill(
            "pizza-game-pipeline",
            date(2024, 5, 1),
            date(2024, 5, 4),
            lambda_client=client,
            max_concurrency=1,
        )
        stubber.assert_no_pending_responses()

    assert results == [
        InvokeResult("2024-05-01", 202),
        InvokeResult("2024-05-02", 429, "TooManyRequestsException: Rate exceeded"),
        InvokeResult("2024-05-03", 202),
    ]
    assert [result.accepted for result in results] == [True, False, True]


def test_unexpected_status_is_reported_not_accepted() -> None:
    client = stubbed_lambda()
    with Stubber(client) as stubber:
        stubber.add_response("invoke", {"StatusCode": 200}, expected_invoke("2024-05-01"))
        [result] = invoke_backfill(
            "pizza-game-pipeline", date(2024, 5, 1), date(2024, 5, 2), lambda_client=client
        )
    assert not result.accepted
    assert result.error == "expected status 202, got 200"


def test_max_concurrency_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_concurrency"):
        invoke_backfill(
            "f", date(2024, 5, 1), date(2024, 5, 2), lambda_client=None, max_concurrency=0
        )


@pytest.fixture
def simple_lambda(moto_endpoint: str) -> Iterator[None]:
    """moto's Lambda without Docker for the duration of a test (the config is process-wide)."""
    config = f"{moto_endpoint}/moto-api/config"
    requests.post(config, json={"lambda": {"use_docker": False}}, timeout=10).raise_for_status()
    yield
    requests.post(config, json={"lambda": {"use_docker": True}}, timeout=10).raise_for_status()


def deployed_function(aws_client: Callable[[str], Any], name: str) -> Any:
    """Create ``name`` in moto (a zip function: moto cannot run images) and return a client."""
    role = aws_client("iam").create_role(
        RoleName=f"{name}-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("lambda_handler.py", "def handler(event, context):\n    return event\n")
    client = aws_client("lambda")
    client.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="lambda_handler.handler",
        Code={"ZipFile": code.getvalue()},
    )
    return client


class InFlight:
    """Wraps a Lambda client and records the most ``invoke`` calls that were ever in flight."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._now = 0
        self.most = 0

    def invoke(self, **params: Any) -> Any:
        with self._lock:
            self._now += 1
            self.most = max(self.most, self._now)
        try:
            return self._client.invoke(**params)
        finally:
            with self._lock:
                self._now -= 1


@pytest.mark.usefixtures("simple_lambda")
def test_backfill_against_moto_lambda_accepts_every_day_within_the_concurrency_bound(
    aws_client: Callable[[str], Any],
) -> None:
    client = InFlight(deployed_function(aws_client, "pizza-game-backfill"))
    results = invoke_backfill(
        "pizza-game-backfill",
        date(2024, 4, 25),
        date(2024, 5, 7),
        lambda_client=client,
        max_concurrency=3,
    )
    assert [result.partition for result in results] == day_partitions(
        date(2024, 4, 25), date(2024, 5, 7)
    )
    assert all(result.accepted for result in results), results
    assert 1 <= client.most <= 3


def test_backfill_of_a_missing_function_reports_every_day(
    aws_client: Callable[[str], Any],
) -> None:
    # moto's default Lambda backend (no simple_lambda here: that one answers 202 for any name)
    # looks the function up, and answers 404, before it would need Docker.
    results = invoke_backfill(
        "no-such-function",
        date(2024, 5, 1),
        date(2024, 5, 4),
        lambda_client=aws_client("lambda"),
    )
    assert [result.partition for result in results] == ["2024-05-01", "2024-05-02", "2024-05-03"]
    for result in results:
        assert result.status_code == 404
        assert result.error is not None and result.error.startswith("ResourceNotFoundException")
