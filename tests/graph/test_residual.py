"""keras_initact.graph.residual: the residual branches of a model's graph.

A merge is residual when one input (the skip) passes through fewer kernel
stages since the fork than each other input; its branch is everything
between the fork and the merge, its last stages those that reach the merge
through no other kernel. `DeepNormResidual`'s first input is the skip by
definition. Parallel paths of equal depth are no residual; nested models
are searched too, and the classifier is the last kernel before an output.
"""

import keras
import pytest

from keras_initact.graph.residual import residual_structure, signal_kernels
from keras_initact.layers import DeepNormResidual


def paths(variables):
    return [v.path for v in variables]


def residual_mlp(blocks=3, width=8, projection=False):
    x = inputs = keras.Input((width,), name="x")
    for i in range(blocks):
        h = keras.layers.Dense(width, activation="relu", name=f"b{i}_1")(x)
        h = keras.layers.Dense(width, name=f"b{i}_2")(h)
        skip = keras.layers.Dense(width, name=f"b{i}_proj")(x) \
            if projection else x
        x = keras.layers.Add(name=f"b{i}_add")([skip, h])
    outputs = keras.layers.Dense(3, name="head")(x)
    return keras.Model(inputs, outputs)


def test_each_add_of_an_identity_skip_is_a_branch_of_its_kernels():
    structure = residual_structure(residual_mlp())
    assert [b.merge for b in structure.branches] == \
        ["b0_add", "b1_add", "b2_add"]
    first = structure.branches[0]
    assert first.merge_class is keras.layers.Add
    assert first.depth == 2
    assert paths(first.stages) == ["b0_1/kernel", "b0_2/kernel"]
    assert paths(first.last) == ["b0_2/kernel"]
    assert first.path == ("b0_1", "b0_2")
    assert paths(structure.classifier) == ["head/kernel"]


def test_a_projection_shortcut_is_the_skip_not_a_branch():
    structure = residual_structure(residual_mlp(projection=True))
    assert len(structure.branches) == 3
    assert all("proj" not in path for b in structure.branches
               for path in paths(b.stages))


def test_parallel_paths_of_equal_depth_are_not_residual():
    inputs = keras.Input((4,))
    a = keras.layers.Dense(4)(inputs)
    b = keras.layers.Dense(4)(inputs)
    model = keras.Model(inputs, keras.layers.Add()([a, b]))
    assert residual_structure(model).branches == ()


def test_keras_ops_add_and_a_branch_with_several_last_stages():
    inputs = keras.Input((4,))
    left = keras.layers.Dense(4, name="left")(inputs)
    right = keras.layers.Dense(4, name="right")(inputs)
    joined = keras.layers.Concatenate()([left, right])
    joined = keras.layers.Dense(4, name="mix")(joined)
    gated = keras.layers.Multiply()([
        keras.layers.Dense(4, name="value")(joined),
        keras.layers.Dense(4, activation="sigmoid", name="gate")(joined)])
    model = keras.Model(inputs, keras.ops.add(inputs, gated))
    (branch,) = residual_structure(model).branches
    assert sorted(paths(branch.last)) == ["gate/kernel", "value/kernel"]
    assert branch.depth == 5


def test_deepnorm_residual_takes_its_first_input_as_the_skip():
    inputs = keras.Input((5, 8))
    attended = keras.layers.MultiHeadAttention(2, 4, name="mha")(inputs,
                                                                 inputs)
    merged = DeepNormResidual(2.0, name="merge")([inputs, attended])
    model = keras.Model(inputs, keras.layers.LayerNormalization()(merged))
    (branch,) = residual_structure(model).branches
    assert branch.merge_class is DeepNormResidual
    assert paths(branch.stages) == ["mha/value/kernel",
                                    "mha/attention_output/kernel"]
    assert paths(branch.last) == ["mha/attention_output/kernel"]


def test_nested_models_are_searched_with_their_path():
    inner = residual_mlp(blocks=1)
    inputs = keras.Input((8,))
    model = keras.Model(inputs, inner(inputs))
    (branch,) = residual_structure(model).branches
    assert branch.merge == f"{inner.name}/b0_add"


@pytest.mark.parametrize("layer, names", [
    (keras.layers.Dense(3), ["kernel"]),
    (keras.layers.Conv2D(3, 3), ["kernel"]),
    (keras.layers.DepthwiseConv2D(3), ["kernel"]),
    (keras.layers.SeparableConv2D(3, 3), ["pointwise_kernel"]),
    (keras.layers.Embedding(5, 3), ["embeddings"]),
    (keras.layers.LayerNormalization(), []),
])
def test_signal_kernels_are_the_kernels_on_the_signals_path(layer, names):
    layer.build((None, 6) if isinstance(layer, (keras.layers.Dense,
                                                keras.layers.Embedding,
                                                keras.layers.LayerNormalization))
                else (None, 6, 6, 2))
    assert [id(v) for v in signal_kernels(layer)] == \
        [id(getattr(layer, name)) for name in names]
