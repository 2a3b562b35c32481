"""Answers that are not data are loud: 401, an HTML page with status 200, an oversized body.

At the client (a real HTTP server on loopback) they are CollectorRejected / CollectorBadResponse
raised at once, never retried; at the raw assets they fail the run unless PIZZA_GAME_FALLBACK=on
was set explicitly (Collected.broken).
"""

from __future__ import annotations

import pytest

from pizza_game.collectors.collect import Collected
from pizza_game.collectors.errors import (
    CollectorBadResponse,
    CollectorRejected,
    CollectorUnavailable,
)
from pizza_game_tests.collectors.conftest import make_api

PATH = "/v4/competitions/PL/matches"
HTML = "<!doctype html><html><body>Please sign in</body></html>"


def test_401_is_a_refusal_and_breaks_the_collector(httpserver, clock):
    httpserver.expect_request(PATH).respond_with_json({"message": "The key is invalid"}, status=401)
    with pytest.raises(CollectorRejected) as caught:
        make_api(httpserver.url_for("/v4"), clock).get("/competitions/PL/matches")
    assert "401" in caught.value.reason and len(httpserver.log) == 1
    assert Collected.failed(caught.value).broken


def test_an_html_page_with_status_200_is_not_data(httpserver, clock):
    httpserver.expect_request(PATH).respond_with_data(HTML, status=200, content_type="text/html")
    with pytest.raises(CollectorBadResponse) as caught:
        make_api(httpserver.url_for("/v4"), clock).get("/competitions/PL/matches")
    assert "HTML page" in caught.value.reason and len(httpserver.log) == 1
    assert Collected.failed(caught.value).broken


def test_a_50_mb_body_is_refused_without_reading_it_all(httpserver, clock):
    httpserver.expect_request(PATH).respond_with_data(b"[" + b"1," * (25 * 2**20) + b"1]", content_type="application/json")
    with pytest.raises(CollectorBadResponse) as caught:
        make_api(httpserver.url_for("/v4"), clock).get("/competitions/PL/matches")
    assert "20 MB limit" in caught.value.reason
    assert Collected.failed(caught.value).broken


def test_an_outage_is_not_broken_and_falls_back_as_before(httpserver, clock):
    httpserver.expect_request(PATH).respond_with_data("down", status=503)
    with pytest.raises(CollectorUnavailable) as caught:
        make_api(httpserver.url_for("/v4"), clock).get("/competitions/PL/matches")
    assert not Collected.failed(caught.value).broken
