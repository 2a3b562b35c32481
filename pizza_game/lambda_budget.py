"""Keeping a Lambda invocation inside its time limit (900 s): plan, refuse, split, stop cleanly.

A range of whole days is processed in chunks of ``CHUNK_DAYS`` days, one ``run_pipeline`` call
each. Before the first chunk, the range is refused when it cannot finish: more than
``MAX_DAYS`` days (memory: a season of days needs about 1.6 GB), or an estimate above the time
left. Between chunks the remaining time (``context.get_remaining_time_in_millis()``) is compared
with the next chunk's estimate from the throughput measured so far; when it does not fit, the run
stops and reports the days done and the days left. Larger ranges go through the backfill fan-out
(``pizza-game backfill --lambda``: one invocation per day).

The starting throughput is measured: on the 2-core development machine with a local store, one day
took 8.8 s and 30 days 25 s (``pizza-game run``), so about 8 s of start-up and 0.6 s per day.
``Throughput()`` doubles both for Lambda (2048 MB is 1.2 vCPU) and adds 1 s per day for the
object writes a day makes to S3 one after another (about 60 puts).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

DAY = timedelta(days=1)
CHUNK_DAYS = 7
MAX_DAYS = 62
# Kept free at the end of an invocation: logging, the metrics line, returning the result.
SAFETY_SECONDS = 30.0
BACKFILL_HINT = "send it as one invocation per day: pizza-game backfill --lambda FUNCTION --start START --end END"


class RangeTooLong(ValueError):
    """The range cannot finish in one invocation; the message says why and what to do."""


@dataclass(frozen=True)
class Throughput:
    """Seconds a run takes: ``overhead`` once per chunk (two Dagster runs) plus ``per_day``."""

    overhead: float = 16.0
    per_day: float = 2.2

    def estimate(self, days: int) -> float:
        return self.overhead + self.per_day * days

    def measured(self, days: int, seconds: float) -> Throughput:
        """The slower of this and a chunk of ``days`` days that took ``seconds``."""
        return Throughput(self.overhead, max(self.per_day, (seconds - self.overhead) / days))


def chunks(start: datetime, end: datetime, days: int = CHUNK_DAYS) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` cut into consecutive ranges of at most ``days`` days."""
    out = []
    while start < end:
        stop = min(start + days * DAY, end)
        out.append((start, stop))
        start = stop
    return out


def range_days(start: datetime, end: datetime) -> int:
    """Days the range touches (a part day counts as one)."""
    return max(1, -(-(end - start) // DAY))


def first_chunk_seconds(start: datetime, end: datetime, throughput: Throughput) -> float:
    """What the first chunk of ``[start, end)`` needs, the end's safety margin included."""
    first_start, first_end = chunks(start, end)[0]
    return throughput.estimate(range_days(first_start, first_end)) + SAFETY_SECONDS


def check_fits(start: datetime, end: datetime, remaining_ms: int, throughput: Throughput) -> None:
    """Raise RangeTooLong when ``[start, end)`` cannot be processed in the time left."""
    days = range_days(start, end)
    where = f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC ({days} days)"
    if days > MAX_DAYS:
        raise RangeTooLong(f"range {where} is longer than {MAX_DAYS} days for one invocation; {BACKFILL_HINT}")
    parts = len(chunks(start, end))
    needed = sum(throughput.estimate(range_days(a, b)) for a, b in chunks(start, end)) + SAFETY_SECONDS
    left = remaining_ms / 1000
    if needed > left:
        raise RangeTooLong(
            f"range {where} needs about {needed:.0f} s in {parts} part(s) but {left:.0f} s are left in "
            f"this invocation; {BACKFILL_HINT}"
        )


@dataclass
class Progress:
    """Chunks done and the range left when the run stopped early (``stopped_at`` is None when all
    of it was done)."""

    done: list[tuple[datetime, datetime]] = field(default_factory=list)
    results: list[Any] = field(default_factory=list)
    stopped_at: datetime | None = None
    reason: str = ""

    @property
    def complete(self) -> bool:
        return self.stopped_at is None


def run_in_chunks(
    start: datetime,
    end: datetime,
    remaining_ms: Callable[[], int],
    run: Callable[[datetime, datetime], Any],
    *,
    clock: Callable[[], float],
    throughput: Throughput | None = None,
    progress: Progress | None = None,
) -> Progress:
    """``run`` each chunk of ``[start, end)`` while the next one (the first too) fits in the time left
    (``remaining_ms``: the Lambda context's ``get_remaining_time_in_millis``); the chunks
    done are recorded in ``progress`` as they finish, so a caller still has them when one raises."""
    throughput = throughput or Throughput()
    progress = progress if progress is not None else Progress()
    for chunk_start, chunk_end in chunks(start, end):
        days = range_days(chunk_start, chunk_end)
        needed = throughput.estimate(days) + SAFETY_SECONDS
        left = remaining_ms() / 1000
        if needed > left:
            progress.stopped_at = chunk_start
            progress.reason = (
                f"stopped before {chunk_start:%Y-%m-%d %H:%M} UTC: the next {days} day(s) need about "
                f"{needed:.0f} s at the measured {throughput.per_day:.1f} s per day and {left:.0f} s are left"
            )
            break
        began = clock()
        progress.results.append(run(chunk_start, chunk_end))
        progress.done.append((chunk_start, chunk_end))
        throughput = throughput.measured(days, clock() - began)
    return progress


def combined(progress: Progress, start: datetime, end: datetime) -> dict[str, Any]:
    """The handler's result: the range, whether all of it was done, totals over the chunks
    (``PipelineSummary.to_dict()`` each, in ``parts``) and the last chunk's analysis, which
    covers the whole horizon. Hours are left to the parts: neighbouring chunks collect the same
    edge hours, and days, orders and matches are counted by day, which no two chunks share."""
    parts = progress.results
    orders = sum(p["orders"] for p in parts)
    matches = sum(p["matches"] for p in parts)
    last = parts[-1] if parts else {}
    reasons: dict[str, list[str]] = {}
    for part in parts:
        for asset, found in part.get("fallback_reasons", {}).items():
            reasons[asset] = sorted(set(reasons.get(asset, [])) | set(found))
    return {
        "complete": progress.complete,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "done_until": (progress.done[-1][1] if progress.done else start).isoformat(),
        "remaining": None if progress.stopped_at is None else {"start": progress.stopped_at.isoformat(), "end": end.isoformat()},
        "days": sum(p["days"] for p in parts),
        "orders": orders,
        "orders_real_share": _weighted(parts, "orders_real_share", "orders", orders),
        "matches": matches,
        "matches_real_share": _weighted(parts, "matches_real_share", "matches", matches),
        "matches_analysed": last.get("matches_analysed", 0),
        "headline": last.get("headline", ""),
        "headline_lift": last.get("headline_lift"),
        "findings": last.get("findings", []),
        "quicksight_refresh": last.get("quicksight_refresh", ""),
        "fallback_reasons": reasons,
        "report": last.get("report", ""),
        "run_ids": [run_id for p in parts for run_id in p["run_ids"]],
        "parts": parts,
    }


def _weighted(parts: list[dict[str, Any]], share: str, weight: str, total: int) -> float:
    return sum(p[share] * p[weight] for p in parts) / total if total else 0.0
