"""The engine computes many small things in batches, and some by shortcuts (for speed); each must
give exactly, to the last bit, what the plain computation gives, or calibrated outputs would move."""

from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pizza_game.analysis import anomaly_units
from pizza_game.analysis.anomaly_units import Tested
from pizza_game.analysis.baseline import POOL_NONE, _InOrderSum
from pizza_game.analysis.counts import dispersion, dispersions, fits, studentised_p, two_sided_p
from pizza_game.analysis.engine import _slot_features
from pizza_game.analysis.features import FEATURES
from pizza_game.analysis.scales import sum_by
from pizza_game.analysis.slots import _levelled_expected
from pizza_game.analysis.stats import (
    _cr2_weights,
    _inverse_sqrt_psd,
    correlations,
    pearson,
    t_p_values,
)


@pytest.mark.parametrize("seed", range(7))
def test_in_order_sums_are_bincount_sums_to_the_bit(seed):
    rng = np.random.default_rng(seed)
    # The last two seeds sum a single column (one region, one group): numpy would sum it pairwise.
    n_regions, n_groups, n_columns = (3, 40, 25) if seed < 5 else (1, 1, 25)
    group = np.sort(rng.integers(0, n_groups, 2000)) if seed % 2 else rng.integers(0, n_groups, 2000)
    column = rng.integers(0, n_columns, len(group))
    values = rng.random((n_regions, n_columns)) * 10.0 ** rng.integers(-3, 4, (n_regions, n_columns))
    rows = np.arange(n_regions)[:, None]
    expected = np.bincount(
        (rows * n_groups + group).ravel(), values[rows, column].ravel(), n_regions * n_groups
    ).reshape(n_regions, n_groups)
    np.testing.assert_array_equal(_InOrderSum(group, n_groups, column)(values), expected)


def test_in_order_sums_of_no_bins_are_zero():
    empty = np.zeros(0, dtype="int64")
    np.testing.assert_array_equal(_InOrderSum(empty, 4, empty)(np.ones((2, 3))), np.zeros((2, 4)))


