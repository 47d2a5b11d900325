"""keras_initact.layers.gated: the gated units (GLU, SwiGLU, GEGLU, ReGLU)
refuse an odd size along their axis when the model is built, and an axis
outside the input, with a ValueError that names both."""

import keras
import numpy as np
import pytest

from keras_initact import layers as L


@pytest.mark.parametrize("cls", [L.GLU, L.SwiGLU, L.GEGLU, L.ReGLU],
                         ids=lambda c: c.__name__)
def test_a_gated_unit_refuses_an_odd_size_when_the_model_is_built(cls):
    message = (r"size along `axis` must be even.*received axis=-1, where "
               r"input_shape=\(None, 7\) has size 7")
    with pytest.raises(ValueError, match=message):
        cls().compute_output_shape((None, 7))
    with pytest.raises(ValueError, match="must be even"):
        cls()(keras.Input((7,)))  # a model cannot be built with it
    with pytest.raises(ValueError, match=r"received axis=1, where "
                       r"input_shape=\(2, 3, 4\) has size 3"):
        cls(axis=1).compute_output_shape((2, 3, 4))
    assert cls(axis=1).compute_output_shape((2, 6, 5)) == (2, 3, 5)
    assert cls().compute_output_shape((None, None)) == (None, None)


@pytest.mark.parametrize("cls", [L.GLU, L.SwiGLU, L.GEGLU, L.ReGLU],
                         ids=lambda c: c.__name__)
def test_a_gated_unit_axis_outside_the_input_is_a_value_error(cls):
    message = (r"`axis` is outside an input of rank 2; allowed: an int from "
               r"-2 to 1\. Received axis=2")
    with pytest.raises(ValueError, match=message):
        cls(axis=2).compute_output_shape((None, 4))
    with pytest.raises(ValueError, match=message):
        cls(axis=2)(keras.Input((4,)))
    with pytest.raises(ValueError, match="Received axis=-3"):
        cls(axis=-3)(np.zeros((2, 4), "float32"))
    assert cls(axis=-2).compute_output_shape((4, 3)) == (2, 3)
