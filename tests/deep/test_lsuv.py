"""LSUV: every layer of a built model reaches unit output variance."""

import keras
import numpy as np
import pytest

from keras_initact.deep import LSUVCallback, LSUVError, format_report, lsuv_initialize


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).uniform(0, 1, (64, 8, 8, 3)).astype("float32")


def conv_net():
    return keras.Sequential([
        keras.Input((8, 8, 3)),
        keras.layers.Conv2D(8, 3, activation="relu", name="conv_a"),
        keras.layers.Conv2D(8, 3, name="conv_b"),
        keras.layers.ReLU(name="relu_b"),
        keras.layers.Flatten(),
        keras.layers.Dense(16, activation="tanh", name="dense"),
        keras.layers.Dense(10, name="logits"),
    ])


def pre_activation_variances(model, x):
    """Variance of each kernel layer's output with its activation bypassed."""
    variances = {}
    for layer in model.layers:
        if getattr(layer, "kernel", None) is None:
            continue
        inputs = keras.Model(model.inputs[0], layer.input)(x)
        kernel = layer.kernel.numpy()
        if isinstance(layer, keras.layers.Conv2D):
            out = keras.ops.conv(inputs, kernel, padding=layer.padding)
        else:
            out = inputs @ kernel
        out = np.asarray(out) + layer.bias.numpy()
        variances[layer.name] = out.var()
    return variances


def test_conv_net_reaches_unit_variance_in_every_layer(images):
    model = conv_net()
    report = lsuv_initialize(model, images, tol=0.05, seed=0)
    assert [row.layer for row in report] == ["conv_a", "conv_b", "dense", "logits"]
    assert all(row.converged for row in report)
    measured = pre_activation_variances(model, images)
    for row in report:
        assert abs(row.variance_after - 1.0) < 0.05
        # The report states what an independent computation measures.
        assert measured[row.layer] == pytest.approx(row.variance_after, rel=1e-4)
    assert "conv_a" in format_report(report)


def test_kernels_start_orthogonal_and_end_rescaled(images):
    model = conv_net()
    lsuv_initialize(model, images, seed=1)
    kernel = model.get_layer("dense").kernel.numpy()
    gram = kernel.T @ kernel
    # Orthogonal columns times one factor: a multiple of the identity.
    np.testing.assert_allclose(gram / gram[0, 0], np.eye(16), atol=1e-4)


def test_functional_model_with_centring(images):
    inputs = keras.Input((8, 8, 3))
    hidden = keras.layers.Conv2D(6, 3, activation="relu", name="conv")(inputs)
    pooled = keras.layers.GlobalAveragePooling2D()(hidden)
    outputs = keras.layers.Dense(4, activation="sigmoid", name="head",
                                 bias_initializer="ones")(pooled)
    model = keras.Model(inputs, outputs)
    report = lsuv_initialize(model, images, centre=True, seed=2, tol=0.02)
    assert [row.layer for row in report] == ["conv", "head"]
    head_inputs = keras.Model(model.inputs[0], model.get_layer("head").input)(images)
    head = model.get_layer("head")
    pre = np.asarray(head_inputs) @ head.kernel.numpy() + head.bias.numpy()
    np.testing.assert_allclose(pre.mean(axis=0), 0.0, atol=1e-4)
    assert abs(pre.var() - 1.0) < 0.02


def test_non_finite_statistics_restore_every_weight(images):
    model = conv_net()
    before = [w.numpy().copy() for w in model.weights]
    bad = images.copy()
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(LSUVError, match="layer 'conv_a'.*put back"):
        lsuv_initialize(model, bad)
    for weight, value in zip(model.weights, before):
        np.testing.assert_array_equal(weight.numpy(), value)


def test_unconverged_layers_are_reported(images):
    model = conv_net()
    report = lsuv_initialize(model, images, tol=1e-9, max_iter=1, seed=0)
    assert any(not row.converged for row in report)
    assert "NO" in format_report(report)


def test_an_unbuilt_model_is_refused(images):
    with pytest.raises(ValueError, match="not built"):
        lsuv_initialize(keras.Sequential([keras.layers.Dense(2)]), images)


BAD_OPTIONS = [
    ({"tol": 0}, "`tol` must be positive; received tol=0"),
    ({"tol": float("inf")}, "`tol` must be finite; received tol=inf"),
    ({"tol": float("nan")}, "`tol` must be finite; received tol=nan"),
    ({"max_iter": 0}, "`max_iter` must be a positive integer; received max_iter=0"),
    ({"max_iter": 2.5}, "received max_iter=2.5"),
    ({"target_variance": -1.0}, "`target_variance` must be positive"),
    ({"orthogonal": "yes"}, "`orthogonal` must be True or False"),
    ({"centre": 1}, "`centre` must be True or False"),
    ({"seed": 1.5}, "`seed` must be an integer; received seed=1.5"),
]


@pytest.mark.parametrize("options, message", BAD_OPTIONS)
def test_bad_options_are_refused_before_any_weight_changes(images, options,
                                                           message):
    model = conv_net()
    before = [w.numpy().copy() for w in model.weights]
    with pytest.raises(ValueError, match=message):
        lsuv_initialize(model, images, **options)
    for weight, value in zip(model.weights, before):
        np.testing.assert_array_equal(weight.numpy(), value)


@pytest.mark.parametrize("options, message", BAD_OPTIONS)
def test_the_callback_checks_its_options_when_made(options, message):
    with pytest.raises(ValueError, match=message):
        LSUVCallback(np.zeros((4, 2)), **options)


def test_the_callback_refuses_unknown_options():
    with pytest.raises(TypeError, match=r"unknown arguments \['tolerance'\]"):
        LSUVCallback(np.zeros((4, 2)), tolerance=0.1)


def test_callback_runs_once_before_the_first_step(images):
    model = conv_net()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    labels = np.arange(64) % 10
    callback = LSUVCallback(images, seed=0)
    model.fit(images, labels, epochs=1, batch_size=64, verbose=0,
              callbacks=[callback])
    assert callback.report is not None and len(callback.report) == 4
    first_report = callback.report
    model.fit(images, labels, epochs=1, batch_size=64, verbose=0,
              callbacks=[callback])
    assert callback.report is first_report
