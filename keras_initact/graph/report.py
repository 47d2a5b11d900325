"""What `initialize` and `predict_moments` report, layer by layer."""

import dataclasses
from typing import Optional, Tuple

from keras_initact.graph.call import KernelScale


@dataclasses.dataclass(frozen=True)
class LayerMoments:
    """One layer call's predicted (and, with data, measured) moments.

    For a layer with a kernel they are those of its pre-activation output
    (what `initialize` sets to unit second moment), else of its output.

    Attributes:
        layer: the layer's path (`outer_model/layer` inside nested models;
            `#2` marks a shared layer's second call).
        class_name: the layer's class.
        method: `"estimated"` (an estimator), `"measured"` (on `x`, no
            estimator) or `"identity"` (neither: taken to pass its input).
        predicted_mean, predicted_second: the prediction, `E[y]`, `E[y^2]`.
        measured_mean, measured_second: the same on `x`, else `None`.
        kernels: what `initialize` did to each kernel (`KernelScale`).
    """

    layer: str
    class_name: str
    method: str
    predicted_mean: float
    predicted_second: float
    measured_mean: Optional[float] = None
    measured_second: Optional[float] = None
    kernels: Tuple[KernelScale, ...] = ()

    @property
    def predicted_variance(self):
        return max(self.predicted_second - self.predicted_mean ** 2, 0.0)

    @property
    def measured_variance(self):
        if self.measured_second is None:
            return None
        return max(self.measured_second - self.measured_mean ** 2, 0.0)


@dataclasses.dataclass(frozen=True)
class MomentsReport:
    """The per-layer report of `initialize` or `predict_moments`.

    `rows` in the order the graph computes them; `table()` (and `str`) a
    plain-text table; `row(name)` one layer's; `unknown` the layers that
    had no estimator.
    """

    scheme: str
    rows: Tuple[LayerMoments, ...]

    @property
    def unknown(self):
        """Paths of the layers without an estimator (measured or identity)."""
        return tuple(row.layer for row in self.rows
                     if row.method != "estimated")

    @property
    def kernel_rows(self):
        """The rows of layers whose kernels the walk set or read."""
        return tuple(row for row in self.rows if row.kernels)

    def row(self, layer):
        """The first row of the layer with this path."""
        for row in self.rows:
            if row.layer == layer:
                return row
        raise KeyError(f"No row for layer {layer!r}; the report has "
                       f"{', '.join(r.layer for r in self.rows[:8])}, ...")

    def table(self):
        measured = any(row.measured_second is not None for row in self.rows)
        width = max([24] + [len(row.layer) for row in self.rows])
        header = (f"{'layer':<{width}} {'class':<22} {'how':<9} "
                  f"{'pred mean':>9} {'pred E[y2]':>10}")
        if measured:
            header += f" {'meas mean':>9} {'meas E[y2]':>10}"
        header += f" {'scale':>8}"
        lines = [f"{self.scheme}: {len(self.rows)} layer calls", header]
        for row in self.rows:
            line = (f"{row.layer:<{width}} {row.class_name[:22]:<22} "
                    f"{row.method:<9} {row.predicted_mean:9.3g} "
                    f"{row.predicted_second:10.4g}")
            if measured:
                line += (f" {_number(row.measured_mean, 9, '.3g')}"
                         f" {_number(row.measured_second, 10, '.4g')}")
            factors = [k.factor for k in row.kernels]
            line += f" {factors[0]:8.3g}" if factors else f" {'':>8}"
            lines.append(line)
        return "\n".join(lines)

    def __str__(self):
        return self.table()


def _number(value, width, spec):
    return f"{'-':>{width}}" if value is None else f"{value:{width}{spec}}"
