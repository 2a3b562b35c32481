"""Window slots, their reference periods, and the sums over arbitrary spans of the timeline.

A *slot* is one distinct window of one kind: simultaneous kick-offs (five Saturday 15:00 matches)
share one pre window, so they form one slot with one observed count, not five samples of the same
orders. Every measure of a span (orders, real orders, coverage, expected orders) comes from
prefix sums over the 15-minute timeline, with partial bins at the edges counted pro rata.

Expected orders of a span = level x (sum of the profile over the span's bins), where the level is
fitted on the clean bins of the local days the span touches, leaving out the span itself. A
*reference* of a slot is the same local wall-clock span (same start time and length) on another
day of the same weekday that is completely clean (no match window touches it, all hours have
data); when a slot has none, days of the same day type (weekday / weekend) are used instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pizza_game.analysis.baseline import POOL_NONE, Baseline
from pizza_game.analysis.timeline import Timeline

REFERENCE_SAME_WEEKDAY, REFERENCE_SAME_DAY_TYPE, REFERENCE_NONE = "weekday", "day type", "none"


@dataclass
class Spans:
    """Measures of a set of spans: arrays over spans, with a leading region axis where noted."""

    start_ns: np.ndarray
    end_ns: np.ndarray
    coverage: np.ndarray
    all_clean: np.ndarray
    observed: np.ndarray  # [region, span]
    real: np.ndarray  # [region, span]
    expected: np.ndarray  # [region, span], NaN without a usable baseline
    profile: np.ndarray  # [region, span], sum of the profile over the span's covered bins
    pool: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray


class SpanMeter:
    """Prefix sums over the timeline so that any span is measured in O(1)."""

    def __init__(self, timeline: Timeline, baseline: Baseline) -> None:
        self.timeline = timeline
        covered = timeline.covered.astype("float64")
        clean = baseline.clean.astype("float64")
        profile = baseline.profile_per_bin(timeline)
        usable = np.isfinite(profile)
        profile_covered = np.where(usable, profile, 0.0) * covered
        pool = np.where(timeline.covered, baseline.pool_per_bin(timeline), 0)
        self.values = {
            "orders": timeline.orders,
            "real": timeline.real,
            "covered": covered[None, :],
            "profile": profile_covered,
            "clean_orders": timeline.orders * clean,
            "clean_profile": profile_covered * clean,
        }
        self.prefix = {name: _prefix(v) for name, v in self.values.items()}
        self.not_clean = _prefix((1.0 - clean)[None, :])[0]
        self.worst = [
            _prefix((pool >= k).astype("float64")[None, :])[0] for k in range(1, POOL_NONE + 1)
        ]
        day_orders = _by_day(timeline.day, timeline.n_days, self.values["clean_orders"])
        day_profile = _by_day(timeline.day, timeline.n_days, self.values["clean_profile"])
        self.day_prefix = {"orders": _prefix(day_orders), "profile": _prefix(day_profile)}
        # The same sums per local cell (day x time-of-day bin), for levels over chosen cells.
        n_cells = timeline.n_days * timeline.bins_per_day
        cell = timeline.day * timeline.bins_per_day + timeline.bin_of_day
        # [cell, region rows' orders then their profile], a cell's values side by side: what
        # ``_levelled_expected`` gathers for many cells at once; then one cell of zeros, where
        # it points the cells a row does not use.
        self.cell_sums = np.zeros((n_cells + 1, 2 * len(timeline.orders)))
        self.cell_sums[:n_cells] = np.concatenate(
            [
                _by_day(cell, n_cells, self.values["clean_orders"]),
                _by_day(cell, n_cells, self.values["clean_profile"]),
            ]
        ).T
        bins_in_cell = np.bincount(cell, minlength=n_cells)
        self.cell_clean = (bins_in_cell > 0) & (
            np.bincount(cell, weights=clean, minlength=n_cells) == bins_in_cell
        )

    def measure(self, start_ns: np.ndarray, end_ns: np.ndarray) -> Spans:
        t = self.timeline
        start_ns = np.asarray(start_ns, dtype="int64")
        end_ns = np.asarray(end_ns, dtype="int64")
        x0 = np.clip(t.position(start_ns), 0, t.n_bins)
        x1 = np.clip(t.position(end_ns), 0, t.n_bins)
        length = (end_ns - start_ns) / t.bin_ns
        span = {name: self._sum(name, x0, x1) for name in self.values}
        first_bin = np.floor(x0).astype("int64")
        last_bin = np.ceil(x1).astype("int64")
        inside = (last_bin > first_bin) & (length > 0)
        touched_not_clean = self.not_clean[last_bin] - self.not_clean[first_bin]
        outside_grid = (t.position(start_ns) < 0) | (t.position(end_ns) > t.n_bins)
        all_clean = inside & (touched_not_clean == 0) & ~outside_grid
        day_index = np.clip(np.stack([first_bin, last_bin - 1]), 0, max(t.n_bins - 1, 0))
        first_day = t.day[day_index[0]] if t.n_bins else np.zeros(len(x0), dtype="int64")
        last_day = t.day[day_index[1]] if t.n_bins else np.zeros(len(x0), dtype="int64")
        level_orders = self._days("orders", first_day, last_day) - span["clean_orders"]
        level_profile = self._days("profile", first_day, last_day) - span["clean_profile"]
        # A day that sold nothing outside match windows (a closed shop) gives no usable level.
        level = np.divide(
            level_orders,
            level_profile,
            out=np.full(level_orders.shape, np.nan),
            where=level_profile > 0,
        )
        level[~(level > 0)] = np.nan
        worst = np.zeros(len(x0), dtype="int64")
        for k, prefix in enumerate(self.worst, start=1):
            worst[(prefix[last_bin] - prefix[first_bin]) > 0] = k
        pool = np.where(inside, worst, POOL_NONE)
        expected = level * span["profile"]
        expected[:, (pool >= POOL_NONE) | ~inside] = np.nan
        coverage = np.divide(span["covered"][0], length, out=np.zeros(len(x0)), where=length > 0)
        return Spans(
            start_ns=start_ns,
            end_ns=end_ns,
            coverage=np.clip(coverage, 0.0, 1.0),
            all_clean=all_clean,
            observed=span["orders"],
            real=span["real"],
            expected=expected,
            profile=span["profile"],
            pool=pool,
            first_day=first_day,
            last_day=last_day,
        )

    def _sum(self, name: str, x0: np.ndarray, x1: np.ndarray) -> np.ndarray:
        return _at(self.prefix[name], self.values[name], x1) - _at(
            self.prefix[name], self.values[name], x0
        )

    def _days(self, name: str, first_day: np.ndarray, last_day: np.ndarray) -> np.ndarray:
        prefix = self.day_prefix[name]
        return prefix[:, last_day + 1] - prefix[:, first_day]


def _prefix(values: np.ndarray) -> np.ndarray:
    """[row, n + 1]: 0, then the running sums of each row (summed in place, not concatenated)."""
    prefix = np.zeros((len(values), values.shape[1] + 1))
    np.cumsum(values, axis=1, out=prefix[:, 1:])
    return prefix


def _at(prefix: np.ndarray, values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Sum of values[:, :x] for fractional x (the bin under x counted pro rata)."""
    n = values.shape[1]
    if n == 0:
        return np.zeros((len(values), len(x)))
    whole = np.minimum(np.floor(x).astype("int64"), n - 1)
    part = x - whole
    return prefix[:, whole] + part * values[:, whole]


