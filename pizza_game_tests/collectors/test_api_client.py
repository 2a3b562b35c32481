"""ApiClient against real loopback HTTP servers: rate limit, retries, fail-fast, timeouts."""

from __future__ import annotations

import json
import pickle

import pytest
from werkzeug import Request, Response

from pizza_game.collectors.api_client import ApiClient, ApiKey
from pizza_game.collectors.errors import (
    CollectorBadResponse,
    CollectorError,
    CollectorNotConfigured,
    CollectorRejected,
    CollectorUnavailable,
)
from pizza_game.collectors.rate_limit import RateLimiter
from pizza_game.collectors.retry import RetryPolicy
from pizza_game_tests.collectors.conftest import BODY_400, BODY_403, BODY_429, FAST_RETRY, make_api

PATH = "/v4/competitions/PL/matches"


def api_for(httpserver, clock, **kwargs) -> ApiClient:
    return make_api(httpserver.url_for("/v4"), clock, **kwargs)


def test_limiter_keeps_to_ten_requests_a_minute_as_counted_by_the_server(httpserver, clock):
    seen: list[float] = []

    def record(request: Request) -> Response:
        seen.append(clock.now)
        return Response('{"matches": []}', content_type="application/json")

    httpserver.expect_request(PATH).respond_with_handler(record)
    api = api_for(httpserver, clock)
    for _ in range(25):
        api.get("/competitions/PL/matches")
    assert len(seen) == len(httpserver.log) == 25
    assert max(sum(start <= t < start + 60 for t in seen) for start in seen) == 10
    assert seen[-1] - seen[0] == 120.0


def test_server_rate_headers_slow_the_client_down(httpserver, clock):
    seen: list[float] = []

    def nearly_out(request: Request) -> Response:
        seen.append(clock.now)
        headers = {"X-Requests-Available-Minute": "0", "X-RequestCounter-Reset": "42"}
        return Response("{}", headers=headers, content_type="application/json")

    httpserver.expect_request(PATH).respond_with_handler(nearly_out)
    api = api_for(httpserver, clock)
    api.get("/competitions/PL/matches")
    api.get("/competitions/PL/matches")
    assert seen[1] - seen[0] == 42.0


def test_429_waits_what_the_message_says_then_succeeds(httpserver, clock):
    httpserver.expect_oneshot_request(PATH).respond_with_data(
        BODY_429, status=429, content_type="application/json"
    )
    httpserver.expect_request(PATH).respond_with_json({"matches": []})
    response = api_for(httpserver, clock).get(
        "/competitions/PL/matches", {"dateFrom": "2024-01-01"}
    )
    assert response.data == {"matches": []}
    assert response.request == f"GET {PATH}?dateFrom=2024-01-01"
    assert len(httpserver.log) == 2
    assert clock.sleeps == [18.0]  # "Wait 17 seconds." plus one second of margin


def test_429_with_retry_after_header_uses_the_header(httpserver, clock):
    httpserver.expect_oneshot_request(PATH).respond_with_data(
        "slow down", status=429, headers={"Retry-After": "3"}
    )
    httpserver.expect_request(PATH).respond_with_json({})
    api_for(httpserver, clock).get("/competitions/PL/matches")
    assert clock.sleeps == [4.0]


def test_5xx_then_success_backs_off_with_jitter(httpserver, clock):
    for status in (500, 503):
        httpserver.expect_oneshot_request(PATH).respond_with_data("busy", status=status)
    httpserver.expect_request(PATH).respond_with_json({"ok": True})
    response = api_for(httpserver, clock).get("/competitions/PL/matches")
    assert response.data == {"ok": True} and response.status == 200
    assert len(httpserver.log) == 3
    assert len(clock.sleeps) == 2 and 0 <= clock.sleeps[0] <= 1 and 0 <= clock.sleeps[1] <= 2


def test_persistent_5xx_gives_up_with_a_reason(httpserver, clock):
    httpserver.expect_request(PATH).respond_with_data('{"message": "upstream down"}', status=502)
    with pytest.raises(CollectorUnavailable) as caught:
        api_for(httpserver, clock).get("/competitions/PL/matches", {"dateFrom": "2024-01-01"})
    assert len(httpserver.log) == FAST_RETRY.max_attempts
    assert (
        caught.value.reason == f"GET {PATH} gave up after 4 attempts: answered 502: upstream down"
    )
    assert (caught.value.endpoint, caught.value.status) == (f"GET {PATH}", 502)
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_retry_budget_bounds_the_total_wait(httpserver, clock):
    body = '{"message":"You reached your request limit. Wait 3600 seconds.","errorCode":429}'
    httpserver.expect_request(PATH).respond_with_data(body, status=429)
    with pytest.raises(CollectorUnavailable, match="exceed the 180 s retry budget"):
        api_for(httpserver, clock).get("/competitions/PL/matches")
    assert len(httpserver.log) == 1 and clock.sleeps == []


def test_403_fails_fast_without_retry(httpserver, clock):
    httpserver.expect_request(PATH).respond_with_data(
        BODY_403, status=403, content_type="application/json"
    )
    with pytest.raises(CollectorRejected) as caught:
        api_for(httpserver, clock).get("/competitions/PL/matches")
    assert len(httpserver.log) == 1 and clock.sleeps == []
    assert str(caught.value) == (
        f"GET {PATH} answered 403: The resource you are looking for is restricted and apparently "
        "not within your permissions. Please check your subscription."
    )


