"""JSON log lines (PIZZA_GAME_LOG_FORMAT=json): run id and partition on every line, no secrets."""

from __future__ import annotations

import json
import logging

import pandas as pd
import pytest

from pizza_game import settings
from pizza_game.definitions import make_definitions
from pizza_game.log_format import JsonFormatter, default_loggers, partition_of
from pizza_game.runner import run_pipeline

SENTINEL = "sentinel-5b1e-never-print-me"


def test_a_plain_record_becomes_one_json_object_with_the_secret_masked() -> None:
    record = logging.LogRecord("pizza_game.x", logging.WARNING, __file__, 1, f"token {SENTINEL} refused", None, None)
    line = json.loads(JsonFormatter(secrets=lambda: [SENTINEL]).format(record))
    assert line["level"] == "WARNING" and line["message"] == "token *** refused"
    assert line["run_id"] is None and line["partition"] is None


def test_a_range_run_names_its_first_and_last_partition() -> None:
    tags = {"dagster/asset_partition_range_start": "2024-10-01", "dagster/asset_partition_range_end": "2024-10-03"}
    assert partition_of(tags) == "2024-10-01..2024-10-03"
    assert partition_of({"dagster/partition": "2024-10-01-13:00"}) == "2024-10-01-13:00"


def test_an_unknown_format_is_refused(clean_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.PIZZA_GAME_LOG_FORMAT, "xml")
    with pytest.raises(ValueError, match="PIZZA_GAME_LOG_FORMAT='xml'"):
        default_loggers()


def test_every_line_of_an_hourly_run_is_json_with_its_run_and_partition_and_no_secret(
    clean_env: None, data_dir, monkeypatch: pytest.MonkeyPatch, httpserver, capfd: pytest.CaptureFixture[str]
) -> None:
    # The orders API refuses the key and echoes it; with the fallback on, the collector falls back
    # to generated orders (without it a refusal fails the run).
    httpserver.expect_request("/orders").respond_with_data(f'{{"message": "token {SENTINEL} refused"}}', status=401)
    monkeypatch.setenv(settings.PIZZA_GAME_FALLBACK, "on")
    monkeypatch.setenv(settings.PIZZA_GAME_LOG_FORMAT, "json")
    monkeypatch.setenv(settings.DOMINOS_API_URL, httpserver.url_for(""))
    monkeypatch.setenv(settings.DOMINOS_API_KEY, SENTINEL)
    defs = make_definitions(data_dir=str(data_dir), seed=3)
    start = pd.Timestamp("2024-10-15T13:00Z")

    summary = run_pipeline(start, start + pd.Timedelta(hours=1), defs=defs, collect_margin=False)

    assert httpserver.log[0][0].headers["Authorization"] == f"Bearer {SENTINEL}"  # the key was in play
    output = capfd.readouterr()
    assert SENTINEL not in output.err + output.out
    lines = [json.loads(line) for line in output.err.splitlines() if line.strip()]
    assert {line["run_id"] for line in lines} == set(summary.run_ids)
    partitions = {line["run_id"]: line["partition"] for line in lines}
    assert partitions == {summary.run_ids[0]: "2024-10-15-13:00", summary.run_ids[1]: "2024-10-15..2024-10-16"}
    assert any("refused" in line["message"] and line["level"] == "WARNING" for line in lines)
