"""The main job on the two storage backends: the local directory vs S3 over HTTP (moto server).

Same dates, same seed, same process; reports wall time, objects and bytes, and the S3/local ratio.
moto answers on loopback, so the S3 figure is the cost of our requests and botocore, not of a
network: expect real S3 to add round-trip time per request (the run makes one request per object
plus a listing per month folder).

    python benchmarks/storage_backends.py [--days 14]
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
import warnings

import boto3
import dagster as dg
import pandas as pd
from moto.server import ThreadedMotoServer

warnings.filterwarnings("ignore")

from pizza_game.definitions import make_definitions  # noqa: E402
from pizza_game.runner import run_pipeline  # noqa: E402


def timed(defs, start, end) -> float:
    began = time.perf_counter()
    run_pipeline(start, end, defs=defs, instance=dg.DagsterInstance.ephemeral(), log_level="ERROR")
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=14)
    args = parser.parse_args()
    end = pd.Timestamp("2024-11-01", tz="UTC")
    start = end - pd.Timedelta(days=args.days)
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"})

    with tempfile.TemporaryDirectory() as root:
        local = timed(make_definitions(data_dir=root, seed=3), start, end)
        files = [os.path.join(d, f) for d, _, names in os.walk(root) for f in names]
        local_bytes = sum(os.path.getsize(f) for f in files)

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="bench")
    os.environ.update({"S3_BUCKET_NAME": "bench", "S3_ENDPOINT_URL": endpoint})
    try:
        s3 = timed(make_definitions(seed=3), start, end)
        objects = boto3.client("s3", endpoint_url=endpoint).list_objects_v2(Bucket="bench")["KeyCount"]
    finally:
        server.stop()

    print(f"{args.days} days: local {local:.1f} s ({len(files)} files, {local_bytes / 1e6:.1f} MB); "
          f"S3 via moto {s3:.1f} s ({objects} objects); S3/local {s3 / local:.2f}x")


if __name__ == "__main__":
    main()
