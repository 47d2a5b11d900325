"""keras_initact: weight initialization and activation functions for Keras 3.

    from keras_initact import HeNormal
    layer = keras.layers.Dense(64, kernel_initializer=HeNormal())

Importing the package registers every class with Keras's serialization, so
that `.keras` files using them load after `import keras_initact`.
"""

from keras_initact import initializers
from keras_initact.initializers import *  # noqa: F401,F403
from keras_initact.initializers import __all__ as _initializer_names
from keras_initact.seeding import derive_seed

__version__ = "0.1.0"
__all__ = ["initializers", "derive_seed", *_initializer_names]
