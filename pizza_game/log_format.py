"""Log lines as JSON objects, one per line, for machines (PIZZA_GAME_LOG_FORMAT=json).

Every line carries the run id, the job, the step and the partition (a key, or "first..last" for a
range run) next to the level and the message, so CloudWatch Logs Insights or jq can filter one
run or one partition. Values of secret variables (API keys, AWS secrets) are masked in every
field before the line is written.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from pizza_game import settings
from pizza_game.collectors.redaction import redact
from pizza_game.partition_keys import run_range

FORMATS = ("text", "json")
SECRET_VARIABLES = (*settings.SECRET_NAMES, "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def log_format() -> str:
    """PIZZA_GAME_LOG_FORMAT, checked: "text" (Dagster's console lines) or "json"."""
    value = (settings.env(settings.PIZZA_GAME_LOG_FORMAT) or "text").lower()
    if value not in FORMATS:
        raise ValueError(f"{settings.PIZZA_GAME_LOG_FORMAT}={value!r} is not one of {', '.join(FORMATS)}")
    return value


def secret_values(names: Iterable[str] = SECRET_VARIABLES) -> list[str]:
    return [os.environ[name] for name in names if os.environ.get(name, "").strip()]


def partition_of(tags: dict[str, str]) -> str | None:
    """The run's partition from its tags: the key, or "first..last" for a range; None if unpartitioned."""
    keys = run_range(tags)
    if keys is None:
        return None
    return keys[0] if keys[0] == keys[1] else f"{keys[0]}..{keys[1]}"


class JsonFormatter(logging.Formatter):
    """A record as one JSON object; Dagster's records add run, job, step, partition and event."""

    def __init__(self, secrets: Callable[[], list[str]] = secret_values):
        super().__init__()
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        meta: dict[str, Any] = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": meta.get("orig_message", record.getMessage()),
            "run_id": meta.get("run_id"),
            "job": meta.get("job_name"),
            "step": meta.get("step_key"),
            "partition": partition_of(dict(meta.get("job_tags") or {})),
        }
        if event is not None:
            line["event"] = event.event_type_value
            error = getattr(event.event_specific_data, "error", None)
            if error is not None:
                line["error"] = error.to_string()
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        secrets = self.secrets()
        return json.dumps({k: redact(v, secrets) if isinstance(v, str) else v for k, v in line.items()}, default=str)


@dg.logger(
    config_schema={"log_level": dg.Field(str, is_required=False, default_value="INFO")},
    description="Dagster's console logger, as JSON lines: run id, job, step and partition on every line.",
)
def json_console_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    # A logger of its own per run, outside logging's registry, so handlers never pile up.
    logger = logging.Logger("pizza_game", level=init_context.logger_config["log_level"].upper())  # noqa: LOG001
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    return logger


def default_loggers() -> dict[str, dg.LoggerDefinition]:
    """The loggers the Definitions install: the JSON console logger when PIZZA_GAME_LOG_FORMAT=json,
    else none (Dagster's own colored console logger stays the default)."""
    return {"console": json_console_logger} if log_format() == "json" else {}
