"""`keras_initact.events`: event files that TensorBoard's own readers read,
written without TensorFlow."""

import io
import os

import numpy as np
import pytest
from tensorboard.backend.event_processing import event_file_loader
from tensorboard.summary.writer.record_writer import RecordWriter
from tensorboard.util import tensor_util

from keras_initact import events


@pytest.mark.parametrize("size", [0, 1, 7, 1000])
def test_records_are_framed_as_tensorboards_record_writer_frames_them(size):
    data = os.urandom(size)
    reference = io.BytesIO()
    RecordWriter(reference).write(data)
    assert events.record(data) == reference.getvalue()


@pytest.mark.parametrize("value", [
    0.25, np.float32(-3.5), np.array(np.nan, np.float32),
    np.arange(5, dtype=np.float32), np.ones((2, 3), np.float32),
    np.arange(6, dtype=np.float32).reshape(2, 3).T])
def test_float32_protos_hold_what_make_tensor_proto_holds(value):
    ours = tensor_util.make_ndarray(events.float32_proto(value))
    reference = tensor_util.make_ndarray(
        tensor_util.make_tensor_proto(np.asarray(value, np.float32)))
    assert ours.dtype == reference.dtype == np.float32
    assert ours.shape == reference.shape
    np.testing.assert_array_equal(ours, reference)


def test_tensorboards_loader_reads_every_event_written(tmp_path):
    writer = events.RunWriter(tmp_path)
    for step in range(3):
        writer.scalars(step, {"a": step / 2, "b": -step})
        writer.tensors(step, {"per_layer/x": np.full(4, step, np.float32),
                              "per_layer/names": np.array([b"l"] * 4,
                                                          dtype=object)},
                       plugin="keras_initact")
    writer.close()
    loaded = list(event_file_loader.EventFileLoader(writer.path).Load())
    assert loaded[0].file_version == "brain.Event:2"
    values = {(e.step, v.tag): tensor_util.make_ndarray(v.tensor)
              for e in loaded[1:] for v in e.summary.value}
    assert len(values) == 12
    assert values[(2, "a")] == 1.0 and values[(1, "b")] == -1.0
    np.testing.assert_array_equal(values[(2, "per_layer/x")], [2] * 4)
    assert list(values[(0, "per_layer/names")]) == [b"l"] * 4
