"""AWS Lambda entry point of pizza_game: each invocation materializes one UTC time range.

Cold start (this module's import): every writable path goes under /tmp, the API keys are read from
SSM Parameter Store, then Dagster, the Definitions and the instance are loaded once so that warm
invocations reuse them. Events are described in pizza_game/lambda_event.py and deploy/README.md.
Logs are JSON lines on stdout (CloudWatch Logs); a failed run is logged and re-raised so Lambda's
retries, the dead-letter queue and the error alarm see it.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pizza_game.lambda_event import time_range_from_event
from pizza_game.lambda_runtime import api_keys_from_ssm, prepare_writable_root
from pizza_game.settings import PIZZA_GAME_WRITABLE_DIR, SECRET_PARAMETERS, env

_COLD_START = time.monotonic()


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
    os.chdir(prepare_writable_root(root, Path(__file__).with_name("dagster.yaml"), os.environ))
    parameters = {
        variable: name
        for variable, parameter_variable in SECRET_PARAMETERS.items()
        if (name := env(parameter_variable))
    }
    if parameters:
        import boto3

        os.environ.update(api_keys_from_ssm(boto3.client("ssm"), parameters))
    return sorted(parameters)


_API_KEYS = _prepare_process()

# Imported only now: Dagster resolves HOME and DAGSTER_HOME, and the pipeline reads its settings,
# when these modules load.
import dagster as dg  # noqa: E402

from pizza_game.definitions import defs  # noqa: E402
from pizza_game.runner import run_pipeline  # noqa: E402

INSTANCE = dg.DagsterInstance.get()

log(
    "INFO",
    "cold start done",
    init_seconds=round(time.monotonic() - _COLD_START, 3),
    api_keys_from_ssm=_API_KEYS,
    dagster_home=os.environ["DAGSTER_HOME"],
)


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Materialize the range ``event`` names; return the run summary as JSON-ready data."""
    started = time.monotonic()
    request_id = getattr(context, "aws_request_id", None)
    try:
        time_range = time_range_from_event(event, datetime.now(UTC))
    except ValueError as error:
        log("ERROR", "bad event", request_id=request_id, event=event, error=str(error))
        raise
    log(
        "INFO",
        "run started",
        request_id=request_id,
        scheduled=time_range.scheduled,
        **time_range.to_dict(),
    )
    try:
        summary = run_pipeline(
            time_range.start,
            time_range.end,
            defs=defs,
            instance=INSTANCE,
            collect_margin=not time_range.scheduled,
        )
    except Exception as error:
        log(
            "ERROR",
            "run failed",
            request_id=request_id,
            **time_range.to_dict(),
            seconds=round(time.monotonic() - started, 3),
            error_type=type(error).__name__,
            error=str(error),
        )
        raise
    result = summary.to_dict()
    log("INFO", "run succeeded", request_id=request_id, summary=result)
    return result
