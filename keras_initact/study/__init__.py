"""The study the package exists for: which initializer and activation train
a network best, and how deep a plain network can go.

- `datasets`: digits, MNIST, Fashion-MNIST and CIFAR-10 as `tf.data` pipelines;
- `grid`: one cell (initializer x activation x depth) trained and measured;
- `results`: the table (Markdown, CSV) and figures;
- `comparison`: `compare`, the whole grid, also `keras-initact compare`.
"""

from keras_initact.study.comparison import Comparison, compare
from keras_initact.study.datasets import Dataset, DatasetUnavailable, load
from keras_initact.study.grid import Cell, CellResult, StudyOptions

__all__ = ["Cell", "CellResult", "Comparison", "Dataset", "DatasetUnavailable",
           "StudyOptions", "compare", "load"]
