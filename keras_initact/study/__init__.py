"""The study the package exists for: which initializer and activation train
a network best, and how deep a plain network can go.

- `datasets`: digits, MNIST, Fashion-MNIST and CIFAR-10 as `tf.data` pipelines;
- `grid`: one cell (initializer x activation x depth) trained and measured;
- `options`: `CompareOptions`, the study's options, defined once;
- `comparison`: `compare`, the whole grid; `command`: `keras-initact compare`;
- `runners`: where the cells run (here, worker processes, Ray);
- `store`: the study's folder, which resumes and refuses to mix studies;
- `statistics`, `tables`, `results`: intervals, tables and figures;
- `best_model`: the best run's model, saved and exported for serving.
"""

from keras_initact.study.comparison import Comparison, compare
from keras_initact.study.datasets import Dataset, DatasetUnavailable, load
from keras_initact.study.grid import Cell, CellResult, StudyOptions
from keras_initact.study.options import CompareOptions

__all__ = ["Cell", "CellResult", "Comparison", "CompareOptions", "Dataset",
           "DatasetUnavailable", "StudyOptions", "compare", "load"]
