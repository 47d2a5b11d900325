"""keras_initact.deep.diagnose: `diagnose` tells a healthy network from a
broken one. A well-initialized or shaped network is healthy, a deliberately
broken one is flagged with a suggestion; dead units are counted as the
registry defines them; the statistics match NumPy; a saved model is read
from its path; empty or non-finite batches are refused; and it prints a
table."""

import numpy as np
import pytest

from keras_initact.deep import diagnose, for_activation, lsuv_initialize
from keras_initact.models import build_sequential

from deep_references import plain_mlp


@pytest.fixture(scope="module")
def batch():
    return np.random.default_rng(0).standard_normal((128, 16)).astype("float32")


class TestDiagnose:
    def test_a_well_initialized_network_is_healthy(self, batch):
        model = plain_mlp(for_activation("tanh", depth=20, seed=0), 20)
        result = diagnose(model, batch, verbose=False)
        assert result.verdict == "healthy", result.table()
        assert [row.layer for row in result.layers][:2] == ["dense_0", "dense_1"]
        assert result.layers[0].activation == "tanh"

    def test_a_deliberately_broken_init_is_flagged(self, batch):
        recipe = for_activation("relu")
        model = plain_mlp(recipe, 20)
        for layer in model.layers[:-1]:
            if hasattr(layer, "kernel"):
                layer.kernel.assign(layer.kernel.numpy() * 0.3)
        result = diagnose(model, batch, verbose=False)
        assert result.verdict == "vanishing"
        assert "for_activation('relu', depth=21)" in result.suggestion

    def test_dead_units_are_counted_as_the_registry_defines_them(self, batch):
        model = plain_mlp(for_activation("relu"), 2)
        model.get_layer("dense_1").bias.assign(np.full(32, -100.0, "float32"))
        result = diagnose(model, batch, verbose=False)
        row = result.layers[1]
        assert row.dead_fraction == 1.0 and "100% dead" in row.flags

    def test_statistics_match_numpy(self, batch):
        model = plain_mlp(for_activation("relu"), 1)
        result = diagnose(model, batch, verbose=False)
        dense = model.get_layer("dense_0")
        pre = batch @ dense.kernel.numpy() + dense.bias.numpy()
        assert result.layers[0].pre_activation_rms == pytest.approx(
            float(np.sqrt(np.mean(pre**2))), rel=1e-5)
        assert result.layers[0].dead_fraction == pytest.approx(float(np.mean(pre <= 0)))

    def test_tat_shaped_units_keep_the_signal_and_read_as_their_family(self):
        # Without the reparametrization (weight_scale=1) plain_mlp is the whole
        # network: Q(1) = 1 keeps unit variance through every layer.
        recipe = for_activation("gelu", depth=20, shaping=True, weight_scale=1,
                                seed=0)
        model = plain_mlp(recipe, 20, width=64, inputs=64)
        x = np.random.default_rng(0).standard_normal((256, 64)).astype("float32")
        result = diagnose(model, x, verbose=False)
        assert result.verdict == "healthy", result.table()
        rows = result.layers[:20]
        assert {row.activation for row in rows} == {"gelu"}
        assert 0.7 <= rows[-1].pre_activation_rms / rows[0].pre_activation_rms <= 1.4

    def test_a_saved_model_is_read_from_its_path(self, batch, tmp_path):
        model = plain_mlp(for_activation("relu"), 2)
        path = tmp_path / "mlp.keras"
        model.save(path)
        from_path = diagnose(str(path), batch, verbose=False)
        assert from_path == diagnose(model, batch, verbose=False)
        with pytest.raises(FileNotFoundError, match="no model file"):
            diagnose(str(tmp_path / "missing.keras"), batch)
        with pytest.raises(TypeError, match="must be a keras.Model"):
            diagnose(42, batch)

    def test_an_empty_batch_is_refused(self, batch):
        model = plain_mlp(for_activation("relu"), 2)
        with pytest.raises(ValueError, match=r"`x` is an empty batch "
                                             r"\(shape \(0, 16\)\)"):
            diagnose(model, batch[:0])

    def test_inputs_that_are_not_finite_are_named_as_the_cause(self, batch):
        model = plain_mlp(for_activation("relu"), 2)
        bad = batch.copy()
        bad[0, :2] = [np.nan, np.inf]
        with pytest.raises(ValueError, match="`x` has 1 NaN and 1 Inf values; "
                                             "the signal cannot be judged"):
            diagnose(model, bad)

    def test_a_deep_plain_cnn_from_the_factory_is_healthy_and_lsuv_runs(self):
        model = build_sequential((8, 8, 1), [], "tanh", conv_filters=[4] * 12,
                                 pooling="stride", downsample_blocks=[0, 6],
                                 num_classes=3, shaping=True, seed=0)
        x = np.random.default_rng(1).standard_normal((64, 8, 8, 1)).astype("float32")
        result = diagnose(model, x, verbose=False)
        assert result.verdict == "healthy", result.table()
        assert [row.layer for row in result.layers][:2] == ["conv_0", "conv_1"]
        assert result.layers[0].activation == "tanh"  # shaped, read as tanh
        report = lsuv_initialize(model, x, tol=0.05, seed=0)
        assert [row.layer for row in report][:2] == ["conv_0", "conv_1"]
        assert all(row.converged for row in report)
        assert np.all(np.isfinite(model.predict(x, verbose=0)))

    def test_prints_a_table(self, batch, capsys):
        diagnose(plain_mlp(for_activation("relu"), 2), batch)
        printed = capsys.readouterr().out
        assert "pre-act RMS" in printed and "verdict:" in printed
