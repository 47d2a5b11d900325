"""Argument checks shared by the activation functions and layers.

Each returns the checked value or raises a `ValueError` that names the
owner (a function or layer), the argument, the rule and the value received.
"""

from keras_initact.checks import check_number


def check_slope(name, value, owner):
    """A negative-side slope: a finite number >= 0."""
    return check_number(name, value, owner, non_negative=True)


def check_non_zero(name, value, owner):
    """A finite number other than 0 (a scale that 0 would make constant),
    returned as a float."""
    value = check_number(name, value, owner)
    if value == 0:
        raise ValueError(
            f"{owner}: `{name}` must be non-zero (it would make the unit "
            f"constant); received {name}={value!r}."
        )
    return float(value)


def check_optional_number(name, value, owner, **sign):
    return None if value is None else check_number(name, value, owner, **sign)


def check_rrelu_range(lower, upper, owner):
    """RReLU's slope range: `0 <= lower <= upper < 1`."""
    check_number("lower", lower, owner, non_negative=True)
    check_number("upper", upper, owner, non_negative=True)
    if upper >= 1:
        raise ValueError(
            f"{owner}: the slopes must lie in [0, 1); received upper={upper!r}."
        )
    if lower > upper:
        raise ValueError(
            f"{owner}: `lower` must not exceed `upper`; received "
            f"lower={lower!r}, upper={upper!r}."
        )
    return lower, upper


def check_frequency(value, owner):
    """Snake's frequency: a finite number > 0."""
    return check_number("frequency", value, owner, positive=True)


def check_axes(name, axes, owner):
    """An int or a non-empty list of ints, returned as a list."""
    values = list(axes) if isinstance(axes, (list, tuple)) else [axes]
    if not values or any(
        isinstance(a, bool) or not isinstance(a, int) for a in values
    ):
        raise ValueError(
            f"{owner}: `{name}` must be an int or a non-empty list of ints; "
            f"received {name}={axes!r}."
        )
    return values


def check_axes_in_rank(name, axes, rank, owner, *, allow_batch=True):
    """Checks that each axis indexes a tensor of `rank` dimensions.

    Returns the axes as non-negative ints. With `allow_batch=False`, axis 0
    (the batch axis) is refused as well.
    """
    first = 0 if allow_batch else 1
    resolved = []
    for axis in axes:
        positive = axis + rank if axis < 0 else axis
        if not first <= positive < rank:
            allowed = (
                f"[{-rank}, {rank - 1}]" if allow_batch
                else f"1..{rank - 1} (or {-rank + 1}..-1; not the batch axis 0)"
            )
            raise ValueError(
                f"{owner}: `{name}` contains axis {axis}, which is outside "
                f"an input of rank {rank}; allowed axes: {allowed}. Received "
                f"{name}={list(axes)}."
            )
        resolved.append(positive)
    if len(set(resolved)) != len(resolved):
        raise ValueError(
            f"{owner}: `{name}` names an axis twice; received "
            f"{name}={list(axes)}."
        )
    return resolved
