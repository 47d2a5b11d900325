"""The μP optimizers: each variable's update is Keras's own at the learning
rate times the μP table's multiplier, under `fit`, after `.keras` loading
and in a fresh process."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_initact import mup
from keras_initact.models import build_sequential

DATA = np.random.default_rng(0).normal(size=(16, 6)).astype("float32")
LABELS = np.arange(16) % 3
LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def mlp(width):
    inputs = keras.Input((6,))
    x = keras.layers.Dense(width, activation="tanh", name="dense_0")(inputs)
    x = keras.layers.Dense(width, activation="tanh", name="dense_1")(x)
    return keras.Model(inputs, mup.MuReadout(3, zero_init=False,
                                             name="head")(x))


@pytest.fixture
def pair():
    keras.utils.set_random_seed(0)
    model = mlp(32)
    return model, mup.set_base_shapes(model, mlp(8))


def one_step(model, optimizer, jit_compile="auto"):
    """Each variable's change in one full-batch step of `fit`."""
    model.compile(optimizer=optimizer, loss=LOSS, jit_compile=jit_compile)
    before = [w.copy() for w in model.get_weights()]
    model.fit(DATA, LABELS, batch_size=16, epochs=1, shuffle=False,
              verbose=0)
    return [after - start for after, start in zip(model.get_weights(),
                                                  before)]


def clone(model):
    copy = keras.models.clone_model(model)  # the readout's width_mult too
    copy.set_weights(model.get_weights())
    return copy


@pytest.mark.parametrize("mup_optimizer, keras_optimizer, rule, rate", [
    (mup.SGD, keras.optimizers.SGD, "sgd", 0.2),
    (mup.Adam, keras.optimizers.Adam, "adam", 0.01),
])
def test_each_variable_moves_at_its_tables_rate(pair, mup_optimizer,
                                                keras_optimizer, rule, rate):
    model, shapes = pair
    plain = one_step(clone(model), keras_optimizer(rate))
    ours = one_step(model, mup_optimizer(rate, base_shapes=shapes))
    multipliers = [shapes.shape_of(v.path).learning_rate_multiplier(rule)
                   for v in model.weights]
    if rule == "adam":
        assert multipliers == [1, 1, 0.25, 1, 1, 1]
    else:
        assert multipliers == [4, 4, 1, 4, 4, 1]
    for delta, reference, multiplier in zip(ours, plain, multipliers):
        # One step from the same weights: the same gradient, so Keras's
        # update at the table's rate.
        np.testing.assert_allclose(delta, multiplier * reference,
                                   rtol=1e-3, atol=1e-6)


def test_adamw_decays_at_the_optimizers_own_rate(pair):
    """Keras decays by `lr * weight_decay * w` with the unscaled lr, which
    is mup.MuAdamW's `(lr / m) * (weight_decay * m)`."""
    model, shapes = pair
    rate, decay = 0.01, 0.5
    start = [w.copy() for w in model.get_weights()]
    plain = one_step(clone(model), keras.optimizers.AdamW(rate,
                                                          weight_decay=decay))
    ours = one_step(model, mup.AdamW(rate, base_shapes=shapes,
                                     weight_decay=decay))
    for delta, reference, weight, multiplier in zip(
            ours, plain, start, [1, 1, 0.25, 1, 1, 1]):
        decayed = -rate * decay * weight
        np.testing.assert_allclose(
            delta, decayed + multiplier * (reference - decayed),
            rtol=1e-3, atol=1e-6)


def test_the_optimizer_tells_each_variables_multiplier(pair):
    model, shapes = pair
    optimizer = mup.Adam(1e-3, base_shapes=shapes)
    optimizer.build(model.trainable_variables)
    assert {v.path: optimizer.learning_rate_multiplier(v)
            for v in model.trainable_variables} == {
        "dense_0/kernel": 1.0, "dense_0/bias": 1.0, "dense_1/kernel": 0.25,
        "dense_1/bias": 1.0, "head/kernel": 1.0, "head/bias": 1.0}


def test_an_optimizer_for_another_model_is_refused(pair):
    model, shapes = pair
    with pytest.raises(ValueError, match=r"no base shape for \['extra/"):
        extra = keras.layers.Dense(2, name="extra")
        extra.build((None, 3))
        mup.Adam(base_shapes=shapes).build(extra.trainable_variables)
    narrow = mlp(16)
    with pytest.raises(ValueError, match=r"recorded 'dense_0/kernel' with "
                       r"shape \(6, 32\), but the variable has shape "
                       r"\(6, 16\)"):
        mup.SGD(base_shapes=shapes).build(narrow.trainable_variables)


