"""Output regions: where an activation is dead or saturated.

A `Region` is data (thresholds and an optional axis), so a monitor can
compute "fraction of outputs in the region" with `keras.ops` inside compiled
code, for any layer output, without knowing which activation produced it.
"""

import dataclasses
from typing import Optional, Tuple

from keras import ops


@dataclasses.dataclass(frozen=True)
class Region:
    """Outputs `y <= below`, `y >= above` or `low <= y <= high` for
    `within=(low, high)` (a bound that is `None` is absent).

    `within` describes a dead band in the middle of the range: a shrinkage
    unit's output is exactly 0 for small inputs, `Region(within=(0.0, 0.0))`.

    With `axis`, the region holds whole slices along `axis` rather than
    single elements: a slice is in it when its largest value is `>= above`
    (or its smallest `<= below`). Softmax uses this: a distribution whose top
    probability is near 1 has a vanishing gradient, while a small probability
    on its own says nothing.

    >>> Region(below=-0.99, above=0.99).fraction(keras.ops.tanh(x))

    Args:
        below: outputs at or below this value are in the region.
        above: outputs at or above this value are in the region.
        axis: reduce along this axis first (see above), or `None`.
        within: `(low, high)`: outputs in this closed interval are in it.
        meaning: one line saying what the region means, for reports.
    """

    below: Optional[float] = None
    above: Optional[float] = None
    axis: Optional[int] = None
    meaning: str = ""
    within: Optional[Tuple[float, float]] = None

    def __post_init__(self):
        if self.below is None and self.above is None and self.within is None:
            raise ValueError("Region: give `below`, `above` or `within`.")
        if self.within is not None:
            if (not isinstance(self.within, tuple) or len(self.within) != 2
                    or self.within[0] > self.within[1]):
                raise ValueError(
                    f"Region: `within` must be a tuple (low, high) with "
                    f"low <= high; received within={self.within!r}."
                )
            if self.axis is not None:
                raise ValueError(
                    "Region: `within` holds single elements; it cannot be "
                    f"combined with axis={self.axis!r}."
                )
        if (self.below is not None and self.above is not None
                and self.below >= self.above):
            raise ValueError(
                f"Region: `below` must be smaller than `above`; received "
                f"below={self.below!r}, above={self.above!r}."
            )

    def affine(self, scale, shift, meaning=None):
        """The region of `scale * (y + shift)` for `y` in this one (`scale`
        non-zero; a negative scale swaps the bounds)."""
        def moved(bound):
            return None if bound is None else scale * (bound + shift)

        below, above = moved(self.below), moved(self.above)
        within = (None if self.within is None
                  else tuple(sorted(moved(bound) for bound in self.within)))
        if scale < 0:
            below, above = above, below
        return Region(below, above, self.axis,
                      self.meaning if meaning is None else meaning, within)

    def mask(self, y):
        """A boolean tensor: which elements (or slices) of `y` are in it."""
        y = ops.convert_to_tensor(y)
        inside = None
        if self.above is not None:
            top = y if self.axis is None else ops.max(y, axis=self.axis)
            inside = top >= ops.cast(self.above, y.dtype)
        if self.below is not None:
            bottom = y if self.axis is None else ops.min(y, axis=self.axis)
            low = bottom <= ops.cast(self.below, y.dtype)
            inside = low if inside is None else ops.logical_or(inside, low)
        if self.within is not None:
            low, high = (ops.cast(bound, y.dtype) for bound in self.within)
            band = ops.logical_and(y >= low, y <= high)
            inside = band if inside is None else ops.logical_or(inside, band)
        return inside

    def fraction(self, y):
        """The fraction of `y` in the region, a float32 scalar tensor."""
        return ops.mean(ops.cast(self.mask(y), "float32"))
