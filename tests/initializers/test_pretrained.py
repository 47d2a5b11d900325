"""Pretrained: weights taken from another model, a .keras or a .weights.h5 file."""

import keras
import numpy as np
import pytest

from keras_initact.initializers import Pretrained


@pytest.fixture(scope="module")
def teacher():
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(3, name="encoder"),
        keras.layers.Dense(2, name="head"),
    ], name="teacher")
    model.get_layer("encoder").bias.assign(np.arange(3, dtype="float32"))
    return model


@pytest.fixture(scope="module")
def teacher_files(teacher, tmp_path_factory):
    folder = tmp_path_factory.mktemp("teacher")
    keras_path = str(folder / "teacher.keras")
    h5_path = str(folder / "teacher.weights.h5")
    teacher.save(keras_path)
    teacher.save_weights(h5_path)
    return keras_path, h5_path


def kernel_of(teacher, layer="encoder"):
    return keras.ops.convert_to_numpy(teacher.get_layer(layer).kernel)


def test_from_a_model_in_memory(teacher):
    student = keras.layers.Dense(
        3, kernel_initializer=Pretrained(teacher, "encoder", "kernel"),
        bias_initializer=Pretrained(teacher, "encoder", "bias"),
    )
    student.build((None, 4))
    np.testing.assert_array_equal(student.kernel.numpy(), kernel_of(teacher))
    np.testing.assert_array_equal(student.bias.numpy(), [0.0, 1.0, 2.0])


def test_from_a_keras_file(teacher, teacher_files):
    init = Pretrained(teacher_files[0], "head", "kernel")
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(init((3, 2))), kernel_of(teacher, "head")
    )


def test_from_a_weights_file_by_storage_name_and_position(teacher, teacher_files):
    init = Pretrained(teacher_files[1], "dense_1", "0")
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(init((3, 2))), kernel_of(teacher, "head")
    )
    with pytest.raises(ValueError, match=r"holds: dense/0 \(4, 3\), dense/1 \(3,\)"):
        Pretrained(teacher_files[1], "encoder", "kernel")((4, 3))


def test_missing_layer_names_the_weights_there_are(teacher):
    with pytest.raises(ValueError, match="no weight 'decoder/kernel'.*encoder/kernel"):
        Pretrained(teacher, "decoder")((4, 3))


def test_shape_and_dtype_mismatches_name_both_sides(teacher):
    with pytest.raises(ValueError, match=r"shape \(4, 3\).*asks for shape \(5, 3\)"):
        Pretrained(teacher, "encoder")((5, 3))
    with pytest.raises(ValueError, match="dtype float32.*dtype float16.*allow_cast"):
        Pretrained(teacher, "encoder")((4, 3), "float16")
    cast = Pretrained(teacher, "encoder", allow_cast=True)((4, 3), "float16")
    assert keras.backend.standardize_dtype(cast.dtype) == "float16"


def test_unreadable_sources(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        Pretrained(str(tmp_path / "missing.keras"), "encoder")
    with pytest.raises(ValueError, match="neither a .keras nor a .weights.h5"):
        Pretrained(str(tmp_path / "weights.npz"), "encoder")
    with pytest.raises(TypeError, match="must be a keras.Model or the path"):
        Pretrained(42, "encoder")
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_text("not a zip")
    with pytest.raises(ValueError, match="cannot read source"):
        Pretrained(str(corrupt), "encoder")((4, 3))
    with pytest.raises(ValueError, match="`layer_name` must be a non-empty string"):
        Pretrained(str(corrupt), "")


def test_config_round_trip_keeps_a_file_source(teacher_files):
    init = Pretrained(teacher_files[0], "encoder", "bias")
    restored = Pretrained.from_config(init.get_config())
    assert restored.get_config() == init.get_config()
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(restored((3,))), [0.0, 1.0, 2.0]
    )


def test_a_saved_student_loads_without_its_in_memory_teacher(teacher, tmp_path):
    student = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(3, kernel_initializer=Pretrained(teacher, "encoder")),
    ])
    path = tmp_path / "student.keras"
    student.save(path)
    with pytest.warns(UserWarning, match="fills zeros, which the saved weights"):
        loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(loaded.layers[0].kernel.numpy(), kernel_of(teacher))
