"""In-graph statistics for the monitoring callbacks.

Every function here takes tensors and returns small tensors (per-tensor
statistics stacked into one tensor, and `(bins, 3)` histograms), uses only
XLA-compilable TensorFlow ops (`histogram` with `xla=False` uses the faster
`tf.histogram_fixed_width`), and ignores nothing silently: non-finite values
are excluded from the histogram and the range but counted by
`nonfinite_count`, and they make the moments NaN/Inf, as they should.
Statistics of many tensors are computed on their concatenation with
segment sums, so a model of 100 layers adds a handful of ops, not hundreds.
"""

import numpy as np
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


def segment_ids(tensors):
    """For tensors of static shapes: int32 ids giving each entry of their
    flattened concatenation the index of the tensor it came from (made when
    run, so the graph holds no constant the size of the model)."""
    sizes = [int(np.prod(t.shape)) for t in tensors]
    return tf.repeat(tf.range(len(sizes), dtype=tf.int32), sizes)


def flat_concat(tensors):
    """Every entry of `tensors`, float32, in one vector."""
    return tf.concat([_flat(t) for t in tensors], axis=0)


def segment_moments(values, ids, count):
    """Per segment of `values`: `[mean, std, L2 norm]`, a `(count, 3)`
    float32 tensor, from a few segment sums whatever the number of
    segments (the std in two passes, for precision)."""
    def total(x):
        return tf.math.unsorted_segment_sum(x, ids, count)

    n = tf.maximum(total(tf.ones_like(values)), 1.0)
    mean = total(values) / n
    deviation = values - tf.gather(mean, ids)
    std = tf.sqrt(total(tf.square(deviation)) / n)
    return tf.stack([mean, std, tf.sqrt(total(tf.square(values)))], axis=1)


def update_statistics(gradients, before, after, ids, count):
    """Per variable: `[gradient L2 norm, update ratio]`, `(count, 2)`.

    `before` and `after` are the flattened variables around the update
    (see `flat_concat`). The update ratio is `||after - before|| /
    max(||before||, ||after||)`: the usual `||dW|| / ||W||`, and 1 for a
    weight that starts at zero (its whole value is this update), 0 for one
    that is zero and stays so. It is never Inf or NaN for finite weights.
    """
    def norms(x):
        return tf.sqrt(tf.math.unsorted_segment_sum(tf.square(x), ids, count))

    delta, base = norms(after - before), tf.maximum(norms(before),
                                                    norms(after))
    ratio = tf.where(base > 0, delta / tf.where(base > 0, base, 1.0), 0.0)
    return tf.stack([norms(gradients), ratio], axis=1)


def region_fraction(fraction):
    """A registry fraction (`spec.dead_fraction(y)`, maybe None) as a
    float32 scalar, NaN when the activation has no such region."""
    if fraction is None:
        return tf.constant(float("nan"), tf.float32)
    return tf.cast(fraction, tf.float32)
