"""Whole models: a Sequential factory, its specs, and export to serving.

    model = build_sequential((28, 28, 1), [128], conv_filters=[32, 64], num_classes=10)
    export_saved_model(model)  # saved_models/relu_cnn/1, for TF Serving

| module           | what                                                        |
|------------------|-------------------------------------------------------------|
| `spec`           | `ModelSpec`: the factory's arguments, checked; their JSON   |
| `arguments`      | the check of each kind of argument                          |
| `factory`        | `build_sequential`: layers, names, initializers from a seed |
| `initialization` | `InitPlan`: each layer's initializer and seed               |
| `introspection`  | `spec_of`, `base_shapes_of`: a model's spec (and μP's base shapes), fresh or loaded |
| `export`         | `export_saved_model`: SavedModel for TensorFlow Serving     |
"""

from keras_initact.models.export import export_saved_model
from keras_initact.models.factory import build_sequential
from keras_initact.models.introspection import base_shapes_of, spec_of
from keras_initact.models.spec import TASKS, ModelSpec, normalize_spec

__all__ = [
    "TASKS", "ModelSpec", "base_shapes_of", "build_sequential",
    "export_saved_model",
    "normalize_spec", "spec_of",
]
