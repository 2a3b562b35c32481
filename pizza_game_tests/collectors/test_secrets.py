"""A sentinel key set in the environment must not appear in logs, errors or returned structures."""

from __future__ import annotations

import logging
import traceback
from datetime import UTC, date, datetime

import pytest
from werkzeug import Response

from pizza_game.collectors.api_client import ApiKey
from pizza_game.collectors.dominos_orders import DominosOrdersClient
from pizza_game.collectors.errors import CollectorError
from pizza_game.collectors.football_data import FootballDataClient
from pizza_game.collectors.retry import RetryPolicy
from pizza_game.settings import DOMINOS_API_KEY, FOOTBALL_API_KEY, env
from pizza_game_tests.collectors.conftest import make_api

SENTINEL = "sentinel-7f3a9c20-never-print-me"
MATCHES = "/v4/competitions/PL/matches"
ECHO = f'{{"message": "Your API token {SENTINEL} is invalid.", "errorCode": 400}}'
RETRY = RetryPolicy(max_attempts=2, connect_timeout=1.0, read_timeout=0.2)


@pytest.fixture(autouse=True)
def sentinel_env(monkeypatch):
    monkeypatch.setenv(FOOTBALL_API_KEY, SENTINEL)
    monkeypatch.setenv(DOMINOS_API_KEY, SENTINEL)


def key_from_env(name: str) -> str:
    """The key as the settings read it (sentinel_env set it)."""
    value = env(name)
    assert value is not None, name
    return value


def football(base_url: str, clock) -> FootballDataClient:
    return FootballDataClient(
        make_api(base_url, clock, key=ApiKey("X-Auth-Token", key_from_env(FOOTBALL_API_KEY)), retry=RETRY),
        ("PL",),
    )


def everything_printed(error: BaseException) -> str:
    parts = [str(error), repr(error), repr(error.args), "".join(traceback.format_exception(error))]
    current: BaseException | None = error
    while current is not None:
        parts += [str(current), repr(current)]
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


SERVER_SCENARIOS = {
    "400 echoing the key": lambda s: s.expect_request(MATCHES).respond_with_data(ECHO, status=400),
    "401 plain text": lambda s: s.expect_request(MATCHES).respond_with_data(
        f"bad token {SENTINEL}", status=401
    ),
    "403": lambda s: s.expect_request(MATCHES).respond_with_data(
        f'{{"message": "{SENTINEL} restricted"}}', status=403
    ),
    "404": lambda s: s.expect_request(MATCHES).respond_with_data("", status=404),
    "429 beyond the budget": lambda s: s.expect_request(MATCHES).respond_with_data(
        f'{{"message": "Token {SENTINEL}: Wait 9999 seconds."}}', status=429
    ),
    "persistent 500": lambda s: s.expect_request(MATCHES).respond_with_data(
        f"trace: X-Auth-Token={SENTINEL}", status=500
    ),
    "malformed JSON": lambda s: s.expect_request(MATCHES).respond_with_data(
        f'{{"token": "{SENTINEL}"'
    ),
    "wrong shape": lambda s: s.expect_request(MATCHES).respond_with_json({"errors": SENTINEL}),
    "redirect carrying the key": lambda s: s.expect_request(MATCHES).respond_with_data(
        "", status=302, headers={"Location": f"http://elsewhere.invalid/?key={SENTINEL}"}
    ),
}


@pytest.mark.parametrize("scenario", SERVER_SCENARIOS)
def test_no_error_path_prints_the_key(httpserver, clock, caplog, scenario):
    caplog.set_level(logging.DEBUG)
    SERVER_SCENARIOS[scenario](httpserver)
    with pytest.raises(CollectorError) as caught:
        football(httpserver.url_for("/v4"), clock).fetch_matches(date(2024, 1, 1), date(2024, 1, 1))
    assert httpserver.log[0][0].headers["X-Auth-Token"] == SENTINEL  # the key really was in play
    assert SENTINEL not in everything_printed(caught.value)
    assert SENTINEL not in caplog.text
    assert all(SENTINEL not in r.getMessage() for r in caplog.records)


def test_timeouts_do_not_print_the_key(threaded_server, release, clock, caplog):
    caplog.set_level(logging.DEBUG)
    threaded_server.clear()
    threaded_server.expect_request(MATCHES).respond_with_handler(
        lambda request: release.wait(10) and Response("{}")
    )
    with pytest.raises(CollectorError) as caught:
        football(threaded_server.url_for("/v4"), clock).fetch_matches(
            date(2024, 1, 1), date(2024, 1, 1)
        )
    assert "timed out" in str(caught.value)
    assert SENTINEL not in everything_printed(caught.value) and SENTINEL not in caplog.text


def test_connection_errors_do_not_print_the_key(clock, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(CollectorError) as caught:
        football("http://127.0.0.1:1/v4", clock).fetch_matches(date(2024, 1, 1), date(2024, 1, 1))
    assert "could not connect" in str(caught.value)
    assert SENTINEL not in everything_printed(caught.value) and SENTINEL not in caplog.text


def test_returned_structures_and_clients_do_not_hold_the_key_in_printable_form(
    httpserver, clock, caplog
):
    caplog.set_level(logging.DEBUG)
    httpserver.expect_request("/api/orders").respond_with_json(
        {
            "orders": [
                {"order_id": "1", "ordered_at": "2015-03-08T16:10:00Z", "items": 1, "total": 5},
                "junk",
            ],
            "next_page_token": None,
        }
    )
    api = make_api(httpserver.url_for("/api"), clock, key=ApiKey.bearer(key_from_env(DOMINOS_API_KEY)))
    fetch = DominosOrdersClient(api).fetch_orders(
        datetime(2015, 3, 8, 16, tzinfo=UTC), datetime(2015, 3, 8, 17, tzinfo=UTC)
    )
    assert httpserver.log[0][0].headers["Authorization"] == f"Bearer {SENTINEL}"
    printed = [
        repr(fetch),
        fetch.orders.rows.to_json(date_format="iso"),
        fetch.orders.rejected.to_json(),
        repr(fetch.responses),
        *(r.body.decode() for r in fetch.responses),
        repr(api.key),
        repr(api.key.secret),
        str(api.key.secret),
        repr(vars(api)),
    ]
    assert all(SENTINEL not in text for text in printed)
    assert SENTINEL not in caplog.text
