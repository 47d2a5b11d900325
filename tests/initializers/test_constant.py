"""keras_initact.initializers.constant: Zeros, Ones and Constant fill exact
values, in integer dtypes too, and a value an integer dtype cannot hold is
refused."""

import keras
import pytest

from keras_initact import initializers as inits

from sample_moments import as_numpy


class TestDeterministicSchemes:
    def test_zeros_ones_constant(self):
        assert not as_numpy(inits.Zeros()((3, 4))).any()
        assert (as_numpy(inits.Ones()((3,))) == 1).all()
        assert (as_numpy(inits.Constant(0.25)((2, 2))) == 0.25).all()
        counts = inits.Constant(3)((2,), "int32")
        assert keras.backend.standardize_dtype(counts.dtype) == "int32"


class TestBadInput:
    def test_constant_value_must_fit_an_integer_dtype(self):
        with pytest.raises(ValueError, match="value=0.5 is not representable"):
            inits.Constant(0.5)((2,), "int32")
