"""`keras_initact.models.arguments`: every argument of the factory is
checked before any layer is built; NumPy numbers are read and stored as
Python ones, and a bad value gets a message that names it."""

import json

import numpy as np
import pytest

from keras_initact import layers
from keras_initact.models import build_sequential, factory, normalize_spec


def bad(**kwargs):
    spec = {"input_shape": (8,), "hidden_units": [4], "num_classes": 2}
    return {**spec, **kwargs}


def test_numpy_numbers_are_accepted_and_stored_as_python_ones():
    given = dict(input_shape=np.array([8, 8, 1]), hidden_units=[np.int64(4)],
                 conv_filters=(np.int32(2),), conv_kernel_size=np.int64(3),
                 pool_size=[np.int8(2), 2], downsample_blocks=[np.int64(0)],
                 num_classes=np.int64(3), batch_norm=np.bool_(True),
                 dropout=np.float32(0.1), seed=np.int64(3))
    spec = normalize_spec(**given)
    assert json.loads(json.dumps(spec)) == spec
    expected = normalize_spec(
        (8, 8, 1), [4], conv_filters=[2], conv_kernel_size=3, pool_size=2,
        downsample_blocks=[0], num_classes=3, batch_norm=True,
        dropout=float(np.float32(0.1)), seed=3)
    assert spec == expected
    assert all(type(spec[key]) is type(expected[key]) for key in spec)
    assert type(spec["dropout"]) is float and type(spec["seed"]) is int
    deep = normalize_spec((8,), [4] * 20, "gelu", num_classes=2, seed=0,
                          shaping=np.bool_(True))
    assert deep["shaping"] is True


@pytest.mark.parametrize("argument, value", [
    ("dropout", np.float32(np.nan)), ("dropout", np.inf),
    ("seed", np.float64(3.0)), ("num_classes", np.float32(3)),
    ("batch_norm", np.int64(1)), ("hidden_units", [np.float32(4)]),
])
def test_numpy_values_that_are_not_allowed_are_refused(argument, value):
    with pytest.raises(ValueError, match=argument) as info:
        build_sequential(**bad(**{argument: value}))
    assert repr(value) in str(info.value)


@pytest.mark.parametrize("kwargs, message", [
    (bad(hidden_units=[16, 0]), r"positive integers.*0"),
    (bad(hidden_units=[-3]), r"hidden_units=\[-3\]"),
    (bad(hidden_units=64), r"list or tuple of positive integers"),
    (bad(hidden_units=[4.5]), r"4.5"),
    (bad(input_shape=()), r"input_shape.*not be empty"),
    (bad(input_shape=(None, 3)), r"None"),
    (bad(activation="relux"), r"Unknown activation 'relux'.*relu"),
    (bad(activation=lambda x: x), r"unknown activation.*known names: .*mish"),
    (bad(activation=layers.ReLU()), r"not a layer instance"),
    (bad(activation="softmax"), r"'softmax' mixes units"),
    (bad(task="clasification"), r"task='clasification'.*'classification'"),
    (bad(num_classes=None), r"num_classes.*>= 2"),
    (bad(num_classes=1), r"task='binary'"),
    (bad(task="binary", num_classes=0), r"positive int"),
    (bad(conv_filters=[8]), r"conv stack.*input_shape=\(8,\) \(1-D\)"),
    (bad(input_shape=(4, 4, 1), conv_filters=[2] * 3),
     r"shrinks input_shape=\(4, 4, 1\) to nothing at pool_2"),
    (bad(input_shape=(8, 8, 1), conv_filters=[2], conv_kernel_size=(3, 3, 3)),
     r"conv_kernel_size.*2 ints"),
    (bad(input_shape=(8, 8, 1), conv_filters=[2], pooling="maximum"),
     r"pooling='maximum'.*'max'"),
    (bad(input_shape=(8, 8, 1), conv_filters=[2], conv_padding="full"),
     r"conv_padding='full'"),
    (bad(input_shape=(8, 8, 1), conv_filters=[2] * 3, downsample_blocks=[3]),
     r"downsample_blocks.*\[0, 3\).*there are 3 conv blocks.*\[3\]"),
    (bad(input_shape=(8, 8, 1), conv_filters=[2] * 3, downsample_blocks=[1, 1]),
     r"lists a block twice.*\[1, 1\]"),
    (bad(input_shape=(8, 8, 1), conv_filters=[2] * 3, downsample_blocks=2),
     r"downsample_blocks=2"),
    (bad(input_shape=(8, 8, 1), conv_filters=[2] * 3, downsample_blocks=[0],
         pooling=None), r"downsample_blocks=\[0\] needs a way to downsample"),
    (bad(input_shape=(8, 8, 1), conv_filters=[2] * 4, pooling="stride",
         conv_padding="valid"),
     r"shrinks input_shape=\(8, 8, 1\) to nothing at conv_2"),
    (bad(shaping="tta"), r"build_sequential: shaping must be False, True \(TAT\), 'tat' or "
                         r"'dks'; received shaping='tta'"),
    (bad(shaping=1), r"shaping=1"),
    (bad(dropout=1.0), r"dropout.*\[0, 1\)"),
    (bad(batch_norm="yes"), r"batch_norm.*True or False"),
    (bad(kernel_initializer="he_nromal"), r"Unknown initializer 'he_nromal'"),
    (bad(kernel_initializer=np.ones), r"keras.initializers.Initializer"),
    (bad(bias_initializer=None), r"bias_initializer.*None"),
    (bad(seed=-1), r"seed.*\[0, 2147483647\)"),
    (bad(seed=1.5), r"seed=1.5"),
    (bad(name="my model/v2"), r"name='my model/v2'"),
])
def test_bad_specs_fail_before_anything_is_built(kwargs, message, monkeypatch):
    def never(spec):
        raise AssertionError("layers were built for a bad spec")

    monkeypatch.setattr(factory, "build_layers", never)
    with pytest.raises(ValueError, match=message):
        build_sequential(**kwargs)


@pytest.mark.parametrize("kwargs, message", [
    (dict(parametrization="mu-p"),
     r"unknown parametrization='mu-p'. Allowed: 'standard', 'mup'"),
    (dict(base_width=4),
     r"`base_width`.*with parametrization='standard' it must be None; "
     r"received base_width=4"),
    (dict(parametrization="mup"), r"needs `base_width`.*at most "
     r"min\(hidden_units\)=4\); received base_width=None"),
    (dict(parametrization="mup", base_width=0),
     r"`base_width` must be a positive integer; received base_width=0"),
    (dict(parametrization="mup", base_width=8),
     r"at least `base_width`.*received base_width=8 with hidden_units=\[4\]"
     r".*at most 4"),
    (dict(parametrization="mup", base_width=2, hidden_units=[]),
     r"needs hidden_units; received hidden_units=\(\)"),
])
def test_bad_parametrizations_name_the_argument_and_what_is_allowed(
        kwargs, message):
    with pytest.raises(ValueError, match=message):
        normalize_spec(**bad(**kwargs))


def test_mup_base_width_is_canonical():
    spec = normalize_spec(**bad(parametrization="mup",
                                base_width=np.int64(2)))
    assert spec["base_width"] == 2 and type(spec["base_width"]) is int
    assert normalize_spec(**bad())["parametrization"] == "standard"
