"""Shared fixtures of the deploy tests: a moto server on loopback and AWS clients bound to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

REGION = "eu-west-1"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """URL of a moto server started for this module on 127.0.0.1 (a free port)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_client(moto_endpoint: str) -> Callable[[str], Any]:
    """A factory of boto3 clients talking to the moto server with throwaway credentials."""

    def make(service: str) -> Any:
        # boto3 checks the service name when it runs; the stubs type only literal names.
        return boto3.client(  # type: ignore[call-overload]
            service,
            region_name=REGION,
            endpoint_url=moto_endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return make
