"""MuReadout: Dense of the input times output_multiplier / width_mult."""

import keras
import numpy as np
import pytest

from keras_initact import mup


def test_it_is_a_dense_of_the_scaled_input():
    x = np.random.default_rng(0).normal(size=(4, 16)).astype("float32")
    readout = mup.MuReadout(3, width_mult=4.0, output_multiplier=2.0,
                            zero_init=False, activation="tanh")
    dense = keras.layers.Dense(3, activation="tanh")
    readout.build((None, 16))
    dense.build((None, 16))
    dense.set_weights(readout.get_weights())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(readout(x)),
                               keras.ops.convert_to_numpy(dense(x * 0.5)),
                               rtol=1e-6)


def test_it_starts_at_zero_by_default():
    readout = mup.MuReadout(3)
    readout.build((None, 8))
    assert not np.any(keras.ops.convert_to_numpy(readout.kernel))
    drawn = mup.MuReadout(3, zero_init=False)
    drawn.build((None, 8))
    assert np.any(keras.ops.convert_to_numpy(drawn.kernel))
    assert mup.MuReadout(3, kernel_initializer="ones").kernel_initializer \
        .__class__.__name__ == "Ones"


def test_it_runs_under_mixed_precision():
    keras.mixed_precision.set_dtype_policy("mixed_float16")
    readout = mup.MuReadout(3, width_mult=8.0, zero_init=False)
    outputs = readout(np.ones((2, 8), "float16"))
    assert keras.backend.standardize_dtype(outputs.dtype) == "float16"
    assert keras.backend.standardize_dtype(readout.kernel.dtype) == "float32"
    expected = np.ones((2, 8)) / 8.0 @ keras.ops.convert_to_numpy(
        readout.kernel)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(outputs), expected,
                               rtol=1e-2, atol=1e-3)


def test_a_model_with_it_round_trips_through_keras_files(tmp_path):
    inputs = keras.Input((8,))
    outputs = mup.MuReadout(3, width_mult=2.0, output_multiplier=0.5,
                            zero_init=False)(inputs)
    model = keras.Model(inputs, outputs)
    path = tmp_path / "readout.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    layer = loaded.layers[-1]
    assert isinstance(layer, mup.MuReadout)
    assert (layer.width_mult, layer.output_multiplier, layer.zero_init) == \
        (2.0, 0.5, False)
    x = np.random.default_rng(1).normal(size=(5, 8)).astype("float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0),
                                  loaded.predict(x, verbose=0))


@pytest.mark.parametrize("kwargs, message", [
    (dict(width_mult=0), r"width_mult.*0"),
    (dict(output_multiplier="big"), r"output_multiplier.*'big'"),
    (dict(zero_init=1), r"zero_init.*1"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mup.MuReadout(3, **kwargs)