def _by_day(day: np.ndarray, n_days: int, values: np.ndarray) -> np.ndarray:
    rows = np.arange(len(values))[:, None]
    keys = (rows * n_days + day[None, :]).ravel()
    return np.bincount(keys, values.ravel(), len(values) * n_days).reshape(len(values), n_days)


@dataclass
class WindowSlots:
    """The distinct slots of one window kind, measured, with their reference periods."""

    window: str
    spans: Spans
    key: np.ndarray
    stratum: np.ndarray  # -1: no reference
    reference_kind: np.ndarray
    references: Spans
    reference_stratum: np.ndarray
    matched_expected: np.ndarray  # [region, slot]: expected from the stratum's common level cells
    reference_matched_expected: np.ndarray  # [region, reference]


def build_slots(
    window: str,
    start_ns: np.ndarray,
    end_ns: np.ndarray,
    meter: SpanMeter,
    baseline_weeks: int | None,
) -> tuple[WindowSlots, np.ndarray]:
    """Slots of the given windows (one per distinct start and end) and each window's slot index."""
    pairs = np.stack(
        [np.asarray(start_ns, dtype="int64"), np.asarray(end_ns, dtype="int64")], axis=1
    )
    distinct, slot_of_window = (
        np.unique(pairs, axis=0, return_inverse=True)
        if len(pairs)
        else (pairs, np.zeros(0, dtype="int64"))
    )
    spans = meter.measure(distinct[:, 0], distinct[:, 1])
    days, key, distinct_keys = _slot_keys(meter.timeline, distinct)
    stratum, kind, references, reference_stratum = _choose_references(
        meter, days, key, distinct_keys, baseline_weeks
    )
    matched, reference_matched = _matched_expected(
        meter, spans, stratum, references, reference_stratum
    )
    slots = WindowSlots(
        window, spans, key, stratum, kind, references, reference_stratum, matched, reference_matched
    )
    return slots, slot_of_window


