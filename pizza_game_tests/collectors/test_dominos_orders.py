"""The orders API contract, served by a loopback server: pagination, bearer token, bad records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from werkzeug import Request, Response

from pizza_game.collectors.api_client import ApiKey
from pizza_game.collectors.dominos_orders import DominosOrdersClient, dominos_orders_client
from pizza_game.collectors.errors import (
    CollectorBadResponse,
    CollectorNotConfigured,
    CollectorUnavailable,
)
from pizza_game.schema import ORDER_COLUMNS
from pizza_game_tests.collectors.conftest import make_api

START = datetime(2015, 3, 8, 16, tzinfo=UTC)
END = START + timedelta(hours=1)


def order(number: int, minute: int, **changes) -> dict:
    return {
        "order_id": f"o-{number}",
        "ordered_at": f"2015-03-08T12:{minute:02d}:00-04:00",
        "store_id": "store-7",
        "region": "US-NY",
        "items": 2,
        "total": 21.5,
    } | changes


def client(httpserver, clock) -> DominosOrdersClient:
    return DominosOrdersClient(
        make_api(httpserver.url_for("/api"), clock, key=ApiKey.bearer("orders-token"))
    )


def serve_pages(httpserver, pages: list[dict]) -> None:
    """Page i is served for page_token "t{i}" (none for the first), each pointing at the next."""
    for number, page in enumerate(pages):
        query = {"start": "2015-03-08T16:00:00Z", "end": "2015-03-08T17:00:00Z"}
        if number:
            query["page_token"] = f"t{number}"
        body = {"next_page_token": f"t{number + 1}" if number + 1 < len(pages) else None} | page
        httpserver.expect_request(
            "/api/orders", query_string=query, headers={"Authorization": "Bearer orders-token"}
        ).respond_with_json(body)


def test_pagination_across_three_pages(httpserver, clock):
    serve_pages(
        httpserver,
        [
            {"orders": [order(1, 0), order(2, 5)]},
            {"orders": [order(3, 10)]},
            {"orders": [order(4, 59)]},
        ],
    )
    fetch = client(httpserver, clock).fetch_orders(START, END)
    rows = fetch.orders.rows
    assert rows["order_id"].tolist() == ["o-1", "o-2", "o-3", "o-4"]
    assert list(rows.columns) == list(ORDER_COLUMNS) and (rows["source"] == "real").all()
    assert rows["ordered_at"].iloc[0] == pd.Timestamp("2015-03-08T16:00:00Z")
    assert fetch.orders.rejected.empty
    assert len(fetch.responses) == len(httpserver.log) == 3
    assert [r.args.get("page_token") for r, _ in httpserver.log] == [None, "t1", "t2"]
    assert fetch.responses[2].body == httpserver.log[2][1].get_data()


def test_bad_duplicate_and_out_of_window_orders_are_rejected_with_where_and_why(httpserver, clock):
    serve_pages(
        httpserver,
        [
            {"orders": [order(1, 0), order(2, 1, items=0), "junk"]},
            {
                "orders": [
                    order(1, 2),
                    order(3, 3, ordered_at="2015-03-08T13:00:00-04:00"),
                    order(4, 4, total="lots"),
                ]
            },
            {"orders": [order(5, 5, ordered_at="2015-03-08 12:05:00"), order(6, 6)]},
        ],
    )
    fetch = client(httpserver, clock).fetch_orders(START, END)
    assert fetch.orders.rows["order_id"].tolist() == ["o-1", "o-6"]
    rejected = fetch.orders.rejected
    where = rejected["where"].str.replace(
        r"^GET /api/orders\?.* (page \d+ order \d+)$", r"\1", regex=True
    )
    assert len(rejected) == 6
    assert dict(zip(where, rejected["reason"], strict=True)) == {
        "page 1 order 3": "order is not a JSON object",
        "page 2 order 2": "ordered_at outside the requested window "
        "[2015-03-08T16:00:00Z, 2015-03-08T17:00:00Z)",
        "page 1 order 2": "items must be from 1 to 1,000",
        "page 2 order 3": "total is not a finite number",
        "page 3 order 1": "naive timestamp (no UTC offset); give the source's timezone",
        "page 2 order 1": "duplicate order_id (the first one is kept)",
    }


def test_a_repeated_page_token_stops_with_a_bad_response(httpserver, clock):
    httpserver.expect_request("/api/orders").respond_with_json(
        {"orders": [], "next_page_token": "again"}
    )
    with pytest.raises(
        CollectorBadResponse, match=r"^GET /api/orders page 2 repeats a next_page_token$"
    ):
        client(httpserver, clock).fetch_orders(START, END)
    assert len(httpserver.log) == 2


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"items": []}, "is not an order page"),
        (
            {"orders": [], "next_page_token": 5},
            "has a next_page_token that is not a string or null",
        ),
    ],
)
def test_pages_of_the_wrong_shape_are_bad_responses(httpserver, clock, body, problem):
    httpserver.expect_request("/api/orders").respond_with_json(body)
    with pytest.raises(CollectorBadResponse, match=f"^GET /api/orders page 1 {problem}"):
        client(httpserver, clock).fetch_orders(START, END)


def test_a_page_failing_midway_fails_the_window(httpserver, clock):
    httpserver.expect_request(
        "/api/orders", query_string={"start": "2015-03-08T16:00:00Z", "end": "2015-03-08T17:00:00Z"}
    ).respond_with_json({"orders": [order(1, 0)], "next_page_token": "t1"})

    def down(request: Request) -> Response:
        return Response("maintenance", status=503)

    httpserver.expect_request(
        "/api/orders",
        query_string={
            "start": "2015-03-08T16:00:00Z",
            "end": "2015-03-08T17:00:00Z",
            "page_token": "t1",
        },
    ).respond_with_handler(down)
    with pytest.raises(
        CollectorUnavailable,
        match="GET /api/orders gave up after 4 attempts: answered 503: maintenance",
    ):
        client(httpserver, clock).fetch_orders(START, END)


def test_paging_is_bounded(httpserver, clock):
    counter = iter(range(100))
    httpserver.expect_request("/api/orders").respond_with_handler(
        lambda request: Response(f'{{"orders": [], "next_page_token": "t{next(counter)}"}}')
    )
    api = make_api(httpserver.url_for("/api"), clock, key=ApiKey.bearer("orders-token"))
    with pytest.raises(CollectorBadResponse, match="page 5 still pages after 5 pages"):
        DominosOrdersClient(api, max_pages=5).fetch_orders(START, END)
    assert len(httpserver.log) == 5


def test_window_must_be_aware_and_ordered(httpserver, clock):
    with pytest.raises(ValueError, match="tz-aware start < end"):
        client(httpserver, clock).fetch_orders(START.replace(tzinfo=None), END)
    with pytest.raises(ValueError, match="tz-aware start < end"):
        client(httpserver, clock).fetch_orders(END, START)


def test_factory_needs_url_and_key():
    with pytest.raises(CollectorNotConfigured, match="DOMINOS_API_URL is not set"):
        dominos_orders_client(None, "k", per_minute=10, per_hour=1000)
    with pytest.raises(CollectorNotConfigured, match="DOMINOS_API_KEY is not set"):
        dominos_orders_client("http://127.0.0.1:1/orders-factory", "", per_minute=10, per_hour=1000)
    made = dominos_orders_client("http://127.0.0.1:1/orders-factory", "k", per_minute=10, per_hour=1000)
    assert made.api.key.headers() == {"Authorization": "Bearer k"}
