"""TensorBoard event files written from host code, a logging step at a time.

A `RunWriter` owns one TensorBoard run (a folder, one event file). A
logging step writes one event per run holding all of that run's scalars,
so its cost does not grow with the number of tags: no TensorFlow summary
op is traced or run, only TensorBoard's protocol buffers and its record
framing (the `tensorboard` package, which needs no TensorFlow). Writes are
synchronous and small; `flush` makes them visible to a running TensorBoard.
"""

import os
import socket
import struct
import time

import google_crc32c
import numpy as np
from tensorboard.compat.proto import (event_pb2, summary_pb2, tensor_pb2,
                                      tensor_shape_pb2, types_pb2)
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.custom_scalar import metadata as custom_scalar_metadata
from tensorboard.plugins.histogram import metadata as histogram_metadata
from tensorboard.plugins.image import metadata as image_metadata
from tensorboard.plugins.scalar import metadata as scalar_metadata
from tensorboard.plugins.text import metadata as text_metadata
from tensorboard.util import tensor_util

# `LayerStats`'s exact per-layer values, which `keras_initact.report` reads:
# a tensor per statistic (`per_layer/<column>`, a value per layer, NaN where a
# layer has none) and, once, the layers' names and positions in the model.
PER_LAYER_PLUGIN = "keras_initact"
PER_LAYER_NAMES = "per_layer/names"
PER_LAYER_POSITIONS = "per_layer/positions"

_sequence = iter(range(1 << 62))  # distinct file names within a process


class RunWriter:
    """Appends events to a new event file in `run_dir` (created if needed)."""

    def __init__(self, run_dir):
        os.makedirs(run_dir, exist_ok=True)
        name = (f"events.out.tfevents.{int(time.time()):010d}."
                f"{socket.gethostname()}.{os.getpid()}.{next(_sequence)}")
        self.path = os.path.join(run_dir, name)
        self._file = open(self.path, "wb")
        self._tagged = set()  # tags whose metadata was written
        self._write(event_pb2.Event(wall_time=time.time(),
                                    file_version="brain.Event:2"))

    def scalars(self, step, values, descriptions=None):
        """One event with a scalar per tag: `values` maps tag -> number."""
        summary = summary_pb2.Summary(value=[
            summary_pb2.Summary.Value(
                tag=tag, tensor=float32_proto(value),
                metadata=self._metadata(
                    tag, scalar_metadata, (descriptions or {}).get(tag, "")))
            for tag, value in values.items()])
        self._write_summary(step, summary)

    def histograms(self, step, values):
        """One event with a histogram per tag: `(bins, 3)` arrays of
        `[left, right, count]`, TensorBoard's layout."""
        summary = summary_pb2.Summary(value=[
            summary_pb2.Summary.Value(
                tag=tag, tensor=tensor_util.make_tensor_proto(
                    np.asarray(bins, dtype=np.float64)),
                metadata=self._metadata(tag, histogram_metadata, ""))
            for tag, bins in values.items()])
        self._write_summary(step, summary)

    def image(self, step, tag, png, description=""):
        """A PNG image (bytes) for TensorBoard's Images tab."""
        width, height = png_size(png)
        tensor = tensor_util.make_tensor_proto(
            np.array([str(width).encode(), str(height).encode(), png],
                     dtype=object))
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(
            tag=tag, tensor=tensor,
            metadata=self._metadata(tag, image_metadata, description))])
        self._write_summary(step, summary)

    def text(self, step, tag, markdown, description=""):
        """A Markdown text for TensorBoard's Text tab."""
        self._write_summary(step, summary_pb2.Summary(value=[
            summary_pb2.Summary.Value(
                tag=tag, tensor=tensor_util.make_tensor_proto(
                    np.array(markdown.encode(), dtype=object)),
                metadata=self._metadata(tag, text_metadata, description))]))

    def tensors(self, step, values, plugin, content=""):
        """One event with a tensor per tag (`values`: tag -> array) for a
        plugin of that name: data for programs (TensorBoard's dashboards
        show only their own plugins' data)."""
        summary = summary_pb2.Summary()
        for tag, array in values.items():
            array = np.asarray(array)
            value = summary.value.add(tag=tag, tensor=(
                float32_proto(array) if array.dtype == np.float32
                else tensor_util.make_tensor_proto(array)))
            if tag not in self._tagged:
                self._tagged.add(tag)
                value.metadata.plugin_data.plugin_name = plugin
                value.metadata.plugin_data.content = content.encode()
                value.metadata.data_class = \
                    summary_pb2.DATA_CLASS_TENSOR
        self._write_summary(step, summary)

    def summary(self, step, summary):
        """A prebuilt `Summary` protocol buffer (TensorBoard's protos, such
        as the HParams plugin's `hparams_pb`)."""
        self._write_summary(step, summary)

    def layout(self, layout):
        """A custom-scalars layout (`layout_pb2.Layout`)."""
        self._write_summary(0, summary_pb2.Summary(value=[
            summary_pb2.Summary.Value(
                tag=custom_scalar_metadata.CONFIG_SUMMARY_TAG,
                metadata=custom_scalar_metadata.create_summary_metadata(),
                tensor=tensor_util.make_tensor_proto(
                    np.array(layout.SerializeToString(), dtype=object)))]))

    def flush(self):
        self._file.flush()

    def close(self):
        if not self._file.closed:
            self._file.close()

    def _metadata(self, tag, plugin, description):
        if tag in self._tagged:
            return None
        self._tagged.add(tag)
        return plugin.create_summary_metadata(display_name=tag,
                                              description=description)

    def _write_summary(self, step, summary):
        self._write(event_pb2.Event(wall_time=time.time(), step=int(step),
                                    summary=summary))

    def _write(self, event):
        self._file.write(record(event.SerializeToString()))


def record(data):
    """`data` framed as a TFRecord, the event file's format: its length,
    the masked CRC-32C of the length, the data, the masked CRC-32C of the
    data. (TensorBoard's own `RecordWriter` computes the CRCs in Python,
    about 90 us a record; `google_crc32c` does it in C.)"""
    length = struct.pack("<Q", len(data))
    return b"".join((length, _masked_crc(length), data, _masked_crc(data)))


def _masked_crc(data):
    crc = google_crc32c.value(data)
    return struct.pack(
        "<I", (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF)


def chart_layout(groups):
    """A custom-scalars layout: a category per group, a chart per
    statistic (`{group: [statistic, ...]}`) showing the tag
    `group/statistic` of every run, a line per run."""
    return layout_pb2.Layout(category=[
        layout_pb2.Category(title=group, chart=[
            layout_pb2.Chart(
                title=f"{group}/{key}",
                multiline=layout_pb2.MultilineChartContent(
                    tag=[rf"^{group}/{key}$"]))
            for key in keys])
        for group, keys in groups.items()])


def float32_proto(value):
    """A float32 array or number as a `TensorProto`, built directly: what
    `tensor_util.make_tensor_proto` makes, at a fraction of its cost, which
    counts when every step is logged."""
    array = np.asarray(value, np.float32)
    shape = tensor_shape_pb2.TensorShapeProto(dim=[
        tensor_shape_pb2.TensorShapeProto.Dim(size=size)
        for size in array.shape])
    if not array.shape:
        return tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT,
                                      tensor_shape=shape,
                                      float_val=[float(array)])
    return tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT,
                                  tensor_shape=shape,
                                  tensor_content=array.tobytes())


def png_size(png):
    """`(width, height)` from a PNG's header."""
    return (int.from_bytes(png[16:20], "big"),
            int.from_bytes(png[20:24], "big"))
