"""Shared test set-up: quiet TensorFlow, a clean Keras session per test."""

import os
import sys

# The tests' shared helpers (references, layer_names, tensorboard_server,
# markdown_snippets) import by name from every folder of tests/.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import keras_initact  # noqa: E402,F401  (registers the serializable classes)


@pytest.fixture(autouse=True)
def _float32_policy():
    """Every test starts with the float32 policy, whatever one before set."""
    keras.mixed_precision.set_dtype_policy("float32")
    yield
    keras.mixed_precision.set_dtype_policy("float32")


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def skip_if_backend(given_backend, reason):
    """Skips a test under one Keras backend.

    Keras's own test modules import this from their repository's root
    conftest; `test_keras_parity.py` runs those modules, so it is here too.
    """
    return pytest.mark.skipif(keras.backend.backend() == given_backend,
                              reason=reason)
