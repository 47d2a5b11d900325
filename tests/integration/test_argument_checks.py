"""Every public constructor and function checks its arguments.

A bad value gets a `ValueError`, `TypeError` or `OSError` whose message
names the argument and the value received and says what is allowed; never
an error from deep inside TensorFlow, NumPy or SciPy, and never silence.
Each row below is one argument of one public callable with the values that
must be refused; the modules' own tests check the specific messages.
"""

import math

import keras
import numpy as np
import pytest

from keras_initact import initializers as I
from keras_initact import layers as L
from keras_initact import models, reporting, seeding
from keras_initact.math import mean_field
from keras_initact.activations import ACTIVATIONS
from keras_initact.deep import diagnose, for_activation, shaping
from keras_initact.study import datasets

NAN, INF = math.nan, math.inf
# NumPy's numbers are numbers too: their NaN, infinities and bools are
# refused as Python's are, and so is an array of more than one number.
NOT_NUMBERS = [NAN, INF, "1", True, np.float32(NAN), np.float64(-INF),
               np.bool_(True), np.array([1.0, 2.0])]

# (callable, valid keyword arguments, argument, values it must refuse)
CASES = [
    # initializers
    (I.RandomNormal, {}, "mean", [NAN, INF, "0"]),
    (I.RandomNormal, {}, "stddev", [0, -1.0, *NOT_NUMBERS]),
    (I.RandomNormal, {}, "seed", ["1", 1.5, True]),
    (I.TruncatedNormal, {}, "stddev", [0, -1.0, *NOT_NUMBERS]),
    (I.Sparse, {}, "sparsity", [-0.1, 1.5, *NOT_NUMBERS]),
    (I.Sparse, {"sparsity": 0.5}, "stddev", [0, -1.0, *NOT_NUMBERS]),
    (I.Sparse, {"sparsity": 0.5}, "seed", ["1", 1.5, True]),
    (I.RandomUniform, {}, "minval", NOT_NUMBERS),
    (I.RandomUniform, {}, "maxval", [-1.0, *NOT_NUMBERS]),
    (I.VarianceScaling, {}, "scale", [0, -2.0, *NOT_NUMBERS]),
    (I.VarianceScaling, {}, "gain", [0, *NOT_NUMBERS]),
    (I.VarianceScaling, {}, "mode", ["fan", 1]),
    (I.VarianceScaling, {}, "distribution", ["gaussian", None]),
    (I.VarianceScaling, {}, "kernel_layout", ["dense"]),
    (I.VarianceScaling, {"output_axes": [1]}, "input_axes", ["a", [0.5], []]),
    (I.GlorotNormal, {}, "gain", [0, *NOT_NUMBERS]),
    (I.GlorotNormal, {}, "truncated", ["yes", 1]),
    (I.GlorotUniform, {}, "gain", [-1.0, *NOT_NUMBERS]),
    (I.HeNormal, {}, "mode", ["in"]),
    (I.HeNormal, {}, "nonlinearity", ["rleu", 3]),
    (I.HeNormal, {"nonlinearity": "leaky_relu"}, "param", NOT_NUMBERS),
    (I.HeUniform, {"nonlinearity": "leaky_relu"}, "param", NOT_NUMBERS),
    (I.LecunNormal, {}, "truncated", ["no"]),
    (I.LecunUniform, {}, "seed", ["1", 1.5, True]),
    (I.Orthogonal, {}, "gain", [0, *NOT_NUMBERS]),
    (I.Orthogonal, {}, "seed", ["x"]),
    (I.DeltaOrthogonal, {}, "gain", [0, *NOT_NUMBERS]),
    (I.Identity, {}, "gain", [0, *NOT_NUMBERS]),
    (I.Identity, {}, "groups", [0, 1.5, True]),
    (I.Constant, {}, "value", [NAN, INF, "x", [1.0, NAN]]),
    (I.Critical, {}, "activation", [3, "rleu"]),
    (I.Critical, {}, "bias_variance", [-1.0, *NOT_NUMBERS]),
    (I.Critical, {}, "q_star", [0, *NOT_NUMBERS]),
    (I.Critical, {}, "distribution", ["uniform"]),
    (I.Critical, {}, "centred", ["no"]),
    (I.Critical, {}, "gain", [0, *NOT_NUMBERS]),
    (I.Pretrained, {"layer_name": "dense"}, "source", [3, "weights.txt"]),
    (I.Pretrained, {"source": None}, "layer_name", ["", 3]),
    (I.compute_fans, {}, "shape", [(0, 3), "ab", (2.5, 3)]),
    (I.compute_fans, {"shape": (3, 4)}, "kernel_layout", ["dense"]),
    (I.compute_fans, {"shape": (3, 4), "output_axes": [1]}, "input_axes",
     [[5], ["a"]]),
    (I.calculate_gain, {}, "nonlinearity", [3, "rleu"]),
    (I.calculate_gain, {"nonlinearity": "leaky_relu"}, "param", NOT_NUMBERS),
    (I.get, {}, "identifier", [3.5, object()]),
    (seeding.derive_seed, {}, "seed", ["x", 1.5, True]),
    # layers
    (L.ReLU, {}, "max_value", [-1.0, *NOT_NUMBERS]),
    (L.ReLU, {}, "negative_slope", [-1.0, None, *NOT_NUMBERS]),
    (L.ReLU, {}, "threshold", [-1.0, None, *NOT_NUMBERS]),
    (L.ReLU, {"threshold": 1.0}, "max_value", [0.5, np.float32(0.5)]),
    (L.LeakyReLU, {}, "negative_slope", [-0.1, None, *NOT_NUMBERS]),
    (L.PReLU, {}, "alpha_initializer", [3.5]),
    (L.PReLU, {}, "shared_axes", ["a", [1.5]]),
    (L.RReLU, {}, "lower", [-1.0, 0.5, *NOT_NUMBERS]),
    (L.RReLU, {}, "upper", [0.1, *NOT_NUMBERS]),
    (L.RReLU, {}, "seed", ["x", 1.5]),
    (L.ELU, {}, "alpha", [-1.0, *NOT_NUMBERS]),
    (L.GELU, {}, "approximate", ["yes", 1]),
    (L.Swish, {}, "beta", NOT_NUMBERS),
    (L.Swish, {}, "trainable_beta", ["no", 1]),
    (L.Snake, {}, "frequency", [0, -1.0, np.float32(0), np.int64(-2),
                                *NOT_NUMBERS]),
    (L.Softplus, {}, "beta", [0, -1.0, np.float32(0), *NOT_NUMBERS]),
    (L.Softplus, {}, "threshold", NOT_NUMBERS),
    (L.HardTanh, {}, "min_val", [1.0, 2, np.float32(1), *NOT_NUMBERS]),
    (L.HardTanh, {}, "max_val", [-1.0, np.int64(-3), *NOT_NUMBERS]),
    (L.Snake, {}, "trainable_frequency", ["x"]),
    (L.Softmax, {}, "axis", ["x", 1.5, []]),
    (L.LogSoftmax, {}, "axis", ["x", [1, 2]]),
    (L.Softmin, {}, "axis", [1.5]),
    (L.Sparsemax, {}, "axis", [None]),
    (L.CELU, {}, "alpha", [0, -1.0, *NOT_NUMBERS]),
    (L.Threshold, {}, "threshold", NOT_NUMBERS),
    (L.Threshold, {}, "value", NOT_NUMBERS),
    (L.Squareplus, {}, "b", [-1.0, *NOT_NUMBERS]),
    (L.HardShrink, {}, "threshold", [-0.5, *NOT_NUMBERS]),
    (L.SoftShrink, {}, "threshold", [-0.5, *NOT_NUMBERS]),
    (L.GLU, {}, "axis", ["x", [1, 2]]),
    (L.SwiGLU, {}, "axis", [1.5]),
    (L.GEGLU, {}, "axis", [None, np.float32(1), np.array([1, 2])]),
    (L.ReGLU, {}, "axis", [[]]),
    (L.ResidualScale, {}, "initial_value", NOT_NUMBERS),
    (L.ResidualScale, {}, "trainable", ["yes", 1]),
    (L.DeepNormResidual, {}, "alpha", [0, -1.0, *NOT_NUMBERS]),
    (L.DeepNormConstants, {"beta": 0.5}, "alpha", [0, -1.0, *NOT_NUMBERS]),
    (L.DeepNormConstants, {"alpha": 2.0}, "beta", [0, -1.0, *NOT_NUMBERS]),
    (L.deepnorm_constants, {}, "encoder_layers", [-1, 1.5, True, "6", None]),
    (L.deepnorm_constants, {"encoder_layers": 6}, "decoder_layers",
     [-1, 1.5, True, "6", None]),
    (L.deepnorm_constants, {"encoder_layers": 6}, "part",
     ["middle", "decoder", 1]),
    (L.ShapedActivation, {}, "activation", ["rleu", "softmax", 3]),
    (L.ShapedActivation, {"activation": "gelu"}, "input_scale",
     [0, *NOT_NUMBERS]),
    (L.ShapedActivation, {"activation": "gelu"}, "input_shift", NOT_NUMBERS),
    (L.ShapedActivation, {"activation": "gelu"}, "output_shift", NOT_NUMBERS),
    (L.ShapedActivation, {"activation": "gelu"}, "output_scale",
     [0, *NOT_NUMBERS]),
    (ACTIVATIONS.spec, {}, "name", ["rleu", 3]),
    # deep networks and mean-field theory
    (for_activation, {}, "activation", ["rleu", 3]),
    (for_activation, {"activation": "tanh"}, "depth", [0, 2.5, True, "30"]),
    (for_activation, {"activation": "tanh", "depth": 30}, "eta",
     [0, 1.0, 2.0, *NOT_NUMBERS]),
    (for_activation, {"activation": "tanh", "depth": 30}, "tau",
     [0, -0.3, *NOT_NUMBERS]),
    (for_activation, {"activation": "tanh", "depth": 30, "shaping": True},
     "weight_scale", [0, -1.0, *NOT_NUMBERS]),
    (for_activation, {"activation": "tanh"}, "seed", ["x", 1.5]),
    (shaping.tat_transform, {"activation": np.tanh}, "depth", [0, 2.5, "3"]),
    (shaping.tat_transform, {"activation": np.tanh, "depth": 10}, "tau",
     [0, *NOT_NUMBERS]),
    (shaping.tat_leaky_relu_slope, {}, "depth", [0, 2.5]),
    (shaping.tat_leaky_relu_slope, {"depth": 30}, "eta",
     [0, 1.5, *NOT_NUMBERS]),
    (mean_field.critical_point, {}, "activation", ["tanh", None]),
    (mean_field.critical_point, {"activation": np.tanh}, "bias_variance",
     [-1.0, *NOT_NUMBERS]),
    (mean_field.critical_point_at, {"activation": np.tanh}, "q_star",
     [0, -1.0, *NOT_NUMBERS]),
    (mean_field.shallow_critical_point, {"activation": np.tanh, "depth": 30},
     "eta", [0, 1.0, *NOT_NUMBERS]),
    (mean_field.shallow_critical_point, {"activation": np.tanh}, "depth",
     [0, 2.5]),
    (diagnose, {"x": np.zeros((4, 3))}, "model", [3, "missing.keras"]),
    # models, reports, data
    (models.build_sequential, {"hidden_units": [4]}, "input_shape",
     [(0,), "x", (2.5,)]),
    (models.build_sequential, {"input_shape": (4,)}, "hidden_units",
     [[0], [-1], "x"]),
    (models.build_sequential, {"input_shape": (4,), "hidden_units": [4],
                               "num_classes": 3},
     "activation", ["rleu", 3]),
    (models.build_sequential, {"input_shape": (8, 8, 1), "hidden_units": [4],
                               "conv_filters": [4]}, "conv_kernel_size",
     [0, 1.5]),
    (models.build_sequential, {"input_shape": (8, 8, 1), "hidden_units": [4],
                               "conv_filters": [4]}, "conv_strides", [0]),
    (models.build_sequential, {"input_shape": (8, 8, 1), "hidden_units": [4],
                               "conv_filters": [4]}, "conv_padding", ["full"]),
    (models.build_sequential, {"input_shape": (8, 8, 1), "hidden_units": [4],
                               "conv_filters": [4]}, "pooling", ["min"]),
    (models.build_sequential, {"input_shape": (8, 8, 1), "hidden_units": [4],
                               "conv_filters": [4]}, "pool_size", [0]),
    (models.build_sequential, {"input_shape": (4,), "hidden_units": [4],
                               "num_classes": 3},
     "task", ["ranking"]),
    (models.build_sequential, {"input_shape": (4,), "hidden_units": [4],
                               "num_classes": 3},
     "num_classes", [0, 1.5]),
    (models.build_sequential, {"input_shape": (4,), "hidden_units": [4],
                               "num_classes": 3},
     "batch_norm", ["yes"]),
    (models.build_sequential, {"input_shape": (4,), "hidden_units": [4],
                               "num_classes": 3},
     "dropout", [-0.1, 1.0, *NOT_NUMBERS]),
    (models.build_sequential, {"input_shape": (4,), "hidden_units": [4],
                               "num_classes": 3},
     "shaping", ["yes"]),
    (models.build_sequential, {"input_shape": (4,), "hidden_units": [4],
                               "num_classes": 3},
     "seed", ["x", 1.5]),
    (models.spec_of, {}, "model", [3]),
    (reporting.report, {}, "log_dir", [3, "no/such/folder"]),
    (datasets.load, {}, "name", ["imagenet"]),
    (datasets.load, {"name": "digits"}, "batch_size", [0, 1.5]),
    (datasets.load, {"name": "digits"}, "limit", [0, 1.5]),
]