def test_dispersions_side_by_side_are_each_groups_own():
    rng = np.random.default_rng(1)
    groups: list[tuple[np.ndarray, np.ndarray, np.ndarray | float]] = []
    for size, phi in ((200, 0.05), (3, 0.0), (1, 0.1), (500, 0.2)):
        expected = rng.uniform(5, 80, size)
        observed = rng.negative_binomial(1 / phi, 1 / (1 + phi * expected)) if phi else rng.poisson(expected)
        observed = observed.astype(float)
        observed[: size // 50] *= 6  # a few surges for the robust loop to set aside
        groups.append((observed, expected, rng.uniform(0, 0.01, size)))
    batched = dispersions(groups)
    assert batched == [dispersion(*group) for group in groups]
    assert batched[2] == 0.0 and batched[3] > 0.1
    # The p-values kept with each fit are the units' own under the final dispersion.
    for (observed, expected, known), fit in zip(groups, fits(groups), strict=True):
        assert fit.phi == dispersion(observed, expected, known)
        if len(observed) < 2:
            assert fit.p_values is None
            continue
        assert fit.p_values is not None
        np.testing.assert_array_equal(fit.p_values, two_sided_p(observed, expected, fit.phi + known))


def test_tests_table_takes_the_known_tails_as_computed():
    rng = np.random.default_rng(4)
    expected = rng.uniform(2, 60, 300)
    observed = rng.poisson(expected * rng.uniform(0.7, 1.4, 300)).astype(float)
    phi = np.where(np.arange(300) < 100, 0.0, rng.uniform(0.0, 0.3, 300))
    start = np.arange(300, dtype="int64") * 3_600_000_000_000

    def unit(nb_p):
        return Tested("hour", start, start + 1, "ALL", observed, expected, observed, phi, False, 20, nb_p=nb_p)

    known = np.where(rng.random(300) < 0.5, two_sided_p(observed, expected, phi), np.nan)
    plain = anomaly_units.tests_table([unit(None)])
    pd.testing.assert_frame_equal(anomaly_units.tests_table([unit(known)]), plain, check_exact=True)
    # A known tail is taken, not computed again: a tail marked 0 leaves the studentised p alone.
    marked = np.where(np.isfinite(known), 0.0, np.nan)
    taken = np.isfinite(known)
    np.testing.assert_array_equal(
        anomaly_units.tests_table([unit(marked)])["p_value"].to_numpy()[taken],
        studentised_p(observed, expected, phi, 20)[taken],
    )


def test_correlations_together_are_each_features_own():
    rng = np.random.default_rng(2)
    y = rng.normal(size=120)
    y[::17] = np.nan
    groups = rng.integers(0, 6, 120)
    xs = [rng.normal(size=120) + 0.3 * np.nan_to_num(y), (rng.random(120) < 0.4).astype(float), np.ones(120)]
    xs[1][::11] = np.nan
    together = correlations(xs, y, groups)
    assert together == [pearson(x, y, groups) for x in xs]
    first = together[0]
    assert together[2] is None and first is not None and first.p_value < 0.05


def test_cr2_weights_of_stacked_clusters_are_the_loops():
    rng = np.random.default_rng(3)
    n = 150
    stratum = rng.integers(0, 5, n)
    cluster = rng.integers(0, 60, n)
    _, cluster = np.unique(cluster, return_inverse=True)
    counts = np.bincount(stratum)
    d = (rng.random(n) < 0.3).astype(float)
    d_within = d - (np.bincount(stratum, weights=d) / counts)[stratum]
    sdd = float(d_within @ d_within)
    n_clusters = int(cluster.max()) + 1
    loop = np.zeros((n, n_clusters))
    for g in range(n_clusters):
        rows = np.flatnonzero(cluster == g)
        same = stratum[rows][:, None] == stratum[rows][None, :]
        hat = same / counts[stratum[rows]][None, :] + np.outer(d_within[rows], d_within[rows]) / sdd
        loop[rows, g] = _inverse_sqrt_psd(np.eye(len(rows)) - hat) @ d_within[rows] / sdd
    np.testing.assert_array_equal(_cr2_weights(stratum, cluster, counts, d_within, sdd, n_clusters), loop)


@pytest.mark.parametrize("phi", [0.0, 0.02, 0.5, 3.0])
def test_two_sided_p_is_twice_the_smaller_of_both_tails(phi):
    from scipy import stats as sps

    rng = np.random.default_rng(4)
    expected = rng.uniform(0.05, 300, 4000)
    observed = rng.poisson(expected * rng.choice([0.3, 1.0, 1.0, 2.5], len(expected))).astype(float)
    if phi:
        size = 1.0 / phi
        args = (size, size / (size + expected))
        both = np.minimum(sps.nbinom.sf(observed - 1, *args), sps.nbinom.cdf(observed, *args))
    else:
        both = np.minimum(sps.poisson.sf(observed - 1, expected), sps.poisson.cdf(observed, expected))
    np.testing.assert_array_equal(two_sided_p(observed, expected, phi), np.minimum(1.0, 2.0 * both))


@pytest.mark.parametrize("seed", range(4))
def test_levelled_expected_of_the_used_cells_alone_is_the_masked_sum_of_all(seed):
    rng = np.random.default_rng(seed)
    n_regions, n_days, per_day, n_rows, n_touched = 3, 9, 12, 40, 2
    n_cells = n_days * per_day
    shape = (n_cells, 2 * n_regions)
    sums = rng.random(shape) * 10.0 ** rng.integers(-2, 3, shape)
    sums[rng.random(shape) < 0.1] = 0.0
    timeline = SimpleNamespace(n_days=n_days, bins_per_day=per_day, regions=["ALL", "a", "b"])
    # Stand-ins with just what the function reads.
    meter: Any = SimpleNamespace(
        timeline=timeline,
        cell_clean=rng.random(n_cells) < 0.8,
        cell_sums=np.concatenate([sums, np.zeros((1, 2 * n_regions))]),  # and the cell of zeros
    )
    spans: Any = SimpleNamespace(
        first_day=rng.integers(0, n_days, n_rows),  # some rows' second day is past the end
        profile=rng.random((n_regions, n_rows)) * 5,
        pool=np.where(rng.random(n_rows) < 0.1, POOL_NONE, 0),
    )
    rows = rng.permutation(n_rows)[: n_rows - 5]
    common = rng.random((len(rows), n_touched, per_day)) < (0.6 if seed else 0.0)  # seed 0: no cell
    offsets = np.arange(n_touched)
    got = _levelled_expected(meter, common, spans, rows, offsets)
    days = spans.first_day[rows][:, None] + offsets[None, :]
    valid = days < n_days
    index = np.minimum(days, n_days - 1)[:, :, None] * per_day + np.arange(per_day)
    use = common & valid[:, :, None] & meter.cell_clean[index]
    plain = np.where(use[:, :, :, None], sums[index], 0.0).sum(axis=(1, 2))
    orders, profile = plain[:, :n_regions].T, plain[:, n_regions:].T
    level = np.divide(orders, profile, out=np.full(orders.shape, np.nan), where=profile > 0)
    level[~(level > 0)] = np.nan
    expected = level * spans.profile[:, rows]
    expected[:, spans.pool[rows] >= POOL_NONE] = np.nan
    assert got.tobytes() == expected.tobytes()
    assert np.isfinite(got).any() == bool(seed)


@pytest.mark.parametrize("fraction", [False, True])
def test_slot_features_are_pandas_group_means_to_the_bit(fraction):
    rng = np.random.default_rng(5)
    ids = [f"m{i}" for i in range(300)]
    values = rng.integers(0, 6, (300, len(FEATURES))).astype(float)
    values[rng.random(values.shape) < 0.1] = np.nan
    if fraction:  # fractions are not summed exactly in every order: pandas' own means are taken
        values[::7, 0] = rng.random(len(values[::7]))
    features = pd.DataFrame(values, columns=list(FEATURES), index=pd.Index(ids, name="match_id"))
    match_ids = np.array([*rng.choice(ids, 500), "unknown"], dtype=object)
    slot_of_row = np.sort(rng.integers(0, 120, len(match_ids)))
    table = features.reindex(match_ids).reset_index(drop=True).assign(slot=slot_of_row)
    means = table.groupby("slot")[list(FEATURES)].mean().reindex(range(130))
    got = _slot_features(match_ids, slot_of_row, features, 130)
    for feature in FEATURES:
        assert got[feature].tobytes() == means[feature].to_numpy(dtype="float64").tobytes(), feature


def test_t_p_values_together_are_each_tests_own():
    from scipy import stats as sps

    rng = np.random.default_rng(6)
    statistic = np.concatenate([rng.normal(0, 3, 50), [np.inf, -np.inf, 0.0]])
    df = np.concatenate([rng.integers(2, 40, 25), rng.uniform(1.5, 60, 28)])
    together = t_p_values(list(statistic), list(df))
    alone = [float(2.0 * sps.t.sf(abs(t), d)) for t, d in zip(statistic, df, strict=True)]
    assert together.tolist() == alone
    assert together[50] == together[51] == 0.0


@pytest.mark.parametrize("k", [1, 4, 96])
def test_sums_by_runs_of_bins_are_bincount_sums_to_the_bit(k):
    rng = np.random.default_rng(k)
    n_regions, n = 3, 50
    values = rng.random((n_regions, n * k)) * 10.0 ** rng.integers(-3, 4, (n_regions, n * k))
    values[0, ::13] = np.nan
    regular = np.arange(n * k) // k  # every group k consecutive bins: summed as runs
    irregular = np.sort(rng.integers(0, n, n * k))

    def plain(index, values):
        rows = np.arange(n_regions)[:, None]
        keys = (rows * n + index[None, :]).ravel()
        return np.bincount(keys, values.ravel(), n_regions * n).reshape(n_regions, n)

    counts = (values > 0.5).astype("int64")  # whole numbers come back as float sums too
    for index in (regular, irregular):
        for summed in (values, counts):
            assert sum_by(index, n, summed).tobytes() == plain(index, summed).tobytes()
