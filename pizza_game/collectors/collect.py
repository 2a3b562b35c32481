"""Choosing where each raw partition comes from: a real API, an imported file, or the generator.

Order of preference per partition: the real API when it is configured and answers; real data a
user imported earlier (already stored under ``real/``); the deterministic generator, when the
fallback is on. Every partition records in ``notes`` how it was obtained and, for mock data, why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pandas as pd

from pizza_game.collectors.api_client import ApiResponse
from pizza_game.collectors.dominos_orders import DominosOrdersClient
from pizza_game.collectors.errors import (
    CollectorBadResponse,
    CollectorError,
    CollectorRejected,
    CollectorUnavailable,
)
from pizza_game.collectors.football_data import FootballDataClient
from pizza_game.collectors.mock_matches import generate_matches
from pizza_game.collectors.mock_orders import generate_orders
from pizza_game.model import RawPartition, Span, split_by_span
from pizza_game.schema import Normalized, empty_rejected


class NoDataError(RuntimeError):
    """No real data is available and the fallback to generated data is off."""


def mock_orders(spans: list[Span], *, seed: int, reason: str) -> dict[str, RawPartition]:
    rows = generate_orders(spans[0].start, spans[-1].end, seed=seed)
    return {
        key: RawPartition("mock", part, notes={"collector": "generator", "seed": seed, "reason": reason})
        for key, part in split_by_span(rows, "ordered_at", spans).items()
    }


def mock_matches(
    spans: list[Span], *, seed: int, competitions: list[str], reason: str, now: pd.Timestamp | None = None
) -> dict[str, RawPartition]:
    frames = [
        generate_matches(spans[0].start, spans[-1].end, seed=seed, competition=code, now=now)
        for code in competitions
    ]
    rows = pd.concat(frames, ignore_index=True)
    return {
        key: RawPartition("mock", part, notes={"collector": "generator", "seed": seed, "reason": reason})
        for key, part in split_by_span(rows, "kickoff_at", spans).items()
    }


def fill_partitions(
    spans: list[Span],
    *,
    collected: dict[str, RawPartition],
    imported: dict[str, RawPartition],
    generate: Callable[[list[Span], str], dict[str, RawPartition]],
    empty_rows: Callable[[], pd.DataFrame],
    fallback: bool,
    reason: str,
) -> dict[str, RawPartition]:
    """One partition per span: collected real data, else imported real data, else generated.

    Real and mock data never share a run: when part of the range has real data, the partitions
    without it are marked missing (no rows, ``missing`` in their notes: the analysis treats them
    as hours without data, not as zero orders) instead of being generated. Only a range without
    any real data falls back to the generator, in one vectorized ``generate(spans, reason)``
    call per contiguous stretch. Raises NoDataError when that is needed and ``fallback`` is off.
    """
    out: dict[str, RawPartition] = {}
    for span in spans:
        if span.key in collected:
            out[span.key] = collected[span.key]
        elif span.key in imported and imported[span.key].is_real_data:
            part = imported[span.key]
            part.notes = {**part.notes, "collector": part.notes.get("collector", "import")}
            out[span.key] = part
    missing = [s for s in spans if s.key not in out]
    if missing and out:
        why = f"no real data for this partition ({reason}); the rest of the range is real, so it is not generated"
        for span in missing:
            out[span.key] = RawPartition.missing_partition("real", empty_rows(), reason=why)
        return {s.key: out[s.key] for s in spans}
    if missing and not fallback:
        raise NoDataError(
            f"no real data for {len(missing)} partition(s) from {missing[0].key} ({reason}) and "
            "PIZZA_GAME_FALLBACK is off, so no mock data was generated"
        )
    for run in _contiguous(missing):
        out.update(generate(run, reason))
    return {s.key: out[s.key] for s in spans}


def _contiguous(spans: list[Span]) -> list[list[Span]]:
    runs: list[list[Span]] = []
    for span in spans:
        if runs and runs[-1][-1].end == span.start:
            runs[-1].append(span)
        else:
            runs.append([span])
    return runs


def real_orders(client_factory: Callable[[], DominosOrdersClient], spans: list[Span]) -> Collected:
    """Orders of the whole range from the orders API, one partition per span, or why not."""
    try:
        fetch = client_factory().fetch_orders(spans[0].start.to_pydatetime(), spans[-1].end.to_pydatetime())
    except CollectorError as error:
        return Collected.failed(error)
    notes = {"collector": "orders API", "pages": len(fetch.responses)}
    return Collected(_real_partitions(fetch.orders, "ordered_at", spans, notes, lambda s: []))


def real_matches(client_factory: Callable[[], FootballDataClient], spans: list[Span]) -> Collected:
    """Matches of the whole range from football-data.org, one partition per day, or why not.

    Each day keeps the response bodies (exact text) of the requests whose dates cover it.
    """
    try:
        client = client_factory()
        fetch = client.fetch_matches(spans[0].start.date(), (spans[-1].end - pd.Timedelta(days=1)).date())
    except CollectorError as error:
        return Collected.failed(error)
    bodies = [_body(response) for response in fetch.responses]

    def covering(span: Span) -> list[dict]:
        day = f"{span.start:%Y-%m-%d}"
        return [b for b in bodies if b["date_from"] <= day < b["date_to"]]

    notes = {"collector": "football-data.org v4", "competitions": list(client.competitions)}
    return Collected(_real_partitions(fetch.matches, "kickoff_at", spans, notes, covering))


@dataclass(frozen=True)
class Collected:
    """Partitions collected from a real API, or (when empty) the reason there are none.

    ``refused``: the API said no (4xx: key, plan). ``transient``: it could not answer (5xx,
    timeouts); trying again later may work. ``broken``: it answered with something that is not
    its data (401/403 and other refusals, an HTML page, malformed JSON, an oversized body): an
    error users must see, not a reason to quietly use generated data. None: no API is configured.
    """

    partitions: dict[str, RawPartition]
    reason: str = ""
    refused: bool = False
    transient: bool = False
    broken: bool = False

    @classmethod
    def failed(cls, error: CollectorError) -> Collected:
        return cls(
            {},
            error.reason,
            refused=isinstance(error, CollectorRejected),
            transient=isinstance(error, (CollectorUnavailable, CollectorBadResponse)),
            broken=isinstance(error, (CollectorRejected, CollectorBadResponse)),
        )


def _body(response: ApiResponse) -> dict:
    query = parse_qs(urlsplit(response.request.split(" ", 1)[-1]).query)
    return {
        "request": response.request,
        "status": response.status,
        "date_from": query.get("dateFrom", [""])[0],
        "date_to": query.get("dateTo", [""])[0],
        "body": response.body.decode("utf-8"),
    }


def _real_partitions(normalized: Normalized, time_column: str, spans: list[Span], notes: dict, responses) -> dict[str, RawPartition]:
    """Rows split by span; the fetch's rejected rows are kept with the first partition."""
    split = split_by_span(normalized.rows, time_column, spans)
    out = {}
    for i, span in enumerate(spans):
        rejected = normalized.rejected if i == 0 else empty_rejected()
        out[span.key] = RawPartition("real", split[span.key], rejected, responses(span), dict(notes))
    return out
