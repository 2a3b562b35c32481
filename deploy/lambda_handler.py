"""AWS Lambda entry point of pizza_game: each invocation materializes one UTC time range.

Cold start (this module's import): every writable path goes under /tmp, the API keys are read from
SSM Parameter Store, then Dagster and the Definitions are loaded once so that warm invocations
reuse them. Each invocation runs on a new in-memory Dagster instance (pizza_game/instance.py's
``ephemeral_instance``), dropped when it returns: a persistent one under /tmp cost most of a 5 s
cold start (SQLite schema, fsyncs) and nothing reads it, as the data, the checks' history and the
last publish live in the store and the run's outcome in the logs and the return value. Events
are described in pizza_game/lambda_event.py and deploy/README.md. Logs are JSON lines on stdout
(CloudWatch Logs); the last line of each invocation carries the run's CloudWatch metrics (EMF).
A range is processed in chunks that fit the time limit (pizza_game/lambda_budget.py); the hourly
function holds a lock object in the bucket while it runs (pizza_game/lambda_lock.py). A failed run
is logged and re-raised so Lambda's retries, the dead-letter queue and the alarms see it.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pizza_game.lambda_budget import (
    BACKFILL_HINT,
    SAFETY_SECONDS,
    Progress,
    RangeTooLong,
    Throughput,
    check_fits,
    combined,
    first_chunk_seconds,
    run_in_chunks,
)
from pizza_game.lambda_event import time_range_from_event
from pizza_game.lambda_lock import acquire
from pizza_game.lambda_runtime import api_keys_from_ssm, prepare_writable_root
from pizza_game.metrics import HOURLY, RANGE, RunOutcome, emf_document
from pizza_game.settings import (
    DOMINOS_API_KEY,
    DOMINOS_API_URL,
    FOOTBALL_API_KEY,
    PIZZA_GAME_RUN_LOCK,
    PIZZA_GAME_WRITABLE_DIR,
    S3_BUCKET_NAME,
    S3_ENDPOINT_URL,
    SECRET_PARAMETERS,
    aws_region,
    env,
)

_COLD_START = time.monotonic()
FUNCTION_NAME = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "pizza-game")
LAMBDA_LIMIT_MS = 900_000
# A run that finds the lock held waits at most this long (an hourly run takes a minute or two).
LOCK_WAIT_SECONDS = 300.0
# The Dagster run tag that ties both runs of an invocation to its Lambda request id.
REQUEST_ID_TAG = "aws/lambda-request-id"


def log(level: str, message: str, **fields: object) -> None:
    """Write one JSON log line: time, level, message and the given fields."""
    record = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "level": level,
        "message": message,
        **fields,
    }
    print(json.dumps(record, default=str), flush=True)


def _prepare_process() -> list[str]:
    """Writable paths under /tmp, API keys into the environment; returns the keys' variables."""
    root = Path(str(env(PIZZA_GAME_WRITABLE_DIR)))
    os.chdir(prepare_writable_root(root, os.environ))
    parameters = {
        variable: name
        for variable, parameter_variable in SECRET_PARAMETERS.items()
        if (name := env(parameter_variable))
    }
    if parameters:
        import boto3

        os.environ.update(api_keys_from_ssm(boto3.client("ssm"), parameters))
    return sorted(parameters)


try:
    _API_KEYS = _prepare_process()
except Exception as error:
    # Lambda's init phase has no request id yet; the line names the root cause.
    log("ERROR", "cold start failed", error_type=type(error).__name__, error=" ".join(str(error).split()))
    raise

# Dagster flags some APIs the code location uses as beta; nobody reading the function's logs can
# act on that, so those warnings stay out of them.
warnings.filterwarnings("ignore", message=".*is currently in beta.*")

# Imported only now: Dagster resolves HOME and TMPDIR, and the pipeline reads its settings, when
# these modules load.
from pizza_game.definitions import defs  # noqa: E402
from pizza_game.instance import ephemeral_instance  # noqa: E402
from pizza_game.runner import run_pipeline  # noqa: E402
from pizza_game.storage.decoded_days import keep_decoded_days  # noqa: E402

# A warm container runs hour after hour over the same horizon: its merged days are decoded once.
keep_decoded_days()

# Per raw asset: whether its real API has what it needs, so a generated fallback is an API failure.
APIS_CONFIGURED = {
    "raw_orders": bool(env(DOMINOS_API_URL) and env(DOMINOS_API_KEY)),
    "raw_matches": bool(env(FOOTBALL_API_KEY)),
}

