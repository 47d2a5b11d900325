"""LSUV (Mishkin & Matas 2016) on a small CNN, on real handwritten digits.

Builds a conv net with Keras layers, initializes it by LSUV on one batch
(orthogonal kernels, then each layer rescaled until its output variance is
1), prints the per-layer report and trains it; runs in well under a minute
on a CPU.

    python examples/lsuv_cnn.py
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

from keras_initact.deep import format_report, lsuv_initialize  # noqa: E402
from keras_initact.study import load  # noqa: E402

# scikit-learn's 8x8 digits, standardized, as (8, 8, 1) images.
data = load("digits", batch_size=32, seed=0)

model = keras.Sequential([
    keras.Input((64,)),
    keras.layers.Reshape((8, 8, 1)),
    keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
    keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
    keras.layers.MaxPooling2D(),
    keras.layers.Flatten(),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])

report = lsuv_initialize(model, data.probe, seed=0)
print(format_report(report))

model.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(data.train, epochs=5, shuffle=False, verbose=0)  # data.train shuffles
loss, accuracy = model.evaluate(data.test, verbose=0)
print(f"test accuracy after 5 epochs: {accuracy:.3f}")
