"""What both public callbacks, LayerStats and NonFiniteGuard, promise: bad
arguments and probe data that does not fit the model are named, and a
failure inside either leaves the model training normally, with no trace
of the callback on it."""

import numpy as np
import pytest
from callback_runs import (BATCH, _assert_trains_without_traces_of_us,
                           _compiled_mlp, _data, _last)

from keras_initact.callbacks import LayerStats, NonFiniteGuard
from keras_initact.reporting import read_logs


pytestmark = pytest.mark.filterwarnings(
    "ignore:The inplace keyword:DeprecationWarning",  # tbparse on pandas 3
    "ignore:The inplace keyword",
)


@pytest.mark.parametrize("make, message", [
    (lambda: LayerStats("logs", every_n_steps=0),
     "`every_n_steps` must be a positive integer or None; received "
     "every_n_steps=0"),
    (lambda: LayerStats("logs", every_n_steps=2.5), "every_n_steps=2.5"),
    (lambda: LayerStats("logs", every_n_epochs=0), "every_n_epochs=0"),
    (lambda: LayerStats("logs", histogram_bins=0),
     "`histogram_bins` must be a positive integer; received histogram_bins=0"),
    (lambda: LayerStats("logs", heatmap_budget=-0.1),
     "`heatmap_budget` must be non-negative"),
    (lambda: LayerStats("logs", heatmap_budget=2), "in \\[0, 1\\]; received "
                                                   "heatmap_budget=2"),
    (lambda: LayerStats("logs", heatmaps="yes"), "`heatmaps` must be True"),
    (lambda: LayerStats("logs", weights="yes"), "`weights` must be True or"),
    (lambda: LayerStats("logs", histograms=None), "`histograms` must be True"),
    (lambda: LayerStats("logs", layers="hidden"), "`layers` must be a list"),
    (lambda: LayerStats("logs", jit_compile="auto"), "`jit_compile` must be"),
    (lambda: LayerStats("logs", subdir="/abs"), "`subdir` must be a folder"),
    (lambda: NonFiniteGuard(every_n_steps=0),
     "`every_n_steps` must be a positive integer; received every_n_steps=0"),
    (lambda: NonFiniteGuard(every_n_steps=2.5), "every_n_steps=2.5"),
    (lambda: NonFiniteGuard(stop_training="no"), "`stop_training` must be"),
    (lambda: NonFiniteGuard(raise_error=1), "`raise_error` must be True"),
])
def test_invalid_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("make", [
    lambda probe: LayerStats("unused", probe_data=probe),
    lambda probe: NonFiniteGuard(probe_data=probe),
], ids=["LayerStats", "NonFiniteGuard"])
@pytest.mark.parametrize("probe, shape", [
    (np.zeros((4, 7), "float32"), r"\(4, 7\)"),
    (np.zeros((4, 6, 1), "float32"), r"\(4, 6, 1\)"),
    (np.zeros((0, 6), "float32"), r"\(0, 6\)"),
])
def test_probe_data_that_does_not_fit_the_model_is_named(
        make, probe, shape, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x, y = _data()
    model = _compiled_mlp()
    with pytest.raises(ValueError, match=rf"`probe_data` has shape {shape}, "
                       r"but model 'mlp' takes inputs of shape \(None, 6\)"):
        model.fit(x, y, batch_size=BATCH, verbose=0, callbacks=[make(probe)])
    _assert_trains_without_traces_of_us(model, x, y)


# -- a failure inside a callback never leaves the model unable to train -------

class _Failure(Exception):
    pass


def _fail(*args, **kwargs):
    raise _Failure("made to fail")


FAILURE_POINTS = {
    # where: (module attribute patched to raise, callbacks to train with)
    "LayerStats: tracing the hooked update": (
        "keras_initact.callbacks.statistics.variable_table", "stats"),
    "LayerStats: the statistics function": (
        "keras_initact.callbacks.statistics.activation_table", "stats"),
    "LayerStats: activations in the train step": (
        "keras_initact.callbacks.statistics.activation_table",
        "stats in the step"),
    "LayerStats: host statistics": (
        "keras_initact.callbacks.writing.summarize", "stats"),
    "LayerStats: writing summaries": (
        "keras_initact.events.RunWriter.scalars", "stats"),
    "LayerStats: after the hook, in on_train_begin": (
        "keras_initact.events.RunWriter.flush", "stats"),
    "LayerStats: drawing heat maps at an epoch's end": (
        "keras_initact.callbacks.writing.heatmap_png", "stats"),
    "LayerStats: before a call, logging the last one": (
        "keras_initact.callbacks.layer_stats.LayerStats._log_pending",
        "stats"),
    "NonFiniteGuard: tracing the hooked update": (
        "keras_initact.callbacks.guard._stacked_counts", "guard"),
    "NonFiniteGuard: the host check": (
        "keras_initact.callbacks.guard.NonFiniteGuard._count_nonfinite",
        "guard"),
    "both, LayerStats failing": (
        "keras_initact.callbacks.statistics.variable_table", "both"),
}


@pytest.mark.parametrize("where", sorted(FAILURE_POINTS))
def test_a_failing_callback_leaves_the_model_training_normally(
        where, tmp_path, monkeypatch):
    target, setup = FAILURE_POINTS[where]
    x, y = _data()
    model = _compiled_mlp()
    callbacks = {
        "stats": [LayerStats(tmp_path, probe_data=x[:8], every_n_steps=2,
                             heatmap_budget=1.0)],
        "stats in the step": [LayerStats(tmp_path, every_n_steps=2)],
        "guard": [NonFiniteGuard()],
        "both": [NonFiniteGuard(),
                 LayerStats(tmp_path, probe_data=x[:8], every_n_steps=2)],
    }[setup]
    monkeypatch.setattr(target, _fail)
    with pytest.raises(_Failure):
        model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0,
                  callbacks=callbacks)
    monkeypatch.undo()
    _assert_trains_without_traces_of_us(model, x, y)
    # And our callbacks work on it again.
    stats = LayerStats(tmp_path / "again", probe_data=x[:8], every_n_steps=2)
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0,
              callbacks=[stats, NonFiniteGuard()])
    assert _last(read_logs(tmp_path / "again"), "hidden",
                 "kernel_gradient_norm")
