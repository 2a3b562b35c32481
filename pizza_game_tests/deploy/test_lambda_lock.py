"""The run lock against S3 (moto over HTTP): one holder at a time, expiry, release, waiting."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from pizza_game.lambda_lock import RUN_LOCK_KEY, LockBusy, acquire
from pizza_game_tests.s3_server import MotoS3

TTL = timedelta(minutes=16)


def test_only_one_of_many_concurrent_runs_gets_the_lock(moto_s3: MotoS3) -> None:
    bucket = moto_s3.new_bucket()
    client = moto_s3.client()
    barrier = threading.Barrier(8)
    won, busy = [], []

    def contend(n: int) -> None:
        barrier.wait()
        try:
            won.append(acquire(client, bucket, owner=f"run {n}", ttl=TTL, wait_seconds=0))
        except LockBusy as error:
            busy.append(str(error))

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1 and len(busy) == 7
    holder = json.loads(client.get_object(Bucket=bucket, Key=RUN_LOCK_KEY)["Body"].read())
    assert holder["owner"] == won[0].owner
    assert all(f"owner {won[0].owner}" in message and "\n" not in message for message in busy)


def test_a_released_lock_can_be_taken_again(moto_s3: MotoS3) -> None:
    bucket = moto_s3.new_bucket()
    client = moto_s3.client()
    acquire(client, bucket, owner="first", ttl=TTL, wait_seconds=0).release()
    second = acquire(client, bucket, owner="second", ttl=TTL, wait_seconds=0)
    assert json.loads(client.get_object(Bucket=bucket, Key=RUN_LOCK_KEY)["Body"].read())["owner"] == "second"
    second.release()


def test_an_expired_lock_is_taken_over_and_its_late_release_keeps_the_new_one(moto_s3: MotoS3) -> None:
    bucket = moto_s3.new_bucket()
    client = moto_s3.client()
    dead = acquire(client, bucket, owner="dead", ttl=TTL, wait_seconds=0)
    later = datetime.now(UTC) + TTL + timedelta(seconds=1)
    with pytest.raises(LockBusy):
        acquire(client, bucket, owner="too early", ttl=TTL, wait_seconds=0)
    alive = acquire(client, bucket, owner="alive", ttl=TTL, wait_seconds=0, now=lambda: later)
    dead.release()  # conditional on its own ETag: must not delete the lock "alive" holds
    holder = json.loads(client.get_object(Bucket=bucket, Key=RUN_LOCK_KEY)["Body"].read())
    assert holder["owner"] == "alive"
    alive.release()
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_a_busy_run_waits_for_the_lock_then_gives_up(moto_s3: MotoS3) -> None:
    bucket = moto_s3.new_bucket()
    client = moto_s3.client()
    holder = acquire(client, bucket, owner="holder", ttl=TTL, wait_seconds=0)
    pauses: list[float] = []
    with pytest.raises(LockBusy, match="waited 12 s"):
        acquire(client, bucket, owner="waiter", ttl=TTL, wait_seconds=12, sleep=pauses.append)
    assert pauses == [5.0, 5.0, 2.0]

    def release_on_second_pause(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 5:
            holder.release()

    lock = acquire(client, bucket, owner="waiter", ttl=TTL, wait_seconds=60, sleep=release_on_second_pause)
    assert lock.owner == "waiter" and len(pauses) == 5
