"""The orders API (no public one exists: the contract below is ours) -> canonical orders.

``GET {DOMINOS_API_URL}/orders?start=2015-03-08T06:00:00Z&end=2015-03-08T07:00:00Z[&page_token=T]``
with ``Authorization: Bearer {DOMINOS_API_KEY}`` answers
``{"orders": [{"order_id", "ordered_at", "store_id", "region", "items", "total"}],
"next_page_token": str | null}``.
``start`` is inclusive, ``end`` exclusive; ``ordered_at`` is ISO 8601 with an offset. Pages are
followed until ``next_page_token`` is null or empty. Errors and rate limits work as for
football-data.org (429 with Retry-After or "Wait N seconds"; JSON ``message`` on 4xx).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

from pizza_game.collectors.api_client import ApiClient, ApiKey, ApiResponse
from pizza_game.collectors.errors import CollectorBadResponse, CollectorNotConfigured
from pizza_game.collectors.rate_limit import shared_limiter
from pizza_game.collectors.rejected import concat_rejected, rejected_entry, rejected_table
from pizza_game.collectors.retry import DEFAULT_RETRY, RetryPolicy
from pizza_game.normalize.orders import normalize_orders
from pizza_game.normalize.timestamps import parse_utc
from pizza_game.schema import Normalized
from pizza_game.settings import DOMINOS_API_KEY, DOMINOS_API_URL

ORDER_FIELDS = ("order_id", "ordered_at", "store_id", "region", "items", "total")
# A guard against a server that never stops paging (one hour of a busy chain fits in far fewer).
MAX_PAGES = 1000


@dataclass(frozen=True)
class OrdersFetch:
    """Canonical orders of the window, rejected records with reasons, and every raw page."""

    orders: Normalized
    responses: tuple[ApiResponse, ...]


def dominos_orders_client(
    base_url: str | None,
    api_key: str | None,
    *,
    per_minute: int,
    per_hour: int,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> DominosOrdersClient:
    """A client using this process's shared limiter for ``base_url``."""
    if not base_url:
        raise CollectorNotConfigured(f"{DOMINOS_API_URL} is not set: no orders API to call")
    if not api_key:
        raise CollectorNotConfigured(f"{DOMINOS_API_KEY} is not set: the orders API needs a token")
    api = ApiClient(
        base_url,
        ApiKey.bearer(api_key),
        limiter=shared_limiter(base_url, per_minute, per_hour),
        retry=retry,
    )
    return DominosOrdersClient(api)


class DominosOrdersClient:
    """Orders of a time window from the orders API, following its pages."""

    def __init__(self, api: ApiClient, *, max_pages: int = MAX_PAGES) -> None:
        self.api = api
        self.max_pages = max_pages

    def fetch_orders(self, start: datetime, end: datetime) -> OrdersFetch:
        """Orders placed in [start, end) (tz-aware), all pages."""
        if start.tzinfo is None or end.tzinfo is None or end <= start:
            raise ValueError(f"need tz-aware start < end, got {start!r} .. {end!r}")
        window = {"start": _iso_utc(start), "end": _iso_utc(end)}
        responses: list[ApiResponse] = []
        records: list[pd.DataFrame] = []
        rejected: list[pd.DataFrame] = []
        seen_tokens: set[str] = set()
        token: str | None = None
        while True:
            response = self.api.get(
                "/orders", {**window, **({"page_token": token} if token else {})}
            )
            responses.append(response)
            page_name = f"{response.endpoint} page {len(responses)}"
            try:
                page, bad, token = order_page(
                    response.data, where=f"{response.request} page {len(responses)}"
                )
            except ValueError as exc:
                raise CollectorBadResponse(f"{page_name} {exc}", response.endpoint, 200) from None
            records.append(page)
            rejected.append(bad)
            if not token:
                break
            if token in seen_tokens or len(responses) == self.max_pages:
                problem = (
                    "repeats a next_page_token"
                    if token in seen_tokens
                    else f"still pages after {self.max_pages} pages"
                )
                raise CollectorBadResponse(f"{page_name} {problem}", response.endpoint, 200)
            seen_tokens.add(token)
        table = pd.concat(records, ignore_index=True)
        table, outside = _split_window(table, start, end)
        normalized = normalize_orders(table, source="real", where="orders API")
        return OrdersFetch(
            Normalized(normalized.rows, concat_rejected([*rejected, outside, normalized.rejected])),
            tuple(responses),
        )


def order_page(data: object, *, where: str) -> tuple[pd.DataFrame, pd.DataFrame, str | None]:
    """(order records with ``_where``, rejected entries, next page token) of one parsed page."""
    if not isinstance(data, dict) or not isinstance(data.get("orders"), list):
        found = f"keys {sorted(data)}" if isinstance(data, dict) else type(data).__name__
        raise ValueError(
            f"is not an order page (expected an object with an 'orders' array; found {found})"
        )
    token = data.get("next_page_token")
    if token is not None and not isinstance(token, str):
        raise ValueError(
            f"has a next_page_token that is not a string or null ({type(token).__name__})"
        )
    records, bad = [], []
    for number, order in enumerate(data["orders"], start=1):
        origin = f"{where} order {number}"
        if isinstance(order, dict):
            records.append({**{name: order.get(name) for name in ORDER_FIELDS}, "_where": origin})
        else:
            bad.append(rejected_entry(origin, "order is not a JSON object", order))
    return (
        pd.DataFrame(records, columns=[*ORDER_FIELDS, "_where"]),
        rejected_table(bad),
        token or None,
    )


def _split_window(
    table: pd.DataFrame, start: datetime, end: datetime
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Records in [start, end) or with unparsable times (left to normalize); the rest rejected."""
    ordered_at = parse_utc(table["ordered_at"])[0]
    outside = (ordered_at.notna() & ((ordered_at < start) | (ordered_at >= end))).to_numpy()
    reason = f"ordered_at outside the requested window [{_iso_utc(start)}, {_iso_utc(end)})"
    entries = [
        rejected_entry(record.pop("_where"), reason, record)
        for record in table.loc[outside].to_dict("records")
    ]
    return table.loc[~outside], rejected_table(entries)


def _iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
