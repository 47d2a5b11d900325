"""The statistics of a study's tables and figures: intervals over seeds,
and the median epochs to a target of runs that may never reach it.

What the numbers mean, the same in every table and figure (each says so):
"±" is the sample standard deviation over seeds (n − 1), the spread of
one run, never an interval's half-width; "[low, high]" is a 95%
confidence interval that lies where the quantity can: of the mean
accuracy, within [0, 1] (`accuracy_interval`); of the median epochs to the
target, within [1, epochs] (`epochs_to_target`); of a paired difference,
within [−1, 1] (`interval`). A run that never reached the target counts,
censored at the epochs it trained for (`km_median`)."""

import math

import numpy as np

CONFIDENCE = 0.95
# Accuracies this close to 0 or 1 are moved to LOGIT_EPS or 1 - LOGIT_EPS
# before the logit (which is infinite at 0 and 1): about one example in a
# 1,000-example test set.
LOGIT_EPS = 1e-3
# What the tables and figures say "±" is.
PLUS_MINUS = "± is the sample standard deviation over seeds (n − 1)"


def finite(values):
    """The finite numbers of `values` (None and NaN left out), as an array."""
    return np.asarray([v for v in values
                       if v is not None and math.isfinite(v)], dtype=float)



def interval(values, confidence=CONFIDENCE, bounds=(-math.inf, math.inf)):
    """`n`, `mean`, `std` (sample, n − 1) and the Student-t confidence
    interval `low`, `high` of the mean of the finite `values`:
    mean ± t_{(1 + c)/2, n − 1} · std / √n (SciPy's `t.interval`), then
    intersected with `bounds`, the values the mean can take (this keeps
    the coverage: the true mean lies inside `bounds`, so the cut interval
    holds it whenever the whole one does). NaN where there are too few
    values (an interval needs two); equal values give the point [mean,
    mean]."""
    from scipy import stats

    values = finite(values)
    n = len(values)
    mean = float(values.mean()) if n else math.nan
    if n < 2:
        return {"n": n, "mean": mean, "std": math.nan, "low": math.nan,
                "high": math.nan}
    std = float(values.std(ddof=1))
    low = high = mean
    if std > 0:
        low, high = stats.t.interval(confidence, n - 1, loc=mean,
                                     scale=stats.sem(values))
    return {"n": n, "mean": mean, "std": std,
            "low": max(float(low), bounds[0]),
            "high": min(float(high), bounds[1])}


def accuracy_interval(values, confidence=CONFIDENCE):
    """`n`, `mean`, `std` as `interval`, and a confidence interval `low`,
    `high` of the mean accuracy that lies inside [0, 1]: the Student-t
    interval on the logit scale, mapped back,

        z_i = logit(a_i) = log(a_i / (1 − a_i)),
        [expit(z̄ − t·s_z/√n), expit(z̄ + t·s_z/√n)],

    with t the (1 + c)/2 quantile of Student's t with n − 1 degrees of
    freedom (SciPy's `t.interval`; `special.logit` and `expit`).

    Why this one, with the 2–5 seeds a study has: the t quantile (12.7 at
    2 seeds, 4.30 at 3) carries the uncertainty of a spread estimated
    from so few seeds, which a bootstrap cannot (a percentile bootstrap of
    3 values has 10 distinct means and covers far less than 95%); a
    Wilson interval counts test examples, not seeds, and would miss the
    seed-to-seed variance that the repeats are there to measure. The
    logit maps [0, 1] onto the real line, so the interval maps back
    inside it, shorter on the side of the bound that is near (the issue's
    0.882 ± 0.015 over 2 seeds: [0.747, 1.017] on the raw scale,
    [0.672, 0.965] here). Strictly it bounds expit of the mean logit,
    which differs from the mean accuracy by far less than the interval's
    width for accuracies a few hundredths apart. Values within `LOGIT_EPS`
    of 0 or 1 are moved to it first, so a seed at exactly 1.0 widens the
    interval as a seed at 0.999 would; values that are then equal give
    [min, max] of the values (equal values: the point [mean, mean]); one
    value gives no interval (NaN)."""
    from scipy import special, stats

    values = finite(values)
    summary = interval(values, confidence)
    if summary["n"] < 2 or summary["std"] == 0:
        return summary
    z = special.logit(np.clip(values, LOGIT_EPS, 1 - LOGIT_EPS))
    if np.ptp(z) == 0:  # equal after the clip (e.g. 0.9995 and 1.0)
        return {**summary, "low": float(values.min()),
                "high": float(values.max())}
    low, high = stats.t.interval(confidence, len(z) - 1, loc=z.mean(),
                                 scale=stats.sem(z))
    return {**summary, "low": float(special.expit(low)),
            "high": float(special.expit(high))}


def km_median(reached, censored):
    """The Kaplan–Meier median of the time to an event: `reached` are the
    times of the runs that reached it, `censored` those of the runs seen
    until then without it (right-censored: they might have reached it
    later). KM estimates the probability of not having reached it by t as
    S(t) = ∏_{t_i ≤ t} (1 − d_i / n_i) (d_i reached at t_i, n_i still
    running then; SciPy's `ecdf` of `CensoredData`), so a censored run
    counts as not reached for as long as it was seen, instead of being
    dropped, which would keep only the fast runs. The median is the
    smallest t with S(t) ≤ 1/2; NaN when S stays above 1/2 (fewer than
    half reached it) or nothing reached it."""
    from scipy import stats

    if not len(reached):
        return math.nan
    sf = stats.ecdf(stats.CensoredData(uncensored=np.asarray(reached, float),
                                       right=np.asarray(censored, float))).sf
    below = sf.quantiles[sf.probabilities <= 0.5 + 1e-9]
    return float(below[0]) if len(below) else math.nan


def epochs_to_target(epochs, budget, confidence=CONFIDENCE):
    """A cell's epochs to the target over its runs: `epochs` holds each
    run's first epoch at the target, None for a run that never reached it
    within the `budget` epochs (diverged runs included: they stopped and
    will not reach it). Such a run is censored at the budget, and the
    estimate is the Kaplan–Meier median (`km_median`), NaN when fewer
    than half reached it ("> budget").

    `low`, `high`: the distribution-free confidence interval of the
    median (binomial order statistics; SciPy's `quantile_test`), exact
    here because every censored run is censored at the same, largest
    time: its epochs are just "> budget". It makes no assumption on the
    shape of the epochs' distribution, which 2–5 discrete, censored
    values cannot check; the price is that fewer than 6 runs cannot bound
    a median at 95% (3 runs all at the same epoch: each side of it still
    has probability 1/8 of holding all three), so with fewer the interval
    is [1, > budget]; one run gives none (NaN). Bounds lie in
    [1, budget]; `high` (and `low`) are NaN for "> budget"."""
    from scipy import stats

    reached = [e for e in epochs if e is not None]
    n = len(epochs)
    result = {"runs": n, "reached": len(reached), "median": math.nan,
              "low": math.nan, "high": math.nan}
    if not n:
        return result
    result["median"] = km_median(reached, [budget] * (n - len(reached)))
    if n < 2:  # as for the accuracies: an interval needs two runs
        return result
    times = [math.inf if e is None else e for e in epochs]
    ci = stats.quantile_test(times, q=0, p=0.5).confidence_interval(
        confidence)
    low, high = float(ci.low), float(ci.high)
    result["low"] = 1.0 if math.isnan(low) else (
        max(low, 1.0) if math.isfinite(low) else math.nan)
    result["high"] = high if math.isfinite(high) else math.nan
    return result
