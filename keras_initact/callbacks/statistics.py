"""In-graph statistics for the monitoring callbacks.

Every function here takes tensors and returns small tensors (scalars and
`(bins, 3)` histograms), uses only XLA-compilable TensorFlow ops with
`xla=True` (no `tf.histogram_fixed_width`, no summary ops; `xla=False`
uses that faster kernel), and ignores nothing silently:
non-finite values are excluded from the histogram and the range but counted
by `nonfinite_count`, and they make the moments NaN/Inf, as they should.
"""

import tensorflow as tf

HISTOGRAM_BINS = 30


def _flat(x):
    return tf.reshape(tf.cast(x, tf.float32), [-1])


def nonfinite_count(x):
    """The number of NaN and Inf entries of `x` (float32 scalar)."""
    return tf.reduce_sum(tf.cast(tf.logical_not(tf.math.is_finite(
        _flat(x))), tf.float32))


def histogram(x, bins=HISTOGRAM_BINS, xla=True):
    """A `(bins, 3)` float32 tensor `[left, right, count]` over the finite
    range of `x`, in TensorBoard's TF2 histogram layout.

    With `xla=True`, counts by floor/clip and `unsorted_segment_sum`, which
    XLA compiles (`tf.histogram_fixed_width` does not); with `xla=False`,
    by `tf.histogram_fixed_width`, which is 4x faster than that outside XLA.
    Constant data gets the range `[c - 0.5, c + 0.5]`, as
    `tf.summary.histogram` does.
    """
    x = _flat(x)
    finite = tf.math.is_finite(x)
    big = tf.constant(3.0e38, tf.float32)
    lo = tf.reduce_min(tf.where(finite, x, big))
    hi = tf.reduce_max(tf.where(finite, x, -big))
    any_finite = tf.reduce_any(finite)
    lo = tf.where(any_finite, lo, 0.0)
    hi = tf.where(any_finite, hi, 0.0)
    constant = hi <= lo
    lo = tf.where(constant, lo - 0.5, lo)
    hi = tf.where(constant, hi + 0.5, hi)
    width = (hi - lo) / bins
    if xla:
        safe_x = tf.where(finite, x, lo)
        index = tf.clip_by_value(tf.floor((safe_x - lo) / width), 0.0,
                                 bins - 1.0)
        counts = tf.math.unsorted_segment_sum(
            tf.cast(finite, tf.float32), tf.cast(index, tf.int32), bins
        )
    else:
        # Non-finite values go to a value outside the range, then to the
        # first bin: remove them from it again.
        counts = tf.cast(tf.histogram_fixed_width(
            tf.where(finite, x, lo), tf.stack([lo, hi]), nbins=bins),
            tf.float32)
        missing = tf.reduce_sum(tf.cast(tf.logical_not(finite), tf.float32))
        counts = counts - missing * tf.one_hot(0, bins)
    edges = lo + width * tf.range(bins + 1, dtype=tf.float32)
    return tf.stack([edges[:-1], edges[1:], counts], axis=1)


def moments(x):
    """`(mean, std)` of all entries of `x`, float32 scalars."""
    x = _flat(x)
    mean = tf.reduce_mean(x)
    std = tf.sqrt(tf.reduce_mean(tf.square(x - mean)))
    return mean, std


def weight_statistics(w, near_zero=1e-3, bins=HISTOGRAM_BINS, xla=True):
    """mean, std, min, max, L2 norm, fraction with `|w| <= near_zero`,
    non-finite count and histogram of one weight tensor."""
    x = _flat(w)
    mean, std = moments(x)
    return {
        "mean": mean,
        "std": std,
        "min": tf.reduce_min(x),
        "max": tf.reduce_max(x),
        "norm": tf.norm(x),
        "near_zero_fraction": tf.reduce_mean(
            tf.cast(tf.abs(x) <= near_zero, tf.float32)),
        "nonfinite": nonfinite_count(x),
        "histogram": histogram(x, bins, xla),
    }


# The order of the scalars in a gradient statistics vector (see
# `gradient_vector`); `LayerStats` keeps one such vector per variable.
GRADIENT_FIELDS = ("norm", "mean", "std", "zero_fraction", "update_ratio",
                   "nonfinite")


def gradient_vector(grad, before, after):
    """The `GRADIENT_FIELDS` of one gradient as a float32 vector.

    `before` and `after` are the variable's values around the update, so
    that `update_ratio = ||after - before|| / ||before||` (0 when the
    variable was all zeros and did not move; inf when it moved off zero).
    """
    g = _flat(grad)
    mean, std = moments(g)
    delta = tf.norm(_flat(after) - _flat(before))
    base = tf.norm(_flat(before))
    ratio = tf.where(base > 0, delta / tf.where(base > 0, base, 1.0),
                     tf.where(delta > 0, float("inf"), 0.0))
    return tf.stack([
        tf.norm(g), mean, std,
        tf.reduce_mean(tf.cast(tf.equal(g, 0.0), tf.float32)),
        ratio, nonfinite_count(g),
    ])


def activation_statistics(y, spec=None, bins=HISTOGRAM_BINS, xla=True):
    """mean, std, min, max, histogram and non-finite count of a layer
    output; with an `ActivationSpec`, also its dead and saturated fractions
    as the registry defines them (absent when the activation has no such
    region)."""
    y = tf.cast(y, tf.float32)
    mean, std = moments(y)
    out = {
        "mean": mean,
        "std": std,
        "min": tf.reduce_min(y),
        "max": tf.reduce_max(y),
        "nonfinite": nonfinite_count(y),
        "histogram": histogram(y, bins, xla),
    }
    if spec is not None:
        dead = spec.dead_fraction(y)
        if dead is not None:
            out["dead_fraction"] = tf.cast(dead, tf.float32)
        saturated = spec.saturated_fraction(y)
        if saturated is not None:
            out["saturated_fraction"] = tf.cast(saturated, tf.float32)
    return out
