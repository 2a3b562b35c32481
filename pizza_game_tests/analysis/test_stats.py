"""Every statistic against an independent implementation (scipy, statsmodels, dense algebra)."""

from typing import TypedDict

import numpy as np
import pandas as pd
import pytest
import scipy.linalg
import statsmodels.api as sm
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import DescrStatsW

from pizza_game.analysis.stats import benjamini_hochberg, pearson, window_effect


class Tolerance(TypedDict):
    rtol: float
    atol: float


TOL: Tolerance = {"rtol": 1e-9, "atol": 1e-12}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pearson_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=80)
    y = 0.3 * x + rng.normal(size=80)
    ours = pearson(x, y)
    assert ours is not None
    theirs = sps.pearsonr(x, y)
    interval = theirs.confidence_interval(0.95)
    np.testing.assert_allclose(
        [ours.r, ours.p_value, ours.ci_low, ours.ci_high],
        [theirs.statistic, theirs.pvalue, interval.low, interval.high],
        **TOL,
    )
    assert ours.n == 80 and ours.df == 78


def test_point_biserial_matches_scipy_and_ignores_missing():
    rng = np.random.default_rng(5)
    flag = rng.integers(0, 2, 60).astype(float)
    y = 0.4 * flag + rng.normal(size=60)
    flag_with_gaps = flag.copy()
    flag_with_gaps[:5] = np.nan
    ours = pearson(flag_with_gaps, y)
    assert ours is not None
    theirs = sps.pointbiserialr(flag[5:].astype(bool), y[5:])
    np.testing.assert_allclose([ours.r, ours.p_value], [theirs.statistic, theirs.pvalue], **TOL)
    assert ours.n == 55


def test_within_group_pearson_equals_fixed_effects_regression():
    rng = np.random.default_rng(7)
    groups = rng.integers(0, 6, 120)
    x = rng.normal(size=120) + groups
    y = 0.2 * x + 2.0 * groups + rng.normal(size=120)
    ours = pearson(x, y, groups)
    assert ours is not None
    dummies = pd.get_dummies(groups).to_numpy(dtype=float)
    fit = sm.OLS(y, np.column_stack([dummies, x])).fit()
    np.testing.assert_allclose(
        [ours.statistic, ours.p_value], [fit.tvalues[-1], fit.pvalues[-1]], **TOL
    )

    def centred(v: np.ndarray) -> np.ndarray:
        return v - pd.Series(v).groupby(groups).transform("mean").to_numpy()

    np.testing.assert_allclose(ours.r, sps.pearsonr(centred(x), centred(y)).statistic, **TOL)
    z, se = np.arctanh(ours.r), 1 / np.sqrt(120 - 3 - (6 - 1))  # partial r given 5 extra groups
    np.testing.assert_allclose(
        [ours.ci_low, ours.ci_high],
        np.tanh([z - 1.959963984540054 * se, z + 1.959963984540054 * se]),
        **TOL,
    )


def test_pearson_refuses_undefined_cases():
    assert pearson(np.ones(10), np.arange(10.0)) is None
    assert pearson(np.arange(3.0), np.arange(3.0)) is None


def test_benjamini_hochberg_matches_statsmodels():
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.uniform(size=200), rng.uniform(0, 0.001, 20), [np.nan, np.nan]])
    ours = benjamini_hochberg(p)
    finite = np.isfinite(p)
    _, theirs, _, _ = multipletests(p[finite], method="fdr_bh")
    np.testing.assert_allclose(ours[finite], theirs, **TOL)
    assert np.isnan(ours[~finite]).all()


def _window_data(seed, clustered=True):
    rng = np.random.default_rng(seed)
    rows = []
    for stratum in range(6):
        for _ in range(rng.integers(3, 9)):
            rows.append((stratum, 1))
        for _ in range(rng.integers(2, 5)):
            rows.append((stratum, 0))
    stratum, in_window = np.array(rows).T
    cluster = rng.integers(0, 25, len(stratum)) if clustered else np.arange(len(stratum))
    y = (
        0.1 * in_window
        + 0.3 * stratum
        + rng.normal(size=len(stratum)) * 0.2
        + rng.normal(size=25)[cluster % 25] * 0.05
    )
    return y, in_window, stratum, cluster


