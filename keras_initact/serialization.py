"""Registration with Keras serialization, shared by initializers and layers.

Every keras_initact class and function is registered under the package name
`keras_initact`, so that a `.keras` file naming `"keras_initact>HeNormal"`
loads back after `import keras_initact`.
"""

import keras

PACKAGE = "keras_initact"


def register(cls):
    """Registers `cls` as `"keras_initact>ClassName"` for Keras
    serialization and returns it (a class decorator)."""
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)
