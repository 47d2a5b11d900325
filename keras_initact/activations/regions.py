"""Output regions: where an activation is dead or saturated.

A `Region` is data (two thresholds and an optional axis), so a monitor can
compute "fraction of outputs in the region" with `keras.ops` inside compiled
code, for any layer output, without knowing which activation produced it.
"""

import dataclasses
from typing import Optional

from keras import ops


@dataclasses.dataclass(frozen=True)
class Region:
    """Outputs `y <= below` or `y >= above` (a bound that is `None` is absent).

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
        meaning: one line saying what the region means, for reports.
    """

    below: Optional[float] = None
    above: Optional[float] = None
    axis: Optional[int] = None
    meaning: str = ""

    def __post_init__(self):
        if self.below is None and self.above is None:
            raise ValueError("Region: give `below`, `above` or both.")
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
        if scale < 0:
            below, above = above, below
        return Region(below, above, self.axis,
                      self.meaning if meaning is None else meaning)

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
        return inside

    def fraction(self, y):
        """The fraction of `y` in the region, a float32 scalar tensor."""
        return ops.mean(ops.cast(self.mask(y), "float32"))