def _dense_cr2(y, d, stratum, cluster):
    """CR2 and Bell-McCaffrey degrees of freedom from the textbook formulas, with full matrices."""
    X = np.column_stack([pd.get_dummies(stratum).to_numpy(dtype=float), d])
    bread = np.linalg.inv(X.T @ X)
    beta = bread @ X.T @ y
    e = y - X @ beta
    H = X @ bread @ X.T
    n = len(y)
    ell = np.zeros(X.shape[1])
    ell[-1] = 1.0
    meat_terms, columns = [], []
    for g in np.unique(cluster):
        rows = np.flatnonzero(cluster == g)
        block = np.eye(len(rows)) - H[np.ix_(rows, rows)]
        A = np.real(scipy.linalg.pinv(scipy.linalg.sqrtm(block)))
        a = np.zeros(n)
        a[rows] = A @ X[rows] @ bread @ ell
        meat_terms.append((a @ e) ** 2)
        columns.append((np.eye(n) - H) @ a)
    G = np.column_stack(columns)
    lam = np.linalg.eigvalsh(G.T @ G)
    return beta[-1], np.sqrt(sum(meat_terms)), lam.sum() ** 2 / (lam**2).sum()


@pytest.mark.parametrize("seed", [0, 1])
def test_window_effect_matches_dense_cr2_and_statsmodels(seed):
    y, d, stratum, cluster = _window_data(seed)
    ours = window_effect(y, d, stratum, cluster)
    assert ours is not None
    beta, se, df = _dense_cr2(y, d, stratum, cluster)
    np.testing.assert_allclose([ours.estimate, ours.std_error, ours.df], [beta, se, df], rtol=1e-8)
    X = np.column_stack([pd.get_dummies(stratum).to_numpy(dtype=float), d])
    np.testing.assert_allclose(ours.estimate, sm.OLS(y, X).fit().params[-1], **TOL)
    np.testing.assert_allclose(ours.p_value, 2 * sps.t.sf(abs(beta / se), df), rtol=1e-8)


def test_window_effect_with_single_row_clusters_is_hc2():
    y, d, stratum, cluster = _window_data(4, clustered=False)
    ours = window_effect(y, d, stratum, cluster)
    assert ours is not None
    X = np.column_stack([pd.get_dummies(stratum).to_numpy(dtype=float), d])
    hc2 = sm.OLS(y, X).fit(cov_type="HC2")
    np.testing.assert_allclose(
        [ours.estimate, ours.std_error], [hc2.params[-1], hc2.bse[-1]], **TOL
    )


def test_window_effect_drops_strata_without_both_sides():
    y, d, stratum, cluster = _window_data(2)
    lonely = np.array([1.0, 1.0, 1.0])
    with_extra = window_effect(
        np.concatenate([y, [50.0, 60.0, 70.0]]),
        np.concatenate([d, lonely]),
        np.concatenate([stratum, [99, 99, 99]]),
        np.concatenate([cluster, [0, 1, 2]]),
    )
    without = window_effect(y, d, stratum, cluster)
    assert with_extra is not None and without is not None
    assert with_extra.estimate == pytest.approx(without.estimate, rel=1e-12)
    assert (
        window_effect(np.array([1.0, 2.0]), np.array([1, 0]), np.array([0, 0]), np.array([0, 0]))
        is None
    )


def test_window_effect_with_one_window_and_one_reference_per_stratum_is_the_paired_t_test():
    rng = np.random.default_rng(9)
    n = 40
    window = rng.normal(0.1, 0.2, n) + np.arange(n) * 0.05
    reference = rng.normal(0.0, 0.2, n) + np.arange(n) * 0.05
    pairs = np.repeat(np.arange(n), 2)
    ours = window_effect(np.column_stack([window, reference]).ravel(), np.tile([1, 0], n), pairs, pairs)
    assert ours is not None
    paired = sps.ttest_rel(window, reference)
    low, high = DescrStatsW(window - reference).tconfint_mean(alpha=0.05)
    np.testing.assert_allclose(
        [ours.statistic, ours.p_value, ours.df, ours.ci_low, ours.ci_high],
        [paired.statistic, paired.pvalue, n - 1, low, high],
        rtol=1e-9,
    )