def test_the_optimizer_config_keeps_the_base_shapes(pair):
    _, shapes = pair
    optimizer = mup.AdamW(1e-3, base_shapes=shapes, weight_decay=0.1)
    config = optimizer.get_config()
    rebuilt = mup.AdamW.from_config(config)
    assert rebuilt.base_shapes == shapes and rebuilt.weight_decay == 0.1
    assert keras.optimizers.deserialize(
        keras.optimizers.serialize(optimizer)).base_shapes == shapes


FRESH_PROCESS = r"""
import json, sys
import keras, numpy as np
import keras_initact  # registers the classes
model = keras.saving.load_model(sys.argv[1])
optimizer = model.optimizer
data = np.load(sys.argv[2])
before = [w.copy() for w in model.get_weights()]
model.fit(data["x"], data["y"], batch_size=16, epochs=1, shuffle=False, verbose=0)
print(json.dumps({
    "class": type(optimizer).__name__,
    "multipliers": {v.path: optimizer.learning_rate_multiplier(v)
                    for v in model.trainable_variables},
    "deltas": [(a - b).tolist() for a, b in zip(model.get_weights(), before)],
}))
"""


def test_a_factory_model_loaded_in_a_fresh_process_trains_at_the_same_rates(
        tmp_path):
    model = build_sequential((6,), [32, 32], "tanh", num_classes=3, seed=0,
                             parametrization="mup", base_width=8)
    model.compile(optimizer=mup.Adam(0.01, base_shapes=model.base_shapes),
                  loss="sparse_categorical_crossentropy")  # softmax outputs
    model.fit(DATA, LABELS, batch_size=16, epochs=1, verbose=0)  # non-zero head
    model.save(tmp_path / "mup.keras")
    np.savez(tmp_path / "data.npz", x=DATA, y=LABELS)
    multipliers = {v.path: model.optimizer.learning_rate_multiplier(v)
                   for v in model.trainable_variables}
    result = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, str(tmp_path / "mup.keras"),
         str(tmp_path / "data.npz")], capture_output=True, text=True,
        timeout=300, env={**os.environ, "KERAS_BACKEND": "tensorflow"})
    assert result.returncode == 0, result.stderr[-3000:]
    there = json.loads(result.stdout.strip().splitlines()[-1])
    assert there["class"] == "Adam"
    assert there["multipliers"] == {
        "dense_0/kernel": 1.0, "dense_0/bias": 1.0, "dense_1/kernel": 0.25,
        "dense_1/bias": 1.0, "head/kernel": 1.0, "head/bias": 1.0}
    assert sorted(there["multipliers"].values()) == \
        sorted(multipliers.values())
    # And here, the same step from the same state.
    before = [w.copy() for w in model.get_weights()]
    model.fit(DATA, LABELS, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for delta, after, start in zip(there["deltas"], model.get_weights(),
                                   before):
        np.testing.assert_allclose(delta, after - start, rtol=1e-4,
                                   atol=1e-7)


def test_under_mixed_precision_keras_wraps_it_and_the_rates_hold():
    keras.mixed_precision.set_dtype_policy("mixed_float16")
    keras.utils.set_random_seed(0)
    model = mlp(32)
    shapes = mup.set_base_shapes(model, mlp(8))
    plain = one_step(clone(model), keras.optimizers.Adam(0.01))
    ours = one_step(model, mup.Adam(0.01, base_shapes=shapes))
    assert type(model.optimizer).__name__ == "LossScaleOptimizer"
    for delta, reference, multiplier in zip(ours, plain,
                                            [1, 1, 0.25, 1, 1, 1]):
        np.testing.assert_allclose(delta, multiplier * reference,
                                   rtol=1e-3, atol=1e-6)


def test_the_rates_hold_in_an_xla_compiled_step(pair):
    model, shapes = pair
    plain = one_step(clone(model), keras.optimizers.SGD(0.2), jit_compile=True)
    ours = one_step(model, mup.SGD(0.2, base_shapes=shapes), jit_compile=True)
    for delta, reference, multiplier in zip(ours, plain, [4, 4, 1, 4, 4, 1]):
        np.testing.assert_allclose(delta, multiplier * reference,
                                   rtol=1e-3, atol=1e-6)
