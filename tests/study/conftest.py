"""What the study's tests share: the digits dataset, loaded once for the
folder (nothing changes it: every test reads its batches)."""

import pytest

from keras_initact.study import datasets


@pytest.fixture(scope="package")
def digits():
    return datasets.load("digits", batch_size=32, seed=0)
