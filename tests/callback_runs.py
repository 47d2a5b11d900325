"""What the callbacks' tests (tests/callbacks/) train and read: a small MLP
and its data, a statistic of one layer as logged, by step, and the check
that a model trains normally with no trace of the callbacks left on it."""

import keras
import numpy as np

from keras_initact.callbacks import _hooks


STEPS_PER_EPOCH = 4
BATCH = 8


def _data(n=STEPS_PER_EPOCH * BATCH, features=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int32")
    return x, y


def _mlp(features=6):
    return keras.Sequential([
        keras.Input((features,)),
        keras.layers.Dense(8, activation="tanh", name="hidden"),
        keras.layers.Dense(2, activation="softmax", name="out"),
    ], name="mlp")


def _rows(table, layer, statistic):
    """A LayerStats statistic of one layer, by step."""
    rows = table[(table["name"] == layer) & (table["statistic"] == statistic)]
    return rows.sort_values("step")


def _last(table, layer, statistic):
    rows = _rows(table, layer, statistic)
    assert len(rows), f"no {statistic!r} of {layer!r} in the logs"
    return rows["value"].iloc[-1], int(rows["step"].iloc[-1])


def _compiled_mlp():
    model = _mlp()
    model.compile("sgd", "sparse_categorical_crossentropy")
    return model


def _assert_trains_without_traces_of_us(model, x, y):
    opt = model.optimizer
    assert "_distributed_tf_update_step" not in vars(opt)
    assert not [layer.name for layer in model._flatten_layers()
                if "call" in vars(layer)]
    assert opt not in _hooks._HOOKS
    assert not hasattr(model.train_function, "_initact_guarded")
    before = [w.numpy().copy() for w in model.trainable_weights]
    history = model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert any(not np.array_equal(w.numpy(), b)
               for w, b in zip(model.trainable_weights, before))
