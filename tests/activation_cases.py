"""What several test files of the activations, their layers and their
table share: the grids of inputs reaching float32's extremes, TAT's
transformation of tanh, Keras's activation names, and the registry's
records as test parameters."""

import keras
import numpy as np

from keras_initact.activations import ACTIVATIONS


BIG = float(np.finfo(np.float32).max) * 0.9  # ~3.06e38, next to inf
GRID = np.array(
    [-BIG, -1e30, -1e4, -88.0, -20.0, -5.0, -1.0, -0.5, -1e-3, -1e-30, 0.0,
     1e-30, 1e-3, 0.5, 1.0, 5.0, 20.0, 88.0, 1e4, 1e30, BIG, 2.0, -2.0, 3.0],
    dtype=np.float32,
).reshape(2, 12)  # an even last axis, which the gated units halve


# Where float16 and bfloat16 compute close to float32.
MP_GRID = np.linspace(-6.0, 6.0, 24, dtype=np.float32).reshape(2, 12)


# TAT's transformation of tanh for depth 60 (tat_transform).
TAT_TANH = (0.0745, 0.5245, -0.482, 17.45)


KERAS_ACTIVATION_NAMES = sorted(
    name for name in dir(keras.activations)
    if not name.startswith("_") and callable(getattr(keras.activations, name))
    and name not in ("get", "serialize", "deserialize"))


# Every record of the registry, and its name as a test id.
SPECS = [ACTIVATIONS[name] for name in ACTIVATIONS]


def by_name(spec):
    return spec.name
