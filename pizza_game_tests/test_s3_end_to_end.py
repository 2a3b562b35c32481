"""The whole graph against S3 over real HTTP (moto in server mode): same keys as a local run."""

import itertools
import json

import dagster as dg
import pandas as pd
import pytest

from pizza_game.definitions import make_definitions
from pizza_game.runner import PipelineError, run_pipeline
from pizza_game_tests.layout_check import KEY_FAMILIES, families, keys_under
from pizza_game_tests.s3_server import FaultProxy

START, END = pd.Timestamp("2024-11-04", tz="UTC"), pd.Timestamp("2024-11-07", tz="UTC")


def _s3_defs(monkeypatch, bucket, endpoint):
    monkeypatch.setenv("S3_BUCKET_NAME", bucket)
    monkeypatch.setenv("S3_ENDPOINT_URL", endpoint)
    return make_definitions(seed=11)


def _bucket_objects(client, bucket):
    keys = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys += [item["Key"] for item in page.get("Contents", [])]
    return sorted(keys)


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("local")
    run_pipeline(START, END, defs=make_definitions(data_dir=str(root), seed=11), instance=dg.DagsterInstance.ephemeral(), log_level="ERROR")
    return root


def _comparable(key: str) -> bool:
    """Objects whose bytes must match between stores: not those that hold URIs or run ids."""
    return not key.startswith("quicksight-ready/metadata/")


@pytest.mark.slow
def test_s3_run_writes_the_local_keys_encrypted_with_the_same_contents(monkeypatch, moto_s3, s3_bucket, local_run):
    defs = _s3_defs(monkeypatch, s3_bucket, moto_s3.endpoint_url)
    run_pipeline(START, END, defs=defs, instance=dg.DagsterInstance.ephemeral(), log_level="ERROR")
    client = moto_s3.client()
    s3_keys = _bucket_objects(client, s3_bucket)
    local_keys = keys_under(local_run)
    lineage = lambda keys: {k for k in keys if k.startswith("quicksight-ready/metadata/lineage/")}  # noqa: E731
    assert set(s3_keys) - lineage(s3_keys) == set(local_keys) - lineage(local_keys)
    assert set(families(s3_keys)) == set(KEY_FAMILIES)
    for key in s3_keys:
        head = client.head_object(Bucket=s3_bucket, Key=key)
        assert head["ServerSideEncryption"] == "AES256", key
        if _comparable(key):
            body = client.get_object(Bucket=s3_bucket, Key=key)["Body"].read()
            assert body == (local_run / key).read_bytes(), key
    manifest = json.loads(client.get_object(Bucket=s3_bucket, Key="quicksight-ready/metadata/manifest.json")["Body"].read())
    uris = manifest["fileLocations"][0]["URIs"]
    assert uris and all(u.startswith(f"s3://{s3_bucket}/quicksight-ready/dashboard-data/") for u in uris)
    for uri in uris:
        client.head_object(Bucket=s3_bucket, Key=uri.split(f"s3://{s3_bucket}/", 1)[1])


@pytest.mark.slow
def test_transient_500_and_503_answers_lose_nothing(monkeypatch, moto_s3, s3_bucket, local_run):
    requests = itertools.count(1)

    def every_tenth_request_fails(method, path, seen):
        return (503 if method == "PUT" else 500) if next(requests) % 10 == 0 else None

    with FaultProxy(moto_s3.endpoint_url, every_tenth_request_fails) as proxy:
        defs = _s3_defs(monkeypatch, s3_bucket, proxy.endpoint_url)
        run_pipeline(START, END, defs=defs, instance=dg.DagsterInstance.ephemeral(), log_level="ERROR")
    assert sum(proxy.faults.values()) > 20
    client = moto_s3.client()
    for key in _bucket_objects(client, s3_bucket):
        if _comparable(key):
            assert client.get_object(Bucket=s3_bucket, Key=key)["Body"].read() == (local_run / key).read_bytes(), key


def test_missing_bucket_fails_at_the_start_naming_bucket_and_variable(monkeypatch, moto_s3):
    defs = _s3_defs(monkeypatch, "no-such-bucket-here", moto_s3.endpoint_url)
    with pytest.raises(PipelineError, match=r"S3 bucket 'no-such-bucket-here' does not exist .*S3_BUCKET_NAME"):
        run_pipeline(START, END, defs=defs, instance=dg.DagsterInstance.ephemeral(), log_level="ERROR")
