"""The statistics `LayerStats` logs, computed on the device.

Two tables a logging step fills, both small:

* a row per trainable variable, `VARIABLE_STATISTICS`: the L2 norm of the
  gradient the optimizer applied, the weight's mean, std and L2 norm after
  the update, and the update ratio `||dW|| / max(||W_before||, ||W_after||)`
  (1 for a weight that starts at zero, 0 for one that stays zero: never
  Inf or NaN for finite weights);
* a row per probed layer output, `ACTIVATION_STATISTICS`: mean, std, and
  the dead and saturated fractions the activation registry defines (NaN
  where the activation has no such region).

`variable_table` and `activation_table` use `keras.ops`, so every backend
computes them the same way, inside its compiled functions. Non-finite
values are not hidden: they make the moments NaN or Inf, and `histogram`
leaves them out of its bins.
TensorFlow is imported only by the functions that need it.
"""

import math

import keras
import numpy as np

HISTOGRAM_BINS = 30
VARIABLE_STATISTICS = ("gradient_norm", "mean", "std", "norm", "update_ratio")
ACTIVATION_STATISTICS = ("mean", "std", "dead_fraction", "saturated_fraction")


def is_float(tensor):
    """Whether a tensor (or Keras tensor) holds floats: what the activation
    statistics are computed on."""
    dtype = getattr(tensor, "dtype", None)
    return dtype is not None and np.issubdtype(np.dtype(
        keras.backend.standardize_dtype(dtype)), np.floating)


def variable_table(gradients, before, after):
    """A `(len(gradients), 5)` float32 tensor, `VARIABLE_STATISTICS` per
    variable, from its gradient and its values before and after the
    update (a gradient of `None`: NaN).

    Each variable gives six sums (of the gradient's squares, the weight,
    its squares, its squared deviations from its mean, the update's and
    the old weight's squares), and the statistics come from the stacked
    sums in one go: a graph of a few ops per variable, quick to trace for
    a model of hundreds of them."""
    ops = keras.ops

    def flat(x):
        return ops.reshape(ops.cast(x, "float32"), (-1,))

    def squares(x):
        return ops.sum(ops.square(x))

    sums, sizes = [], []
    for g, b, a in zip(gradients, before, after):
        b, a = flat(b), flat(a)
        size = max(1, int(np.prod(a.shape)))
        total = ops.sum(a)
        sums.append(ops.stack([
            ops.convert_to_tensor(math.nan, "float32") if g is None
            else squares(flat(g)),
            total, squares(a), squares(a - total / size),
            squares(a - b), squares(b)]))
        sizes.append(size)
    if not sums:
        return ops.zeros((0, len(VARIABLE_STATISTICS)), "float32")
    gradient, total, weight, deviation, update, old = ops.unstack(
        ops.stack(sums), axis=1)
    size = ops.convert_to_tensor(np.asarray(sizes, np.float32))
    norm = ops.sqrt(weight)
    base = ops.maximum(ops.sqrt(old), norm)
    ratio = ops.where(base > 0, ops.sqrt(update) / ops.where(
        base > 0, base, 1.0), 0.0)
    return ops.stack([ops.sqrt(gradient), total / size,
                      ops.sqrt(deviation / size), norm, ratio], axis=1)


def activation_table(outputs, specs, heads):
    """A `(len(outputs), 4)` float32 tensor, `ACTIVATION_STATISTICS` per
    layer output; `specs` are the outputs' registry records (or `None`),
    `heads` whether each is an output of the model (no saturated fraction:
    a confident classifier is not a saturated one)."""
    ops = keras.ops
    nan = ops.convert_to_tensor(math.nan, "float32")
    rows = []
    for y, spec, head in zip(outputs, specs, heads):
        y = ops.cast(y, "float32")
        dead = spec.dead_fraction(y) if spec is not None else None
        saturated = spec.saturated_fraction(y) \
            if spec is not None and not head else None
        rows.append(ops.stack([
            ops.mean(y), ops.std(y),
            nan if dead is None else ops.cast(dead, "float32"),
            nan if saturated is None else ops.cast(saturated, "float32")]))
    return ops.stack(rows) if rows else ops.zeros((0, 4), "float32")


# -- TensorFlow's in-graph histogram -----------------------------------------

def histogram(x, bins=HISTOGRAM_BINS, xla=True):
    """A `(bins, 3)` float32 tensor `[left, right, count]` over the finite
    range of `x`, in TensorBoard's TF2 histogram layout.

    With `xla=True`, counts by floor/clip and `unsorted_segment_sum`, which
    XLA compiles (`tf.histogram_fixed_width` does not); with `xla=False`,
    by `tf.histogram_fixed_width`, which is 4x faster than that outside XLA.
    Constant data gets the range `[c - 0.5, c + 0.5]`, as
    `tf.summary.histogram` does.
    """
    import tensorflow as tf

    x = tf.reshape(tf.cast(x, tf.float32), [-1])
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
            tf.cast(finite, tf.float32), tf.cast(index, tf.int32), bins)
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


# -- on the host ---------------------------------------------------------------
# Ufunc reductions, never BLAS (`dot`, `linalg.norm`): OpenBLAS's threads
# keep spinning after a call and take the cores from the training.

def numpy_histogram(x, bins=HISTOGRAM_BINS):
    """`histogram`'s bins computed on the host, from a NumPy array."""
    x = np.asarray(x, dtype=np.float64).ravel()
    finite = x[np.isfinite(x)]
    lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 0.0)
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(finite, bins=bins, range=(lo, hi))
    return np.stack([edges[:-1], edges[1:], counts], axis=1)
