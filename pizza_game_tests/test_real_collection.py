"""Real collection through Dagster: football-data.org replayed by a local HTTP server, an orders
API that is down (fallback to the generator, with the reason), and secrets that never leak."""

import json
import logging
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from pizza_game.cli import main
from pizza_game.definitions import make_definitions
from pizza_game.runner import PipelineError, run_pipeline

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TEAM_65 = (SHARED / "football_data_org" / "team_65_matches_2023_24.json").read_bytes()
FOOTBALL_SENTINEL = "sentinel-football-7d41c0a9e2b64f35"
ORDERS_SENTINEL = "sentinel-orders-1b9e88c3f0a24d77"
START, END = pd.Timestamp("2023-12-27", tz="UTC"), pd.Timestamp("2023-12-31", tz="UTC")


@pytest.fixture
def apis(httpserver: HTTPServer):
    seen: dict[str, Any] = {"football": [], "orders": 0}

    def football(request):
        seen["football"].append((request.headers.get("X-Auth-Token"), dict(request.args)))
        return Response(TEAM_65, status=200, content_type="application/json")

    def orders_down(request):
        seen["orders"] += 1
        return Response(json.dumps({"message": "upstream unavailable"}), status=503, content_type="application/json")

    httpserver.expect_request("/v4/competitions/PL/matches").respond_with_handler(football)
    httpserver.expect_request("/api/orders").respond_with_handler(orders_down)
    return httpserver, seen


def _configure(monkeypatch, server):
    monkeypatch.setenv("FOOTBALL_API_URL", server.url_for("/v4"))
    monkeypatch.setenv("FOOTBALL_API_KEY", FOOTBALL_SENTINEL)
    monkeypatch.setenv("DOMINOS_API_URL", server.url_for("/api"))
    monkeypatch.setenv("DOMINOS_API_KEY", ORDERS_SENTINEL)


def test_real_matches_land_under_real_and_a_down_dominos_orders_falls_back(apis, monkeypatch, tmp_path, caplog, capfd):
    server, seen = apis
    _configure(monkeypatch, server)
    data = tmp_path / "data"
    instance = dg.DagsterInstance.ephemeral()
    caplog.set_level(logging.DEBUG)
    summary = run_pipeline(START, END, defs=make_definitions(data_dir=str(data)), instance=instance, log_level="DEBUG")

    # football-data.org was asked with the key, once per competition and chunk, and its data is real.
    assert [token for token, _ in seen["football"]] == [FOOTBALL_SENTINEL]
    assert seen["football"][0][1] == {"dateFrom": "2023-12-27", "dateTo": "2023-12-31"}
    real_days = sorted(p.name for p in (data / "raw-data/football-data/real").rglob("*.json"))
    assert real_days == [f"202312{d}_000000_matches.json" for d in (27, 28, 29, 30)]
    assert not (data / "raw-data/football-data/mock").exists()
    day = json.loads((data / "raw-data/football-data/real/2023/12/27/20231227_000000_matches.json").read_text())
    assert day["source"] == "real" and [r["home_team"] for r in day["rows"]] == ["Everton FC"]
    assert day["responses"][0]["body"] == TEAM_65.decode()  # the API body exactly as received
    assert summary.matches == 2 and summary.matches_real_share == 1.0

    # The orders API answered 503 until the client gave up: every hour is mock, and says why.
    assert seen["orders"] >= 2
    assert not (data / "raw-data/dominos-orders/real").exists()
    event = instance.get_latest_materialization_event(dg.AssetKey("raw_orders"))
    assert event is not None and event.asset_materialization is not None
    orders_meta = event.asset_materialization.metadata
    assert orders_meta["real_share"].value == 0.0
    reasons = orders_meta["fallback_reasons"].value
    assert isinstance(reasons, list)
    (reason,) = reasons
    assert "503" in reason and "/api/orders" in reason

    # The keys appear nowhere: files, Dagster's event log and metadata, Python logs, the terminal.
    written = b"".join(p.read_bytes() for p in data.rglob("*") if p.is_file())
    events = "".join(repr(record) for run_id in summary.run_ids for record in instance.all_logs(run_id))
    captured = capfd.readouterr()
    for sentinel in (FOOTBALL_SENTINEL, ORDERS_SENTINEL):
        assert sentinel.encode() not in written
        assert sentinel not in events
        assert sentinel not in caplog.text
        assert sentinel not in captured.out + captured.err


@pytest.mark.parametrize("fallback", ["off", None])
def test_fallback_off_fails_the_run_with_the_reason_and_no_secret(httpserver, monkeypatch, tmp_path, fallback):
    """A refusal (403) is not retried, neither by the client nor by Dagster: the run fails at once,
    also with the fallback left at its default (only PIZZA_GAME_FALLBACK=on hides a broken API)."""
    refusal = {"message": "The resource you are looking for is restricted and apparently not within your permissions.", "errorCode": 403}
    httpserver.expect_request("/api/orders").respond_with_json(refusal, status=403)
    _configure(monkeypatch, httpserver)
    if fallback:
        monkeypatch.setenv("PIZZA_GAME_FALLBACK", fallback)
    else:
        monkeypatch.delenv("PIZZA_GAME_FALLBACK", raising=False)
    with pytest.raises(PipelineError) as failure:
        run_pipeline(START, END, defs=make_definitions(data_dir=str(tmp_path)), instance=dg.DagsterInstance.ephemeral(), log_level="ERROR")
    message = str(failure.value)
    assert "the API failed" in message and "PIZZA_GAME_FALLBACK=on" in message
    assert "403" in message and "restricted" in message
    assert len(httpserver.log) == 1
    assert ORDERS_SENTINEL not in message and FOOTBALL_SENTINEL not in message


@pytest.mark.slow
def test_pizza_game_run_stores_real_matches_from_the_api(apis, monkeypatch, tmp_path, capsys):
    server, seen = apis
    _configure(monkeypatch, server)
    monkeypatch.delenv("DOMINOS_API_URL")
    data = tmp_path / "data"
    assert main(["run", "--start", "2023-12-27", "--end", "2023-12-30", "--data-dir", str(data), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "2 matches (100% real)" in out and FOOTBALL_SENTINEL not in out
    assert len(list((data / "raw-data/football-data/real").rglob("*_matches.json"))) == 4
    assert seen["orders"] == 0
