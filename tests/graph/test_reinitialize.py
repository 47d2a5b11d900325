"""keras_initact.graph.reinitialize: an existing model's kernels drawn
anew, in place, from rules.

A rule selects layers by class (and subclasses) or by a shell pattern on
the name (or a nested model's path); the first rule that selects a layer
applies; `"auto"` gives those layers AutoInit's rule. Biases, unselected
layers, the variables themselves and the config stay; a `.keras` file saved
afterwards predicts identically. A rule that selects nothing, a selector
that is neither class nor string, or an initializer Keras does not know is
refused, naming it.
"""

import os

import keras
import numpy as np
import pytest

import keras_initact
from keras_initact import LecunNormal


def numpy(variable):
    return keras.ops.convert_to_numpy(variable)


@pytest.fixture
def model():
    inputs = keras.Input((6, 6, 3))
    x = keras.layers.Conv2D(8, 3, name="conv_a")(inputs)
    x = keras.layers.Conv2D(8, 3, name="conv_b")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(8, name="hidden", bias_initializer="ones")(x)
    return keras.Model(inputs, keras.layers.Dense(2, name="head")(x))


def test_rules_by_class_and_pattern_first_match_wins(model):
    before = {w.path: numpy(w).copy() for w in model.weights}
    config = model.get_config()
    variables = [id(w) for w in model.weights]
    drawn = keras_initact.reinitialize(model, [
        ("head", "zeros"),
        (keras.layers.Dense, LecunNormal(seed=1)),
        ("conv_b", "ones"),
    ])
    assert drawn == {"head/kernel": "Zeros", "hidden/kernel": "LecunNormal",
                     "conv_b/kernel": "Ones"}
    assert not numpy(model.get_layer("head").kernel).any()
    assert np.all(numpy(model.get_layer("conv_b").kernel) == 1.0)
    hidden = numpy(model.get_layer("hidden").kernel)
    assert np.array_equal(hidden, numpy(LecunNormal(seed=1)((8, 8))))
    assert np.array_equal(numpy(model.get_layer("conv_a").kernel),
                          before["conv_a/kernel"])
    assert np.array_equal(numpy(model.get_layer("hidden").bias),
                          before["hidden/bias"])
    assert [id(w) for w in model.weights] == variables
    assert model.get_config() == config


def test_auto_rules_set_autoinit_for_the_selected_layers_only(model):
    before = numpy(model.get_layer("conv_a").kernel).copy()
    drawn = keras_initact.reinitialize(model, {"conv_b": "auto",
                                               "hidden": "auto"})
    assert drawn == {"conv_b/kernel": "auto", "hidden/kernel": "auto"}
    assert np.array_equal(numpy(model.get_layer("conv_a").kernel), before)
    report = keras_initact.predict_moments(model)
    for name in ("hidden", "conv_b"):
        (kernel,) = report.row(name).kernels
        assert kernel.fan * kernel.second * kernel.input_second == \
            pytest.approx(1.0, rel=1e-6)
    # The bias (ones) adds its square to the kernel's unit part.
    assert report.row("hidden").predicted_second == pytest.approx(2.0,
                                                                  rel=1e-6)


def test_a_saved_model_predicts_identically(model, tmp_path):
    keras_initact.reinitialize(model, {keras.layers.Conv2D: "he_normal",
                                       "h*": "auto"})
    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = np.random.default_rng(0).standard_normal((4, 6, 6, 3)).astype(
        "float32")
    assert np.array_equal(model.predict(x, verbose=0),
                          loaded.predict(x, verbose=0))


def test_nested_layers_are_selected_by_path(model):
    inputs = keras.Input((6, 6, 3))
    outer = keras.Model(inputs, model(inputs), name="outer")
    drawn = keras_initact.reinitialize(outer, {f"{model.name}/head": "zeros"})
    assert drawn == {"head/kernel": "Zeros"}


@pytest.mark.parametrize("rules, message", [
    ({}, "`rules` must be a non-empty dict"),
    ([("head",)], "`rules` must be a non-empty dict"),
    ({3: "zeros"}, "selector must be a keras.layers.Layer subclass"),
    ({"nothing*": "zeros"}, "'nothing\\*' selects no layer"),
    ({"head": "bogus"}, "initializer of rule 'head' must be 'auto'"),
])
def test_bad_rules_are_refused(model, rules, message):
    with pytest.raises(ValueError, match=message):
        keras_initact.reinitialize(model, rules)