def _slot_keys(
    timeline: Timeline, distinct: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each slot's local day and key index, and the distinct keys (weekday, local start offset,
    duration): slots with one key share their reference candidates."""
    days, offsets = (
        timeline.local_offset(distinct[:, 0]) if len(distinct) else (np.zeros(0, "int64"),) * 2
    )
    durations = distinct[:, 1] - distinct[:, 0]
    weekdays = timeline.day_weekday(days)
    keys = np.stack([weekdays, offsets, durations], axis=1)
    distinct_keys, key = (
        np.unique(keys, axis=0, return_inverse=True) if len(keys) else (keys, np.zeros(0, "int64"))
    )
    return days, key, distinct_keys


def _choose_references(
    meter: SpanMeter,
    days: np.ndarray,
    key: np.ndarray,
    distinct_keys: np.ndarray,
    baseline_weeks: int | None,
) -> tuple[np.ndarray, np.ndarray, Spans, np.ndarray]:
    """Each slot's reference stratum (-1: none) and its kind, the references of all strata and
    each reference's stratum. Slots that chose the same reference days share a stratum."""
    timeline = meter.timeline
    stratum = np.full(len(days), -1, dtype="int64")
    kind = np.full(len(days), REFERENCE_NONE, dtype=object)
    candidates = _candidates(meter, distinct_keys)
    reference_rows: list[int] = []  # candidate index of each reference
    reference_stratum: list[int] = []
    strata: dict[tuple, int] = {}
    for k, weekday in enumerate(distinct_keys[:, 0]):
        first, last = candidates.bounds[k], candidates.bounds[k + 1]
        ref_days, usable = candidates.days[first:last], candidates.usable[first:last]
        same_weekday = timeline.day_weekday(ref_days) == weekday
        for u in np.flatnonzero(key == k):
            near = usable.copy()
            if baseline_weeks is not None:
                near &= np.abs(ref_days - days[u]) <= 7 * baseline_weeks
            same = near & same_weekday
            chosen, label = (
                (same, REFERENCE_SAME_WEEKDAY) if same.any() else (near, REFERENCE_SAME_DAY_TYPE)
            )
            if not chosen.any():
                continue
            signature = (k, label, chosen.tobytes())
            if signature not in strata:
                strata[signature] = len(strata)
                positions = first + np.flatnonzero(chosen)
                reference_rows += positions.tolist()
                reference_stratum += [strata[signature]] * len(positions)
            stratum[u] = strata[signature]
            kind[u] = label
    references = _taken(candidates.measured, np.asarray(reference_rows, dtype="int64"))
    return stratum, kind, references, np.asarray(reference_stratum, dtype="int64")


