"""The S3 client resource: endpoint, region and retries of the client the storage resource uses."""

from __future__ import annotations

from typing import Any

import dagster as dg


class S3ClientResource(dg.ConfigurableResource):
    """How the S3 client is built: endpoint, region, and botocore's standard retry mode, which
    retries transient 500/503 SlowDown answers. ``max_attempts`` counts retries after the first
    try (botocore's ``retries["max_attempts"]``), as in dagster-aws's S3Resource.

    A thin resource rather than dagster-aws's S3Resource: importing dagster-aws costs about a
    second of every command's and every Lambda cold start's time, and boto3 is imported only
    when a client is built (a bucket is configured).
    """

    endpoint_url: str | None = None
    region_name: str | None = None
    max_attempts: int = 5

    def get_client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            "s3",
            region_name=self.region_name,
            endpoint_url=self.endpoint_url,
            config=Config(retries={"max_attempts": self.max_attempts, "mode": "standard"}),
        )
