"""`keras_initact.callbacks.statistics`: the histogram's two paths (plain
and XLA) agree and skip non-finite values."""

import numpy as np
import tensorflow as tf


def test_histogram_paths_agree_and_skip_nonfinite():
    from keras_initact.callbacks import statistics as st

    x = np.random.default_rng(0).normal(size=1000).astype("float32")
    x[[3, 7]] = [np.nan, np.inf]
    fast = st.histogram(tf.constant(x), 20, xla=False).numpy()
    compiled = tf.function(lambda t: st.histogram(t, 20, xla=True),
                           jit_compile=True)(tf.constant(x)).numpy()
    np.testing.assert_allclose(fast[:, :2], compiled[:, :2], atol=1e-6)
    assert fast[:, 2].sum() == compiled[:, 2].sum() == 998
    assert np.abs(fast[:, 2] - compiled[:, 2]).sum() <= 2
    finite = x[np.isfinite(x)]
    np.testing.assert_allclose([fast[0, 0], fast[-1, 1]],
                               [finite.min(), finite.max()], rtol=1e-6)
    constant = st.histogram(tf.zeros([5]), 4, xla=False).numpy()
    assert constant[0, 0] == -0.5 and constant[-1, 1] == 0.5
    assert constant[:, 2].sum() == 5
