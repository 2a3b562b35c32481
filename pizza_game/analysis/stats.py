"""The statistics of the analysis, written out so that each number can be checked.

- ``pearson``: Pearson's r with its two-sided t-test (n - 2 degrees of freedom) and a 95%
  confidence interval from Fisher's z (atanh r +/- 1.96 / sqrt(n - 3)). With a 0/1 variable this is
  the point-biserial correlation. Optionally within groups (partial correlation, n - 1 - groups
  degrees of freedom, Fisher z with sqrt(n - 2 - groups)).
- ``window_effect``: the window-vs-baseline test. A least-squares regression of log ratios on a
  window indicator with one intercept per stratum (fixed effects), bias-reduced cluster-robust
  standard errors (CR2) and Bell-McCaffrey (Satterthwaite) degrees of freedom. With one window
  and one reference per stratum, each pair its own cluster, it is exactly the paired t-test.
- ``benjamini_hochberg``: step-up adjusted p-values controlling the false discovery rate.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95


def t_p_values(statistic, df) -> np.ndarray:
    """Two-sided p-values 2 P(T > |t|) of t statistics against t with ``df`` degrees of freedom
    (0 for an infinite statistic), elementwise: in one scipy call, as a call costs a tenth of a
    millisecond whatever its size (the engine's lift and correlation tests take one together)."""
    # Here, not at import: scipy.stats costs every command a second.
    from scipy import stats as sps

    return 2.0 * sps.t.sf(np.abs(np.asarray(statistic, dtype="float64")), df)


@dataclass(frozen=True)
class Correlation:
    n: int
    df: int
    r: float
    statistic: float
    ci_low: float
    ci_high: float

    @functools.cached_property
    def p_value(self) -> float:
        """Two-sided p of the t statistic (``t_p_values``; computed when asked: the engine takes
        all its tests' at once)."""
        return float(t_p_values(self.statistic, self.df))


@dataclass(frozen=True)
class WindowEffect:
    """Mean log ratio of window vs reference, with its cluster-robust test."""

    n_windows: int
    n_reference: int
    n_strata: int
    n_clusters: int
    estimate: float
    std_error: float
    statistic: float
    df: float
    ci_low: float
    ci_high: float

    @functools.cached_property
    def p_value(self) -> float:
        """Two-sided p of the t statistic (as ``Correlation.p_value``)."""
        return float(t_p_values(self.statistic, self.df))


def pearson(x: np.ndarray, y: np.ndarray, groups: np.ndarray | None = None) -> Correlation | None:
    """Pearson correlation of the pairs where both are finite; None when it is not defined.

    With ``groups``, both variables are first centred within each group (a partial correlation
    given the groups) and the test loses one degree of freedom per extra group: the t-test then
    equals the t-test of x in a regression of y on x with one intercept per group.
    """
    return correlations([x], y, groups)[0]


def correlations(
    xs: list[np.ndarray], y: np.ndarray, groups: np.ndarray | None = None
) -> list[Correlation | None]:
    """``pearson(x, y, groups)`` for every x of ``xs``."""
    y = np.asarray(y, dtype="float64")
    inverse: dict[bytes, np.ndarray] = {}  # the group index of the pairs kept, per pattern kept
    moments = [_partial_r(np.asarray(x, dtype="float64"), y, groups, inverse) for x in xs]
    out: list[Correlation | None] = []
    for m in moments:
        if m is None:
            out.append(None)
            continue
        n, df_i, r = m
        # t = r sqrt(df / (1 - r^2)); infinite (p = 0) for a perfect correlation.
        statistic = r * np.sqrt(df_i / (1.0 - r * r)) if abs(r) != 1.0 else np.copysign(np.inf, r)
        z = np.arctanh(r) if abs(r) < 1.0 else np.copysign(np.inf, r)
        half = _z_half_width() / np.sqrt(df_i - 1)
        low, high = float(np.tanh(z - half)), float(np.tanh(z + half))
        out.append(Correlation(n, df_i, r, float(statistic), low, high))
    return out


def _partial_r(
    x: np.ndarray, y: np.ndarray, groups: np.ndarray | None, inverse: dict[bytes, np.ndarray]
) -> tuple[int, int, float] | None:
    """(n, df, r) of ``pearson``, None when it is not defined; ``inverse`` keeps the group index
    of each pattern of kept pairs (the features of one window kind mostly share one)."""
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if groups is None:
        group = np.zeros(len(x), dtype="int64")
    else:
        pattern = keep.tobytes()
        if pattern not in inverse:
            inverse[pattern] = np.unique(np.asarray(groups)[keep], return_inverse=True)[1]
        group = inverse[pattern]
    n = len(x)
    n_groups = int(group.max(initial=-1)) + 1
    df = n - 1 - n_groups
    if df < 2:
        return None
    counts = np.bincount(group)
    dx = x - (np.bincount(group, weights=x) / counts)[group]
    dy = y - (np.bincount(group, weights=y) / counts)[group]
    sxx, syy = float(dx @ dx), float(dy @ dy)
    if sxx <= 1e-12 * max(1.0, float(x @ x)) or syy <= 1e-12 * max(1.0, float(y @ y)):
        return None
    return n, df, min(max(float((dx @ dy) / np.sqrt(sxx * syy)), -1.0), 1.0)


@functools.cache
def _z_half_width() -> float:
    """The normal quantile of the two-sided CONFIDENCE interval (1.96), computed once."""
    from scipy import stats as sps  # as above

    return float(sps.norm.ppf(0.5 + CONFIDENCE / 2))


@dataclass(frozen=True)
class WindowDesign:
    """Everything of the window test that does not depend on the outcome (reused across regions)."""

    keep: np.ndarray
    in_window: np.ndarray
    stratum: np.ndarray
    counts: np.ndarray
    d_within: np.ndarray
    sdd: float
    weights: np.ndarray  # [row, cluster]: a_g = A_g x_g / sdd on the rows of cluster g
    df: float
    n_clusters: int

    @functools.cached_property
    def _t_quantile(self) -> float:
        """The t quantile of the CONFIDENCE interval at the design's degrees of freedom: one per
        design, which serves every region's outcome."""
        # Here, not at import: scipy.stats costs every command a second.
        from scipy import stats as sps

        return sps.t.ppf(0.5 + CONFIDENCE / 2, self.df)

    def effect(self, y: np.ndarray) -> WindowEffect | None:
        """The test for outcome ``y`` (one value per input row of the design)."""
        y = np.asarray(y, dtype="float64")[self.keep]
        if not np.isfinite(y).all():
            raise ValueError("window test outcome has missing values on rows the design uses")
        y_within = y - (np.bincount(self.stratum, weights=y) / self.counts)[self.stratum]
        estimate = float(self.d_within @ y_within) / self.sdd
        residual = y_within - estimate * self.d_within
        variance = float(np.sum((self.weights.T @ residual) ** 2))
        if not variance > 0:
            return None
        std_error = float(np.sqrt(variance))
        statistic = estimate / std_error
        half = self._t_quantile * std_error
        n_windows = int(self.in_window.sum())
        return WindowEffect(
            n_windows=n_windows,
            n_reference=int(len(y) - n_windows),
            n_strata=len(self.counts),
            n_clusters=self.n_clusters,
            estimate=estimate,
            std_error=std_error,
            statistic=statistic,
            df=self.df,
            ci_low=estimate - half,
            ci_high=estimate + half,
        )


def window_design(
    in_window: np.ndarray,
    stratum: np.ndarray,
    cluster: np.ndarray,
    usable: np.ndarray | None = None,
) -> WindowDesign | None:
    """Design of the regression of an outcome on ``in_window`` (0/1), one intercept per stratum.

    Only ``usable`` rows in strata holding both a window and a reference row identify the
    effect; the others are dropped. The variance is CR2 (Bell and McCaffrey's bias-reduced
    cluster-robust estimator) and the t reference distribution has their Satterthwaite degrees of
    freedom (as recommended by Imbens and Kolesar 2016): with a handful of clean reference days
    carrying much of the information, CR1 with G - 1 degrees of freedom rejects a true null far
    too often. None when fewer than two clusters or no residual degrees of freedom remain.
    """
    d = np.asarray(in_window, dtype="float64")
    usable = np.ones(len(d), dtype=bool) if usable is None else np.asarray(usable, dtype=bool)
    _, stratum = np.unique(np.asarray(stratum), return_inverse=True)
    has_window = np.bincount(stratum, weights=d * usable) > 0
    has_reference = np.bincount(stratum, weights=(1.0 - d) * usable) > 0
    keep = (has_window & has_reference)[stratum] & usable
    d = d[keep]
    _, stratum = np.unique(stratum[keep], return_inverse=True)
    _, cluster = np.unique(np.asarray(cluster)[keep], return_inverse=True)
    n, n_strata = len(d), int(stratum.max(initial=-1)) + 1
    n_clusters = int(cluster.max(initial=-1)) + 1
    if n_clusters < 2 or n <= n_strata + 1:
        return None
    counts = np.bincount(stratum)
    d_within = d - (np.bincount(stratum, weights=d) / counts)[stratum]
    sdd = float(d_within @ d_within)
    weights = _cr2_weights(stratum, cluster, counts, d_within, sdd, n_clusters)
    df = _satterthwaite_df(weights, stratum, counts, d_within, sdd, n_strata)
    return WindowDesign(keep, d, stratum, counts, d_within, sdd, weights, df, n_clusters)


def _cr2_weights(stratum, cluster, counts, d_within, sdd, n_clusters) -> np.ndarray:
    """[row, cluster]: the CR2 weights a_g, the estimate's influence of each cluster's rows.

    The clusters of one size are done together, as a stack of matrices: the same arithmetic
    matrix by matrix (a season has over a hundred clusters of one to three days)."""
    # A_g = (I - H_gg)^(-1/2), with H = P_strata + x x' / sdd the hat matrix of the full regression.
    weights = np.zeros((len(d_within), n_clusters))
    size = np.bincount(cluster, minlength=n_clusters)
    first = np.cumsum(size) - size
    by_cluster = np.argsort(cluster, kind="stable")  # each cluster's rows in ascending order
    for m in np.unique(size[size > 0]):
        clusters = np.flatnonzero(size == m)
        rows = by_cluster[first[clusters][:, None] + np.arange(m)]  # [cluster, row]
        of = stratum[rows]
        d = d_within[rows]
        same = of[:, :, None] == of[:, None, :]
        hat = same / counts[of][:, None, :] + d[:, :, None] * d[:, None, :] / sdd
        weights[rows, clusters[:, None]] = (_inverse_sqrt_psd(np.eye(m) - hat) @ d[:, :, None])[
            :, :, 0
        ] / sdd
    return weights


def _satterthwaite_df(weights, stratum, counts, d_within, sdd, n_strata) -> float:
    """Satterthwaite degrees of freedom of the CR2 variance under a homoscedastic working model."""
    # (sum of eigenvalues)^2 / (sum of squared eigenvalues) of C = G'G, G = (I - H) [a_1 ... a_G],
    # which for the symmetric C is trace(C)^2 / ||C||_F^2 (no eigen-decomposition needed).
    stratum_means = np.zeros((n_strata, weights.shape[1]))
    np.add.at(stratum_means, stratum, weights)
    projected = (
        weights
        - (stratum_means / counts[:, None])[stratum]
        - np.outer(d_within, d_within @ weights) / sdd
    )
    gram = projected.T @ projected
    return float(np.trace(gram) ** 2 / np.sum(gram**2))


def window_effect(
    y: np.ndarray, in_window: np.ndarray, stratum: np.ndarray, cluster: np.ndarray
) -> WindowEffect | None:
    """The window test of ``y`` (see ``window_design``), rows with a missing ``y`` left out."""
    y = np.asarray(y, dtype="float64")
    design = window_design(in_window, stratum, cluster, np.isfinite(y))
    return None if design is None else design.effect(y)


def _inverse_sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    """Symmetric (pseudo-)inverse square root of a positive semi-definite matrix (or of each of a
    stack of them)."""
    values, vectors = np.linalg.eigh(matrix)
    largest = np.abs(values).max(axis=-1, initial=0.0)
    tolerance = 1e-10 * np.maximum(1.0, largest)[..., None]
    inverse_root = np.where(
        values > tolerance, 1.0 / np.sqrt(np.clip(values, tolerance, None)), 0.0
    )
    return (vectors * inverse_root[..., None, :]) @ np.swapaxes(vectors, -1, -2)


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """BH-adjusted p-values over the finite entries; missing entries stay missing."""
    p = np.asarray(p_values, dtype="float64")
    adjusted = np.full(len(p), np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    m = len(finite)
    if m == 0:
        return adjusted
    order = finite[np.argsort(p[finite], kind="stable")]
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return adjusted