@dataclass
class _Candidates:
    """The candidate reference spans of every slot key, key after key: candidates
    ``bounds[k]:bounds[k + 1]`` are key ``k``'s, on local days ``days``, measured, and whether
    each can be a reference (``usable``: all clean, a baseline, an expectation)."""

    bounds: np.ndarray
    days: np.ndarray
    measured: Spans
    usable: np.ndarray


def _candidates(meter: SpanMeter, distinct_keys: np.ndarray) -> _Candidates:
    """The same local span on every day of the key's day type, for every key (weekday, local
    start offset, duration), measured in one go: a span's measures depend on it alone."""
    timeline = meter.timeline
    weekend = timeline.day_weekday(np.arange(timeline.n_days)) >= 5
    same_type = [np.flatnonzero(weekend == (weekday >= 5)) for weekday in distinct_keys[:, 0]]
    key_of = np.repeat(np.arange(len(same_type)), [len(d) for d in same_type])
    days = np.concatenate([np.zeros(0, dtype="int64"), *same_type])
    starts = timeline.local_to_utc_ns(days, distinct_keys[key_of, 1])
    exists = starts >= 0
    start, key_of = starts[exists], key_of[exists]
    measured = meter.measure(start, start + distinct_keys[key_of, 2])
    usable = measured.all_clean & (measured.pool < POOL_NONE) & np.isfinite(measured.expected[0])
    bounds = np.searchsorted(key_of, np.arange(len(same_type) + 1))
    return _Candidates(bounds, days[exists], measured, usable)


def _taken(spans: Spans, index: np.ndarray) -> Spans:
    """The spans at ``index`` (the last axis of every measure), laid out in C order: the order
    in which numpy later sums them depends on it, and the sums must not move by a bit."""
    return Spans(
        **{
            name: np.ascontiguousarray(getattr(spans, name)[..., index])
            for name in Spans.__dataclass_fields__
        }
    )


