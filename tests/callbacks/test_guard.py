"""`keras_initact.callbacks.guard`: NonFiniteGuard stops training at the
first non-finite gradient or weight, names the weight that went bad
first, can raise instead, and stays quiet on healthy training."""

import warnings

import keras
import numpy as np
import pytest
from callback_runs import BATCH, _data, _mlp

from keras_initact.callbacks import NonFiniteGuard


pytestmark = pytest.mark.filterwarnings(
    "ignore:The inplace keyword:DeprecationWarning",  # tbparse on pandas 3
    "ignore:The inplace keyword",
)


def test_guard_stops_on_nan_input(tmp_path):
    x, y = _data()
    x[3 * BATCH + 1, 2] = np.nan  # in the 4th batch
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    guard = NonFiniteGuard()
    with pytest.warns(RuntimeWarning, match="at step 4"):
        history = model.fit(x, y, batch_size=BATCH, epochs=3, shuffle=False,
                            verbose=0, callbacks=[guard])
    assert len(history.history["loss"]) == 1
    assert guard.failure["step"] == 4
    assert guard.failure["kind"] == "gradient"
    assert guard.failure["layer"] in {"mlp/hidden", "mlp/out"}
    assert guard.failure["nan"] > 0
    assert "NaN" in guard.failure["message"]


class _PoisonWeight(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.optimizer.iterations.numpy()) == 2:
            kernel = self.model.get_layer("hidden").kernel
            value = kernel.numpy()
            value[0, 0] = np.inf
            kernel.assign(value)


def test_guard_names_the_weight_and_can_raise(tmp_path):
    x, y = _data()
    model = _mlp()
    model.compile("sgd", "sparse_categorical_crossentropy")
    guard = NonFiniteGuard(probe_data=x[:8], raise_error=True)
    with pytest.raises(FloatingPointError, match="hidden/kernel") as info:
        model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0,
                  callbacks=[_PoisonWeight(), guard])
    assert "step 2" in str(info.value)
    assert guard.failure["kind"] == "weight"
    assert guard.failure["inf"] == 1


def test_guard_quiet_on_healthy_training():
    x, y = _data()
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    guard = NonFiniteGuard(probe_data=x[:8], every_n_steps=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        history = model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0,
                            callbacks=[guard])
    assert guard.failure is None and len(history.history["loss"]) == 2


class _PoisonLaterLayer(keras.callbacks.Callback):
    """Puts a NaN into the output layer's kernel after step 3."""

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.optimizer.iterations.numpy()) == 3:
            kernel = self.model.get_layer("out").kernel
            value = kernel.numpy()
            value[0, 0] = np.nan
            kernel.assign(value)


def test_guard_blames_the_weight_that_went_bad_not_its_gradients():
    # The NaN in out/kernel makes step 4's gradients of hidden/kernel NaN
    # too; the weight entering the step is what went bad first.
    x, y = _data()
    model = _mlp()
    model.compile("sgd", "sparse_categorical_crossentropy")
    guard = NonFiniteGuard(every_n_steps=4)  # the host looks at step 4 only
    with pytest.warns(RuntimeWarning, match=r"at step 4, the weight "
                      r"'mlp/out/kernel' \(layer 'mlp/out'\) has 1 NaN"):
        model.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0,
                  callbacks=[_PoisonLaterLayer(), guard])
    assert guard.failure["kind"] == "weight"
    assert guard.failure["step"] == 4