# Where a message calls an argument by what it is rather than its name.
CALLED = {(ACTIVATIONS.spec, "name"): "activation",
          (datasets.load, "name"): "dataset"}


def _case_id(case):
    call, _, argument, _ = case
    return f"{getattr(call, '__name__', call)}-{argument}"


@pytest.mark.parametrize("call, valid, argument, bad_values", CASES,
                         ids=[_case_id(case) for case in CASES])
def test_a_bad_value_is_refused_with_a_message_that_names_it(
        call, valid, argument, bad_values):
    for bad in bad_values:
        with pytest.raises((ValueError, TypeError, OSError)) as info:
            call(**{**valid, argument: bad})
        message = str(info.value)
        assert CALLED.get((call, argument), argument) in message, (bad, message)
        shown = {repr(bad), str(bad)}
        if isinstance(bad, (list, tuple)):
            shown |= {repr(tuple(bad)), repr(list(bad))}
        assert any(text in message for text in shown), (bad, message)


def test_the_table_covers_every_public_initializer_and_layer():
    covered = {call for call, *_ in CASES}
    without_arguments = {
        I.Zeros, I.Ones, I.Sinusoidal, I.ZerO, L.Sigmoid, L.Tanh, L.SELU,
        L.Mish, L.LiSHT, L.HardSigmoid, L.LogSigmoid,
        L.Softsign, L.SparseSigmoid, L.ReLU6, L.SquaredReLU, L.HardSwish,
        L.SparsePlus, L.Exponential, L.TanhShrink}
    bases = {I.Initializer, I.RandomInitializer, L.ActivationLayer,
             L.GatedUnit}
    public = {getattr(I, name) for name in I.__all__
              if isinstance(getattr(I, name), type)}
    public |= {getattr(L, name) for name in L.__all__}
    assert public - bases - without_arguments - covered == set()


def test_numpy_integers_are_integers_for_depths_seeds_and_groups():
    assert for_activation("tanh", depth=np.int64(30)).rationale.startswith(
        "critical point")
    assert shaping.tat_leaky_relu_slope(np.int32(30)) == pytest.approx(
        shaping.tat_leaky_relu_slope(30))
    assert I.Identity(groups=np.int64(2)).groups == 2
    assert L.RReLU(seed=np.int64(3)).seed == 3
    assert L.PReLU(shared_axes=np.int64(1)).shared_axes == [1]


def test_keras_layers_still_refuse_bad_base_arguments():
    # The base layer arguments (name, dtype, ...) are Keras's to check.
    with pytest.raises((ValueError, TypeError)):
        L.Mish(dtype="not_a_dtype")
    with pytest.raises((ValueError, TypeError)):
        L.Mish(no_such_argument=1)
    assert keras.layers.Layer  # the checks above are Keras's own
