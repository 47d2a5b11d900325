"""`keras_initact.models.spec`: `ModelSpec` is the one definition of the
factory's arguments: `build_sequential`'s signature and docstring follow
its fields, missing and unknown arguments are named, and a spec is
frozen, canonical and round-trips through JSON."""

import dataclasses
import inspect
import json
import re

import pytest

from keras_initact.models import (
    ModelSpec, build_sequential, normalize_spec, spec_of,
)


def test_the_signature_is_the_model_specs_fields():
    signature = inspect.signature(build_sequential)
    assert str(signature) == (
        "(input_shape, hidden_units, activation='relu', "
        "kernel_initializer='auto', bias_initializer='auto', conv_filters=(), "
        "conv_kernel_size=3, conv_strides=1, conv_padding='same', "
        "pooling='max', pool_size=2, downsample_blocks=None, "
        "task='classification', num_classes=None, batch_norm=False, "
        "dropout=0.0, shaping=False, seed=None, name=None, "
        "parametrization='standard', base_width=None)")
    fields = dataclasses.fields(ModelSpec)
    assert list(signature.parameters) == [field.name for field in fields]
    for field in fields:
        default = signature.parameters[field.name].default
        assert default == field.default or (
            field.default is dataclasses.MISSING
            and default is inspect.Parameter.empty)


def test_the_docstring_documents_every_argument_in_order():
    args = build_sequential.__doc__.split("    Args:\n", 1)[1]
    args = args.split("\n\n", 1)[0]
    documented = []
    for entry in re.findall(r"^ {8}(\w+(?:, \w+)*):", args, re.MULTILINE):
        documented += entry.split(", ")
    assert documented == [field.name for field in dataclasses.fields(ModelSpec)]


def test_missing_and_unknown_arguments_are_named():
    with pytest.raises(TypeError, match="build_sequential.*'hidden_units'"):
        build_sequential((8,))
    with pytest.raises(TypeError, match="build_sequential.*'units'"):
        build_sequential((8,), [4], units=3)


def test_a_model_spec_is_frozen_canonical_and_round_trips():
    spec = ModelSpec((8, 8, 1), [8], "SiLU", conv_filters=[2, 4],
                     pooling="stride", num_classes=3, seed=4)
    assert spec.activation == "swish" and spec.hidden_units == (8,)
    assert spec.pooling is None and spec.depth == 3 and spec.conv_rank == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.seed = 5
    config = spec.get_config()
    assert config == normalize_spec(**config)
    assert ModelSpec.from_config(json.loads(json.dumps(config))) == spec
    assert dataclasses.replace(spec, seed=5).get_config() == {**config,
                                                             "seed": 5}
    assert spec_of(build_sequential(**config)) == config


def test_the_mup_base_spec_is_the_same_spec_at_the_base_width():
    spec = ModelSpec((8, 8, 1), [32, 16], conv_filters=[4], num_classes=3,
                     seed=2, parametrization="mup", base_width=8)
    base = spec.base_spec()
    assert base.hidden_units == (8, 8) and base.conv_filters == (4,)
    assert dataclasses.replace(base, hidden_units=(32, 16)) == spec
    assert spec.readout_width_mult == 2.0  # the head's fan-in: 16 / 8
    standard = ModelSpec((8,), [16], num_classes=3)
    assert standard.base_spec() is None and standard.readout_width_mult == 1.0
