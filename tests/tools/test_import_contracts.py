"""The import-linter contract that keeps Keras's private `keras.src` in
`keras_initact.keras_adapter` reads import statements right."""

import pytest

from tools.import_contracts import _names


@pytest.mark.parametrize("statement", [
    "from keras.src import activations",
    "import keras.src.ops as ops",
    "import numpy, keras.src",
])
def test_statements_importing_keras_src_are_caught(statement):
    assert _names(statement, "keras.src")


@pytest.mark.parametrize("statement", [
    "from keras import ops",
    "import keras",
    "import keras_src",
    "from keras.srcery import x",
])
def test_public_keras_imports_are_not(statement):
    assert not _names(statement, "keras.src")
