"""keras_initact.math.regions: `Region`, the dead or saturated outputs of an
activation. A region needs a bound and refuses inverted ones, and its
fraction of a tensor works in compiled (XLA) code, for every region of the
registry, and in float16."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_initact.activations import Region

from activation_cases import SPECS


def test_fractions_work_in_compiled_code_for_every_region():
    x = np.linspace(-8, 8, 64, dtype="float32").reshape(8, 8)
    x[0, 0] = 30.0  # one row that softmax saturates
    x[1, 0] = -30.0  # and one that softmin does
    x = tf.constant(x)
    specs = [s for s in SPECS if s.dead or s.saturated]
    assert {s.name for s in specs} >= {"relu", "tanh", "sigmoid", "softmax"}

    @tf.function(jit_compile=True)
    def fractions(x):
        out = []
        for spec in specs:
            y = spec.activation(x)
            for region in (spec.dead, spec.saturated):
                if region is not None:
                    out.append(region.fraction(y))
        return out

    for value in fractions(x):
        assert 0.0 < float(value) < 1.0
    half = keras.ops.convert_to_tensor(np.zeros((2, 4), "float16"))
    assert float(Region(below=0.0).fraction(half)) == 1.0


def test_region_rejects_empty_or_inverted_bounds():
    with pytest.raises(ValueError, match="below"):
        Region()
    with pytest.raises(ValueError, match="smaller"):
        Region(below=0.9, above=0.1)