def test_400_invalid_token(httpserver, clock):
    httpserver.expect_request(PATH).respond_with_data(
        BODY_400, status=400, content_type="application/json"
    )
    with pytest.raises(
        CollectorRejected, match=f"GET {PATH} answered 400: Your API token is invalid.$"
    ):
        api_for(httpserver, clock).get("/competitions/PL/matches")
    assert len(httpserver.log) == 1


def test_key_is_sent_in_its_header(httpserver, clock):
    httpserver.expect_request(PATH, headers={"X-Auth-Token": "test-key"}).respond_with_json({})
    api_for(httpserver, clock).get("/competitions/PL/matches")
    bearer = api_for(httpserver, clock, key=ApiKey.bearer("tok"))
    httpserver.expect_request(
        "/v4/orders", headers={"Authorization": "Bearer tok"}
    ).respond_with_json({})
    bearer.get("/orders")
    assert [r.path for r, _ in httpserver.log] == [PATH, "/v4/orders"]


def test_redirects_are_not_followed(httpserver, clock):
    httpserver.expect_request(PATH).respond_with_data(
        "", status=301, headers={"Location": "http://elsewhere.invalid/"}
    )
    with pytest.raises(CollectorRejected, match=r"301 \(redirect, not followed\)"):
        api_for(httpserver, clock).get("/competitions/PL/matches")
    assert len(httpserver.log) == 1


def test_malformed_json_is_retried_then_reported_with_its_position(httpserver, clock):
    httpserver.expect_request(PATH).respond_with_data(
        '{"matches": [1, 2', content_type="application/json"
    )
    with pytest.raises(CollectorBadResponse, match=r"malformed JSON \(line 1 column 18: Expecting"):
        api_for(httpserver, clock).get("/competitions/PL/matches")
    assert len(httpserver.log) == FAST_RETRY.max_attempts


def test_truncated_body_then_good_body(httpserver, clock):
    httpserver.expect_oneshot_request(PATH).respond_with_data('{"matc')
    httpserver.expect_request(PATH).respond_with_data('{"matches": []}')
    response = api_for(httpserver, clock).get("/competitions/PL/matches")
    assert response.body == b'{"matches": []}'


def test_a_body_that_is_not_utf8_is_a_bad_response(httpserver, clock):
    httpserver.expect_request(PATH).respond_with_data(b'{"matches": "\xff"}')
    with pytest.raises(CollectorBadResponse, match="returned a body that is not UTF-8 JSON"):
        api_for(httpserver, clock).get("/competitions/PL/matches")


def test_body_is_kept_byte_for_byte(httpserver, clock):
    body = '{ "matches" :[],\n  "note": "caf\\u00e9 é" }'.encode()
    httpserver.expect_request(PATH).respond_with_data(body, content_type="application/json")
    response = api_for(httpserver, clock).get("/competitions/PL/matches")
    assert response.body == body and response.data == json.loads(body)


def test_timeout_persisting_gives_up(threaded_server, release, clock):
    threaded_server.clear()
    threaded_server.expect_request(PATH).respond_with_handler(
        lambda request: release.wait(10) and Response("{}")
    )
    retry = RetryPolicy(max_attempts=2, connect_timeout=2.0, read_timeout=0.2)
    with pytest.raises(
        CollectorUnavailable,
        match=r"gave up after 2 attempts: timed out \(connect 2 s, read 0.2 s\)",
    ):
        make_api(threaded_server.url_for("/v4"), clock, retry=retry).get("/competitions/PL/matches")


def test_timeout_then_success(threaded_server, release, clock):
    threaded_server.clear()
    threaded_server.expect_oneshot_request(PATH).respond_with_handler(
        lambda request: release.wait(10) and Response("{}")
    )
    threaded_server.expect_request(PATH).respond_with_json({"matches": []})
    retry = RetryPolicy(max_attempts=2, connect_timeout=2.0, read_timeout=1.0)
    response = make_api(threaded_server.url_for("/v4"), clock, retry=retry).get(
        "/competitions/PL/matches"
    )
    assert response.data == {"matches": []}


def test_connection_refused_is_unavailable(clock):
    api = make_api("http://127.0.0.1:1/v4", clock, retry=RetryPolicy(max_attempts=2))
    with pytest.raises(CollectorUnavailable, match="gave up after 2 attempts: could not connect"):
        api.get("/competitions/PL/matches")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://host/v4",
        "not a url",
        "https://user:pw@host/v4",
        "https://host/v4?token=abc",
        "https:///v4",
    ],
)
def test_base_urls_that_could_leak_or_cannot_work_are_refused(url, clock):
    with pytest.raises(CollectorNotConfigured):
        ApiClient(
            url, ApiKey("X-Auth-Token", "k"), limiter=RateLimiter(clock=clock, sleep=clock.sleep)
        )


@pytest.mark.parametrize("value", ["", "two words", "line\nbreak", "tab\t"])
def test_keys_requests_would_echo_are_refused(value):
    with pytest.raises(
        CollectorNotConfigured, match="empty or contains spaces or control characters"
    ):
        ApiKey("X-Auth-Token", value)


@pytest.mark.parametrize(
    "kind", [CollectorNotConfigured, CollectorRejected, CollectorUnavailable, CollectorBadResponse]
)
def test_errors_keep_reason_endpoint_and_status_through_pickling(kind):
    error = kind("GET /x answered 403: no", "GET /x", 403)
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, CollectorError) and type(copy) is kind
    assert (copy.reason, copy.endpoint, copy.status, str(copy)) == (
        "GET /x answered 403: no",
        "GET /x",
        403,
        "GET /x answered 403: no",
    )
