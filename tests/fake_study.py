"""A study's results without training, for the tests of its statistics and
figures (tests/study/): the runs of a made-up grid, and runs of given
accuracies."""

import numpy as np

from keras_initact.study.grid import Cell, CellResult, epochs_to


EPOCHS = 5
# Final test accuracy per seed, (init, activation, depth) -> 3 seeds; the
# curves rise to it from `START`, faster for higher seeds. Depth 3 sits at
# 0.89-0.93, one depth-20 cell fails at chance, some runs never reach 0.9.
FINALS = {
    ("glorot_uniform", "relu", 3): (0.919, 0.921, 0.923),
    ("he_normal", "relu", 3): (0.922, 0.924, 0.926),
    ("shaped", "relu", 3): (0.925, 0.927, 0.929),
    ("glorot_uniform", "tanh", 3): (0.891, 0.893, 0.895),
    ("he_normal", "tanh", 3): (0.898, 0.902, 0.906),
    ("shaped", "tanh", 3): (0.908, 0.911, 0.914),
    ("glorot_uniform", "relu", 20): (0.1135, 0.1135, 0.1135),
    ("he_normal", "relu", 20): (0.88, 0.905, 0.92),
    ("shaped", "relu", 20): (0.915, 0.918, 0.921),
    ("glorot_uniform", "tanh", 20): (0.66, 0.72, 0.75),
    ("he_normal", "tanh", 20): (0.899, 0.903, 0.907),
    ("shaped", "tanh", 20): (0.926, 0.930, 0.931),
}
START = {3: 0.80, 20: 0.55}


def curve(depth, final, seed):
    """START at epoch 1, `final` at the last, rising fast then slowly."""
    if final < 0.2:  # a failing cell stays at chance
        return [final] * EPOCHS
    rate = 0.2 + 0.2 * seed
    rise = (1 - rate ** np.arange(EPOCHS)) / (1 - rate ** (EPOCHS - 1))
    return list(START[depth] + (final - START[depth]) * rise)


def fake_study():
    """36 runs: 3 inits x 2 activations x 2 depths x 3 seeds, one of them
    diverged after 3 epochs."""
    runs = []
    for (init, activation, depth), finals in FINALS.items():
        for seed, final in enumerate(finals):
            accuracies = curve(depth, final, seed)
            status = "ok"
            if (init, activation, depth, seed) == ("he_normal", "relu", 20, 0):
                status, accuracies = "diverged", accuracies[:3]
            runs.append(CellResult(
                Cell(init, activation, depth, seed), status,
                final_accuracy=accuracies[-1],
                best_accuracy=max(accuracies), final_loss=0.3,
                epochs_to_target=epochs_to(accuracies, 0.9),
                history={"val_accuracy": accuracies}))
    return runs


def runs_with(accuracies, init="he_normal", depth=3):
    return [CellResult(Cell(init, "relu", depth, seed), "ok",
                       final_accuracy=a, best_accuracy=a)
            for seed, a in enumerate(accuracies)]


WIDTHS, RATES = (64, 256), (1e-3, 4e-3, 1.6e-2)


def fake_width_study():
    """72 runs: 2 inits (glorot_uniform the baseline) x 2 widths x 3
    learning rates x 2 parametrizations x 3 seeds, relu, depth 2. The test
    loss is lowest at 4e-3 for both widths under μP, and at 4e-3 for width
    64 but 1e-3 for width 256 under the standard parametrization, where
    seed 0 of width 256 at 1.6e-2 diverged."""
    runs = []
    for init in ("glorot_uniform", "he_normal"):
        for width in WIDTHS:
            for rate in RATES:
                for parametrization in ("standard", "mup"):
                    best = 4e-3 if parametrization == "mup" or width == 64 \
                        else 1e-3
                    for seed in range(3):
                        cell = Cell(init, "relu", 2, seed, width, rate,
                                    parametrization,
                                    64 if parametrization == "mup" else None)
                        loss = 0.2 + 0.1 * abs(np.log2(rate / best)) \
                            + 0.01 * seed + (0.02 if init == "glorot_uniform"
                                             else 0.0)
                        status = "ok"
                        if (width, rate, parametrization, seed) == (
                                256, 1.6e-2, "standard", 0):
                            status, loss = "diverged", float("nan")
                        runs.append(CellResult(
                            cell, status, final_accuracy=1 - loss / 2,
                            best_accuracy=1 - loss / 2, final_loss=loss,
                            epochs_to_target=2,
                            history={"val_accuracy": [0.8, 1 - loss / 2]}))
    return runs
