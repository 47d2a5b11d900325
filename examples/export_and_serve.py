"""Build, train, save and export a model for TensorFlow Serving, in one go.

A small CNN from `build_sequential` learns scikit-learn's 8x8 digits for two
epochs, is saved as `.keras`, exported as a SavedModel in TF Serving's
layout (`OUT/digits_cnn/<version>/`), reloaded with TensorFlow alone, and
the REST request body for one digit is printed with the predictions.

    python examples/export_and_serve.py --out saved_models
    tensorflow_model_server --rest_api_port=8501 --model_name=digits_cnn \\
        --model_base_path="$PWD/saved_models/digits_cnn"
"""

import argparse
import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from keras_initact.models import (  # noqa: E402
    build_sequential, export_saved_model, spec_of,
)

NAME = "digits_cnn"


def digits():
    images, labels = load_digits(return_X_y=True)
    images = (images / 16.0).astype("float32").reshape(-1, 8, 8, 1)
    return train_test_split(images, labels, test_size=0.25, random_state=0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="saved_models",
                        help="folder for the .keras file and the export")
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    keras.utils.set_random_seed(0)
    x_train, x_test, y_train, y_test = digits()
    model = build_sequential(
        (8, 8, 1), [64], "relu", conv_filters=[16, 32], num_classes=10,
        dropout=0.1, seed=0, name=NAME,
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"{NAME}: test accuracy {accuracy:.3f} after {args.epochs} epochs")
    print("spec:", json.dumps(spec_of(model)))

    keras_file = out / f"{NAME}.keras"
    model.save(keras_file)
    print(f"saved {keras_file}")
    version_dir = export_saved_model(model, out / NAME)
    print(f"exported {version_dir} (serve {out.resolve() / NAME})")

    # What a TF Serving client sends, and what the server computes.
    body = {"instances": x_test[:1].tolist()}
    print("POST /v1/models/%s:predict" % NAME)
    print(json.dumps(body))
    serve = tf.saved_model.load(str(version_dir)).signatures["serving_default"]
    served = serve(inputs=tf.constant(x_test[:1]))["predictions"].numpy()
    expected = model.predict(x_test[:1], verbose=0)
    np.testing.assert_allclose(served, expected, rtol=1e-5, atol=1e-6)
    print(json.dumps({"predictions": served.astype("float64").round(4).tolist()}))
    print(f"predicted digit {int(served.argmax())}, true digit {y_test[0]}")


if __name__ == "__main__":
    main()
