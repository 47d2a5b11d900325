"""In-graph statistics for the monitoring callbacks.

Every function here takes tensors and returns small tensors (per-tensor
statistics stacked into one tensor, and `(bins, 3)` histograms), uses only
XLA-compilable TensorFlow ops (`histogram` with `xla=False` uses the faster
`tf.histogram_fixed_width`), and ignores nothing silently: non-finite values
are excluded from the histogram and the range but counted by
`nonfinite_count`, and they make the moments NaN/Inf, as they should.
Statistics of many tensors are computed on their concatenation with
segment sums, so a model of 100 layers adds a handful of ops, not hundreds.
The `numpy_*` functions and `update_ratio` are their host-side twins, for
what `LayerStats` computes from arrays it has read anyway.
"""

import math

import numpy as np
try:  # the TensorFlow backend's in-graph path; JAX and PyTorch need none
    import tensorflow as tf
except ImportError:
    tf = None

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


def segment_norms(values, ids, count):
    """The L2 norm of each segment of `values`, a `(count,)` float32
    tensor, from one segment sum whatever the number of segments."""
    return tf.sqrt(tf.math.unsorted_segment_sum(tf.square(values), ids,
                                                count))


# The host-side twins below use ufunc reductions, never BLAS (`dot`,
# `linalg.norm`): OpenBLAS's threads keep spinning after a call and take
# the cores from the training that goes on.


def _norm(x):
    return math.sqrt(float(np.sum(np.square(x, dtype=np.float64))))


def numpy_moments(x):
    """`mean`, `std` and L2 `norm` of an array, accumulated in float64."""
    x = np.asarray(x)
    return {"mean": float(x.mean(dtype=np.float64)),
            "std": float(x.std(dtype=np.float64)), "norm": _norm(x)}


def update_ratio(before, after):
    """`||after - before|| / max(||before||, ||after||)`, in float64.

    The usual `||dW|| / ||W||`, and 1 for a weight that starts at zero (its
    whole value is this update), 0 for one that is zero and stays so: never
    Inf or NaN for finite weights.
    """
    base = max(_norm(before), _norm(after))
    delta = _norm(np.subtract(after, before, dtype=np.float64))
    return delta / base if base > 0 else 0.0


def numpy_histogram(x, bins=HISTOGRAM_BINS):
    """`histogram`'s bins computed on the host, from a NumPy array."""
    x = np.asarray(x, dtype=np.float64).ravel()
    finite = x[np.isfinite(x)]
    lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 0.0)
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(finite, bins=bins, range=(lo, hi))
    return np.stack([edges[:-1], edges[1:], counts], axis=1)