def _matched_expected(
    meter: SpanMeter,
    spans: Spans,
    stratum: np.ndarray,
    references: Spans,
    reference_stratum: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Expected orders of slots and references with the level measured on the same cells for all.

    For a stratum, the level cells are the local (day offset, time-of-day) cells that are clean on
    the day(s) of every one of its match slots, outside the span. Slots and references are then
    levelled on exactly the same hours, so an error in the profile of the hours that only the
    reference days have clean (the match-day afternoons) cannot tilt the comparison.
    """
    n_regions = len(meter.timeline.regions)
    matched = np.full((n_regions, len(stratum)), np.nan)
    reference_matched = np.full((n_regions, len(reference_stratum)), np.nan)
    # The strata that touch as many local days are levelled in one call, each row on its own
    # stratum's common cells (a call per stratum and side was 88 calls at 180 days). A row's sums
    # are the same: numpy sums each row's cells alone, however many rows the call holds.
    by_days: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
    for k in np.unique(stratum[stratum >= 0]):
        units = np.flatnonzero(stratum == k)
        refs = np.flatnonzero(reference_stratum == k)
        first = np.concatenate([spans.first_day[units], references.first_day[refs]])
        n_touched = (
            int(np.max(np.concatenate([spans.last_day[units], references.last_day[refs]]) - first))
            + 1
        )
        common = _common_cells(meter, spans, units, np.arange(n_touched))
        by_days.setdefault(n_touched, []).append((units, refs, common))
    for n_touched, group in by_days.items():
        for side, spans_of, out in ((0, spans, matched), (1, references, reference_matched)):
            rows_of = [(units, refs)[side] for units, refs, _ in group]
            rows = np.concatenate(rows_of)
            if len(rows) == 0:
                continue
            common = np.concatenate(
                [
                    np.broadcast_to(cells, (len(r), *cells.shape))
                    for r, (_, _, cells) in zip(rows_of, group, strict=True)
                ]
            )
            out[:, rows] = _levelled_expected(meter, common, spans_of, rows, np.arange(n_touched))
    return matched, reference_matched


def _common_cells(
    meter: SpanMeter, spans: Spans, units: np.ndarray, offsets: np.ndarray
) -> np.ndarray:
    """[day offset, slot]: the cells clean on the days of every slot in ``units``, outside the
    span (the slots of a stratum share one local span: the first one's is used)."""
    t = meter.timeline
    n_touched = len(offsets)
    span_cells = np.zeros((n_touched, t.bins_per_day), dtype=bool)
    lead = units[0]
    x0 = int(np.floor(np.clip(t.position(spans.start_ns[lead : lead + 1]), 0, t.n_bins))[0])
    x1 = int(np.ceil(np.clip(t.position(spans.end_ns[lead : lead + 1]), 0, t.n_bins))[0])
    inside = np.arange(x0, x1)
    span_cells[
        np.clip(t.day[inside] - spans.first_day[lead], 0, n_touched - 1), t.bin_of_day[inside]
    ] = True
    index, valid = _cell_index(spans.first_day[units], offsets, t)
    return ~span_cells & np.all(meter.cell_clean[index] & valid[:, :, None], axis=0)


def _levelled_expected(
    meter: SpanMeter, common: np.ndarray, spans: Spans, rows: np.ndarray, offsets: np.ndarray
) -> np.ndarray:
    """[region, row]: expected orders of ``spans[rows]`` with the level fitted on the ``common``
    cells of the row ([row, day offset, bin_of_day]) that are clean on its own days (NaN without
    a level or a baseline)."""
    t = meter.timeline
    index, valid = _cell_index(spans.first_day[rows], offsets, t)
    use = (common & valid[:, :, None] & meter.cell_clean[index]).reshape(len(rows), -1)
    # [row, region rows' orders then profile]: each row's used cells added one after the other
    # in cell order, the regions side by side (the layout decides numpy's order of addition, and
    # a sum must not move by a bit). The used cells are gathered alone, packed to the left of
    # a [row, most used cells] block whose rest points at the cell of zeros (adding 0 to a
    # sum of orders changes no bit): a gather of every cell, masked, was three times the work.
    row, cell = np.nonzero(use)
    used = np.bincount(row, minlength=len(rows))
    packed = np.full((len(rows), int(used.max(initial=0))), len(meter.cell_sums) - 1)
    packed[row, np.arange(len(row)) - np.repeat(np.cumsum(used) - used, used)] = index.reshape(
        len(rows), -1
    )[row, cell]
    sums = meter.cell_sums[packed].sum(axis=1)
    n_regions = len(t.regions)
    orders, profile = sums[:, :n_regions].T, sums[:, n_regions:].T
    level = np.divide(orders, profile, out=np.full(orders.shape, np.nan), where=profile > 0)
    level[~(level > 0)] = np.nan
    expected = level * spans.profile[:, rows]
    expected[:, spans.pool[rows] >= POOL_NONE] = np.nan
    return expected


def _cell_index(
    first_day: np.ndarray, offsets: np.ndarray, t: Timeline
) -> tuple[np.ndarray, np.ndarray]:
    """[row, day offset, bin_of_day]: the local cells of the days ``offsets`` after each row's
    first day, and [row, day offset] whether that day is in the timeline (days past the end
    point at the last day's cells and must not be used)."""
    per_day = t.bins_per_day
    days = first_day[:, None] + offsets[None, :]
    valid = (days >= 0) & (days < t.n_days)
    index = (
        np.clip(days, 0, max(t.n_days - 1, 0))[:, :, None] * per_day
        + np.arange(per_day)[None, None, :]
    )
    return index, valid


def day_clusters(first_day: np.ndarray, last_day: np.ndarray) -> np.ndarray:
    """Cluster id per span: spans sharing a local day (directly or through others) share a cluster."""
    if len(first_day) == 0:
        return np.zeros(0, dtype="int64")
    lo = int(first_day.min())
    n = int(last_day.max()) - lo + 2
    link = np.zeros(n, dtype="int64")
    np.add.at(link, first_day - lo, 1)
    np.add.at(link, last_day - lo, -1)
    joined = np.cumsum(link)[:-1] > 0  # day d and d + 1 are linked
    component = np.concatenate([[0], np.cumsum(~joined)])
    return component[first_day - lo]