log(
    "INFO",
    "cold start done",
    init_seconds=round(time.monotonic() - _COLD_START, 3),
    api_keys_from_ssm=_API_KEYS,
    workdir=os.getcwd(),
)


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Materialize the range ``event`` names within this invocation's time; return the result.

    Every invocation ends with one JSON line that is also the run's CloudWatch EMF metrics
    (pizza_game/metrics.py): ``run succeeded``, ``run stopped`` (the time ran out between chunks:
    the days done and left are in it), ``run refused`` (too long for one invocation), ``run
    failed`` or ``bad event``, the last three with the root cause, then raised for Lambda's retries.
    """
    started = time.monotonic()
    request_id = getattr(context, "aws_request_id", None)
    fields: dict[str, Any] = {"request_id": request_id}
    kind = RANGE
    progress = Progress()
    try:
        try:
            time_range = time_range_from_event(event, datetime.now(UTC))
        except ValueError:
            fields["event"] = event
            raise
        kind = HOURLY if time_range.scheduled else RANGE
        fields.update(time_range.to_dict())
        log("INFO", "run started", scheduled=time_range.scheduled, **fields)
        if not time_range.scheduled:
            check_fits(time_range.start, time_range.end, _remaining_ms(context), Throughput())
        first_chunk = first_chunk_seconds(time_range.start, time_range.end, Throughput())
        with _run_lock(request_id, context, first_chunk), ephemeral_instance() as instance:
            run_in_chunks(
                time_range.start,
                time_range.end,
                lambda: _remaining_ms(context),
                lambda start, end: run_pipeline(
                    start,
                    end,
                    defs=defs,
                    instance=instance,
                    collect_margin=not time_range.scheduled,
                    tags={REQUEST_ID_TAG: str(request_id)},
                ).to_dict(),
                clock=time.monotonic,
                progress=progress,
            )
    except Exception as error:
        if "start" not in fields:
            message = "bad event"
        else:
            message = "run refused" if isinstance(error, RangeTooLong) else "run failed"
        result = combined(progress, time_range.start, time_range.end) if progress.done else None
        _finish(
            "ERROR",
            message,
            RunOutcome(FUNCTION_NAME, kind, False, time.monotonic() - started, result, APIS_CONFIGURED),
            **fields,
            run_id=getattr(error, "run_id", None),
            error_type=type(error).__name__,
            error=" ".join(str(error).split()),
            done_until=None if result is None else result["done_until"],
        )
        raise
    result = combined(progress, time_range.start, time_range.end)
    outcome = RunOutcome(FUNCTION_NAME, kind, progress.complete, time.monotonic() - started, result, APIS_CONFIGURED)
    if progress.complete:
        _finish("INFO", "run succeeded", outcome, **fields, run_ids=result["run_ids"], summary=result)
    else:
        _finish(
            "ERROR",
            "run stopped",
            outcome,
            **fields,
            run_ids=result["run_ids"],
            error=f"{progress.reason}; done until {result['done_until']}, left: {result['remaining']}; {BACKFILL_HINT}",
            summary=result,
        )
    return result


def _finish(level: str, message: str, outcome: RunOutcome, **fields: object) -> None:
    """The invocation's last line: the log fields and the EMF metrics in one JSON object."""
    log(level, message, **emf_document(outcome, int(time.time() * 1000)), **fields)


def _remaining_ms(context: Any) -> int:
    """Time left in this invocation; a context without the method (a test, a local call) gets the
    full Lambda limit."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return int(remaining()) if remaining else LAMBDA_LIMIT_MS


@contextmanager
def _run_lock(request_id: str | None, context: Any, first_chunk: float) -> Iterator[None]:
    """Hold the bucket's run lock (PIZZA_GAME_RUN_LOCK=on, the hourly function) around the run,
    waiting for it at most while the first chunk would still fit. Only S3 has the lock: a local
    store (no S3_BUCKET_NAME, e.g. the image run by hand) runs without it."""
    if env(PIZZA_GAME_RUN_LOCK) != "on" or not env(S3_BUCKET_NAME):
        yield
        return
    import boto3

    left = _remaining_ms(context) / 1000
    lock = acquire(
        boto3.client("s3", endpoint_url=env(S3_ENDPOINT_URL), region_name=aws_region()),
        str(env(S3_BUCKET_NAME)),
        owner=f"{FUNCTION_NAME} request {request_id}",
        ttl=timedelta(seconds=left + SAFETY_SECONDS),
        wait_seconds=max(0.0, min(LOCK_WAIT_SECONDS, left - first_chunk)),
    )
    try:
        yield
    finally:
        lock.release()
